// ConnectionGate: admits or refuses each TCP connection the moment it is
// accepted, by the number of connections open in all and from one client
// address. Private to the server module.
//
// Why at accept: CivetWeb 1.15 hands every accepted socket to a worker
// thread, which then waits up to request_timeout_ms for a request, and it has
// no hook to refuse a connection before that. A client that opens hundreds of
// connections and sends nothing (or a byte at a time) would hold every
// worker, and /metrics would go unanswered. So this module defines accept()
// in the executable, which takes precedence over libc's for libcivetweb's
// call: a socket accepted on a gated port is counted, or answered at once
// (429 over the per-client limit, 503 over the total; plain HTTP only, TLS
// sockets are just closed) and closed. CivetWeb then sees a failed accept
// and carries on. Sockets of other ports pass untouched.
//
// Connections leave the gate when CivetWeb closes them (its connection_close
// callback calls OnClosed), or, when CivetWeb could not say which one it
// closed, once a limit is reached and the gate finds their sockets gone.
// Thread-safe: Admit runs on CivetWeb's master
// thread, the rest on workers and the scrape.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <sys/socket.h>

#include "llm_cost_exporter/metric_registry.h"

namespace lce {

class ConnectionGate {
 public:
  struct Limits {
    std::size_t max_total = 512;
    std::size_t max_per_client = 16;
  };
  struct Stats {
    std::uint64_t open = 0;                    // admitted and not yet closed
    std::uint64_t admitted = 0;                // since start
    std::uint64_t refused_total = 0;           // over max_total
    std::uint64_t refused_per_client = 0;      // over max_per_client
    std::uint64_t closed_without_request = 0;  // idle, too slow, or aborted before a whole request
  };

  // Gates connections accepted on local `port`; `tls` says whether they
  // speak TLS (then a refusal sends no HTTP answer). Registers itself so the
  // accept() override finds it; unregisters in the destructor.
  ConnectionGate(int port, bool tls, Limits limits);
  ~ConnectionGate();
  ConnectionGate(const ConnectionGate&) = delete;
  ConnectionGate& operator=(const ConnectionGate&) = delete;

  // New limits for connections accepted from now on (a reload).
  void SetLimits(Limits limits);

  // Decides for a socket just accepted from `peer`: true keeps it (counted
  // until OnClosed); false means it was answered and closed.
  bool Admit(int fd, const sockaddr_storage& peer);
  // A request reached a handler on the connection from `address`:`port`
  // (see closed_without_request). Addresses as CivetWeb's remote_addr.
  void OnRequest(std::string_view address, int port);
  // CivetWeb is closing the connection from `address`:`port`.
  void OnClosed(std::string_view address, int port);

  // Also forgets connections whose sockets are gone (ForgetClosed), so the
  // open count a scrape sees is exact.
  Stats stats() const;

  // Called by the accept() override for socket `fd` just accepted on
  // `listener_fd`: Admit by the gate of the listener's port, or true when
  // that port has none.
  static bool AdmitOnListener(int listener_fd, int fd, const sockaddr_storage& peer);

 private:
  struct Open {
    std::string client;  // the address, as CivetWeb writes remote_addr
    int fd = -1;
    bool served = false;
  };
  void Refuse(int fd, int status, const std::string& message);
  // Drops entries (of `client`, or all when empty) whose socket is no longer
  // the connection admitted. CivetWeb cannot always name a connection it
  // closes (no request info after a failed TLS handshake), so a limit that
  // is reached, and every scrape, checks against the sockets. Needs mutex_.
  void ForgetClosed(std::string_view client);
  // Whether the socket of `open` is still the connection admitted under `key`.
  bool StillOpen(const std::string& key, const Open& open) const;
  void Forget(std::unordered_map<std::string, Open>::iterator it);
  static std::string ConnectionKey(std::string_view address, int port);

  const int port_;
  const bool tls_;
  mutable std::mutex mutex_;
  Limits limits_;
  std::unordered_map<std::string, Open> open_;               // by "address port"
  std::unordered_map<std::string, std::size_t> per_client_;  // open connections by address
  Stats stats_;
  std::chrono::steady_clock::time_point last_full_sweep_{};
};

// llm_cost_exporter_http_connections_* from the gate's Stats, at scrape time.
std::unique_ptr<Collector> NewConnectionCollector(const ConnectionGate& gate);

}  // namespace lce
