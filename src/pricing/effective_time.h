// Parsing of a price version's effective_from.
#pragma once

#include <cstdint>
#include <string_view>

#include "llm_cost_exporter/status.h"

namespace lce::pricing {

// Parses a date ("2025-08-07", meaning 00:00:00 UTC) or an RFC 3339
// timestamp ("2025-08-07T17:00:00Z", "2025-08-07T10:00:00.5-07:00") into Unix
// nanoseconds. Years 1970..2200 only; fails naming the expected forms.
Result<std::int64_t> ParseEffectiveFrom(std::string_view text);

}  // namespace lce::pricing
