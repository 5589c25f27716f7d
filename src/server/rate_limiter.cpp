#include "rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace lce {

RateLimiter::Decision RateLimiter::Take(std::string_view client, std::size_t per_second, std::size_t burst,
                                        Clock::time_point now) {
  if (per_second == 0) return {};
  const double rate = static_cast<double>(per_second);
  const double capacity = static_cast<double>(std::max<std::size_t>(burst, 1));
  std::lock_guard lock(mutex_);
  if (buckets_.size() >= forget_at_) ForgetIdle(rate, capacity, now);
  auto [it, inserted] = buckets_.try_emplace(std::string(client), Bucket{capacity, now});
  Bucket& bucket = it->second;
  if (!inserted) {
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(capacity, bucket.tokens + std::max(0.0, elapsed) * rate);
    bucket.updated = now;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    bucket.refusing = false;
    return {};
  }
  const bool first = !bucket.refusing;
  bucket.refusing = true;
  return {std::max(1L, static_cast<long>(std::ceil((1.0 - bucket.tokens) / rate))), first};
}

void RateLimiter::ForgetIdle(double per_second, double burst, Clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const double elapsed = std::chrono::duration<double>(now - it->second.updated).count();
    if (it->second.tokens + elapsed * per_second >= burst) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
  // Many busy clients at once: look again only when the table has doubled.
  forget_at_ = std::max<std::size_t>(1024, buckets_.size() * 2);
}

std::size_t RateLimiter::tracked_clients() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace lce
