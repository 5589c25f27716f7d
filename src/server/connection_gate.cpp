#include "connection_gate.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exporter_impl.h"
#include "http_util.h"

namespace lce {
namespace {

// Every live gate, for the accept() override. Admit runs under this lock, so
// a gate cannot be destroyed while it decides.
std::mutex registry_mutex;
std::vector<ConnectionGate*>& Registry() {
  static std::vector<ConnectionGate*> gates;
  return gates;
}

int LocalPort(int fd) {
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) return -1;
  if (local.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(local).sin_port);
  if (local.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(local).sin6_port);
  return -1;
}

// The peer's address and port as CivetWeb writes them into mg_request_info
// (getnameinfo with NI_NUMERICHOST), so OnClosed finds what Admit stored.
std::pair<std::string, int> PeerAddress(const sockaddr_storage& peer) {
  char host[NI_MAXHOST] = "";
  int port = 0;
  socklen_t length = 0;
  if (peer.ss_family == AF_INET) {
    length = sizeof(sockaddr_in);
    port = ntohs(reinterpret_cast<const sockaddr_in&>(peer).sin_port);
  } else if (peer.ss_family == AF_INET6) {
    length = sizeof(sockaddr_in6);
    port = ntohs(reinterpret_cast<const sockaddr_in6&>(peer).sin6_port);
  }
  if (length == 0 || getnameinfo(reinterpret_cast<const sockaddr*>(&peer), length, host, sizeof host, nullptr, 0,
                                 NI_NUMERICHOST) != 0) {
    return {"unknown", port};
  }
  return {host, port};
}

}  // namespace

ConnectionGate::ConnectionGate(int port, bool tls, Limits limits) : port_(port), tls_(tls), limits_(limits) {
  std::lock_guard lock(registry_mutex);
  Registry().push_back(this);
}

ConnectionGate::~ConnectionGate() {
  std::lock_guard lock(registry_mutex);
  auto& gates = Registry();
  gates.erase(std::remove(gates.begin(), gates.end(), this), gates.end());
}

void ConnectionGate::SetLimits(Limits limits) {
  std::lock_guard lock(mutex_);
  limits_ = limits;
}

std::string ConnectionGate::ConnectionKey(std::string_view address, int port) {
  std::string key(address);
  key += ' ';
  key += std::to_string(port);
  return key;
}

bool ConnectionGate::Admit(int fd, const sockaddr_storage& peer) {
  auto [client, port] = PeerAddress(peer);
  std::unique_lock lock(mutex_);
  const Limits limits = limits_;
  // A full sweep costs a system call per open connection: at most every 100 ms.
  const auto now = std::chrono::steady_clock::now();
  if (open_.size() >= limits.max_total && now - last_full_sweep_ >= std::chrono::milliseconds(100)) {
    last_full_sweep_ = now;
    ForgetClosed("");
  }
  if (auto it = per_client_.find(client); it != per_client_.end() && it->second >= limits.max_per_client) {
    ForgetClosed(client);
  }
  if (open_.size() >= limits.max_total) {
    ++stats_.refused_total;
    lock.unlock();
    Refuse(fd, 503, "too many open connections (server.max_connections = " + std::to_string(limits.max_total) + ")");
    return false;
  }
  std::size_t& from_client = per_client_[client];
  if (from_client >= limits.max_per_client) {
    ++stats_.refused_per_client;
    lock.unlock();
    Refuse(fd, 429,
           "too many open connections from " + client +
               " (server.max_connections_per_client = " + std::to_string(limits.max_per_client) + ")");
    return false;
  }
  ++from_client;
  ++stats_.admitted;
  open_[ConnectionKey(client, port)] = Open{client, fd, false};
  return true;
}

