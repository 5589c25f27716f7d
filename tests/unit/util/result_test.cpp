// Result<T>: the value of a temporary Result outlives the expression that
// dereferenced it (a range-for over `*Load()` once read a destroyed value).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "llm_cost_exporter/status.h"

namespace lce {
namespace {

// Clears *alive when destroyed, unless moved from.
class Tracked {
 public:
  explicit Tracked(bool* alive) : alive_(alive) { *alive_ = true; }
  Tracked(Tracked&& other) noexcept : alive_(other.alive_) { other.alive_ = nullptr; }
  Tracked(const Tracked&) = delete;
  Tracked& operator=(const Tracked&) = delete;
  Tracked& operator=(Tracked&&) = delete;
  ~Tracked() {
    if (alive_ != nullptr) *alive_ = false;
  }

 private:
  bool* alive_;
};

Result<Tracked> Make(bool* alive) { return Tracked(alive); }

Result<std::vector<std::string>> Names() { return std::vector<std::string>{"a", "b", "c"}; }

TEST_CASE("dereferencing a temporary Result yields a value that lives on", "[util][result]") {
  bool alive = false;
  {
    auto&& held = *Make(&alive);  // the Result temporary is gone after this line
    CHECK(alive);
    (void)held;
  }
  CHECK_FALSE(alive);
  std::string joined;
  for (const std::string& name : *Names()) joined += name;
  CHECK(joined == "abc");
}

TEST_CASE("a Result lvalue still hands out references to its value", "[util][result]") {
  Result<std::vector<std::string>> names = Names();
  REQUIRE(names.ok());
  (*names).push_back("d");
  CHECK(names->size() == 4);
  CHECK(&*names == &names.value());
  const Result<int> failed = Status::InvalidArgument("no");
  CHECK_FALSE(failed.ok());
  CHECK(failed.status().message() == "no");
}

}  // namespace
}  // namespace lce
