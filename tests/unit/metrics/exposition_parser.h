// Reads an OpenMetrics exposition (as MetricRegistry writes it) back into
// prometheus-cpp's model and an ExemplarIndex, so the tests can look samples
// up by family and labels. Strict: a line it does not understand throws, so
// a malformed exposition fails the test that reads it.
#pragma once

#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/metric_family.h>

#include "scrape.h"

namespace lce::test {
namespace parser_detail {

using Labels = std::vector<prometheus::ClientMetric::Label>;

[[noreturn]] inline void Fail(std::string_view what, std::string_view line) {
  throw std::runtime_error(std::string(what) + ": " + std::string(line));
}

inline double ParseNumber(std::string_view text, std::string_view line) {
  if (text == "+Inf") return std::numeric_limits<double>::infinity();
  if (text == "-Inf") return -std::numeric_limits<double>::infinity();
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) Fail("bad number", line);
  return value;
}

// `{a="x",b="y"}` at the start of `rest` (removed from it), unescaped.
inline Labels ParseLabels(std::string_view& rest, std::string_view line) {
  Labels labels;
  if (rest.empty() || rest.front() != '{') return labels;
  rest.remove_prefix(1);
  while (!rest.empty() && rest.front() != '}') {
    const std::size_t eq = rest.find("=\"");
    if (eq == std::string_view::npos) Fail("bad label", line);
    prometheus::ClientMetric::Label label;
    label.name = std::string(rest.substr(0, eq));
    rest.remove_prefix(eq + 2);
    while (!rest.empty() && rest.front() != '"') {
      char c = rest.front();
      rest.remove_prefix(1);
      if (c == '\\') {
        if (rest.empty()) Fail("bad escape", line);
        c = rest.front() == 'n' ? '\n' : rest.front();
        rest.remove_prefix(1);
      }
      label.value += c;
    }
    if (rest.empty()) Fail("unterminated label value", line);
    rest.remove_prefix(1);  // closing quote
    labels.push_back(std::move(label));
    if (!rest.empty() && rest.front() == ',') rest.remove_prefix(1);
  }
  if (rest.empty()) Fail("unterminated label set", line);
  rest.remove_prefix(1);  // }
  return labels;
}

inline std::string_view NextWord(std::string_view& rest) {
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  const std::size_t end = std::min(rest.find(' '), rest.size());
  const std::string_view word = rest.substr(0, end);
  rest.remove_prefix(end);
  return word;
}

// ` # {trace_id="..",span_id=".."} value [timestamp]` after a sample's value.
inline Exemplar ParseExemplar(std::string_view rest, std::string_view line) {
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.substr(0, 2) != "# ") Fail("bad exemplar", line);
  rest.remove_prefix(2);
  Exemplar exemplar;
  for (const auto& label : ParseLabels(rest, line)) {
    if (label.name == "trace_id") {
      exemplar.trace_id = label.value;
    } else if (label.name == "span_id") {
      exemplar.span_id = label.value;
    } else {
      Fail("unexpected exemplar label", line);
    }
  }
  exemplar.value = ParseNumber(NextWord(rest), line);
  if (const std::string_view ts = NextWord(rest); !ts.empty()) {
    exemplar.timestamp_ms = std::llround(ParseNumber(ts, line) * 1000.0);
  }
  return exemplar;
}

// HELP text: backslash, double quote and newline escaped.
inline std::string Unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      ++i;
      out += text[i] == 'n' ? '\n' : text[i];
    } else {
      out += text[i];
    }
  }
  return out;
}

inline bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace parser_detail

