// Status and Result<T>: the one error type that crosses module borders.
//
// Modules never let exceptions escape (yaml-cpp, nlohmann_json and simdjson
// errors are caught at the parsing edge and turned into a Status). A Status is
// cheap to copy when ok (no allocation) and carries a human readable message
// otherwise. Thread safety: plain values, no shared state.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace lce {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk,
    kInvalidArgument,
    kNotFound,
    kIoError,
    kInternal,
    kResourceExhausted,
    kUnprocessable,
    kPayloadTooLarge,
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status IoError(std::string msg) { return {Code::kIoError, std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }
  // A limit of the request was exceeded (e.g. too many records); nothing was done.
  static Status ResourceExhausted(std::string msg) { return {Code::kResourceExhausted, std::move(msg)}; }
  // Well-formed, but not something that can be done (e.g. an estimate the
  // price tables cannot price).
  static Status Unprocessable(std::string msg) { return {Code::kUnprocessable, std::move(msg)}; }
  // A body (as sent, or as decompressed) over its byte limit; reading or
  // decompressing stopped there.
  static Status PayloadTooLarge(std::string msg) { return {Code::kPayloadTooLarge, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with context, e.g. the file being loaded.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return {code_, context + ": " + message_};
  }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Result<T> holds either a value or a non-ok Status (an expected-style type).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok());
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  // On a temporary, the value itself (moved out), not a reference into the
  // dying Result: `for (auto& x : *Load())` then iterates a live value.
  T operator*() && { return std::move(*value_); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace lce
