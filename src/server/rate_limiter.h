// RateLimiter: a token bucket per client (an API key id or a client
// address), for the per-client request rate limit (server.rate_limit).
// Private to the server module.
//
// Each client starts with `burst` tokens; a request takes one; tokens come
// back at `per_second`, up to `burst`. A request finding no token is refused
// and told when the next token comes (Retry-After). Clients whose buckets
// have refilled are forgotten, so the table holds only recently busy ones.
// Thread-safe (one mutex; a request holds it for one lookup).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace lce {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  struct Decision {
    long retry_after = 0;        // 0: granted; else whole seconds (>= 1) until a token is back
    bool first_refusal = false;  // refused, and the client's previous request was granted
  };
  // Takes a token for `client` at `now` under the given rate (0: no limit).
  Decision Take(std::string_view client, std::size_t per_second, std::size_t burst, Clock::time_point now);

  std::size_t tracked_clients() const;

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
    bool refusing = false;  // the last request was refused
  };
  // Drops buckets that are full again (idle long enough to refill).
  void ForgetIdle(double per_second, double burst, Clock::time_point now);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::size_t forget_at_ = 1024;  // table size that triggers ForgetIdle
};

}  // namespace lce
