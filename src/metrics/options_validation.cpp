#include "options_validation.h"

#include <array>
#include <cmath>
#include <string>

#include "record_labels.h"

namespace lce::metrics {
namespace {

// Counter families of PRODUCT.md's Metrics table (this module's and the
// budget module's): a mapped family may not take their names.
constexpr std::array<std::string_view, 10> kReservedFamilies = {
    "llm_tokens_total",           "llm_cost_usd_total",    "llm_retry_cost_usd_total", "llm_requests_total",
    "vendor_cost_usd_total",      "vendor_units_total",    "vendor_errors_total",      "business_events_total",
    "llm_unpriced_records_total", "budget_decisions_total"};
constexpr std::string_view kSelfMetricsPrefix = "llm_cost_exporter_";
constexpr std::string_view kCounterSuffix = "_total";

bool IsSnakeCase(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

Status ValidateBuckets(const std::vector<double>& bounds, const std::string& field) {
  if (bounds.empty()) return Status::InvalidArgument(field + ": needs at least one bucket bound");
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) {
      return Status::InvalidArgument(field + ": bound " + std::to_string(i) + " is not finite (+Inf is implicit)");
    }
    if (i > 0 && bounds[i] <= bounds[i - 1]) {
      return Status::InvalidArgument(field + ": bounds must be strictly ascending (bound " + std::to_string(i) + ")");
    }
  }
  return Status::Ok();
}

bool IsGuardedLabel(std::string_view label) {
  for (std::string_view name : kGuardedLabelNames) {
    if (name == label) return true;
  }
  return false;
}

std::string GuardedLabelList() {
  std::string list;
  for (std::string_view name : kGuardedLabelNames) list += (list.empty() ? "" : ", ") + std::string(name);
  return list;
}

Status ValidateCardinality(const CardinalityLimits& limits) {
  if (limits.default_limit == 0) return Status::InvalidArgument("cardinality.default_limit: must be at least 1");
  for (const auto& [label, limit] : limits.per_label) {
    if (!IsGuardedLabel(label)) {
      return Status::InvalidArgument("cardinality.per_label: \"" + label + "\" is not a guarded label (one of " +
                                     GuardedLabelList() + ")");
    }
    if (limit == 0) return Status::InvalidArgument("cardinality.per_label." + label + ": must be at least 1");
  }
  return Status::Ok();
}

Status ValidateFamilies(const std::map<std::string, std::string>& families) {
  for (const auto& [event, family] : families) {
    if (event.empty()) return Status::InvalidArgument("business_event_families: empty event name");
    std::string why;
    if (!IsValidMappedFamilyName(family, why)) {
      return Status::InvalidArgument("business_event_families." + event + ": \"" + family + "\" " + why);
    }
  }
  return Status::Ok();
}

}  // namespace

bool IsValidMappedFamilyName(std::string_view name, std::string& why) {
  if (!IsSnakeCase(name)) {
    why = "is not a snake_case metric name ([a-z_][a-z0-9_]*)";
  } else if (name.size() <= kCounterSuffix.size() || !name.ends_with(kCounterSuffix)) {
    why = "must end in _total (it is a counter)";
  } else if (name.starts_with("__")) {
    why = "starts with \"__\", which Prometheus reserves";
  } else if (name.starts_with(kSelfMetricsPrefix)) {
    why = "uses the exporter's self-metrics prefix llm_cost_exporter_";
  } else {
    for (std::string_view reserved : kReservedFamilies) {
      if (name == reserved) {
        why = "is already an exporter family";
        return false;
      }
    }
    return true;
  }
  return false;
}

Status ValidateOptions(const MetricsOptions& options) {
  if (Status s = ValidateCardinality(options.cardinality); !s.ok()) return s;
  if (Status s = ValidateBuckets(options.latency_buckets_seconds, "latency_buckets_seconds"); !s.ok()) return s;
  if (Status s = ValidateBuckets(options.tokens_per_request_buckets, "tokens_per_request_buckets"); !s.ok()) return s;
  return ValidateFamilies(options.business_event_families);
}

}  // namespace lce::metrics
