// The metrics module's string-keyed tables hash with lce::TransparentStringHash
// (XXH3, heterogeneous lookup by std::string_view; string_hash.h).
#pragma once

#include "llm_cost_exporter/string_hash.h"

namespace lce::metrics {

using lce::TransparentStringHash;

}  // namespace lce::metrics
