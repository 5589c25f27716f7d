// TLS for the HTTP server: CivetWeb's init_ssl callback hands us its SSL_CTX
// and we configure it from the web config (certificate chain and key files,
// minimum protocol version, optional client certificates), so the exporter
// takes the exporter toolkit's separate cert_file / key_file. Private to the
// server module; OpenSSL stays out of every public header.
#pragma once

#include "llm_cost_exporter/status.h"
#include "llm_cost_exporter/web_config.h"

namespace lce {

// Configures `ssl_ctx` (an SSL_CTX*). InvalidArgument when a file cannot be
// used or the key does not match the certificate.
Status ConfigureServerTls(void* ssl_ctx, const TlsConfig& tls);

// Whether CivetWeb can serve TLS in this process: the OpenSSL 3 compat
// library (src/server/openssl_compat) is loaded. Without it the first TLS
// connection would crash a worker, so the exporter refuses to start instead.
bool CivetWebTlsUsable();

// Loads the files into a scratch context: the same checks as at start, for
// --check-config and for a clear error before the server starts.
Status CheckServerTls(const TlsConfig& tls);

}  // namespace lce
