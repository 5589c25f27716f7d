#include "line_writer.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "text_format.h"

namespace lce::metrics {
namespace {

constexpr std::string_view kTotal = "_total";

std::string_view TypeWord(MetricType type, bool openmetrics, bool total_suffix) {
  switch (type) {
    case MetricType::kCounter: return !openmetrics || total_suffix ? "counter" : "unknown";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "unknown";
}

}  // namespace

TailLabel::TailLabel(std::string_view name, std::span<const std::string_view> values) : order_(values.size()) {
  rendered_.reserve(values.size());
  for (std::string_view value : values) {
    std::string label;
    AppendLabel(label, true, name, value);
    rendered_.push_back(std::move(label));
  }
  std::iota(order_.begin(), order_.end(), std::size_t{0});
  std::stable_sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
}

std::vector<std::string> RenderedBounds(std::span<const double> upper_bounds) {
  std::vector<std::string> bounds;
  bounds.reserve(upper_bounds.size() + 1);
  std::string value;
  for (const double bound : upper_bounds) {
    value.clear();
    AppendDouble(value, bound);
    std::string label;
    AppendLabel(label, true, "le", value);
    bounds.push_back(std::move(label));
  }
  bounds.emplace_back("le=\"+Inf\"");
  return bounds;
}

void LineWriter::Family(std::string_view name, std::string_view help, MetricType type) {
  name_ = name;
  suffix_ = {};
  help_ = help;
  type_ = type;
  header_written_ = false;
  if (openmetrics_ && type == MetricType::kCounter && name.ends_with(kTotal)) {
    name_.remove_suffix(kTotal.size());
    suffix_ = kTotal;
  }
}

// The model's writers: 0.0.4 writes HELP as is, OpenMetrics escapes it and
// names a counter without _total (a counter named otherwise is `unknown`),
// and declares a UNIT its name ends in.
void LineWriter::Header() {
  header_written_ = true;
  constexpr std::size_t kFixed = 64;  // "# HELP ", "# TYPE ", the type word, spaces, newlines
  char* const start = Room(kFixed + 2 * name_.size() + 2 * help_.size() + UnitLineRoom(name_));
  char* p = start;
  if (!help_.empty()) {
    p = WriteText(p, "# HELP ");
    p = WriteText(p, name_);
    *p++ = ' ';
    p = openmetrics_ ? WriteEscaped(p, help_) : WriteText(p, help_);
    *p++ = '\n';
  }
  p = WriteText(p, "# TYPE ");
  p = WriteText(p, name_);
  *p++ = ' ';
  p = WriteText(p, TypeWord(type_, openmetrics_, !suffix_.empty()));
  *p++ = '\n';
  if (openmetrics_) p = WriteUnitLine(p, name_);
  pos_ += static_cast<std::size_t>(p - start);
}

// Room grows by chunks: resize zero-fills what it adds, and std::string
// grows its capacity geometrically (or not at all, when the registry
// reserved the last exposition's size).
char* LineWriter::Room(std::size_t bytes) {
  constexpr std::size_t kChunk = 64 * 1024;
  if (out_.size() - pos_ < bytes) out_.resize(pos_ + std::max(bytes, kChunk));
  return out_.data() + pos_;
}

std::size_t LineWriter::LineRoom(std::string_view labels, std::string_view extra, std::string_view last,
                                 const Exemplar* exemplar) const {
  constexpr std::size_t kPunctuation = 16;  // _bucket, braces, commas, spaces, newline
  return name_.size() + kPunctuation + labels.size() + extra.size() + last.size() + kMaxNumberChars +
         ExemplarRoom(exemplar);
}

char* LineWriter::SeriesName(char* p, std::string_view suffix, std::string_view labels, std::string_view extra,
                             std::string_view last) const {
  p = WriteText(p, name_);
  p = WriteText(p, suffix);
  if (labels.empty() && extra.empty() && last.empty()) {
    *p++ = ' ';
    return p;
  }
  *p++ = '{';
  p = WriteText(p, labels);
  if (!extra.empty()) {
    if (!labels.empty()) *p++ = ',';
    p = WriteText(p, extra);
  }
  if (!last.empty()) {
    if (!labels.empty() || !extra.empty()) *p++ = ',';
    p = WriteText(p, last);
  }
  *p++ = '}';
  *p++ = ' ';
  return p;
}

// %.16g; NaN is "Nan" in 0.0.4 (prometheus-cpp's spelling), "NaN" in OpenMetrics.
char* LineWriter::Number(char* p, double value) const {
  if (!openmetrics_ && std::isnan(value)) return WriteText(p, "Nan");
  return WriteDouble(p, value);
}

void LineWriter::Value(std::string_view labels, std::string_view extra, double value, const Exemplar* exemplar) {
  if (!header_written_) Header();
  // Only a counter's samples carry exemplars (an `unknown` one's do not), only in OpenMetrics.
  if (!openmetrics_ || type_ != MetricType::kCounter || suffix_.empty()) exemplar = nullptr;
  char* const start = Room(LineRoom(labels, extra, {}, exemplar));
  char* p = SeriesName(start, suffix_, labels, extra);
  p = Number(p, value);
  p = WriteExemplar(p, exemplar);
  *p++ = '\n';
  pos_ += static_cast<std::size_t>(p - start);
}

void LineWriter::Histogram(std::string_view labels, std::string_view extra, std::span<const std::string> bounds,
                           std::span<const std::uint64_t> cumulative, double sum, const ExemplarCell* exemplars) {
  if (!header_written_) Header();
  const std::uint64_t count = cumulative.empty() ? 0 : cumulative.back();
  const auto count_and_sum = [&] {
    char* const start = Room(2 * LineRoom(labels, extra, {}, nullptr));
    char* p = SeriesName(start, "_count", labels, extra);
    p = WriteInteger(p, count);
    *p++ = '\n';
    p = SeriesName(p, "_sum", labels, extra);
    p = Number(p, sum);
    *p++ = '\n';
    pos_ += static_cast<std::size_t>(p - start);
  };
  if (!openmetrics_) count_and_sum();  // 0.0.4: _count, _sum, then the buckets
  for (std::size_t b = 0; b < cumulative.size() && b < bounds.size(); ++b) {
    const Exemplar* exemplar = exemplars != nullptr ? Load(exemplars[b]) : nullptr;
    char* const start = Room(LineRoom(labels, extra, bounds[b], exemplar));
    char* p = SeriesName(start, "_bucket", labels, extra, bounds[b]);
    p = WriteInteger(p, cumulative[b]);
    p = WriteExemplar(p, exemplar);
    *p++ = '\n';
    pos_ += static_cast<std::size_t>(p - start);
  }
  if (openmetrics_) count_and_sum();  // OpenMetrics: the buckets, then _count and _sum
}

}  // namespace lce::metrics
