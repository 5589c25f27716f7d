#include "effective_time.h"

#include <string>

#include "llm_cost_exporter/timestamp.h"

namespace lce::pricing {
namespace {

constexpr int kMinYear = 1970;
constexpr int kMaxYear = 2200;

bool YearInRange(std::string_view text) {
  int year = 0;
  for (std::size_t i = 0; i < 4 && i < text.size(); ++i) year = year * 10 + (text[i] - '0');
  return year >= kMinYear && year <= kMaxYear;
}

}  // namespace

Result<std::int64_t> ParseEffectiveFrom(std::string_view text) {
  std::int64_t unix_ns = 0;
  if ((ParseIsoDate(text, &unix_ns) || ParseRfc3339(text, &unix_ns)) && YearInRange(text)) return unix_ns;
  return Status::InvalidArgument("'" + std::string(text.substr(0, 40)) +
                                 "' is not a date (YYYY-MM-DD, UTC midnight) or an RFC 3339 timestamp "
                                 "(YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM)) in years 1970..2200");
}

}  // namespace lce::pricing
