// small_copy.h: CopySmall copies exactly n bytes, for every length around
// its move widths (0..80), from any source alignment, and writes nothing
// outside the destination range.
#include "llm_cost_exporter/small_copy.h"

#include <catch2/catch.hpp>
#include <initializer_list>
#include <string>

namespace lce {
namespace {

constexpr char kGuard = '#';

TEST_CASE("CopySmall copies exactly n bytes and nothing around them", "[util][small_copy]") {
  std::string source(200, '\0');
  for (std::size_t i = 0; i < source.size(); ++i) source[i] = static_cast<char>('a' + i % 26);
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

TEST_CASE("CopySmall copies every byte value", "[util][small_copy]") {
  std::string source(256, '\0');
  for (std::size_t i = 0; i < source.size(); ++i) source[i] = static_cast<char>(i);
  for (const std::size_t n : std::initializer_list<std::size_t>{1, 3, 5, 9, 17, 31, 33, 256}) {
    std::string target(n, kGuard);
    CopySmall(target.data(), source.data() + (256 - n), n);
    CHECK(target == source.substr(256 - n));
  }
}

}  // namespace
}  // namespace lce
