// The cardinality guard: one per exporter (owned by the MetricRegistry), used
// by every family with a guarded label (the usage families and
// budget_decisions_total). Each label name has a limit of distinct values;
// values beyond it are folded into "__overflow__" and the fold is counted in
// llm_cost_exporter_series_folded_total{label}.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace lce {

namespace metrics {
class LabelGuard;
}

inline constexpr std::string_view kOverflowLabelValue = "__overflow__";

struct CardinalityLimits {
  std::size_t default_limit = 1000;              // distinct values per label name
  std::map<std::string, std::size_t> per_label;  // overrides, e.g. {"campaign_id": 5000}

  std::size_t LimitFor(std::string_view label) const;
};

// Remembers the distinct values seen per label name and folds new values once
// a label's limit is reached. Values already admitted stay admitted.
class CardinalityGuard {
 public:
  explicit CardinalityGuard(CardinalityLimits limits);
  ~CardinalityGuard();
  CardinalityGuard(const CardinalityGuard&) = delete;
  CardinalityGuard& operator=(const CardinalityGuard&) = delete;

  // Returns the admitted form of `value`: `value` itself (as a guard-owned
  // view, valid as long as the guard) if admitted, else kOverflowLabelValue
  // (and counts a fold).
  std::string_view Admit(std::string_view label, std::string_view value);
  void SetLimits(CardinalityLimits limits);  // applies to values not yet admitted
  // Folds so far, per label name (every label used so far, zero included).
  std::map<std::string, std::uint64_t> FoldCounts() const;

  // The metrics module's handle-based engine behind this guard (its hot path
  // addresses labels by handle). Opaque outside src/metrics.
  metrics::LabelGuard& engine();

 private:
  std::unique_ptr<metrics::LabelGuard> guard_;
};

}  // namespace lce
