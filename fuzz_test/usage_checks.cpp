// The checks declared in usage_checks.h. nlohmann::json is compiled here
// only, once for both usage targets.
#include "usage_checks.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <functional>
#include <memory>
#include <string>

namespace lce::fuzz {

bool IsPrintableAscii(std::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

namespace {

// Records the root type, the nesting depth and the kinds of a root array's
// elements; remembers whether nlohmann refused the text for a stricter rule.
class ShapeSax final : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit ShapeSax(JsonShape* shape) : shape_(*shape) {}
  bool null() override { return Value('s'); }
  bool boolean(bool) override { return Value('s'); }
  bool number_integer(number_integer_t) override { return Value('s'); }
  bool number_unsigned(number_unsigned_t) override { return Value('s'); }
  bool number_float(number_float_t, const string_t&) override { return Value('s'); }
  bool string(string_t&) override { return Value('s'); }
  bool binary(binary_t&) override { return Value('s'); }
  bool start_object(std::size_t) override { return Open('{'); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open('['); }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) override {
    const std::string_view what = ex.what();
    shape_.stricter =
        what.find("number overflow") != std::string_view::npos || what.find("surrogate") != std::string_view::npos;
    return false;
  }

 private:
  bool Value(char kind) {
    if (depth_ == 0) shape_.root = kind;
    if (depth_ == 1 && shape_.root == '[') shape_.element_is_object.push_back(kind == '{');
    return true;
  }
  bool Open(char kind) {
    Value(kind);
    ++depth_;
    if (depth_ > shape_.max_depth) shape_.max_depth = depth_;
    return true;
  }
  bool Close() {
    --depth_;
    return true;
  }

  JsonShape& shape_;
  int depth_ = 0;
};

bool IsIdText(std::string_view value) {
  if (value.empty() || value.size() > 128) return false;
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsHexText(std::string_view value) {
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

void ForEachView(const UsageRecord& r, const std::function<void(std::string_view)>& visit) {
  for (std::string_view v :
       {r.event, r.event_id, r.service, r.operation, r.campaign_id, r.audience_id, r.vendor, r.model, r.service_tier,
        r.prompt_version, r.decision_id, r.trace_id, r.span_id, r.reservation_id, r.hash_email}) {
    visit(v);
  }
  for (const UnitCount& unit : r.units) visit(unit.unit);
}

// The schema's rules, for an accepted record.
void CheckRecord(const UsageRecord& r, const IngestOptions& options) {
  const auto label_ok = [&options](std::string_view v) {
    return v.empty() || IsValidLabelValue(v, options.max_label_length);
  };
  LCE_FUZZ_CHECK(!r.event.empty());
  for (std::string_view v : {r.event, r.service, r.operation, r.campaign_id, r.audience_id, r.vendor, r.model,
                             r.service_tier, r.prompt_version, r.decision_id}) {
    LCE_FUZZ_CHECK(label_ok(v));
  }
  LCE_FUZZ_CHECK(r.event_id.empty() || IsIdText(r.event_id));
  LCE_FUZZ_CHECK(r.reservation_id.empty() || IsIdText(r.reservation_id));
  LCE_FUZZ_CHECK(r.trace_id.empty() || IsValidTraceId(r.trace_id));
  LCE_FUZZ_CHECK(r.span_id.empty() || IsValidSpanId(r.span_id));
  const std::size_t hash_size = r.hash_email.size();
  LCE_FUZZ_CHECK(hash_size == 0 || ((hash_size == 32 || hash_size == 40 || hash_size == 64 || hash_size == 128) &&
                                    IsHexText(r.hash_email)));
  LCE_FUZZ_CHECK(!ValidateTokenParts(r.tokens));
  if (!r.has_token_usage) {
    for (std::uint64_t count : r.tokens.count) LCE_FUZZ_CHECK(count == 0);
  }
  // An LLM call may omit its vendor (pricing takes it from the model); units may not.
  LCE_FUZZ_CHECK(r.model.empty() || r.has_token_usage);
  LCE_FUZZ_CHECK(!r.has_token_usage || !r.model.empty());
  LCE_FUZZ_CHECK(r.units.empty() || !r.vendor.empty());
  for (std::size_t i = 0; i < r.units.size(); ++i) {
    LCE_FUZZ_CHECK(!r.units[i].unit.empty() && label_ok(r.units[i].unit));
    for (std::size_t j = 0; j < i; ++j) LCE_FUZZ_CHECK(r.units[i].unit != r.units[j].unit);
  }
  LCE_FUZZ_CHECK(r.attempt >= 1);
  LCE_FUZZ_CHECK(r.vendor_status == 0 || (r.vendor_status >= 100 && r.vendor_status <= 599));
  LCE_FUZZ_CHECK(r.latency_us >= 0 && r.latency_us <= kMaxLatencyUs);
  LCE_FUZZ_CHECK(r.has_latency || r.latency_us == 0);
  // The record bounds (usage_record.h): nothing beyond them is ever accepted.
  for (std::uint64_t count : r.tokens.count) LCE_FUZZ_CHECK(count <= kMaxTokensPerRecord);
  for (const UnitCount& unit : r.units) LCE_FUZZ_CHECK(unit.count <= kMaxUnitsPerRecord);
  LCE_FUZZ_CHECK(r.timestamp_given || r.timestamp_unix_ns == kReceiveTimeUnixNs);
  LCE_FUZZ_CHECK(r.timestamp_unix_ns >= kMinTimestampUnixNs);
  Batch scratch;  // keeps a derived key
  LCE_FUZZ_CHECK(r.idempotency_key == IdempotencyKey(r, scratch));
  // A given event_id is the key itself, not a copy of it.
  LCE_FUZZ_CHECK(r.event_id.empty() || r.idempotency_key.data() == r.event_id.data());
}

namespace {

// Every view lies in one copy of `body` that is not `input` (the caller's
// buffer the body was parsed from), at its position in the body.
void CheckViewPlacement(const Batch& batch, std::string_view body, std::string_view input) {
  const std::less<const char*> before;
  std::vector<std::string_view> views;
  for (const UsageRecord& r : batch.records) {
    ForEachView(r, [&views](std::string_view v) {
      if (!v.empty()) views.push_back(v);
    });
  }
  if (views.empty()) return;
  const char* lo = views.front().data();
  const char* hi = lo;
  for (std::string_view v : views) {
    LCE_FUZZ_CHECK(before(v.data() + v.size(), input.data()) || !before(v.data(), input.data() + input.size()));
    if (before(v.data(), lo)) lo = v.data();
    if (before(hi, v.data() + v.size())) hi = v.data() + v.size();
  }
  const auto offset = [lo](const char* p) {
    return static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(p) - reinterpret_cast<std::uintptr_t>(lo));
  };
  const std::size_t span = offset(hi);
  LCE_FUZZ_CHECK(span <= body.size());
  // The body copy starts `base` bytes before `lo`; some base must fit every view.
  bool placed = false;
  std::string_view first;
  for (std::string_view v : views) {
    if (v.data() == lo && v.size() > first.size()) first = v;
  }
  for (std::size_t base = body.find(first); !placed && base != std::string_view::npos && base + span <= body.size();
       base = body.find(first, base + 1)) {
    placed = true;
    for (std::string_view v : views) {
      if (body.substr(base + offset(v.data()), v.size()) != v) {
        placed = false;
        break;
      }
    }
  }
  LCE_FUZZ_CHECK(placed);
}

// Reads every byte of every view (AddressSanitizer checks the reads).
std::size_t TouchViews(const Batch& batch) {
  std::size_t sum = 0;
  for (const UsageRecord& r : batch.records) {
    ForEachView(r, [&sum](std::string_view v) {
      for (char c : v) sum += static_cast<unsigned char>(c);
    });
  }
  return sum;
}

// Structure of a parsed batch; returns a text that identifies the result
// (for the determinism check).
std::string CheckBatch(const Result<Batch>& result, const IngestOptions& options) {
  if (!result.ok()) {
    const std::string& message = result.status().message();
    LCE_FUZZ_CHECK(!message.empty() && IsPrintableAscii(message));
    return "status: " + message;
  }
  const Batch& batch = *result;
  std::string summary = "total " + std::to_string(batch.total) + "\n";
  WalkBatch(
      batch,
      [&](std::size_t i, const UsageRecord& r) {
        CheckRecord(r, options);
        summary += std::to_string(i) + " ok " + std::string(r.idempotency_key) + " " +
                   std::to_string(r.timestamp_unix_ns) + "\n";
      },
      [&](std::size_t i, const RecordError& e) {
        LCE_FUZZ_CHECK(IsPrintableAscii(e.field) && IsPrintableAscii(e.message));
        std::string prefix = "record " + std::to_string(i) + ": ";
        if (!e.field.empty()) prefix += "field \"" + e.field + "\": ";
        LCE_FUZZ_CHECK(e.message.size() > prefix.size() && e.message.compare(0, prefix.size(), prefix) == 0);
        summary += std::to_string(i) + " " + std::string(RejectReasonName(e.reason)) + " " + e.message + "\n";
      });
  return summary;
}

}  // namespace

void WalkBatch(const Batch& batch, const std::function<void(std::size_t, const UsageRecord&)>& on_record,
               const std::function<void(std::size_t, const RecordError&)>& on_error) {
  LCE_FUZZ_CHECK(batch.records.size() + batch.errors.size() == batch.total);
  LCE_FUZZ_CHECK(batch.record_index.size() == batch.records.size());
  std::size_t next_record = 0;
  std::size_t next_error = 0;
  for (std::size_t i = 0; i < batch.total; ++i) {
    const bool is_record = next_record < batch.record_index.size() && batch.record_index[next_record] == i;
    const bool is_error = next_error < batch.errors.size() && batch.errors[next_error].index == i;
    LCE_FUZZ_CHECK(is_record != is_error);  // exactly one, in order
    if (is_record) {
      on_record(i, batch.records[next_record++]);
      continue;
    }
    const RecordError& e = batch.errors[next_error++];
    LCE_FUZZ_CHECK(static_cast<std::size_t>(e.reason) < kRejectReasonCount);
    on_error(i, e);
  }
  LCE_FUZZ_CHECK(next_record == batch.records.size() && next_error == batch.errors.size());
}

JsonShape InspectJson(std::string_view text) {
  JsonShape shape;
  ShapeSax sax(&shape);
  shape.valid = nlohmann::json::sax_parse(text.begin(), text.end(), &sax);
  return shape;
}

// Texts on which nlohmann::json and RFC 8259's grammar differ before any
// parse: a leading byte order mark (nlohmann skips it) and NUL bytes
// (nlohmann reads a NUL as the end of the input).
bool ComparableWithNlohmann(std::string_view text) {
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") return false;
  return text.find('\0') == std::string_view::npos;
}

std::vector<int> Outcomes(const Batch& batch) {
  std::vector<int> outcomes(batch.total, kAccepted);
  for (const RecordError& e : batch.errors) outcomes[e.index] = static_cast<int>(e.reason);
  return outcomes;
}

// Parses `data` as `format` from a heap copy, checks the batch, frees the
// copy, moves the batch and reads every view (a view into the freed copy is
// a heap-use-after-free), then parses again and compares; returns the result.
Result<Batch> ParseAndCheck(std::string_view data, BodyFormat format, const IngestOptions& options) {
  auto input = std::make_unique<char[]>(data.size() + 1);
  std::memcpy(input.get(), data.data(), data.size());
  const std::string_view input_view(input.get(), data.size());
  Result<Batch> result = ParseBatch(input_view, format, options, kReceiveTimeUnixNs);
  const std::string summary = CheckBatch(result, options);
  if (result.ok()) CheckViewPlacement(*result, data, input_view);
  input.reset();

  // A second parse, after the per-thread parser has seen this body, must
  // give the same result.
  const std::string again_input(data);
  LCE_FUZZ_CHECK(CheckBatch(ParseBatch(again_input, format, options, kReceiveTimeUnixNs), options) == summary);

  // Parsed where it lies, as the server parses a padded body, the same again
  // (simdjson reads the padding after the last record, never the copy's).
  std::string padded(data);
  PadBody(padded);
  LCE_FUZZ_CHECK(CheckBatch(ParseBatchInPlace(padded, padded, format, options, kReceiveTimeUnixNs), options) ==
                 summary);

  if (!result.ok()) return result;
  Batch moved = std::move(*result);
  static volatile std::size_t sink = 0;
  sink = sink + TouchViews(moved);
  return Result<Batch>(std::move(moved));
}

}  // namespace lce::fuzz
