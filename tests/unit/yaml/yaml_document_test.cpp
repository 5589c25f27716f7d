// LoadYamlDocument: the guards every YAML file of the exporter goes through.
#include <catch2/catch.hpp>

#include "yaml_document.h"

namespace lce::yaml {
namespace {

std::string ErrorOf(const std::string& text, Empty empty = Empty::kRefused) {
  Result<YAML::Node> loaded = LoadYamlDocument(text, "f.yml", empty);
  REQUIRE_FALSE(loaded.ok());
  return loaded.status().message();
}

TEST_CASE("one document loads; an empty text only where allowed", "[yaml]") {
  Result<YAML::Node> one = LoadYamlDocument("a: 1\nb: [x, y]\n", "f.yml", Empty::kRefused);
  REQUIRE(one.ok());
  CHECK((*one)["b"][1].as<std::string>() == "y");
  Result<YAML::Node> empty = LoadYamlDocument("", "f.yml", Empty::kAllowed);
  REQUIRE(empty.ok());
  CHECK(empty->IsNull());
  CHECK(ErrorOf("") == "f.yml: expected exactly one YAML document, found 0");
  CHECK(ErrorOf("# only a comment\n") == "f.yml: expected exactly one YAML document, found 0");
}

TEST_CASE("a second document is refused", "[yaml]") {
  CHECK(ErrorOf("a: 1\n---\na: 2\n", Empty::kAllowed) == "f.yml: expected exactly one YAML document, found 2 or more");
}

TEST_CASE("texts that make yaml-cpp's LoadAll loop forever are refused at once", "[yaml]") {
  for (const char* text : {",", ",\na: 1\n", "a: 1\n,\n"}) {
    INFO(text);
    CHECK_FALSE(LoadYamlDocument(text, "f.yml", Empty::kAllowed).ok());
  }
}

TEST_CASE("a repeated key is refused at any depth, naming its line and path", "[yaml]") {
  CHECK(ErrorOf("a: 1\nb: 2\na: 3\n") == "f.yml:3: a: duplicate key");
  CHECK(ErrorOf("top:\n  list:\n    - {x: 1, y: 2}\n    - {x: 1, x: 2}\n") == "f.yml:4: top.list[1].x: duplicate key");
  // The same key in different mappings, and anchors / aliases, are fine.
  REQUIRE(LoadYamlDocument("a: {k: 1}\nb: {k: 1}\nc: &anchor {k: 2}\nd: *anchor\n", "f.yml", Empty::kRefused).ok());
}

TEST_CASE("syntax errors name the source and line", "[yaml]") {
  CHECK_THAT(ErrorOf("a: [1,\nb: 2\n"), Catch::StartsWith("f.yml:") && Catch::Contains(": invalid YAML: "));
  CHECK_THAT(ErrorOf("a: 1\n  b: 2\n"), Catch::StartsWith("f.yml:2: invalid YAML: "));
}

}  // namespace
}  // namespace lce::yaml
