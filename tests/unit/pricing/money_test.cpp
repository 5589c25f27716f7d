#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "llm_cost_exporter/money.h"

namespace lce {
namespace {

constexpr int128 kInt128Max = static_cast<int128>((static_cast<unsigned __int128>(1) << 127) - 1);
constexpr int128 kInt128Min = -kInt128Max - 1;

int128 Parse(std::string_view text, int scale) {
  const Result<int128> value = ParseFixedPoint(text, scale);
  INFO("parsing '" << std::string(text) << "' at scale " << scale << ": " << value.status().message());
  REQUIRE(value.ok());
  return *value;
}

std::string ParseError(std::string_view text, int scale) {
  const Result<int128> value = ParseFixedPoint(text, scale);
  INFO("parsing '" << std::string(text) << "' at scale " << scale);
  REQUIRE_FALSE(value.ok());
  CHECK(value.status().code() == Status::Code::kInvalidArgument);
  return value.status().message();
}

TEST_CASE("ParseFixedPoint parses plain decimals exactly", "[money]") {
  CHECK(Parse("3", 12) == static_cast<int128>(3'000'000'000'000));
  CHECK(Parse("0.0375", 12) == static_cast<int128>(37'500'000'000));
  CHECK(Parse("15.00", 12) == static_cast<int128>(15'000'000'000'000));
  CHECK(Parse("-1.25", 18) == -static_cast<int128>(1'250'000'000'000'000'000));
  CHECK(Parse("0", 18) == 0);
  CHECK(Parse("-0", 18) == 0);
  CHECK(Parse("007", 0) == 7);
  CHECK(Parse("0.000000000001", 12) == 1);
  CHECK(Parse("123", 0) == 123);
}

TEST_CASE("ParseFixedPoint accepts the whole int128 range and no more", "[money]") {
  CHECK(Parse("170141183460469231731.687303715884105727", 18) == kInt128Max);
  CHECK(Parse("-170141183460469231731.687303715884105728", 18) == kInt128Min);
  CHECK_THAT(ParseError("170141183460469231731.687303715884105728", 18), Catch::Contains("out of range"));
  CHECK_THAT(ParseError("-170141183460469231731.687303715884105729", 18), Catch::Contains("out of range"));
  CHECK_THAT(ParseError("1000000000000000000000000000000000000000", 0), Catch::Contains("out of range"));
}

TEST_CASE("ParseFixedPoint rejects anything but a plain decimal", "[money]") {
  for (const char* bad : {"", "-", "+1", "+", "1e-6", "1E6", " 1", "1 ", "1.", ".5", "-.5", "1.2.3", "abc", "0x10",
                          "1,5", "1_000", "--1", "1-", "\xd9\xa3"}) {
    CHECK_THAT(ParseError(bad, 12), Catch::Contains("not a plain decimal"));
  }
}

TEST_CASE("ParseFixedPoint rejects more fractional digits than the scale", "[money]") {
  CHECK_THAT(ParseError("0.0000000000001", 12), Catch::Contains("more than 12 fractional digits"));
  CHECK_THAT(ParseError("1.5", 0), Catch::Contains("more than 0 fractional digits"));
  CHECK_THAT(ParseError("0.5000000", 6), Catch::Contains("more than 6"));
}

TEST_CASE("ParseFixedPoint rejects scales that cannot be represented", "[money]") {
  CHECK_THAT(ParseError("1", -1), Catch::Contains("scale"));
  CHECK_THAT(ParseError("1", 39), Catch::Contains("scale"));
  CHECK(Parse("1", 38) > 0);
}

TEST_CASE("ParseFixedPoint error messages do not echo unbounded input", "[money]") {
  const std::string huge(10'000, 'x');
  CHECK(ParseError(huge, 12).size() < 300);
}

TEST_CASE("FormatFixedPoint prints exact decimals with trailing zeros trimmed", "[money]") {
  CHECK(FormatFixedPoint(0, 18) == "0");
  CHECK(FormatFixedPoint(37'500'000'000, 18) == "0.0000000375");
  CHECK(FormatFixedPoint(static_cast<int128>(12) * Money::kOneDollar, 18) == "12");
  CHECK(FormatFixedPoint(-static_cast<int128>(3'500'000'000'000'000'000), 18) == "-3.5");
  CHECK(FormatFixedPoint(1, 18) == "0.000000000000000001");
  CHECK(FormatFixedPoint(-1, 18) == "-0.000000000000000001");
  CHECK(FormatFixedPoint(kInt128Max, 18) == "170141183460469231731.687303715884105727");
  CHECK(FormatFixedPoint(kInt128Min, 18) == "-170141183460469231731.687303715884105728");
  CHECK(FormatFixedPoint(kInt128Min, 0) == "-170141183460469231731687303715884105728");
  CHECK(FormatFixedPoint(123, 0) == "123");
  CHECK(FormatFixedPoint(123, -3) == "123000");
  CHECK(FormatFixedPoint(37'500'000'000, 12) == "0.0375");
  // Across the 19-digit chunks the digits are computed in: zeros inside a chunk stay.
  const int128 ten19 = static_cast<int128>(10'000'000'000'000'000'000ULL);
  CHECK(FormatFixedPoint(ten19, 18) == "10");
  CHECK(FormatFixedPoint(ten19 + 7, 0) == "10000000000000000007");
  CHECK(FormatFixedPoint(ten19 * ten19, 38) == "1");
  CHECK(FormatFixedPoint(ten19 * ten19 + ten19, 0) == "100000000000000000010000000000000000000");
  CHECK(FormatFixedPoint(1, 38) == "0." + std::string(37, '0') + "1");
}

TEST_CASE("WriteDecimal writes ToDecimalString's text without allocating", "[money]") {
  for (const char* dollars : {"0", "0.007", "1000", "-3.5", "0.000000000000000001"}) {
    char text[Money::kMaxDecimalChars];
    const Money amount = *Money::ParseDollars(dollars);
    CHECK(std::string(text, amount.WriteDecimal(text)) == dollars);
  }
  char text[Money::kMaxDecimalChars];
  CHECK(std::string(text, Money::FromAtto(kInt128Min).WriteDecimal(text)) ==
        "-170141183460469231731.687303715884105728");
}

TEST_CASE("WriteDecimal writes what the general fixed-point formatter writes", "[money]") {
  std::mt19937_64 random(2026);
  std::vector<int128> values = {0,
                                1,
                                -1,
                                Money::kOneDollar,
                                -Money::kOneDollar,
                                kInt128Min,
                                -(kInt128Min + 1),
                                static_cast<int128>(UINT64_MAX) * Money::kOneDollar,
                                (static_cast<int128>(UINT64_MAX) + 1) * Money::kOneDollar + 10};
  for (int i = 0; i < 20000; ++i) {
    const int128 wide = (static_cast<int128>(random()) << 64) | random();
    const int128 cents = static_cast<int128>(random() % 10'000'000) * 10'000'000'000'000'000;  // trailing zeros
    const int128 atto = static_cast<int128>(random() % 1'000'000'000'000'000'000ULL);
    for (const int128 v : {wide, wide >> (random() % 120), cents, atto, -cents, -atto}) values.push_back(v);
  }
  for (const int128 v : values) {
    char text[Money::kMaxDecimalChars];
    const std::string written(text, Money::FromAtto(v).WriteDecimal(text));
    REQUIRE(written == FormatFixedPoint(v, Money::kScaleDigits));
  }
}

TEST_CASE("Parse and format round trip", "[money]") {
  const std::vector<std::string> canonical = {"0",
                                              "1",
                                              "-1",
                                              "0.0375",
                                              "15",
                                              "12.5",
                                              "-0.5",
                                              "0.000000000000000001",
                                              "99999999999.999999999999999999",
                                              "-42.000000000000000001",
                                              "170141183460469231731.687303715884105727"};
  for (const std::string& text : canonical) {
    CHECK(FormatFixedPoint(Parse(text, 18), 18) == text);
  }
  CHECK(FormatFixedPoint(Parse("15.00", 12), 12) == "15");
  CHECK(FormatFixedPoint(Parse("-0", 3), 3) == "0");
}

TEST_CASE("Money::ParseDollars and ToDecimalString", "[money]") {
  const Result<Money> money = Money::ParseDollars("1234.5678");
  REQUIRE(money.ok());
  CHECK(money->atto() == static_cast<int128>(1'234'567'800'000'000'000) * 1000);
  CHECK(money->ToDecimalString() == "1234.5678");
  CHECK((*money - *money).ToDecimalString() == "0");
  CHECK((*money - *money - *money).ToDecimalString() == "-1234.5678");
  CHECK_FALSE(Money::ParseDollars("0.0000000000000000001").ok());
  CHECK_FALSE(Money::ParseDollars("1e3").ok());
}

TEST_CASE("Money::ToDouble keeps precision for large amounts", "[money]") {
  CHECK(Money::FromAtto(0).ToDouble() == 0.0);
  CHECK(Money::FromAtto(Money::kOneDollar * 3 / 2).ToDouble() == 1.5);
  CHECK(Money::FromAtto(-Money::kOneDollar / 4).ToDouble() == -0.25);
  CHECK(Money::FromAtto(Money::kOneDollar * 3 / 10).ToDouble() == 0.3);  // not 0.1 + 0.1 + 0.1
  // $123,456,789.123456789: a whole-atto conversion would need 80 bits.
  const Money large = Money::FromAtto(static_cast<int128>(123'456'789) * Money::kOneDollar + 123'456'789'000'000'000);
  CHECK(large.ToDouble() == Approx(123456789.123456789).epsilon(1e-15));
  CHECK(Money::FromAtto(kInt128Max).ToDouble() == Approx(1.7014118346046923e20).epsilon(1e-15));
  CHECK(Money::FromAtto(kInt128Min).ToDouble() == Approx(-1.7014118346046923e20).epsilon(1e-15));
  CHECK(Money::FromAtto(37'500'000'000).ToDouble() == Approx(3.75e-8).epsilon(1e-15));
}

}  // namespace
}  // namespace lce