// The families of `text` in the model's shape: counters named with _total,
// histograms with their buckets (+Inf included), count and sum. Exemplars go
// to `exemplars` when given (a histogram's by bucket index).
inline std::vector<prometheus::MetricFamily> ParseOpenMetrics(std::string_view text, ExemplarIndex* exemplars) {
  using namespace parser_detail;
  std::vector<prometheus::MetricFamily> families;
  std::string_view base;  // the current family's name as its TYPE line gives it
  bool saw_eof = false;
  std::string help;  // of the next TYPE line's family
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) Fail("line without newline", text);
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (saw_eof) Fail("text after # EOF", line);
    if (line == "# EOF") {
      saw_eof = true;
      continue;
    }
    std::string_view rest = line;
    if (rest.substr(0, 7) == "# UNIT ") continue;
    if (rest.substr(0, 7) == "# HELP ") {  // before its TYPE line, as we write it
      rest.remove_prefix(7);
      NextWord(rest);
      help = Unescape(rest.substr(rest.empty() ? 0 : 1));
      continue;
    }
    if (rest.substr(0, 7) == "# TYPE ") {
      rest.remove_prefix(7);
      base = NextWord(rest);
      const std::string_view type = NextWord(rest);
      prometheus::MetricFamily family;
      family.name = std::string(base);
      family.help = std::move(help);
      help.clear();
      if (type == "counter") {
        family.type = prometheus::MetricType::Counter;
        family.name += "_total";
      } else if (type == "gauge") {
        family.type = prometheus::MetricType::Gauge;
      } else if (type == "histogram") {
        family.type = prometheus::MetricType::Histogram;
      } else if (type == "unknown") {
        family.type = prometheus::MetricType::Untyped;
      } else {
        Fail("unexpected type", line);
      }
      families.push_back(std::move(family));
      continue;
    }
    if (families.empty()) Fail("sample before any TYPE line", line);
    prometheus::MetricFamily& family = families.back();
    const std::size_t name_end = std::min(rest.find_first_of("{ "), rest.size());
    const std::string_view name = rest.substr(0, name_end);
    rest.remove_prefix(name_end);
    Labels labels = ParseLabels(rest, line);
    const double value = ParseNumber(NextWord(rest), line);
    const bool has_exemplar = rest.find('#') != std::string_view::npos;
    if (family.type != prometheus::MetricType::Histogram) {
      if (name != family.name) Fail("sample outside its family", line);
      prometheus::ClientMetric sample;
      sample.label = std::move(labels);
      if (family.type == prometheus::MetricType::Counter) sample.counter.value = value;
      if (family.type == prometheus::MetricType::Gauge) sample.gauge.value = value;
      if (family.type == prometheus::MetricType::Untyped) sample.untyped.value = value;
      if (has_exemplar && exemplars != nullptr) {
        exemplars->Add(family.name, sample.label, ExemplarIndex::kNoBucket, ParseExemplar(rest, line));
      }
      family.metric.push_back(std::move(sample));
      continue;
    }
    // A histogram line: _bucket (its le label last), _count or _sum.
    double bound = 0;
    const bool bucket = name == std::string(base) + "_bucket";
    if (bucket) {
      if (labels.empty() || labels.back().name != "le") Fail("bucket without le", line);
      bound = ParseNumber(labels.back().value, line);
      labels.pop_back();
    } else if (name != std::string(base) + "_count" && name != std::string(base) + "_sum") {
      Fail("sample outside its family", line);
    }
    // A histogram's lines are consecutive: a new label set starts a new sample.
    prometheus::ClientMetric* sample = family.metric.empty() ? nullptr : &family.metric.back();
    if (sample == nullptr || sample->label != labels) {
      family.metric.emplace_back();
      sample = &family.metric.back();
      sample->label = labels;
    }
    if (bucket) {
      if (has_exemplar && exemplars != nullptr) {
        exemplars->Add(family.name, sample->label, sample->histogram.bucket.size(), ParseExemplar(rest, line));
      }
      sample->histogram.bucket.push_back({static_cast<std::uint64_t>(value), bound});
    } else if (EndsWith(name, "_count")) {
      sample->histogram.sample_count = static_cast<std::uint64_t>(value);
    } else {
      sample->histogram.sample_sum = value;
    }
  }
  if (!saw_eof) Fail("no # EOF", "");
  return families;
}

}  // namespace lce::test
