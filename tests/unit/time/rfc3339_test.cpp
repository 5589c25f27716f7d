// ParseRfc3339. Expected values were computed independently with Python's
// datetime (not with this code).
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "llm_cost_exporter/timestamp.h"

namespace lce {
namespace {

std::int64_t MustParse(std::string_view text) {
  std::int64_t ns = -1;
  INFO(text);
  REQUIRE(ParseRfc3339(text, &ns));
  return ns;
}

bool Rejects(std::string_view text) {
  std::int64_t ns = 12345;
  const bool ok = ParseRfc3339(text, &ns);
  return !ok && ns == 12345;  // the output is untouched on failure
}

TEST_CASE("RFC 3339: UTC, fractions, offsets", "[time][rfc3339]") {
  CHECK(MustParse("1970-01-01T00:00:00Z") == 0);
  CHECK(MustParse("2026-04-02T10:15:00.123Z") == 1775124900123000000);
  CHECK(MustParse("2026-04-02T10:15:00.1Z") == 1775124900100000000);
  CHECK(MustParse("2026-04-02T10:15:00.123456789Z") == 1775124900123456789);
  CHECK(MustParse("2026-04-02T12:15:00+02:00") == 1775124900000000000);
  CHECK(MustParse("2026-01-01T00:00:00-05:30") == 1767245400000000000);
  CHECK(MustParse("2026-04-02T10:15:00-00:00") == 1775124900000000000);
  CHECK(MustParse("2026-04-02t10:15:00.123z") == 1775124900123000000);
  CHECK(MustParse("1969-12-31T23:59:59.500Z") == -500000000);
  CHECK(MustParse("2000-03-01T00:00:00Z") == 951868800000000000);
}

TEST_CASE("RFC 3339: calendar validation including leap years", "[time][rfc3339]") {
  CHECK(MustParse("2024-02-29T00:00:00Z") == 1709164800000000000);
  CHECK(ParseRfc3339("2000-02-29T00:00:00Z", nullptr));  // divisible by 400
  CHECK(Rejects("2025-02-29T00:00:00Z"));
  CHECK(Rejects("1900-02-29T00:00:00Z"));  // divisible by 100, not 400
  CHECK(Rejects("2026-04-31T00:00:00Z"));
  CHECK(ParseRfc3339("2026-12-31T23:59:59Z", nullptr));
  CHECK(Rejects("2026-13-01T00:00:00Z"));
  CHECK(Rejects("2026-00-10T00:00:00Z"));
  CHECK(Rejects("2026-01-00T00:00:00Z"));
  CHECK(Rejects("2026-01-32T00:00:00Z"));
  CHECK(Rejects("2026-01-01T24:00:00Z"));
  CHECK(Rejects("2026-01-01T23:60:00Z"));
  CHECK(Rejects("2026-12-31T23:59:60Z"));  // leap seconds are not representable
  CHECK(Rejects("2026-01-01T00:00:00+24:00"));
  CHECK(Rejects("2026-01-01T00:00:00+01:60"));
}

TEST_CASE("RFC 3339: malformed text", "[time][rfc3339]") {
  for (const char* text :
       {"", "2026-04-02", "2026-04-02T10:15:00", "2026-04-02 10:15:00Z", "2026-04-02T10:15Z", "2026-4-02T10:15:00Z",
        "2026-04-02T10:15:00.Z", "2026-04-02T10:15:00.1234567890Z", "2026-04-02T10:15:00+0200",
        "2026-04-02T10:15:00+02", "2026-04-02T10:15:00ZZ", "2026-04-02T10:15:00Z ", " 2026-04-02T10:15:00Z",
        "+2026-04-02T10:15:00Z", "2026-04-02T10:15:00UTC", "1775124900"}) {
    INFO(text);
    CHECK(Rejects(text));
  }
}

TEST_CASE("RFC 3339: the int64 nanosecond range is enforced", "[time][rfc3339]") {
  CHECK(MustParse("2262-04-11T23:47:16.854775807Z") == INT64_MAX);
  CHECK(Rejects("2262-04-11T23:47:16.854775808Z"));
  CHECK(MustParse("1677-09-21T00:12:43.145224192Z") == INT64_MIN);
  CHECK(Rejects("1677-09-21T00:12:43.145224191Z"));
  CHECK(Rejects("9999-12-31T23:59:59Z"));
  CHECK(Rejects("0000-01-01T00:00:00Z"));
}

TEST_CASE("ISO dates are midnight UTC and range-checked", "[time][date]") {
  std::int64_t ns = 0;
  REQUIRE(ParseIsoDate("2024-02-29", &ns));
  CHECK(ns == 1'709'164'800'000'000'000);  // date -u -d 2024-02-29 +%s
  std::int64_t same = 0;
  REQUIRE(ParseRfc3339("2024-02-29T00:00:00Z", &same));
  CHECK(ns == same);
  for (const char* text :
       {"2025-02-29", "2026-13-01", "2026-04-31", "2026-04-02T00:00:00Z", "2026-4-2", "", "2263-01-01"}) {
    INFO(text);
    CHECK_FALSE(ParseIsoDate(text, nullptr));
  }
}

TEST_CASE("formatting is the inverse of parsing, in UTC whole seconds", "[time][format]") {
  for (const char* text :
       {"2026-04-02T10:15:00Z", "2024-02-29T23:59:59Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59Z"}) {
    INFO(text);
    CHECK(FormatRfc3339(MustParse(text)) == text);
  }
  CHECK(FormatRfc3339(MustParse("2026-04-02T10:15:00.999Z")) == "2026-04-02T10:15:00Z");
  CHECK(FormatRfc3339(MustParse("2026-04-02T12:15:00+02:00")) == "2026-04-02T10:15:00Z");
  CHECK(FormatIsoDate(MustParse("2026-04-02T23:59:59.999999999Z")) == "2026-04-02");
  CHECK(FormatIsoDate(-1) == "1969-12-31");
  // The ends of the int64 range (years 1677 and 2262: four digits).
  CHECK(FormatRfc3339(std::numeric_limits<std::int64_t>::min()) == "1677-09-21T00:12:43Z");
  CHECK(FormatRfc3339(std::numeric_limits<std::int64_t>::max()) == "2262-04-11T23:47:16Z");
  char text[kRfc3339Chars];
  WriteRfc3339(MustParse("2026-12-31T23:59:59Z"), text);
  CHECK(std::string(text, sizeof text) == "2026-12-31T23:59:59Z");
}

TEST_CASE("formatting the same instants again and again gives each its own text", "[time][format]") {
  // Three instants in turn, repeated: the per-thread memory of the last two
  // formatted must never hand one instant another's text.
  const std::int64_t a = MustParse("2026-04-01T00:00:00Z");
  const std::int64_t b = MustParse("2026-05-01T00:00:00Z");
  const std::int64_t c = MustParse("2026-04-01T00:00:01Z");
  for (int round = 0; round < 3; ++round) {
    for (const auto& [ns, text] : {std::pair{a, "2026-04-01T00:00:00Z"}, std::pair{b, "2026-05-01T00:00:00Z"},
                                   std::pair{a, "2026-04-01T00:00:00Z"}, std::pair{c, "2026-04-01T00:00:01Z"},
                                   std::pair{b, "2026-05-01T00:00:00Z"}, std::pair{c, "2026-04-01T00:00:01Z"}}) {
      CHECK(FormatRfc3339(ns) == text);
    }
  }
}

}  // namespace
}  // namespace lce
