// ReadPlainUint64 (json_text.h): the fast path for counts takes only what
// ParseJsonNumber + ToUint64 would read as the same non-negative integer,
// and leaves every other token (sign, fraction, exponent, leading zero,
// 20 digits or more, not a number) to them.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string_view>

#include "json_text.h"

namespace lce::ingest_detail {
namespace {

// What the general path reads from `token`, when it reads a count.
bool ReadGeneral(std::string_view token, std::uint64_t* out) {
  JsonNumber number;
  return ParseJsonNumber(token, &number) && ToUint64(number, out) == NumberFit::kOk;
}

TEST_CASE("ReadPlainUint64 reads plain digits followed only by whitespace", "[ingest][json_text]") {
  for (const auto& [token, expected] : {std::pair<std::string_view, std::uint64_t>{"0", 0},
                                        {"7", 7},
                                        {"300", 300},
                                        {"300 ", 300},
                                        {"300\n\t\r ", 300},
                                        {"9999999999999999999", 9999999999999999999ULL}}) {
    CAPTURE(token);
    std::uint64_t fast = 1;
    REQUIRE(ReadPlainUint64(token, &fast));
    CHECK(fast == expected);
    std::uint64_t general = 1;
    REQUIRE(ReadGeneral(token, &general));
    CHECK(general == fast);
  }
}

TEST_CASE("ReadPlainUint64 leaves every other token to the general path", "[ingest][json_text]") {
  for (const std::string_view token : {"", " ", "00", "01", "-1", "-0", "1.0", "1e3", "1E3", "12345678901234567890",
                                       "18446744073709551615", "3x", "3 4", "+3"}) {
    CAPTURE(token);
    std::uint64_t out = 42;
    CHECK_FALSE(ReadPlainUint64(token, &out));
    CHECK(out == 42);  // untouched
  }
  // The general path still reads the largest counts and "-0" as before.
  std::uint64_t out = 0;
  REQUIRE(ReadGeneral("18446744073709551615", &out));
  CHECK(out == 18446744073709551615ULL);
  REQUIRE(ReadGeneral("-0", &out));
  CHECK(out == 0);
}

}  // namespace
}  // namespace lce::ingest_detail
