// string_hash.h: one hash for a key however it is passed, so heterogeneous
// lookup finds std::string keys by std::string_view, and keys that differ
// only late or in length hash apart.
#include "llm_cost_exporter/string_hash.h"

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdint>
#include <vector>
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

// HashPieces keys the series and spend-bucket tables: equal pieces hash
// equal; a changed byte, a moved boundary between pieces or a different
// seed hash apart; and the low bits the tables index by spread evenly.
TEST_CASE("HashPieces tells pieces apart by every byte and every boundary", "[util][hash]") {
  std::string text(80, '\0');
  for (std::size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + i % 26);
  for (std::size_t n = 0; n <= text.size(); ++n) {
    const std::string_view piece(text.data(), n);
    const std::string_view pieces[] = {"svc", piece};
    const std::uint64_t hash = HashPieces(pieces);
    const std::string copy(piece);
    const std::string_view same[] = {"svc", copy};
    REQUIRE(HashPieces(same) == hash);  // by content, not by address
    CHECK(HashPieces(same, 1) != hash);
    std::unordered_set<std::uint64_t> changed;
    for (std::size_t at = 0; at < n; ++at) {
      std::string other(piece);
      other[at] ^= 0x20;
      const std::string_view others[] = {"svc", other};
      changed.insert(HashPieces(others));
    }
    INFO("length " << n);
    CHECK(changed.size() == n);
    CHECK(changed.count(hash) == 0);
  }
  const std::string_view ab_c[] = {"ab", "c"};
  const std::string_view a_bc[] = {"a", "bc"};
  const std::string_view abc_[] = {"abc", ""};
  const std::string_view abc[] = {"abc"};
  const std::unordered_set<std::uint64_t> splits = {HashPieces(ab_c), HashPieces(a_bc), HashPieces(abc_),
                                                    HashPieces(abc)};
  CHECK(splits.size() == 4);
}

TEST_CASE("HashPieces spreads label tuples over a table's low bits", "[util][hash]") {
  constexpr std::size_t kBuckets = 1 << 12;
  std::vector<std::size_t> load(kBuckets, 0);
  std::unordered_set<std::uint64_t> hashes;
  std::size_t keys = 0;
  for (int campaign = 0; campaign < 256; ++campaign) {
    for (int model = 0; model < 64; ++model) {
      const std::string campaign_id = "cmp_2026_04_promo_" + std::to_string(campaign);
      const std::string model_name = "gpt-4o-" + std::to_string(model);
      const std::string_view pieces[] = {"email_orchestrator", campaign_id, "openai", model_name};
      const std::uint64_t hash = HashPieces(pieces);
      hashes.insert(hash);
      ++load[hash & (kBuckets - 1)];
      ++keys;
    }
  }
  CHECK(hashes.size() == keys);  // no two of 16,384 tuples collide in 64 bits
  // 4 keys per bucket on average; uniform hashing puts at most ~16 in the
  // fullest of 4,096 buckets with overwhelming odds.
  CHECK(*std::max_element(load.begin(), load.end()) <= 16);
}

}  // namespace
}  // namespace lce
