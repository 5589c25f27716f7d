#include "tls.h"

#include <memory>

#include <dlfcn.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace lce {
namespace {

// InvalidArgument `what`, with OpenSSL's first queued error when there is one.
Status OpenSslError(const std::string& what) {
  const unsigned long code = ERR_get_error();
  if (code == 0) return Status::InvalidArgument(what);
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return Status::InvalidArgument(what + ": " + text);
}

int ProtocolVersion(const std::string& name) {
  if (name == "TLS10") return TLS1_VERSION;
  if (name == "TLS11") return TLS1_1_VERSION;
  if (name == "TLS13") return TLS1_3_VERSION;
  return TLS1_2_VERSION;
}

}  // namespace

Status ConfigureServerTls(void* ssl_ctx, const TlsConfig& tls) {
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, tls.cert_file.c_str()) != 1) {
    return OpenSslError("cannot use cert_file " + tls.cert_file);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return OpenSslError("cannot use key_file " + tls.key_file);
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return OpenSslError("key_file does not match cert_file");
  }
  if (SSL_CTX_set_min_proto_version(ctx, ProtocolVersion(tls.min_version)) != 1) {
    return OpenSslError("cannot set min_version " + tls.min_version);
  }
  if (tls.require_client_cert) {
    if (SSL_CTX_load_verify_locations(ctx, tls.client_ca_file.c_str(), nullptr) != 1) {
      return OpenSslError("cannot use client_ca_file " + tls.client_ca_file);
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return Status::Ok();
}

bool CivetWebTlsUsable() { return dlsym(RTLD_DEFAULT, "SSL_get_peer_certificate") != nullptr; }

Status CheckServerTls(const TlsConfig& tls) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()), &SSL_CTX_free);
  if (!ctx) {
    return OpenSslError("cannot create a TLS context");
  }
  return ConfigureServerTls(ctx.get(), tls);
}

}  // namespace lce
