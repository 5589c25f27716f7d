// open_slots.h: items placed through OpenSlots are found at their positions
// through growth, colliding hashes included (linear probing), absent items
// are not found, and Clear empties the index.
#include "llm_cost_exporter/open_slots.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace lce {
namespace {

// A table of strings over OpenSlots, with a hash that can be made to collide.
struct Table {
  explicit Table(std::uint64_t (*hash)(const std::string&)) : hash_of(hash) {}
  std::uint64_t (*hash_of)(const std::string&);
  std::vector<std::string> items;
  OpenSlots slots;

  std::size_t Add(const std::string& item) {
    slots.MakeRoomForOneMore(items.size(), [this](std::size_t p) { return hash_of(items[p]); });
    std::uint32_t* slot = slots.Find(hash_of(item), [&](std::size_t p) { return items[p] == item; });
    if (*slot == 0) {
      items.push_back(item);
      *slot = static_cast<std::uint32_t>(items.size());
    }
    return *slot - 1;
  }
  std::int64_t Position(const std::string& item) const {
    return slots.Position(hash_of(item), [&](std::size_t p) { return items[p] == item; });
  }
};

std::uint64_t GoodHash(const std::string& s) { return std::hash<std::string>()(s); }
std::uint64_t CollidingHash(const std::string& s) { return (s.size() % 3) << 20; }  // the same low bits for all

TEST_CASE("OpenSlots finds every item at its position, through growth and collisions", "[util][open_slots]") {
  for (auto* hash : {&GoodHash, &CollidingHash}) {
    Table table(hash);
    CHECK(table.Position("absent") == -1);  // empty: nothing probed
    const std::size_t count = hash == &GoodHash ? 20000 : 500;
    for (std::size_t i = 0; i < count; ++i) REQUIRE(table.Add("item-" + std::to_string(i)) == i);
    for (std::size_t i = 0; i < count; ++i) REQUIRE(table.Add("item-" + std::to_string(i)) == i);  // no duplicate
    CHECK(table.items.size() == count);
    for (std::size_t i = 0; i < count; ++i) {
      REQUIRE(table.Position("item-" + std::to_string(i)) == static_cast<std::int64_t>(i));
    }
    CHECK(table.Position("item-" + std::to_string(count)) == -1);
    table.slots.Clear();
    table.items.clear();
    CHECK(table.Position("item-0") == -1);
    CHECK(table.Add("again") == 0);
    CHECK(table.Position("again") == 0);
  }
}

}  // namespace
}  // namespace lce
