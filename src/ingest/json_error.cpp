#include "json_error.h"

#include <exception>
#include <nlohmann/json.hpp>

namespace lce::ingest_detail {
namespace {

using Json = nlohmann::json;

// A SAX consumer that accepts everything and remembers the first error.
class ErrorCatcher final : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
    spot.found = true;
    spot.offset = position > 0 ? position - 1 : 0;  // nlohmann counts bytes read, 1-based
    spot.reason = ReasonOf(ex.what());
    return false;
  }

  JsonErrorSpot spot;

 private:
  // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax
  // error while parsing value - invalid literal; last read: 'tru}'" ->
  // "syntax error while parsing value - invalid literal".
  // The "last read" excerpt is input and may itself contain "'; expected ",
  // so a trailing "; expected <token>" is kept only when <token> is one of
  // nlohmann's token names: no byte of the input reaches the reason.
  static std::string ReasonOf(std::string_view what) {
    const std::size_t head = what.find(": ", what.find("parse error"));
    std::string_view rest = head == std::string_view::npos ? what : what.substr(head + 2);
    const std::string_view kLastRead = "; last read: '";
    const std::size_t last_read = rest.find(kLastRead);
    if (last_read == std::string_view::npos) return std::string(rest);
    std::string reason(rest.substr(0, last_read));
    const std::string_view after = rest.substr(last_read + kLastRead.size());
    for (std::string_view token : kTokenNames) {
      const std::string expected = "'; expected " + std::string(token);
      if (after.size() >= expected.size() && after.substr(after.size() - expected.size()) == expected) {
        reason += expected.substr(1);
        break;
      }
    }
    return reason;
  }

  // nlohmann's lexer::token_type_name values that follow "; expected ".
  static constexpr std::string_view kTokenNames[] = {
      "true literal", "false literal", "null literal", "string literal", "number literal",        "'['", "'{'", "']'",
      "'}'",          "':'",           "','",          "end of input",   "'[', '{', or a literal"};
};

// 1-based line and column (in bytes) of a byte offset.
void LineAndColumn(std::string_view text, std::size_t offset, std::size_t* line, std::size_t* column) {
  *line = 1;
  std::size_t line_start = 0;
  const std::size_t end = offset < text.size() ? offset : text.size();
  for (std::size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++*line;
      line_start = i + 1;
    }
  }
  *column = offset - line_start + 1;
}

}  // namespace

JsonErrorSpot FindJsonError(std::string_view text) noexcept {
  try {
    ErrorCatcher catcher;
    Json::sax_parse(text.begin(), text.end(), &catcher);
    return std::move(catcher.spot);
  } catch (const std::exception&) {  // std::bad_alloc: report "no position"
    return {};
  }
}

namespace {

// The index of the top-level array element that holds byte `offset` of a
// body whose root is an array, or -1 (not an array, or before its first
// element). Tracks strings and nesting only; the text before `offset` is
// well-formed JSON, so this is enough.
long ArrayElementAt(std::string_view body, std::size_t offset) {
  std::size_t i = body.find_first_not_of(" \t\r\n");
  if (i == std::string_view::npos || body[i] != '[' || i >= offset) return -1;
  long element = 0;
  int depth = 0;
  bool in_string = false;
  for (; i < offset && i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == ',' && depth == 1) {
      ++element;
    }
  }
  return element;
}

}  // namespace

std::string DescribeBodyError(std::string_view body, std::string_view fallback) {
  const JsonErrorSpot spot = FindJsonError(body);
  if (!spot.found) return std::string(fallback);
  std::size_t line = 0;
  std::size_t column = 0;
  LineAndColumn(body, spot.offset, &line, &column);
  std::string message = "invalid JSON at byte " + std::to_string(spot.offset) + " (line " + std::to_string(line) +
                        ", column " + std::to_string(column) + "): " + spot.reason;
  // Which record of an array: the client can find it without counting bytes.
  if (const long element = ArrayElementAt(body, spot.offset); element >= 0) {
    message += "; in record " + std::to_string(element) + " (nothing of this body was counted)";
  }
  return message;
}

std::string DescribeLineError(std::string_view line, std::string_view fallback) {
  const JsonErrorSpot spot = FindJsonError(line);
  if (!spot.found) return std::string(fallback);
  return "invalid JSON at column " + std::to_string(spot.offset + 1) + ": " + spot.reason;
}

}  // namespace lce::ingest_detail
