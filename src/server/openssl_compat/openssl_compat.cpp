// OpenSSL 3 compatibility for Debian 12's CivetWeb (1.15).
//
// CivetWeb loads OpenSSL at run time: dlopen("libssl.so"), then dlsym of
// every function it uses. It calls SSL_get_peer_certificate on every TLS
// connection, but OpenSSL 3 only exports that function under its new name
// (SSL_get1_peer_certificate; the old name is a header macro), so the lookup
// yields null and the worker thread crashes on the first TLS request.
//
// This library is named libssl.so (its SONAME), depends on the real
// libssl.so.3 and defines the old name. The exporter links it, so it is
// already loaded when CivetWeb asks for "libssl.so": glibc then hands CivetWeb
// this library, and dlsym finds the old name here and everything else in the
// real libssl it depends on. No OpenSSL header is included: it would #define
// the old name to the new one.
extern "C" {

struct ssl_st;
struct x509_st;

x509_st* SSL_get1_peer_certificate(const ssl_st* ssl);

// Same contract as OpenSSL 1.1's: the peer's certificate with its reference
// count incremented (the caller frees it), or null.
x509_st* SSL_get_peer_certificate(const ssl_st* ssl) { return SSL_get1_peer_certificate(ssl); }

}  // extern "C"
