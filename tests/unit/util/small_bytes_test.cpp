// small_bytes.h: CopySmall copies exactly n bytes and EqualSmall tells equal
// from unequal bytes, for every length around their word widths (0..80),
// from any alignment, reading and writing nothing outside their ranges.
#include "llm_cost_exporter/small_bytes.h"

#include <catch2/catch.hpp>
#include <initializer_list>
#include <string>
#include <string_view>

namespace lce {
namespace {

constexpr char kGuard = '#';

std::string Letters(std::size_t n) {
  std::string text(n, '\0');
  for (std::size_t i = 0; i < n; ++i) text[i] = static_cast<char>('a' + i % 26);
  return text;
}

TEST_CASE("CopySmall copies exactly n bytes and nothing around them", "[util][small_bytes]") {
  const std::string source = Letters(200);
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t n = 0; n <= 80; ++n) {
      std::string target(n + 32, kGuard);
      CopySmall(target.data() + 16, source.data() + offset, n);
      INFO("offset " << offset << ", n " << n);
      CHECK(target.substr(0, 16) == std::string(16, kGuard));
      CHECK(target.substr(16, n) == source.substr(offset, n));
      CHECK(target.substr(16 + n) == std::string(16, kGuard));
    }
  }
}

TEST_CASE("CopySmall copies every byte value", "[util][small_bytes]") {
  std::string source(256, '\0');
  for (std::size_t i = 0; i < source.size(); ++i) source[i] = static_cast<char>(i);
  for (const std::size_t n : std::initializer_list<std::size_t>{1, 3, 5, 9, 17, 31, 33, 256}) {
    std::string target(n, kGuard);
    CopySmall(target.data(), source.data() + (256 - n), n);
    CHECK(target == source.substr(256 - n));
  }
}

// Each byte of the compared range changed in turn must make the ranges
// unequal; a change just outside the range (the guards) must not.
TEST_CASE("EqualSmall sees a change at any position and none outside", "[util][small_bytes]") {
  const std::string base = Letters(120);
  for (std::size_t offset = 0; offset < 4; ++offset) {
    for (std::size_t n = 0; n <= 80; ++n) {
      INFO("offset " << offset << ", n " << n);
      std::string other = "#" + base.substr(offset, n) + "#";
      REQUIRE(EqualSmall(base.data() + offset, other.data() + 1, n));
      for (std::size_t at = 0; at < n; ++at) {
        other[1 + at] ^= 0x01;
        CHECK_FALSE(EqualSmall(base.data() + offset, other.data() + 1, n));
        other[1 + at] ^= 0x01;
      }
      other.front() = 'X';
      other.back() = 'Y';
      CHECK(EqualSmall(base.data() + offset, other.data() + 1, n));
    }
  }
}

TEST_CASE("EqualStrings compares sizes, then bytes", "[util][small_bytes]") {
  CHECK(EqualStrings(std::string_view("gpt-4o"), std::string("gpt-4o")));
  CHECK_FALSE(EqualStrings(std::string_view("gpt-4o"), std::string_view("gpt-4o-mini")));
  CHECK_FALSE(EqualStrings(std::string_view("gpt-4o"), std::string_view("gpt-4O")));
  CHECK(EqualStrings(std::string_view(), std::string()));
}

}  // namespace
}  // namespace lce
