// Fuzz target: ParseBatch on an NDJSON body (BodyFormat::kNdjson), the line
// splitter and per-line isolation. Checks the invariants of usage_checks.h
// and the NDJSON rules: records are the non-blank lines (blank: only spaces,
// tabs and '\r'), in order; a line is malformed_json exactly when it is not
// JSON (or nests deeper than the limit); a JSON line that is not an object
// is not_an_object; and a single-line body reads the same as NDJSON and as
// one JSON record.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "usage_checks.h"

namespace {

bool IsBlank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

std::vector<std::string_view> NonBlankLines(std::string_view body) {
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find('\n', pos);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view line = body.substr(pos, end - pos);
    if (!IsBlank(line)) lines.push_back(line);
    pos = end + 1;
  }
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lce;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const IngestOptions options;
  const Result<Batch> result = fuzz::ParseAndCheck(body, BodyFormat::kNdjson, options);
  LCE_FUZZ_CHECK(result.ok());  // NDJSON isolates lines: the body as a whole is never refused

  const std::vector<std::string_view> lines = NonBlankLines(body);
  const std::vector<int> outcomes = fuzz::Outcomes(*result);
  LCE_FUZZ_CHECK(outcomes.size() == lines.size());
  const auto not_an_object = static_cast<int>(RejectReason::kNotAnObject);
  const auto malformed = static_cast<int>(RejectReason::kMalformedJson);
  bool comparable = true;  // every line's validity agrees with nlohmann's
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!fuzz::ComparableWithNlohmann(lines[i])) {
      comparable = false;
      continue;
    }
    const fuzz::JsonShape shape = fuzz::InspectJson(lines[i]);
    if (shape.stricter) {
      // A line that is not an object is validated with nlohmann (simdjson
      // cannot walk a scalar root as a value), so it may be malformed_json
      // where an object line or an array element would be read.
      comparable = false;
      continue;
    }
    if (outcomes[i] == malformed) {
      LCE_FUZZ_CHECK(!shape.valid || shape.max_depth > fuzz::kSafeDepth);
      continue;
    }
    LCE_FUZZ_CHECK(shape.valid);
    LCE_FUZZ_CHECK((outcomes[i] == not_an_object) == (shape.root != '{'));
  }

  // One line, no newline: NDJSON and a JSON body holding one object agree.
  if (lines.size() != 1 || body.find('\n') != std::string_view::npos) return 0;
  const Result<Batch> as_json = fuzz::ParseAndCheck(body, BodyFormat::kJson, options);
  if (outcomes[0] == not_an_object) return 0;  // an array line is a JSON batch of its own
  if (outcomes[0] == malformed) {
    if (comparable) LCE_FUZZ_CHECK(!as_json.ok());
    return 0;
  }
  LCE_FUZZ_CHECK(as_json.ok() && as_json->total == 1);
  LCE_FUZZ_CHECK(as_json->records.size() == result->records.size());
  if (result->records.empty()) {
    const RecordError& a = result->errors.front();
    const RecordError& b = as_json->errors.front();
    LCE_FUZZ_CHECK(a.reason == b.reason && a.field == b.field && a.message == b.message);
  } else {
    const UsageRecord& a = result->records.front();
    const UsageRecord& b = as_json->records.front();
    LCE_FUZZ_CHECK(a.idempotency_key == b.idempotency_key && a.timestamp_unix_ns == b.timestamp_unix_ns);
    LCE_FUZZ_CHECK(a.event == b.event && a.model == b.model && a.tokens.count == b.tokens.count);
  }
  return 0;
}
