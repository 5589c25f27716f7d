// JsonWriter: appends JSON text to a string, for the answers written on the
// hot path (budget decisions), where building an nlohmann DOM and dumping it
// cost more than the decision itself.
//
// The caller states the structure (Begin/End, Key before each member) and
// the writer places the commas. String values are escaped as nlohmann's
// dump() escapes them (\" \\ \b \f \n \r \t, other control characters as
// \u00xx, everything else verbatim), so an answer reads the same byte for
// byte as it did when nlohmann wrote it. Strings must be valid UTF-8: every
// string written comes from a parser that validated it, or from our own
// text. Keys are the caller's own names and are written as they are.
//
// The text is written through a cursor into the string's own storage, grown
// as needed (most writes are a few bytes of known length, which a string's
// append would check and copy one by one). The string holds exactly the
// text written once Finish() is called or the writer is destroyed; reading
// or moving it before then is an error.
//
// Not thread-safe; one writer per answer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace lce::http {

class JsonWriter {
 public:
  // Appends to what `out` holds already.
  explicit JsonWriter(std::string& out);
  // Finishes unless Finish() was the last call (after it, the string is the
  // caller's again and may have been moved away).
  ~JsonWriter() {
    if (cursor_ != end_) Finish();
  }
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }
  // The next member's key; its value follows (a value call or a Begin).
  JsonWriter& Key(std::string_view key) {
    char* at = Room(key.size() + 4);
    if (after_value_) *at++ = ',';
    at = Quoted(at, key);
    *at++ = ':';
    cursor_ = at;
    after_value_ = false;
    return *this;
  }
  JsonWriter& String(std::string_view value);
  // A string the caller knows needs no escape (our own digits and names: an
  // amount, an instant, an enum's name): quoted as it is, not scanned.
  JsonWriter& PlainString(std::string_view value) {
    char* at = Room(value.size() + 3);
    if (after_value_) *at++ = ',';
    cursor_ = Quoted(at, value);
    after_value_ = true;
    return *this;
  }
  JsonWriter& Bool(bool value) { return Raw(value ? std::string_view("true") : std::string_view("false")); }
  JsonWriter& Int(std::int64_t value);
  // Members another writer wrote (Key/value pairs, no braces), appended
  // after this object's members so far.
  JsonWriter& Members(std::string_view members);

  // Key and value in one call.
  JsonWriter& Member(std::string_view key, std::string_view value) { return Key(key).String(value); }
  JsonWriter& Member(std::string_view key, const char* value) { return Key(key).String(value); }
  JsonWriter& Member(std::string_view key, bool value) { return Key(key).Bool(value); }
  JsonWriter& Member(std::string_view key, std::int64_t value) { return Key(key).Int(value); }

  // Trims the string to the text written. Idempotent; writing may go on.
  void Finish();

 private:
  JsonWriter& Open(char bracket) {
    char* at = Room(2);
    if (after_value_) *at++ = ',';
    *at++ = bracket;
    cursor_ = at;
    after_value_ = false;
    return *this;
  }
  JsonWriter& Close(char bracket) {
    *Room(1) = bracket;
    ++cursor_;
    after_value_ = true;
    return *this;
  }
  // `text` in double quotes at `at` (room for text.size() + 2), as it is; returns the end.
  static char* Quoted(char* at, std::string_view text) {
    *at++ = '"';
    std::memcpy(at, text.data(), text.size());
    at += text.size();
    *at++ = '"';
    return at;
  }
  // A value that needs no escaping (a literal, digits), after a comma when due.
  JsonWriter& Raw(std::string_view text) {
    char* at = Room(text.size() + 1);
    if (after_value_) *at++ = ',';
    std::memcpy(at, text.data(), text.size());
    cursor_ = at + text.size();
    after_value_ = true;
    return *this;
  }
  // The cursor, with at least `bytes` writable bytes after it.
  char* Room(std::size_t bytes) {
    if (static_cast<std::size_t>(end_ - cursor_) < bytes) Grow(bytes);
    return cursor_;
  }
  void Grow(std::size_t bytes);
  void AppendEscaped(std::string_view text);

  std::string& out_;
  char* cursor_ = nullptr;  // next byte to write, inside out_'s storage
  char* end_ = nullptr;     // end of out_'s storage
  bool after_value_ = false;
};

}  // namespace lce::http
