#include <array>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_set>

#include "llm_cost_exporter/idempotency.h"

namespace lce {
namespace {

struct TransparentHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class MemoryIdempotencyStore final : public IdempotencyStore {
 public:
  bool Claim(std::string_view key) override {
    Shard& shard = ShardFor(key);
    std::lock_guard lock(shard.mutex);
    if (shard.keys.find(key) != shard.keys.end()) return false;
    shard.keys.emplace(key);
    return true;
  }

  std::size_t size() const override {
    std::size_t total = 0;
    for (const Shard& shard : shards_) {
      std::lock_guard lock(shard.mutex);
      total += shard.keys.size();
    }
    return total;
  }

 private:
  static constexpr std::size_t kShards = 64;
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_set<std::string, TransparentHash, std::equal_to<>> keys;
  };

  Shard& ShardFor(std::string_view key) {
    // The set re-hashes with the same function; high bits pick the shard so
    // shard choice and bucket choice stay independent.
    return shards_[TransparentHash{}(key) >> 58];  // top 6 bits: 0..63
  }

  std::array<Shard, kShards> shards_;
};

}  // namespace

std::unique_ptr<IdempotencyStore> NewInMemoryIdempotencyStore() {
  return std::make_unique<MemoryIdempotencyStore>();
}

}  // namespace lce
