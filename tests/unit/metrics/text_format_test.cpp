// The number formatting of both exposition formats: %.16g exactly, whichever
// path (whole numbers or the floating-point conversion) a value takes.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "text_format.h"

namespace lce {
namespace {

std::string Printf16g(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.16g", value);
  return buf;
}

std::string Appended(double value) {
  std::string out;
  metrics::AppendDouble(out, value);
  return out;
}

TEST_CASE("AppendDouble writes finite values as %.16g", "[metrics][text_format]") {
  std::vector<double> values = {0.0,
                                -0.0,
                                1.0,
                                -1.0,
                                0.5,
                                1e15 - 1,
                                1e15,
                                1e15 + 1,
                                1e16 - 2,
                                1e16,
                                1e17,
                                9007199254740992.0,
                                123456789012345.0,
                                0.1,
                                1.0 / 3,
                                5e-324,
                                1e300,
                                -1e15};
  std::mt19937_64 random(42);
  for (int i = 0; i < 20000; ++i) {
    values.push_back(static_cast<double>(random() % 2'000'000'000'000'000ULL));  // whole, around the limit
    values.push_back(static_cast<double>(random() % 100'000));
    values.push_back(std::ldexp(static_cast<double>(random() >> 11), static_cast<int>(random() % 80) - 60));
  }
  for (const double value : values) {
    CAPTURE(value);
    REQUIRE(Appended(value) == Printf16g(value));
  }
}

TEST_CASE("AppendDouble spells the special values as OpenMetrics does", "[metrics][text_format]") {
  CHECK(Appended(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(Appended(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(Appended(std::numeric_limits<double>::quiet_NaN()) == "NaN");
}

}  // namespace
}  // namespace lce
