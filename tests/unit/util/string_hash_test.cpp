// string_hash.h: one hash for a key however it is passed, so heterogeneous
// lookup finds std::string keys by std::string_view, and keys that differ
// only late or in length hash apart.
#include "llm_cost_exporter/string_hash.h"

#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace lce {
namespace {

TEST_CASE("TransparentStringHash is one hash for std::string, std::string_view and char*", "[util][hash]") {
  const TransparentStringHash hash;
  const std::string key =
      "svc=checkout\x1f"
      "campaign=cmp_2026_04_promo_12\x1fmodel=gpt-4o";
  CHECK(hash(key) == hash(std::string_view(key)));
  CHECK(hash(key) == hash(key.c_str()));
  CHECK(hash(key) == HashString(key));
}

TEST_CASE("TransparentStringHash finds std::string keys by std::string_view", "[util][hash]") {
  std::unordered_map<std::string, int, TransparentStringHash, std::equal_to<>> map;
  for (int i = 0; i < 1000; ++i) map.emplace("key_" + std::to_string(i), i);
  for (int i = 0; i < 1000; ++i) {
    const std::string probe = "key_" + std::to_string(i);
    const auto it = map.find(std::string_view(probe));
    REQUIRE(it != map.end());
    CHECK(it->second == i);
  }
  CHECK(map.find(std::string_view("key_1000")) == map.end());
}

TEST_CASE("HashString separates keys that differ late, in length, or are long", "[util][hash]") {
  std::unordered_set<std::size_t> seen;
  const std::string long_prefix(300, 'x');  // past XXH3's short-input paths
  for (const std::string& key : {std::string(), std::string("a"), std::string("a\0", 2), std::string("ab"),
                                 std::string("ba"), long_prefix + "1", long_prefix + "2", long_prefix + "12"}) {
    CHECK(seen.insert(HashString(key)).second);
  }
}

}  // namespace
}  // namespace lce
