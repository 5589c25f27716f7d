// Label values from bounded enumerations (never cardinality-guarded): vendor
// HTTP status classes and codes, price outcomes.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "llm_cost_exporter/pricing.h"

namespace lce::metrics {

// Status classes: index 0 is "unknown" (no vendor_status), 1..5 are "1xx".."5xx".
inline constexpr std::size_t kStatusClassCount = 6;
inline constexpr std::array<std::string_view, kStatusClassCount> kStatusClassNames = {"unknown", "1xx", "2xx",
                                                                                      "3xx",     "4xx", "5xx"};
// Index into kStatusClassNames; 0 (and anything outside 100..599) is unknown.
std::size_t StatusClassIndex(std::uint16_t vendor_status);

// The exact status code as text ("429"), without allocating.
class StatusCodeText {
 public:
  explicit StatusCodeText(std::uint16_t status);
  std::string_view view() const { return {digits_.data(), size_}; }

 private:
  std::array<char, 8> digits_{};
  std::size_t size_ = 0;
};

inline constexpr std::size_t kPriceOutcomeCount = 7;

}  // namespace lce::metrics
