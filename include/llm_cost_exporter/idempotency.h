// IdempotencyStore: remembers which idempotency keys (event_id, or the id
// derived from trace_id/span_id/event) were already accepted, so a record sent
// twice, in one batch or across batches, is counted once.
//
// This is the seam the durable ledger plugs into: the in-memory store below
// is lost on restart; a persistent implementation restores its keys.
// Thread safety: implementations must make Claim atomic and thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

namespace lce {

class IdempotencyStore {
 public:
  virtual ~IdempotencyStore() = default;
  // Returns true exactly once per key: the first caller claims it, every
  // later caller (any thread) gets false.
  virtual bool Claim(std::string_view key) = 0;
  virtual std::size_t size() const = 0;
};

// A sharded in-memory set: Claim locks one shard of 64.
std::unique_ptr<IdempotencyStore> NewInMemoryIdempotencyStore();

}  // namespace lce
