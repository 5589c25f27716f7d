// Cold path: precise messages for malformed JSON. simdjson On-Demand reports
// that a document is malformed but not reliably where; when that happens the
// failing text is parsed again with nlohmann::json's SAX parser (no DOM is
// built) only to find the byte position and a readable reason.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lce::ingest_detail {

struct JsonErrorSpot {
  bool found = false;      // false: nlohmann accepts the text
  std::size_t offset = 0;  // 0-based byte offset of the offending byte
  std::string reason;      // e.g. "syntax error while parsing value - invalid literal"
};

// Never throws. The reason never quotes the input (nlohmann's "last read"
// excerpt is removed).
JsonErrorSpot FindJsonError(std::string_view text) noexcept;

// "invalid JSON at byte 17 (line 1, column 18): <reason>" for a whole body.
// When nlohmann finds no error (a limit of ours, such as nesting depth, or a
// well-formed body of the wrong shape) the message is `fallback`, verbatim.
std::string DescribeBodyError(std::string_view body, std::string_view fallback);

// "invalid JSON at column 18: <reason>" for one NDJSON line; else `fallback`.
std::string DescribeLineError(std::string_view line, std::string_view fallback);

}  // namespace lce::ingest_detail
