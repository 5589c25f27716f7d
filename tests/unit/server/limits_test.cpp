// RateLimiter and ConnectionGate (server limits), without a running server.
#include <cerrno>
#include <chrono>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "connection_gate.h"
#include "rate_limiter.h"

using lce::ConnectionGate;
using lce::RateLimiter;
using namespace std::chrono_literals;

TEST_CASE("rate limiter: a burst, then one request per token", "[limits]") {
  RateLimiter limiter;
  const auto t0 = RateLimiter::Clock::time_point{} + 1h;
  for (int i = 0; i < 5; ++i) CHECK(limiter.Take("a", 2, 5, t0).retry_after == 0);
  CHECK(limiter.Take("a", 2, 5, t0).retry_after == 1);          // empty: next token in 0.5 s, said as 1 s
  CHECK(limiter.Take("b", 2, 5, t0).retry_after == 0);          // other clients have their own bucket
  CHECK(limiter.Take("a", 2, 5, t0 + 500ms).retry_after == 0);  // one token back after 1/rate
  CHECK(limiter.Take("a", 2, 5, t0 + 500ms).retry_after == 1);
  CHECK(limiter.Take("a", 2, 5, t0 + 1h).retry_after == 0);  // refilled, never above the burst
  int granted = 1;
  while (limiter.Take("a", 2, 5, t0 + 1h).retry_after == 0) ++granted;
  CHECK(granted == 5);
}

TEST_CASE("rate limiter: the first refusal of an episode is marked (one audit event per flood)", "[limits]") {
  RateLimiter limiter;
  const auto t0 = RateLimiter::Clock::time_point{} + 1h;
  CHECK_FALSE(limiter.Take("a", 1, 1, t0).first_refusal);  // granted
  CHECK(limiter.Take("a", 1, 1, t0).first_refusal);
  CHECK_FALSE(limiter.Take("a", 1, 1, t0).first_refusal);  // still the same episode
  CHECK(limiter.Take("a", 1, 1, t0 + 1s).retry_after == 0);
  CHECK(limiter.Take("a", 1, 1, t0 + 1s).first_refusal);  // a new episode
}

TEST_CASE("rate limiter: Retry-After covers the wait for a slow rate", "[limits]") {
  RateLimiter limiter;
  const auto t0 = RateLimiter::Clock::time_point{} + 1h;
  CHECK(limiter.Take("slow", 1, 1, t0).retry_after == 0);
  CHECK(limiter.Take("slow", 1, 1, t0).retry_after == 1);
  CHECK(limiter.Take("slow", 1, 1, t0 + 999ms).retry_after == 1);
  CHECK(limiter.Take("slow", 1, 1, t0 + 1s).retry_after == 0);
}

TEST_CASE("rate limiter: 0 requests per second is no limit", "[limits]") {
  RateLimiter limiter;
  const auto t0 = RateLimiter::Clock::time_point{} + 1h;
  for (int i = 0; i < 10000; ++i) REQUIRE(limiter.Take("a", 0, 1, t0).retry_after == 0);
  CHECK(limiter.tracked_clients() == 0);
}

TEST_CASE("rate limiter: refilled clients are forgotten", "[limits]") {
  RateLimiter limiter;
  const auto t0 = RateLimiter::Clock::time_point{} + 1h;
  for (int i = 0; i < 1024; ++i) limiter.Take("client " + std::to_string(i), 10, 10, t0);
  CHECK(limiter.tracked_clients() == 1024);
  limiter.Take("late", 10, 10, t0 + 2s);  // every earlier bucket is full again
  CHECK(limiter.tracked_clients() == 1);
}

namespace {

// A loopback listener; Connect opens a connection from a chosen source
// address (all of 127/8 is loopback) and accepts it with accept4, which the
// gate does not intercept, so a test hands the socket to Admit itself.
struct Loopback {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  int port = 0;
  Loopback() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(listen(listener, 64) == 0);
    socklen_t length = sizeof address;
    REQUIRE(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port = ntohs(address.sin_port);
  }
  ~Loopback() { close(listener); }

