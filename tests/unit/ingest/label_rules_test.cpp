// ValidateLabelValue and RejectReasonName, called directly (the API the OTLP
// mapping shares).
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "llm_cost_exporter/ingest.h"

namespace lce {
namespace {

struct Verdict {
  bool ok = false;
  RejectReason reason = RejectReason::kMalformedJson;
  std::string message;
};

Verdict Check(std::string_view value, std::size_t max_length = 128) {
  Verdict v;
  const std::optional<FieldError> error = ValidateLabelValue(value, max_length);
  v.ok = !error;
  if (error) {
    v.reason = error->reason;
    v.message = error->message;
  }
  return v;
}

TEST_CASE("label values that pass", "[ingest][labels]") {
  for (const char* value : {"llm.call", "gpt-4o-2024-08-06", "cmp_2026_04_springpromo", "openai", "a",
                            "models/gemini-1.5-pro", "ns:op", "_single_leading_underscore", "123456"}) {
    INFO(value);
    CHECK(Check(value).ok);
  }
}

TEST_CASE("e-mail addresses are reported as such", "[ingest][labels]") {
  for (const char* value : {"jane@example.com", "j.doe+tag@mail.example.co.uk", "Jane <jane@example.com>"}) {
    INFO(value);
    const Verdict v = Check(value);
    CHECK_FALSE(v.ok);
    CHECK(v.reason == RejectReason::kLooksLikeEmail);
    CHECK(v.message == "looks like an e-mail address; send hash_email instead");
  }
  // An '@' that is not an address is a plain character-set error.
  const Verdict at = Check("team@home");
  CHECK(at.reason == RejectReason::kInvalidLabel);
}

TEST_CASE("phone numbers are reported as such", "[ingest][labels]") {
  for (const char* value :
       {"5551234", "+15551234567", "+1 (555) 123-4567", "555.123.4567", "+44 20 7946 0958", "123456789012345"}) {
    INFO(value);
    const Verdict v = Check(value);
    CHECK_FALSE(v.ok);
    CHECK(v.reason == RejectReason::kLooksLikePhone);
    CHECK(v.message.find("phone") != std::string::npos);
  }
  // 6 or 16 digits are not phone numbers (6 digits is a valid label).
  CHECK(Check("123456").ok);
  CHECK(Check("1234567890123456").ok);
}

TEST_CASE("free text, bad characters, length and reserved prefix", "[ingest][labels]") {
  const Verdict space = Check("write a subject");
  CHECK(space.reason == RejectReason::kInvalidLabel);
  CHECK(space.message == "free text is not allowed (spaces are not allowed)");

  const Verdict star = Check("cmp*1");
  CHECK(star.reason == RejectReason::kInvalidLabel);
  CHECK(star.message == "character at position 4 is not allowed; allowed characters are A-Z a-z 0-9 _ . : / -");

  const Verdict utf8 = Check("caf\xc3\xa9");
  CHECK(utf8.reason == RejectReason::kInvalidLabel);
  CHECK(utf8.message.find("non-ASCII") != std::string::npos);

  const Verdict backslash = Check("a\\nb");
  CHECK(backslash.message == "escape sequences (backslash) are not allowed");

  const Verdict empty = Check("");
  CHECK(empty.reason == RejectReason::kInvalidLabel);
  CHECK(empty.message == "must not be empty");

  CHECK(Check(std::string(10, 'a'), 10).ok);
  const Verdict longer = Check(std::string(11, 'a'), 10);
  CHECK(longer.reason == RejectReason::kInvalidLabel);
  CHECK(longer.message == "longer than 10 characters (11)");

  const Verdict reserved = Check("__overflow__");
  CHECK(reserved.reason == RejectReason::kInvalidLabel);
  CHECK(reserved.message == "must not start with \"__\" (reserved)");
}

TEST_CASE("messages never echo the value", "[ingest][labels]") {
  for (const char* value : {"jane@example.com", "+1 555 123 4567", "Jane Doe", "jane*doe", "__jane"}) {
    const Verdict v = Check(value);
    CHECK_FALSE(v.ok);
    CHECK(v.message.find("jane") == std::string::npos);
    CHECK(v.message.find("Jane") == std::string::npos);
    CHECK(v.message.find("555") == std::string::npos);
  }
}

TEST_CASE("IsValidLabelValue is the rule as a predicate", "[ingest][labels]") {
  CHECK(IsValidLabelValue("ok", 128));
  CHECK_FALSE(IsValidLabelValue("not ok", 128));
}

TEST_CASE("every reject reason has a distinct snake_case name", "[ingest][labels]") {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kRejectReasonCount; ++i) {
    const std::string_view name = RejectReasonName(static_cast<RejectReason>(i));
    INFO(i << " " << name);
    CHECK_FALSE(name.empty());
    CHECK(name != "unknown");
    CHECK(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string_view::npos);
    names.insert(name);
  }
  CHECK(names.size() == kRejectReasonCount);
  CHECK(RejectReasonName(RejectReason::kMalformedJson) == "malformed_json");
  CHECK(RejectReasonName(RejectReason::kLooksLikeEmail) == "looks_like_email");
  CHECK(RejectReasonName(RejectReason::kPartsExceedWhole) == "parts_exceed_whole");
}

}  // namespace
}  // namespace lce

