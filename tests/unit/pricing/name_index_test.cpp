// name_index.h: every inserted name is found at its position through the
// index's growth, the first insertion of a name wins, and near misses (one
// byte changed, a prefix, an extension) are absent.
#include "name_index.h"

#include <catch2/catch.hpp>
#include <string>

namespace lce::pricing {
namespace {

TEST_CASE("NameIndex finds every name at its position through growth", "[pricing][name_index]") {
  NameIndex index;
  CHECK_FALSE(index.Find("gpt-4o").has_value());  // empty: nothing, and no slot probed
  constexpr std::size_t kNames = 3000;
  for (std::size_t i = 0; i < kNames; ++i) {
    const auto [position, inserted] = index.Insert("model-" + std::to_string(i), i);
    REQUIRE(inserted);
    REQUIRE(position == i);
  }
  CHECK(index.size() == kNames);
  for (std::size_t i = 0; i < kNames; ++i) REQUIRE(index.Find("model-" + std::to_string(i)) == i);
}

TEST_CASE("NameIndex keeps the first position of a name", "[pricing][name_index]") {
  NameIndex index;
  CHECK(index.Insert("claude-sonnet-4-5", 3) == std::pair<std::size_t, bool>{3, true});
  CHECK(index.Insert("claude-sonnet-4-5", 7) == std::pair<std::size_t, bool>{3, false});
  CHECK(index.Find("claude-sonnet-4-5") == std::size_t{3});
  CHECK(index.Contains("claude-sonnet-4-5"));
}

TEST_CASE("NameIndex refuses near misses", "[pricing][name_index]") {
  NameIndex index;
  const std::string name = "gemini-2.5-flash-preview-09-2025";  // longer than 16 bytes: the loop path of the hash
  index.Insert(name, 1);
  index.Insert("", 2);  // the empty name is a name like any other
  CHECK(index.Find("") == std::size_t{2});
  CHECK(index.Find(name) == std::size_t{1});
  for (std::size_t at = 0; at < name.size(); ++at) {
    std::string changed = name;
    changed[at] = static_cast<char>(changed[at] ^ 0x20);
    INFO(changed);
    CHECK_FALSE(index.Contains(changed));
  }
  CHECK_FALSE(index.Contains(name.substr(0, name.size() - 1)));
  CHECK_FALSE(index.Contains(name + "-001"));
}

}  // namespace
}  // namespace lce::pricing