  struct Connection {
    int client = -1;
    int server = -1;
    sockaddr_storage peer{};
    std::string Answer() const {
      char buffer[1024];
      const ssize_t n = recv(client, buffer, sizeof buffer, 0);
      return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
    }
  };
  // A client socket from `source`, connected but not yet accepted.
  int ConnectOnly(const char* source) const {
    const int client = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    REQUIRE(inet_pton(AF_INET, source, &from.sin_addr) == 1);
    REQUIRE(bind(client, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(client, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
    return client;
  }
  Connection Connect(const char* source) const {
    Connection c;
    c.client = ConnectOnly(source);
    socklen_t length = sizeof c.peer;
    c.server = accept4(listener, reinterpret_cast<sockaddr*>(&c.peer), &length, 0);
    REQUIRE(c.server >= 0);
    return c;
  }
};

int PortOf(const Loopback::Connection& c) { return ntohs(reinterpret_cast<const sockaddr_in&>(c.peer).sin_port); }

}  // namespace

TEST_CASE("connection gate: per-client limit answers 429 and closes", "[limits]") {
  Loopback lo;
  ConnectionGate gate(lo.port, false, {10, 2});
  auto a = lo.Connect("127.0.0.2"), b = lo.Connect("127.0.0.2"), c = lo.Connect("127.0.0.2");
  auto other = lo.Connect("127.0.0.3");
  CHECK(gate.Admit(a.server, a.peer));
  CHECK(gate.Admit(b.server, b.peer));
  CHECK_FALSE(gate.Admit(c.server, c.peer));
  const std::string answer = c.Answer();
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 429 Too Many Requests\r\n"));
  CHECK_THAT(answer, Catch::Contains("Retry-After: 1\r\n"));
  CHECK_THAT(answer, Catch::Contains("server.max_connections_per_client = 2"));
  CHECK(gate.Admit(other.server, other.peer));  // another client is unaffected

  gate.OnRequest("127.0.0.2", PortOf(a));
  gate.OnClosed("127.0.0.2", PortOf(a));  // served: frees a slot
  close(a.server);
  auto d = lo.Connect("127.0.0.2");
  CHECK(gate.Admit(d.server, d.peer));
  const ConnectionGate::Stats stats = gate.stats();
  CHECK(stats.open == 3);
  CHECK(stats.admitted == 4);
  CHECK(stats.refused_per_client == 1);
  CHECK(stats.refused_total == 0);
  CHECK(stats.closed_without_request == 0);
  for (int fd : {b.server, other.server, d.server, a.client, b.client, c.client, other.client, d.client}) close(fd);
}

TEST_CASE("connection gate: a connection closed without a callback frees its slot at the limit", "[limits]") {
  Loopback lo;
  ConnectionGate gate(lo.port, true, {10, 2});
  auto a = lo.Connect("127.0.0.2"), b = lo.Connect("127.0.0.2");
  CHECK(gate.Admit(a.server, a.peer));
  CHECK(gate.Admit(b.server, b.peer));
  close(a.server);                // as after a failed TLS handshake: CivetWeb cannot name it
  CHECK(gate.stats().open == 1);  // a scrape sees it gone
  CHECK(gate.stats().closed_without_request == 1);
  auto c = lo.Connect("127.0.0.2");
  CHECK(gate.Admit(c.server, c.peer));
  CHECK(gate.stats().open == 2);
  CHECK(gate.stats().closed_without_request == 1);  // counted once
  auto d = lo.Connect("127.0.0.2");
  CHECK_FALSE(gate.Admit(d.server, d.peer));  // b and c are still open
  for (int fd : {b.server, c.server, a.client, b.client, c.client, d.client}) close(fd);
}

TEST_CASE("connection gate: total limit answers 503; TLS refusals send nothing", "[limits]") {
  Loopback lo;
  ConnectionGate plain(lo.port, false, {1, 1});
  auto a = lo.Connect("127.0.0.2"), b = lo.Connect("127.0.0.3");
  CHECK(plain.Admit(a.server, a.peer));
  CHECK_FALSE(plain.Admit(b.server, b.peer));
  CHECK_THAT(b.Answer(), Catch::StartsWith("HTTP/1.1 503 Service Unavailable\r\n"));
  CHECK(plain.stats().refused_total == 1);

  plain.SetLimits({2, 2});  // a reload raises the limits for new connections
  auto e = lo.Connect("127.0.0.3");
  CHECK(plain.Admit(e.server, e.peer));

  Loopback lo_tls;
  ConnectionGate tls(lo_tls.port, true, {1, 1});
  auto c = lo_tls.Connect("127.0.0.2"), d = lo_tls.Connect("127.0.0.2");
  CHECK(tls.Admit(c.server, c.peer));
  CHECK_FALSE(tls.Admit(d.server, d.peer));
  CHECK(d.Answer().empty());  // closed without a plain-text answer
  for (int fd : {a.server, e.server, c.server, a.client, b.client, e.client, c.client, d.client}) close(fd);
}

TEST_CASE("connection gate: the accept() override gates its listener's port only", "[limits]") {
  Loopback lo;
  const int first = lo.ConnectOnly("127.0.0.2");
  const int second = lo.ConnectOnly("127.0.0.2");
  {
    ConnectionGate gate(lo.port, false, {10, 1});
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof peer;
    const int accepted = accept(lo.listener, reinterpret_cast<sockaddr*>(&peer), &peer_length);
    REQUIRE(accepted >= 0);
    CHECK(peer.ss_family == AF_INET);
    errno = 0;
    CHECK(accept(lo.listener, nullptr, nullptr) == -1);  // same client address: over the limit
    CHECK(errno == ECONNABORTED);
    char buffer[64] = {};
    CHECK(recv(second, buffer, sizeof buffer - 1, 0) > 0);
    CHECK_THAT(std::string(buffer), Catch::StartsWith("HTTP/1.1 429"));
    close(accepted);
  }
  const int third = lo.ConnectOnly("127.0.0.2");
  const int ungated = accept(lo.listener, nullptr, nullptr);  // the gate is gone: accepted as is
  CHECK(ungated >= 0);
  for (int fd : {first, second, third, ungated}) close(fd);
}
