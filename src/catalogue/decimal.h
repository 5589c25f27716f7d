// Exact conversion of catalogue number literals into our price unit.
//
// A price is held as an integer at scale 12 (USD per 1M tokens with 12
// fractional digits, i.e. attodollars per token), the unit of our tables.
// Literals are converted from their text, never through a double.
#pragma once

#include <string>
#include <string_view>

#include "llm_cost_exporter/money.h"
#include "llm_cost_exporter/status.h"

namespace lce::catalogue {

inline constexpr int kPriceScale = 12;  // fractional digits per 1M tokens

// Converts a JSON number literal ("3e-06", "2.5", "0.18000000000000002")
// whose value * 10^shift_digits is USD per 1M tokens (shift 6 for LiteLLM's
// per-token values, 0 for genai-prices' per-1M values).
// Noise policy: a value with at most 12 fractional digits is taken as is;
// otherwise it is rounded to 12 significant digits (half-even) and the
// rounded value is taken when |v - r| <= |v| * 1e-14 and it has at most 12
// fractional digits. Anything else, negatives and malformed text fail,
// naming the value.
Result<int128> ParsePrice(std::string_view literal, int shift_digits);

// Decimal text of a scale-12 price, trailing zeros trimmed ("2.5", "10").
std::string FormatPrice(int128 price);

}  // namespace lce::catalogue
