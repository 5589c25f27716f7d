#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <new>
#include <string_view>

#include "key_set.h"
#include "llm_cost_exporter/idempotency.h"

namespace lce {
namespace {

class MemoryIdempotencyStore final : public IdempotencyStore {
 public:
  bool Claim(std::string_view key) override {
    // One hash per claim: its top bits pick the shard, its low bits the slot,
    // so shard choice and slot choice stay independent.
    const std::uint64_t hash = std::hash<std::string_view>{}(key);
    Shard& shard = shards_[hash >> (64 - kShardBits)];
    std::lock_guard lock(shard.mutex);
    return shard.keys.Insert(key, hash);
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
  static constexpr unsigned kShardBits = 6;  // 64 shards
  // One cache line per shard at least, so threads claiming in different
  // shards do not contend on a shared line.
  struct alignas(64) Shard {
    mutable std::mutex mutex;
    store_detail::KeySet keys;
  };

  std::array<Shard, std::size_t{1} << kShardBits> shards_;
};

}  // namespace

std::unique_ptr<IdempotencyStore> NewInMemoryIdempotencyStore() {
  return std::make_unique<MemoryIdempotencyStore>();
}

}  // namespace lce
