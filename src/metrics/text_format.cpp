#include "text_format.h"

#include "scrape.h"

namespace lce::metrics {
namespace {

// Per the specification, the label names and values of an exemplar together
// hold at most 128 UTF-8 characters.
constexpr std::size_t kMaxExemplarLabelChars = 128;
// Units declared by a UNIT line when the family name ends in _<unit>.
constexpr std::array<std::string_view, 3> kUnits = {"seconds", "bytes", "usd"};

char* WriteTimestamp(char* p, std::int64_t unix_ms) {
  if (unix_ms < 0) return WriteDouble(p, static_cast<double>(unix_ms) / 1000.0);
  p = WriteInteger(p, static_cast<std::uint64_t>(unix_ms / 1000));
  const auto ms = static_cast<int>(unix_ms % 1000);
  *p++ = '.';
  *p++ = static_cast<char>('0' + ms / 100);
  *p++ = static_cast<char>('0' + ms / 10 % 10);
  *p++ = static_cast<char>('0' + ms % 10);
  return p;
}

}  // namespace

void AppendTimestamp(std::string& out, std::int64_t unix_ms) {
  std::array<char, 2 * kMaxNumberChars> buf;
  out.append(buf.data(), WriteTimestamp(buf.data(), unix_ms));
}

std::size_t ExemplarRoom(const Exemplar* exemplar) {
  if (exemplar == nullptr || exemplar->trace_id.empty()) return 0;
  std::size_t chars = std::string_view("trace_id").size() + exemplar->trace_id.size();
  if (!exemplar->span_id.empty()) chars += std::string_view("span_id").size() + exemplar->span_id.size();
  if (chars > kMaxExemplarLabelChars) return 0;  // ids are bytes; a byte count bounds the character count
  constexpr std::size_t kFixed = 40;  // ` # {`, `trace_id="`, `",span_id="`, `"} `, the space before the timestamp
  return kFixed + 2 * (exemplar->trace_id.size() + exemplar->span_id.size()) + 3 * kMaxNumberChars;
}

char* WriteExemplar(char* p, const Exemplar* exemplar) {
  if (ExemplarRoom(exemplar) == 0) return p;
  p = WriteText(p, " # {trace_id=\"");
  p = WriteEscaped(p, exemplar->trace_id);
  if (!exemplar->span_id.empty()) {
    p = WriteText(p, "\",span_id=\"");
    p = WriteEscaped(p, exemplar->span_id);
  }
  p = WriteText(p, "\"} ");
  p = WriteDouble(p, exemplar->value);
  if (exemplar->timestamp_ms != 0) {
    *p++ = ' ';
    p = WriteTimestamp(p, exemplar->timestamp_ms);
  }
  return p;
}

void AppendExemplar(std::string& out, const Exemplar* exemplar) {
  const std::size_t room = ExemplarRoom(exemplar);
  if (room == 0) return;
  const std::size_t start = out.size();
  out.resize(start + room);
  char* end = WriteExemplar(out.data() + start, exemplar);
  out.resize(static_cast<std::size_t>(end - out.data()));
}

char* WriteUnitLine(char* p, std::string_view name) {
  for (std::string_view unit : kUnits) {
    if (name.size() > unit.size() && name.ends_with(unit) && name[name.size() - unit.size() - 1] == '_') {
      p = WriteText(p, "# UNIT ");
      p = WriteText(p, name);
      *p++ = ' ';
      p = WriteText(p, unit);
      *p++ = '\n';
      return p;
    }
  }
  return p;
}

void AppendUnitLine(std::string& out, std::string_view name) {
  const std::size_t start = out.size();
  out.resize(start + UnitLineRoom(name));
  char* end = WriteUnitLine(out.data() + start, name);
  out.resize(static_cast<std::size_t>(end - out.data()));
}

}  // namespace lce::metrics
