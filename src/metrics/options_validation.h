// Validation of MetricsOptions (UsageMetrics::ValidateOptions).
#pragma once

#include <string_view>

#include "llm_cost_exporter/metrics.h"

namespace lce::metrics {

Status ValidateOptions(const MetricsOptions& options);

// Whether `name` may name a mapped business-event family: snake_case
// ([a-z_][a-z0-9_]*, so promtool's lint accepts it), ending in "_total", not
// reserved ("__" prefix, the llm_cost_exporter_ self-metrics prefix, or a
// family of the product's Metrics table). Sets `why` when it may not.
bool IsValidMappedFamilyName(std::string_view name, std::string& why);

}  // namespace lce::metrics
