// JsonWriter: the structure the caller states, commas placed by the writer,
// and strings escaped exactly as nlohmann's dump() escapes them (the answers
// it writes used to be nlohmann's, and clients may compare bytes).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>

#include "json_writer.h"

namespace lce::http {
namespace {

std::string Written(const std::function<void(JsonWriter&)>& write) {
  std::string out;
  JsonWriter writer(out);
  write(writer);
  writer.Finish();
  return out;
}

TEST_CASE("members, nesting and commas", "[server][json]") {
  CHECK(Written([](JsonWriter& w) { w.BeginObject().EndObject(); }) == "{}");
  CHECK(Written([](JsonWriter& w) {
          w.BeginObject().Member("a", "x").Member("b", true).Member("c", std::int64_t{-7});
          w.Key("d").BeginArray().BeginObject().EndObject().BeginObject().Member("e", false).EndObject().EndArray();
          w.Key("f").BeginArray().EndArray().EndObject();
        }) == R"({"a":"x","b":true,"c":-7,"d":[{},{"e":false}],"f":[]})");
  CHECK(Written([](JsonWriter& w) {
          w.BeginObject().Member("n", std::numeric_limits<std::int64_t>::min()).EndObject();
        }) == R"({"n":-9223372036854775808})");
}

TEST_CASE("members written by another writer join an object", "[server][json]") {
  std::string members;
  {
    JsonWriter inner(members);
    inner.Member("decision", "allow").Member("released", false);
  }
  CHECK(members == R"("decision":"allow","released":false)");
  CHECK(Written([&](JsonWriter& w) {
          w.BeginObject().Member("status", std::int64_t{200}).Members(members).EndObject();
        }) == R"({"status":200,"decision":"allow","released":false})");
  CHECK(Written([](JsonWriter& w) { w.BeginObject().Member("status", std::int64_t{1}).Members("").EndObject(); }) ==
        R"({"status":1})");
}

TEST_CASE("strings are escaped byte for byte as nlohmann dumps them", "[server][json]") {
  std::string every_byte;
  for (int c = 1; c < 128; ++c) every_byte.push_back(static_cast<char>(c));
  every_byte += "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x92\xB8";  // multi-byte UTF-8 stays verbatim
  for (const std::string& text :
       {every_byte, std::string("plain"), std::string(), std::string(1, '\0'), std::string(5000, '"')}) {
    const std::string ours = Written([&](JsonWriter& w) { w.BeginObject().Member("v", text).EndObject(); });
    CHECK(ours == nlohmann::json{{"v", text}}.dump());
  }
}

TEST_CASE("escapes anywhere in long plain runs are found, at every offset", "[server][json]") {
  // Plain text is skipped 8 bytes a step: each byte that needs an escape is
  // put at every position of strings of every length around that width.
  for (const char special : {'"', '\\', '\n', '\x01', '\x1f', '\0'}) {
    for (std::size_t length = 1; length <= 40; ++length) {
      for (std::size_t at = 0; at < length; ++at) {
        std::string text(length, 'a');
        text[at] = special;
        if (at + 9 < length) text[at + 9] = '"';
        const std::string ours = Written([&](JsonWriter& w) { w.BeginObject().Member("v", text).EndObject(); });
        REQUIRE(ours == nlohmann::json{{"v", text}}.dump());
      }
    }
  }
  for (const char plain : {' ', '~', '!', '#', '[', ']', '\x7f', '0'}) {  // neighbours of the special bytes
    const std::string text(37, plain);
    CHECK(Written([&](JsonWriter& w) { w.BeginObject().Member("v", text).EndObject(); }) ==
          nlohmann::json{{"v", text}}.dump());
  }
}

TEST_CASE("a plain string is written as String writes a string without escapes", "[server][json]") {
  for (const std::string_view text : {"0.0047", "2026-04-01T00:00:00Z", "allow", ""}) {
    CHECK(Written([&](JsonWriter& w) {
            w.BeginObject().Key("a").PlainString(text).Key("b").PlainString(text).EndObject();
          }) == Written([&](JsonWriter& w) { w.BeginObject().Member("a", text).Member("b", text).EndObject(); }));
  }
}

TEST_CASE("the text is appended after what the string held, and grows as needed", "[server][json]") {
  std::string out = "prefix:";
  out.reserve(8);
  {
    JsonWriter writer(out);
    writer.BeginArray();
    for (int i = 0; i < 1000; ++i) writer.String(std::to_string(i));
    writer.EndArray();
  }
  REQUIRE(out.rfind("prefix:[\"0\",\"1\",", 0) == 0);
  CHECK(nlohmann::json::parse(out.substr(7)).size() == 1000);
  CHECK(out.back() == ']');
}

}  // namespace
}  // namespace lce::http
