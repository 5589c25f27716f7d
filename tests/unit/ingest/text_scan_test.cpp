// The block scans of the field rules (text_scan.h): what they find, and the
// vector path held to the portable one on every byte and length.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "text_scan.h"

namespace lce::ingest_detail {
namespace {

// A reference written the obvious way: one character at a time.
LabelTextScan ReferenceScan(std::string_view text) {
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  bool all_label = true, all_phone = true, long_run = false;
  std::size_t run = 0;
  for (char c : text) {
    const bool label = letter(c) || digit(c) || c == '_' || c == '.' || c == ':' || c == '/' || c == '-';
    all_label &= label;
    all_phone &= digit(c) || c == '.' || c == '-';
    run = letter(c) || digit(c) ? run + 1 : 0;
    long_run |= run >= kSecretRunLength;
  }
  return LabelTextScan(all_label, all_phone, long_run);
}

bool ReferenceAllIn(std::string_view text, IdCharset charset) {
  for (char c : text) {
    const bool digit = c >= '0' && c <= '9';
    const bool in = charset == IdCharset::kHex ? digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
                                               : digit || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                                     c == '.' || c == '_' || c == ':' || c == '-';
    if (!in) return false;
  }
  return true;
}

void CheckAllPaths(const std::string& text) {
  INFO("text of " << text.size() << " bytes: " << text);
  const LabelTextScan want = ReferenceScan(text);
  CHECK(ScanLabelText(text) == want);
  CHECK(ScanLabelTextPortable(text) == want);
  for (IdCharset charset : {IdCharset::kHex, IdCharset::kRecordId}) {
    CHECK(AllInCharset(text, charset) == ReferenceAllIn(text, charset));
    CHECK(AllInCharsetPortable(text, charset) == ReferenceAllIn(text, charset));
  }
}

TEST_CASE("label scans find the classes and the long runs", "[ingest][text_scan]") {
  CHECK(ScanLabelText("") == LabelTextScan{true, true, false});
  CHECK(ScanLabelText("gpt-4o-2024-08-06") == LabelTextScan{true, false, false});
  CHECK(ScanLabelText("555-0100.12") == LabelTextScan{true, true, false});
  CHECK(ScanLabelText("free text") == LabelTextScan{false, false, false});
  CHECK(ScanLabelText("caf\xc3\xa9") == LabelTextScan{false, false, false});
  // 15 letters and digits are not a long run; 16 are, wherever they sit
  // relative to the 16-byte blocks.
  CHECK_FALSE(ScanLabelText("abcdefghijklmno").long_run());
  CHECK(ScanLabelText("abcdefghijklmnop").long_run());
  CHECK(ScanLabelText("x_abcdefghijklmnop").long_run());
  CHECK_FALSE(ScanLabelText("0123456789abcde_0123456789abcde").long_run());
  CHECK(ScanLabelText("__________abcdefghijklmnop______").long_run());
  CHECK(ScanLabelText(std::string(40, '-') + std::string(16, 'Q')).long_run());
}

TEST_CASE("charset scans", "[ingest][text_scan]") {
  CHECK(AllInCharset("4bf92f3577b34da6A3CE929D0E0E4736", IdCharset::kHex));
  CHECK_FALSE(AllInCharset("4bf92f3577b34da6a3ce929d0e0e473g", IdCharset::kHex));
  CHECK_FALSE(AllInCharset("4bf92f3577b34da6a3ce929d0e0e473\x80", IdCharset::kHex));
  CHECK(AllInCharset("evt_01:abc.def-GHI", IdCharset::kRecordId));
  CHECK_FALSE(AllInCharset("evt/01", IdCharset::kRecordId));
  CHECK(AllInCharset("", IdCharset::kRecordId));
}

TEST_CASE("every byte value in every position of a block agrees with the reference", "[ingest][text_scan]") {
  for (std::size_t length : {1u, 7u, 15u, 16u, 17u, 31u, 33u}) {
    for (int byte = 0; byte < 256; ++byte) {
      for (std::size_t at : {std::size_t{0}, length / 2, length - 1}) {
        std::string text(length, 'a');
        text[at] = static_cast<char>(byte);
        CheckAllPaths(text);
      }
    }
  }
}

TEST_CASE("random texts of every length up to 200 agree with the reference", "[ingest][text_scan]") {
  std::mt19937 random(20261207);
  // Mostly label characters, so long runs and all-label texts are common.
  const std::string alphabet = "abcXYZ0123456789_.:/-- @+()\\\x7f\x80\xff";
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<int> rare(0, 99);
  for (std::size_t length = 0; length <= 200; ++length) {
    for (int round = 0; round < 20; ++round) {
      std::string text;
      for (std::size_t i = 0; i < length; ++i) {
        // One text in two uses letters and digits only (long runs).
        text.push_back(round % 2 == 0 && rare(random) < 97 ? "aZ7"[i % 3] : alphabet[pick(random)]);
      }
      CheckAllPaths(text);
    }
  }
}

}  // namespace
}  // namespace lce::ingest_detail
