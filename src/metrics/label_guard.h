// LabelGuard: the cardinality guard's engine, shared by the public
// CardinalityGuard and by UsageMetrics (which addresses labels by handle so the
// hot path never looks a label name up).
//
// Per label name it keeps the set of admitted distinct values, bounded by the
// label's limit; a value beyond the limit is folded into kOverflowLabelValue
// and the fold is counted (once per Admit call that folds). Empty values and
// the literal kOverflowLabelValue are always admitted and use no slot.
//
// Thread safety: every method may be called concurrently. One shared_mutex
// guards the value sets: hits take it shared, only a first-seen value takes it
// exclusively. Fold counts are relaxed atomics.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "llm_cost_exporter/cardinality.h"
#include "llm_cost_exporter/string_hash.h"

namespace lce::metrics {

class LabelGuard {
 public:
  using Handle = std::size_t;

  explicit LabelGuard(CardinalityLimits limits);

  // Returns the handle of `label`, creating its (empty) value set on first use.
  Handle Register(std::string_view label);

  // Admits one value. The result is guard-owned (valid as long as the guard),
  // kOverflowLabelValue, or empty when `value` is empty.
  std::string_view Admit(Handle label, std::string_view value);

  // Admits values[i] for labels[i], replacing each value in place by its
  // admitted form; one shared lock when every value is already known.
  // Returns whether any value was folded (each fold is counted).
  bool AdmitMany(std::span<const Handle> labels, std::span<std::string_view> values);

  // New limits apply to values not yet admitted; admitted values stay.
  void SetLimits(CardinalityLimits limits);

  // Folds so far for every registered label name (zero included).
  std::map<std::string, std::uint64_t> FoldCounts() const;

 private:
  struct LabelState {
    std::string name;
    std::size_t limit = 0;
    std::unordered_set<std::string, TransparentStringHash, std::equal_to<>> admitted;
    std::atomic<std::uint64_t> folds{0};
  };
  enum class Lookup { kAdmitted, kFolded, kMiss };

  // Requires mutex_ held (shared or exclusive). Sets `value` to its admitted
  // form unless the result is kMiss.
  Lookup Find(LabelState& state, std::string_view& value) const;
  // Requires mutex_ held exclusively: admits `value` if a slot is free, else
  // folds it; sets `value` to its admitted form. Never returns kMiss.
  Lookup Insert(LabelState& state, std::string_view& value);

  mutable std::shared_mutex mutex_;
  CardinalityLimits limits_;
  std::vector<std::unique_ptr<LabelState>> states_;  // indexed by Handle
};

}  // namespace lce::metrics