bool ConnectionGate::StillOpen(const std::string& key, const Open& open) const {
  sockaddr_storage peer{};
  socklen_t length = sizeof peer;
  if (getpeername(open.fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0 || LocalPort(open.fd) != port_) {
    return false;
  }
  auto [address, peer_port] = PeerAddress(peer);
  return ConnectionKey(address, peer_port) == key;
}

void ConnectionGate::ForgetClosed(std::string_view client) {
  for (auto it = open_.begin(); it != open_.end();) {
    auto next = std::next(it);
    if ((client.empty() || it->second.client == client) && !StillOpen(it->first, it->second)) Forget(it);
    it = next;
  }
}

void ConnectionGate::Forget(std::unordered_map<std::string, Open>::iterator it) {
  if (!it->second.served) ++stats_.closed_without_request;
  if (auto client = per_client_.find(it->second.client); client != per_client_.end() && --client->second == 0) {
    per_client_.erase(client);
  }
  open_.erase(it);
}

void ConnectionGate::Refuse(int fd, int status, const std::string& message) {
  if (!tls_) {
    // Best effort, never blocking: the master thread must not wait on a client.
    const std::string body = http::ErrorJson(message);
    const std::string answer = "HTTP/1.1 " + std::to_string(status) +
                               (status == 429 ? " Too Many Requests" : " Service Unavailable") +
                               "\r\nContent-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\n"
                               "Content-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n" + body;
    // Whatever the client already sent is read first: closing a socket with
    // unread data resets it, and the client could lose the answer.
    char discard[4096];
    for (int i = 0; i < 4 && recv(fd, discard, sizeof discard, MSG_DONTWAIT) > 0; ++i) {
    }
    [[maybe_unused]] const ssize_t sent = send(fd, answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    shutdown(fd, SHUT_WR);
  }
  close(fd);
}

void ConnectionGate::OnRequest(std::string_view address, int port) {
  const std::string key = ConnectionKey(address, port);
  std::lock_guard lock(mutex_);
  if (auto it = open_.find(key); it != open_.end()) it->second.served = true;
}

void ConnectionGate::OnClosed(std::string_view address, int port) {
  const std::string key = ConnectionKey(address, port);
  std::lock_guard lock(mutex_);
  auto it = open_.find(key);
  if (it == open_.end()) return;  // accepted before the gate was installed, or already forgotten
  Forget(it);
}

ConnectionGate::Stats ConnectionGate::stats() const {
  std::lock_guard lock(mutex_);
  // A scrape reports what is open, not what was never named closed; it
  // counts the closed entries as Forget would, without forgetting them.
  Stats stats = stats_;
  stats.open = 0;
  for (const auto& [key, open] : open_) {
    if (StillOpen(key, open)) {
      ++stats.open;
    } else if (!open.served) {
      ++stats.closed_without_request;
    }
  }
  return stats;
}

bool ConnectionGate::AdmitOnListener(int listener_fd, int fd, const sockaddr_storage& peer) {
  std::lock_guard lock(registry_mutex);
  if (Registry().empty()) return true;
  const int port = LocalPort(listener_fd);
  for (ConnectionGate* gate : Registry()) {
    if (gate->port_ == port) return gate->Admit(fd, peer);
  }
  return true;
}

namespace {

constexpr MetricDesc kOpen{"llm_cost_exporter_http_connections_open", "HTTP connections open now.", MetricType::kGauge};
constexpr MetricDesc kAdmitted{"llm_cost_exporter_http_connections_total", "HTTP connections admitted since start.",
                               MetricType::kCounter};
constexpr MetricDesc kRefused{"llm_cost_exporter_http_connections_refused_total",
                              "Connections closed at accept because a limit was reached (server.max_connections, "
                              "server.max_connections_per_client).",
                              MetricType::kCounter,
                              {"limit"}};
constexpr MetricDesc kWithoutRequest{"llm_cost_exporter_http_connections_without_request_total",
                                     "Connections closed before a whole request arrived: idle, slower than "
                                     "server.request_timeout_ms, or aborted.",
                                     MetricType::kCounter};

class ConnectionCollector final : public Collector {
 public:
  explicit ConnectionCollector(const ConnectionGate& gate) : gate_(gate) {}

  void Collect(MetricSink& sink) const override {
    const ConnectionGate::Stats stats = gate_.stats();
    sink.Unlabelled(kOpen, static_cast<double>(stats.open));
    sink.Unlabelled(kAdmitted, static_cast<double>(stats.admitted));
    sink.Family(kRefused);
    sink.Sample({"max_connections"}, static_cast<double>(stats.refused_total));
    sink.Sample({"max_connections_per_client"}, static_cast<double>(stats.refused_per_client));
    sink.Unlabelled(kWithoutRequest, static_cast<double>(stats.closed_without_request));
  }

 private:
  const ConnectionGate& gate_;
};

}  // namespace

std::unique_ptr<Collector> NewConnectionCollector(const ConnectionGate& gate) {
  return std::make_unique<ConnectionCollector>(gate);
}

}  // namespace lce

// The executable's accept(): libcivetweb's calls bind here rather than to
// libc (the executable comes first in symbol lookup). accept4 with no flags
// is the same system call as accept. A refused socket looks to CivetWeb like
// a connection aborted before it was accepted, which it ignores.
extern "C" int accept(int listener, sockaddr* address, socklen_t* address_length) {
  sockaddr_storage peer{};
  socklen_t peer_length = sizeof peer;
  const int fd = accept4(listener, reinterpret_cast<sockaddr*>(&peer), &peer_length, 0);
  if (fd < 0) return fd;
  if (address != nullptr && address_length != nullptr) {
    std::memcpy(address, &peer, std::min(*address_length, peer_length));
    *address_length = peer_length;
  }
  if (lce::ConnectionGate::AdmitOnListener(listener, fd, peer)) return fd;
  errno = ECONNABORTED;
  return -1;
}