// The label rule against a plain per-character statement of it, for every
// byte value at every position of short and medium values.
namespace lce {
namespace {

bool ReferenceLabelRule(std::string_view value, std::size_t max_length) {
  if (value.empty() || value.size() > max_length) return false;
  std::size_t digits = 0;
  bool phone_like = true;  // only digits, '.' and '-' (the label characters a phone number uses)
  for (char c : value) {
    const bool digit = c >= '0' && c <= '9';
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool other = c == '_' || c == '.' || c == ':' || c == '/' || c == '-';
    if (!digit && !letter && !other) return false;
    digits += digit ? 1 : 0;
    phone_like = phone_like && (digit || c == '.' || c == '-');
  }
  if (phone_like && digits >= 7 && digits <= 15) return false;
  return !(value.size() >= 2 && value[0] == '_' && value[1] == '_');
}

TEST_CASE("label rule: every byte at every position agrees with the reference", "[ingest][labels]") {
  for (std::size_t length = 1; length <= 18; ++length) {
    for (std::size_t pos = 0; pos < length; ++pos) {
      for (int byte = 0; byte < 256; ++byte) {
        std::string value(length, 'a');
        value[pos] = static_cast<char>(byte);
        INFO("length " << length << ", byte " << byte << " at " << pos);
        REQUIRE(IsValidLabelValue(value, 128) == ReferenceLabelRule(value, 128));
      }
    }
  }
}

TEST_CASE("label rule: digit runs, separators, limits and prefixes agree with the reference", "[ingest][labels]") {
  const std::vector<std::string> values = {"123456",
                                           "1234567",
                                           "123456789012345",
                                           "1234567890123456",
                                           "12.34-567",
                                           "12.34-56",
                                           "1234567a",
                                           "a1234567",
                                           "1234567_",
                                           "1:234567",
                                           "1/234567",
                                           "__x",
                                           "_x",
                                           "-",
                                           ".",
                                           "12345678.",
                                           "0000000.0000000",
                                           "a-b.c:d/e_f",
                                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                           "abcdefghijklmnopqrstuvwxyz0123456789"};
  for (const std::string& value : values) {
    for (std::size_t max_length : {std::size_t{3}, std::size_t{8}, std::size_t{128}}) {
      INFO(value << " (max " << max_length << ")");
      CHECK(IsValidLabelValue(value, max_length) == ReferenceLabelRule(value, max_length));
    }
  }
}

}  // namespace
}  // namespace lce
