#include <catch2/catch.hpp>

#include <string>

#include "decimal.h"

namespace lce::catalogue {
namespace {

std::string Per1M(const std::string& literal, int shift) {
  Result<int128> price = ParsePrice(literal, shift);
  REQUIRE(price.ok());
  return FormatPrice(*price);
}

TEST_CASE("catalogue decimal: per-token literals shift exactly to per 1M") {
  CHECK(Per1M("1e-07", 6) == "0.1");
  CHECK(Per1M("2.5e-08", 6) == "0.025");
  CHECK(Per1M("3e-06", 6) == "3");
  CHECK(Per1M("4.5e-07", 6) == "0.45");
  CHECK(Per1M("1.25E-06", 6) == "1.25");
  CHECK(Per1M("0.0", 6) == "0");
  CHECK(Per1M("10", 0) == "10");
  CHECK(Per1M("0.0375", 0) == "0.0375");
  CHECK(Per1M("1e+2", 0) == "100");
}

TEST_CASE("catalogue decimal: floating-point noise rounds to 12 significant digits") {
  CHECK(Per1M("0.09999999999999999", 0) == "0.1");
  CHECK(Per1M("0.18000000000000002", 0) == "0.18");
  CHECK(Per1M("2.9999900000000002e-06", 6) == "2.99999");
  CHECK(Per1M("1.5000020000000002e-05", 6) == "15.00002");
  CHECK(Per1M("0.024999999999999998", 0) == "0.025");
}

TEST_CASE("catalogue decimal: values that are not exact are refused") {
  Result<int128> twelfth = ParsePrice("0.08333333333333334", 0);
  REQUIRE_FALSE(twelfth.ok());
  CHECK_THAT(twelfth.status().message(), Catch::Contains("0.08333333333333334") && Catch::Contains("not exact"));
  CHECK_FALSE(ParsePrice("1e-19", 6).ok());  // 1e-13 per 1M: below an attodollar per token
  CHECK_FALSE(ParsePrice("-1", 0).ok());
  CHECK_FALSE(ParsePrice("1.2.3", 0).ok());
  CHECK_FALSE(ParsePrice("1e", 0).ok());
  CHECK_FALSE(ParsePrice("", 0).ok());
}

}  // namespace
}  // namespace lce::catalogue
