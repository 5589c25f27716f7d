// SeriesTally<Series, Sum>: one call's sums, keyed by the series they are
// for, so that a batch of records updates each series once (one atomic add
// per cell, one exemplar store) instead of once per record.
//
// Sums live in first-seen order behind a small open-addressing index of
// their position (power-of-two slots, at most half full), keyed by the
// series' address, which is stable for the series' lifetime (SeriesStore).
// A reference from For stays valid until the next For or Clear.
//
// Not thread-safe: one tally belongs to one call.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace lce::metrics {

template <typename Series, typename Sum>
class SeriesTally {
 public:
  // The sum for `series`, value-initialized when it is first asked for.
  Sum& For(Series* series) {
    if (2 * (sums_.size() + 1) > slots_.size()) Grow();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = Home(series) & mask;; i = (i + 1) & mask) {
      const std::uint32_t slot = slots_[i];
      if (slot == 0) {
        sums_.emplace_back(series, Sum{});
        slots_[i] = static_cast<std::uint32_t>(sums_.size());
        return sums_.back().second;
      }
      if (sums_[slot - 1].first == series) return sums_[slot - 1].second;
    }
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
    std::fill(slots_.begin(), slots_.end(), 0);
  }

 private:
  // Series are allocated apart (one node each): the address bits above the
  // allocator's alignment, mixed so that neighbours spread over the slots.
  static std::size_t Home(const Series* series) {
    const auto address = reinterpret_cast<std::uintptr_t>(series);
    return static_cast<std::size_t>(((address >> 4) * 0x9E3779B97F4A7C15ull) >> 32);
  }

  void Grow() {
    slots_.assign(slots_.empty() ? 16 : 2 * slots_.size(), 0);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t s = 0; s < sums_.size(); ++s) {
      std::size_t i = Home(sums_[s].first) & mask;
      while (slots_[i] != 0) i = (i + 1) & mask;
      slots_[i] = static_cast<std::uint32_t>(s + 1);
    }
  }

  std::vector<std::pair<Series*, Sum>> sums_;
  std::vector<std::uint32_t> slots_;  // 1 + an index into sums_, or 0 (empty)
};

}  // namespace lce::metrics
