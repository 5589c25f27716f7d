// The header-value rules of RFC 9110 the server reads Connection, Accept and
// Accept-Encoding with.
#include <catch2/catch.hpp>

#include "llm_cost_exporter/header_values.h"

namespace lce {
namespace {

TEST_CASE("a token list is searched item by item, in any case, around spaces", "[util][headers]") {
  CHECK(ContainsTokenIgnoreCase("close", "close"));
  CHECK(ContainsTokenIgnoreCase("Keep-Alive", "keep-alive"));
  CHECK(ContainsTokenIgnoreCase("Upgrade,  CLOSE ", "close"));
  CHECK(ContainsTokenIgnoreCase("\tkeep-alive\t, Upgrade", "keep-alive"));
  CHECK_FALSE(ContainsTokenIgnoreCase("", "close"));
  CHECK_FALSE(ContainsTokenIgnoreCase("closed", "close"));      // a whole item, not a prefix
  CHECK_FALSE(ContainsTokenIgnoreCase("keep-alive", "alive"));  // nor a suffix
  CHECK_FALSE(ContainsTokenIgnoreCase(",,", "close"));
}

TEST_CASE("optional whitespace and case rules", "[util][headers]") {
  CHECK(TrimOws(" \t gzip \t") == "gzip");
  CHECK(TrimOws("   ").empty());
  CHECK(EqualsIgnoreCase("GZip", "gzip"));
  CHECK_FALSE(EqualsIgnoreCase("gzip", "gzi"));
}

}  // namespace
}  // namespace lce
