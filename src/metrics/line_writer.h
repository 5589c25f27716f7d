// LineWriter: the exposition lines of the usage families, written straight
// into a scrape's text from label sets rendered once (when a series is
// created) instead of through prometheus-cpp's model. Both formats, byte for
// byte what the model's writers (text004_writer.cpp, openmetrics_writer.cpp)
// make of the same samples; line_writer_test holds it to them. Private to
// src/metrics. Not thread-safe: one per scrape.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cells.h"
#include "llm_cost_exporter/metric_registry.h"
#include "scrape.h"

namespace lce::metrics {

// The last label of a family whose value comes from a small fixed set (a
// token type, a status class, a price outcome): each `name="value"` rendered
// once, and the values' indices in exposition order (ascending by value).
class TailLabel {
 public:
  TailLabel(std::string_view name, std::span<const std::string_view> values);

  const std::vector<std::size_t>& order() const { return order_; }
  std::string_view rendered(std::size_t index) const { return rendered_[index]; }

 private:
  std::vector<std::string> rendered_;
  std::vector<std::size_t> order_;
};

// The names of `desc`'s first `count` labels (all of them by default): a
// series store's key labels, the remaining ones a TailLabel's.
inline std::span<const std::string_view> LeadingLabels(const MetricDesc& desc, std::size_t count = kMaxMetricLabels) {
  return std::span<const std::string_view>(desc.labels).first(std::min(count, desc.label_count()));
}

// The `le="..."` label of each bucket of a layout (the last one +Inf), rendered once.
std::vector<std::string> RenderedBounds(std::span<const double> upper_bounds);

// Lines are written through a cursor into room made ahead in `out` (a line's
// worst case reserved once, then plain copies), so `out` holds spare bytes
// while the writer lives; its destructor trims them.
class LineWriter {
 public:
  LineWriter(std::string& out, bool openmetrics) : out_(out), pos_(out.size()), openmetrics_(openmetrics) {}
  ~LineWriter() { out_.resize(pos_); }
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;

  // Starts a family. Its HELP and TYPE (and in OpenMetrics UNIT) lines are
  // written before its first sample, so a family without samples leaves no trace.
  void Family(const MetricDesc& desc) { Family(desc.name, desc.help, desc.type); }
  void Family(std::string_view name, std::string_view help, MetricType type);

  // A counter or gauge sample of the current family. `labels` is a rendered
  // label set (`a="x",b="y"`, maybe empty), `extra` one more rendered label
  // (maybe empty); `exemplar` is written only in OpenMetrics.
  void Value(std::string_view labels, std::string_view extra, double value, const Exemplar* exemplar = nullptr);

  // A histogram sample: cumulative[i] observations in buckets 0..i, whose
  // rendered `le` labels are bounds[i] (RenderedBounds); exemplars (OpenMetrics
  // only) one cell per bucket, or null.
  void Histogram(std::string_view labels, std::string_view extra, std::span<const std::string> bounds,
                 std::span<const std::uint64_t> cumulative, double sum, const ExemplarCell* exemplars = nullptr);

  // The exemplar `cell` holds, loaded into a buffer of the writer's (valid
  // until the next call), or null: none stored, or not OpenMetrics.
  template <typename V>
  const Exemplar* Load(const BasicExemplarCell<V>& cell) {
    return openmetrics_ && cell.LoadInto(exemplar_) ? &exemplar_ : nullptr;
  }

 private:
  void Header();
  // Makes room for `bytes` more and returns where they go (out_.data() + pos_).
  char* Room(std::size_t bytes);
  // A sample line's name and labels, `name<suffix>{labels,extra,last} `, at `p`.
  char* SeriesName(char* p, std::string_view suffix, std::string_view labels, std::string_view extra,
                   std::string_view last = {}) const;
  char* Number(char* p, double value) const;
  // Room for a line of `labels`, `extra` and `last`, its value and `exemplar`.
  std::size_t LineRoom(std::string_view labels, std::string_view extra, std::string_view last,
                       const Exemplar* exemplar) const;

  std::string& out_;
  std::size_t pos_;  // the end of what is written; out_ may hold room beyond it
  bool openmetrics_;
  // The current family: what its lines are named, and whether its header is out.
  std::string_view name_;    // OpenMetrics: a counter's name without _total
  std::string_view suffix_;  // OpenMetrics: a counter's samples' "_total"
  std::string_view help_;
  MetricType type_ = MetricType::kCounter;
  bool header_written_ = true;
  Exemplar exemplar_;  // Load's buffer
};

// A writer of lines into `scrape`, after the model's families collected so far.
inline LineWriter Lines(Scrape& scrape) {
  scrape.WriteFamilies();
  return LineWriter(scrape.out, scrape.openmetrics);
}

}  // namespace lce::metrics
