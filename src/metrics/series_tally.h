// SeriesTally<Series, Sum>: one call's sums, keyed by the series they are
// for, so that a batch of records updates each series once (one atomic add
// per cell, one exemplar store) instead of once per record.
//
// Sums live in first-seen order behind an OpenSlots index keyed by the
// series' address, which is stable for the series' lifetime (SeriesStore).
// A reference from For stays valid until the next For or Clear.
//
// Not thread-safe: one tally belongs to one call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "llm_cost_exporter/open_slots.h"

namespace lce::metrics {

template <typename Series, typename Sum>
class SeriesTally {
 public:
  // The sum for `series`, value-initialized when it is first asked for.
  Sum& For(Series* series) {
    slots_.MakeRoomForOneMore(sums_.size(), [this](std::size_t p) { return Home(sums_[p].first); });
    std::uint32_t* slot = slots_.Find(Home(series), [&](std::size_t p) { return sums_[p].first == series; });
    if (*slot == 0) {
      sums_.emplace_back(series, Sum{});
      *slot = static_cast<std::uint32_t>(sums_.size());
    }
    return sums_[*slot - 1].second;
  }

  // Calls f(series, sum) for every series asked for, in first-seen order.
  template <typename F>
  void ForEach(F&& f) {
    for (auto& [series, sum] : sums_) f(*series, sum);
  }

  bool empty() const { return sums_.empty(); }

  // Forgets every sum; keeps the memory for the next batch.
  void Clear() {
    sums_.clear();
    slots_.Clear();
  }

 private:
  // Series are allocated apart (one node each): the address bits above the
  // allocator's alignment, mixed so that neighbours spread over the slots.
  static std::uint64_t Home(const Series* series) {
    const auto address = reinterpret_cast<std::uintptr_t>(series);
    return ((address >> 4) * 0x9E3779B97F4A7C15ull) >> 32;
  }

  std::vector<std::pair<Series*, Sum>> sums_;
  OpenSlots slots_;
};

}  // namespace lce::metrics
