// ParseBatch: request body -> Batch. Owns the body copy (Batch::Buffer; none
// for ParseBatchInPlace), the per-thread simdjson parser, the JSON body
// layout (one object or an array) and NDJSON line splitting; record contents
// are RecordParser's job.
#include <simdjson.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <iterator>
#include <memory>
#include <vector>
#include <exception>
#include <string>
#include <utility>

#include "json_error.h"
#include "llm_cost_exporter/ingest.h"
#include "record_parser.h"

namespace lce {

// What UsageRecord string views point into: the padded copy of the body
// (none when parsed in place), and an arena of strings copied by
// Batch::Keep. It is heap allocated and neither the body nor an arena block
// ever moves, so records stay valid when a Batch moves.
struct Batch::Buffer {
  simdjson::padded_string body;

  // Bump allocator over fixed blocks; a text larger than a block gets a
  // block of its own. Blocks are only freed with the Buffer.
  static constexpr std::size_t kBlockSize = 4096;
  std::vector<std::unique_ptr<char[]>> blocks;
  char* cursor = nullptr;
  std::size_t left = 0;

  std::string_view Copy(std::string_view text) {
    if (text.empty()) return {};
    char* out = nullptr;
    if (text.size() > kBlockSize / 4) {  // large: its own block, the current one stays open
      out = blocks.emplace_back(std::make_unique_for_overwrite<char[]>(text.size())).get();
    } else {
      if (text.size() > left) {
        cursor = blocks.emplace_back(std::make_unique_for_overwrite<char[]>(kBlockSize)).get();
        left = kBlockSize;
      }
      out = cursor;
      cursor += text.size();
      left -= text.size();
    }
    std::memcpy(out, text.data(), text.size());
    return {out, text.size()};
  }
};

Batch::Batch() = default;
Batch::Batch(Batch&&) noexcept = default;
Batch& Batch::operator=(Batch&&) noexcept = default;
Batch::~Batch() = default;

std::string_view Batch::Keep(std::string_view text) {
  if (!buffer) buffer = std::make_unique<Buffer>();
  return buffer->Copy(text);
}

namespace ingest_detail {
namespace od = simdjson::ondemand;

namespace {

// The text to parse and how many bytes from its start may be read:
// at least its size plus simdjson's padding.
struct BodyText {
  std::string_view body;
  std::size_t capacity = 0;
};

// A parser keeps buffers sized for the largest document it has seen; past
// this size they are released after the call instead of kept per thread.
// Every HTTP worker thread (server.worker_threads, 128 by default) keeps one,
// and simdjson needs roughly ten bytes of buffers per byte of capacity, so
// 1 MiB bounds what idle workers hold (typical batches are well below it).
constexpr std::size_t kKeepParserCapacity = std::size_t{1} << 20;

od::parser& ThreadParser() {
  thread_local od::parser parser;
  return parser;
}

void TrimThreadParser() {
  od::parser& parser = ThreadParser();
  if (parser.capacity() > kKeepParserCapacity) parser = od::parser{};
}

bool IsBlankLine(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

// "record 3: field \"token_usage.input\": must not be negative".
std::string RecordMessage(std::size_t index, std::string_view field, std::string_view detail) {
  std::string message = "record " + std::to_string(index) + ": ";
  if (!field.empty()) message.append("field \"").append(field).append("\": ");
  message.append(detail);
  return message;
}

// Appends records and errors to a batch in body order.
class BatchWriter {
 public:
  BatchWriter(Batch* batch, const IngestOptions& options, std::int64_t receive_time_unix_ns, std::size_t first_index)
      : batch_(*batch), parser_(options, receive_time_unix_ns, *batch), first_index_(first_index) {}

  RecordParser& parser() { return parser_; }

  // Starts the next record: its slot in `records` and its batch position.
  UsageRecord* Begin() {
    index_ = first_index_ + batch_.total++;
    problem_ = Problem{};
    return &batch_.records.emplace_back();
  }
  Problem* problem() { return &problem_; }

  // Ends the record started by Begin(). Returns false when the JSON was
  // malformed: then the slot is kept and the caller must either call
  // RejectWhole() or abandon the whole batch.
  bool End(bool json_ok) {
    if (!json_ok) return false;
    if (problem_.found) {
      batch_.records.pop_back();
      AddError(problem_.reason, std::move(problem_.field), std::move(problem_.detail));
    } else {
      batch_.record_index.push_back(index_);
    }
    return true;
  }

  // Ends the record started by Begin() as rejected as a whole (not an
  // object, malformed NDJSON line).
  void RejectWhole(RejectReason reason, std::string detail) {
    batch_.records.pop_back();
    AddError(reason, std::string(), std::move(detail));
  }

 private:
  void AddError(RejectReason reason, std::string field, std::string detail) {
    std::string message = RecordMessage(index_, field, detail);
    batch_.errors.push_back(RecordError{index_, std::move(field), reason, std::move(message)});
  }

  Batch& batch_;
  RecordParser parser_;
  const std::size_t first_index_;
  Problem problem_;
  std::size_t index_ = 0;
};

Status BodyError(std::string_view body, const std::string& fallback) {
  return Status::InvalidArgument(DescribeBodyError(body, fallback));
}

// The body error for a fault the parser has recorded.
Status BodyFault(std::string_view body, const RecordParser& parser) {
  return BodyError(body, parser.fault().Describe());
}

// The body error for a simdjson error seen outside any record.
Status BodyFault(std::string_view body, RecordParser* parser, simdjson::error_code error) {
  parser->Fault(error);
  return BodyFault(body, *parser);
}

// An array element: a record when it is an object, else kNotAnObject (after
// checking it is well-formed). Returns false on malformed JSON.
bool ReadArrayElement(BatchWriter* writer, od::value& element) {
  UsageRecord* record = writer->Begin();
  od::json_type type;
  if (auto error = element.type().get(type)) return writer->End(writer->parser().Fault(error));
  if (type == od::json_type::object) {
    return writer->End(writer->parser().ParseRecordValue(element, record, writer->problem()));
  }
  if (!writer->parser().SkipValue(element, 1)) return writer->End(false);
  writer->RejectWhole(RejectReason::kNotAnObject, std::string("expected a JSON object, got ") + JsonTypeName(type));
  return true;
}

Status ReadJsonArray(BatchWriter* writer, od::document& doc, std::string_view body) {
  RecordParser& parser = writer->parser();
  od::array array;
  if (auto error = doc.get_array().get(array)) return BodyFault(body, &parser, error);
  for (auto element_result : array) {
    od::value element;
    if (auto error = std::move(element_result).get(element)) return BodyFault(body, &parser, error);
    if (!ReadArrayElement(writer, element)) return BodyFault(body, parser);
  }
  // After the root array the iterator must be at the end of the input.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return BodyFault(body, &parser, simdjson::TRAILING_CONTENT);
  }
  return Status::Ok();
}

// kJson: one object (record 0) or an array of records.
Status ReadJsonBody(const BodyText& text, Batch* batch, const IngestOptions& options, std::int64_t receive_time_unix_ns,
                    std::size_t first_index) {
  const std::string_view body = text.body;
  BatchWriter writer(batch, options, receive_time_unix_ns, first_index);
  RecordParser& parser = writer.parser();

  od::document doc;
  od::json_type type;
  if (auto error = ThreadParser().iterate(body.data(), body.size(), text.capacity).get(doc)) {
    return BodyFault(body, &parser, error);
  }
  if (auto error = doc.type().get(type)) return BodyFault(body, &parser, error);

  if (type == od::json_type::array) return ReadJsonArray(&writer, doc, body);
  if (type == od::json_type::object) {
    UsageRecord* record = writer.Begin();
    if (!writer.End(parser.ParseRootRecord(doc, record, writer.problem()))) return BodyFault(body, parser);
    return Status::Ok();
  }
  return BodyError(
      body, std::string("invalid body: expected a JSON object or an array of objects, got ") + JsonTypeName(type));
}

// One NDJSON line (not blank) -> one record or one error. `capacity` is
// the readable size from line.data() to the end of the padded buffer.
void ReadNdjsonLine(BatchWriter* writer, std::string_view line, std::size_t capacity) {
  RecordParser& parser = writer->parser();
  UsageRecord* record = writer->Begin();
  od::document doc;
  od::json_type type;
  bool json_ok = false;
  if (auto error = ThreadParser().iterate(line.data(), line.size(), capacity).get(doc)) {
    json_ok = parser.Fault(error);
  } else if (auto type_error = doc.type().get(type)) {
    json_ok = parser.Fault(type_error);
  } else if (type == od::json_type::object) {
    json_ok = parser.ParseRootRecord(doc, record, writer->problem());
  } else if (!FindJsonError(line).found) {  // cold: a well-formed non-object
    writer->RejectWhole(RejectReason::kNotAnObject, std::string("expected a JSON object, got ") + JsonTypeName(type));
    return;
  }
  if (!writer->End(json_ok)) {
    writer->RejectWhole(RejectReason::kMalformedJson, DescribeLineError(line, parser.fault().Describe()));
  }
}

// kNdjson: one JSON value per line; blank lines are ignored, "\r\n" is fine.
void ReadNdjsonBody(const BodyText& text, Batch* batch, const IngestOptions& options, std::int64_t receive_time_unix_ns,
                    std::size_t first_index) {
  const char* const data = text.body.data();
  const std::size_t size = text.body.size();
  BatchWriter writer(batch, options, receive_time_unix_ns, first_index);
  std::size_t pos = 0;
  while (pos < size) {
    const auto* newline = static_cast<const char*>(std::memchr(data + pos, '\n', size - pos));
    const std::size_t end = newline != nullptr ? static_cast<std::size_t>(newline - data) : size;
    const std::string_view line(data + pos, end - pos);
    if (!IsBlankLine(line)) ReadNdjsonLine(&writer, line, text.capacity - pos);
    pos = end + 1;
  }
}

// Parses `text` into `batch` (empty, but for the body copy `text` may view).
Result<Batch> ParseText(const BodyText& text, Batch batch, BodyFormat format, const IngestOptions& options,
                        std::int64_t receive_time_unix_ns, std::size_t first_index) {
  try {
    batch.records.reserve(text.body.size() / 256 + 1);
    Status status;
    if (format == BodyFormat::kJson) {
      status = ReadJsonBody(text, &batch, options, receive_time_unix_ns, first_index);
    } else {
      ReadNdjsonBody(text, &batch, options, receive_time_unix_ns, first_index);
    }
    TrimThreadParser();
    if (!status.ok()) return status;
    return Result<Batch>(std::move(batch));
  } catch (const std::exception& e) {  // std::bad_alloc from vectors / messages
    TrimThreadParser();
    return Status::Internal(std::string("ingest failed: ") + e.what());
  } catch (...) {
    TrimThreadParser();
    return Status::Internal("ingest failed: unknown exception");
  }
}

}  // namespace
}  // namespace ingest_detail

Result<Batch> ParseBatch(std::string_view body, BodyFormat format, const IngestOptions& options,
                         std::int64_t receive_time_unix_ns, std::size_t first_index) {
  using namespace ingest_detail;
  Batch batch;
  try {
    batch.buffer = std::make_unique<Batch::Buffer>();
    batch.buffer->body = simdjson::padded_string(body);
  } catch (const std::bad_alloc&) {
    return Status::Internal("out of memory copying the request body");
  }
  const simdjson::padded_string& copy = batch.buffer->body;
  if (copy.data() == nullptr) return Status::Internal("out of memory copying the request body");
  const BodyText text{std::string_view(copy.data(), copy.size()), copy.size() + simdjson::SIMDJSON_PADDING};
  return ParseText(text, std::move(batch), format, options, receive_time_unix_ns, first_index);
}

Result<Batch> ParseBatchInPlace(const std::string& body, std::string_view part, BodyFormat format,
                                const IngestOptions& options, std::int64_t receive_time_unix_ns,
                                std::size_t first_index) {
  using namespace ingest_detail;
  const char* const end_of_memory = body.data() + body.capacity();
  const char* const part_end = part.data() + part.size();
  assert(part.data() >= body.data() && part_end <= body.data() + body.size());
  const auto readable_after = static_cast<std::size_t>(end_of_memory - part_end);
  if (readable_after < simdjson::SIMDJSON_PADDING) {
    return ParseBatch(part, format, options, receive_time_unix_ns, first_index);
  }
  const BodyText text{part, part.size() + readable_after};
  return ParseText(text, Batch(), format, options, receive_time_unix_ns, first_index);
}

void PadBody(std::string& body) {
  static_assert(kBodyPadding >= simdjson::SIMDJSON_PADDING);
  const std::size_t size = body.size();
  body.resize(size + kBodyPadding);  // zeroes the padding, so every byte the parser may read is initialized
  body.resize(size);
}

void RejectRecords(Batch* batch, RejectReason reason, std::string_view field,
                   const std::function<std::optional<std::string>(const UsageRecord&)>& why) {
  std::vector<RecordError> rejected;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < batch->records.size(); ++i) {
    if (std::optional<std::string> message = why(batch->records[i])) {
      const std::size_t index = batch->record_index[i];
      rejected.push_back({index, std::string(field), reason,
                          "record " + std::to_string(index) + ": field \"" + std::string(field) + "\": " + *message});
      continue;
    }
    if (kept != i) {
      batch->records[kept] = std::move(batch->records[i]);
      batch->record_index[kept] = batch->record_index[i];
    }
    ++kept;
  }
  if (rejected.empty()) return;
  batch->records.resize(kept);
  batch->record_index.resize(kept);
  std::vector<RecordError> merged;
  merged.reserve(batch->errors.size() + rejected.size());
  std::merge(std::make_move_iterator(batch->errors.begin()), std::make_move_iterator(batch->errors.end()),
             std::make_move_iterator(rejected.begin()), std::make_move_iterator(rejected.end()),
             std::back_inserter(merged), [](const RecordError& a, const RecordError& b) { return a.index < b.index; });
  batch->errors = std::move(merged);
}

std::vector<std::string_view> SplitNdjson(std::string_view body, std::size_t part_bytes) {
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (pos < body.size()) {
    const std::size_t cut =
        body.size() - pos <= part_bytes ? std::string_view::npos : body.find('\n', pos + part_bytes);
    const std::size_t end = cut == std::string_view::npos ? body.size() : cut + 1;
    parts.push_back(body.substr(pos, end - pos));
    pos = end;
  }
  return parts;
}

std::size_t CountNdjsonRecords(std::string_view body) {
  std::size_t records = 0;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find('\n', pos);
    if (end == std::string_view::npos) end = body.size();
    if (!ingest_detail::IsBlankLine(body.substr(pos, end - pos))) ++records;
    pos = end + 1;
  }
  return records;
}

}  // namespace lce
