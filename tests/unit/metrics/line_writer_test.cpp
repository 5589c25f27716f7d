// LineWriter against the model's writers: the same samples, the same bytes,
// in both formats. And SeriesStore's exposition order, which the usage
// families rely on instead of sorting at every scrape.
#include <catch2/catch.hpp>

#include <array>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "line_writer.h"
#include "scrape.h"
#include "series_store.h"
#include "text_format.h"

namespace lce {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using Labels = std::vector<ClientMetric::Label>;

constexpr MetricDesc kCounter{"calls_total", "Calls \"quoted\" \\ and\nnewline", MetricType::kCounter, {"a", "b"}};
constexpr MetricDesc kUnknown{"widgets", "A counter without _total", MetricType::kCounter, {"a"}};
constexpr MetricDesc kGauge{"last_seen_seconds", "", MetricType::kGauge, {"a", "b"}};
constexpr MetricDesc kHistogram{"latency_seconds", "Latency", MetricType::kHistogram, {"a", "b"}};

std::string Rendered(const Labels& labels) {
  std::string out;
  for (std::size_t i = 0; i < labels.size(); ++i) metrics::AppendLabel(out, i == 0, labels[i].name, labels[i].value);
  return out;
}

MetricFamily ModelFamily(const MetricDesc& desc) {
  MetricFamily family;
  family.name = std::string(desc.name);
  family.help = std::string(desc.help);
  family.type = desc.type == MetricType::kCounter ? prometheus::MetricType::Counter
                : desc.type == MetricType::kGauge ? prometheus::MetricType::Gauge
                                                  : prometheus::MetricType::Histogram;
  return family;
}

// What the model's writer makes of `family`.
std::string ModelText(const MetricFamily& family, const ExemplarIndex& exemplars, bool openmetrics) {
  std::string model;
  if (openmetrics) {
    AppendOpenMetricsFamilies({family}, exemplars, model);
  } else {
    AppendText004({family}, model);
  }
  return model;
}

const std::vector<Labels> kLabelSets = {
    {},
    {{"a", "plain"}, {"b", ""}},
    {{"a", "with \"quotes\""}, {"b", "back\\slash\nnewline"}},
    {{"a", "ünïcødé"}, {"b", "x"}},
};

const std::vector<double> kValues = {0,
                                     1,
                                     17.000123,
                                     1e-9,
                                     123456789012345678.0,
                                     -2.5,
                                     1.0 / 3,
                                     std::numeric_limits<double>::infinity(),
                                     -std::numeric_limits<double>::infinity(),
                                     std::numeric_limits<double>::quiet_NaN()};

Exemplar SomeExemplar(int i) {
  return Exemplar{"4bf92f3577b34da6a3ce929d0e0e" + std::to_string(1000 + i), i % 2 == 0 ? "00f067aa0ba902b7" : "",
                  0.25 * i, i % 3 == 0 ? 0 : 1764590400123 + i};
}

// One family written both ways: into the model (family, exemplars) and
// through a LineWriter (lines(), into `direct`).
struct BothWays {
  BothWays(const MetricDesc& desc, bool openmetrics_format)
      : family(ModelFamily(desc)), openmetrics(openmetrics_format) {
    writer.emplace(direct, openmetrics).Family(desc);
  }
  metrics::LineWriter& lines() { return *writer; }
  // Finishes the writer (its destructor trims the room it made in `direct`) and compares.
  void Check() {
    writer.reset();
    CHECK(direct == ModelText(family, exemplars, openmetrics));
  }

  MetricFamily family;
  ExemplarIndex exemplars;
  bool openmetrics;
  std::string direct;
  std::optional<metrics::LineWriter> writer;
};

// Writes counters and gauges both ways; `extra` adds a last label to every sample.
void CheckValues(const MetricDesc& desc, bool openmetrics, bool extra) {
  BothWays both(desc, openmetrics);
  MetricFamily& family = both.family;
  int i = 0;
  std::string extra_text;
  metrics::AppendLabel(extra_text, true, "type", "in\"put");
  for (const Labels& label_set : kLabelSets) {
    for (const double value : kValues) {
      Labels labels = label_set;  // one series per sample: exemplars are found by labels
      labels.push_back({"n", std::to_string(i)});
      ClientMetric sample;
      sample.label = labels;
      if (extra) sample.label.push_back({"type", "in\"put"});
      (desc.type == MetricType::kGauge ? sample.gauge.value : sample.counter.value) = value;
      const Exemplar exemplar = SomeExemplar(i++);
      const bool with_exemplar = i % 2 == 0;
      if (with_exemplar) both.exemplars.Add(family.name, sample.label, ExemplarIndex::kNoBucket, exemplar);
      family.metric.push_back(sample);
      both.lines().Value(Rendered(labels), extra ? extra_text : "", value, with_exemplar ? &exemplar : nullptr);
    }
  }
  both.Check();
}

TEST_CASE("LineWriter writes counters and gauges as the model's writers do", "[metrics][line_writer]") {
  for (const bool openmetrics : {false, true}) {
    for (const bool extra : {false, true}) {
      CAPTURE(openmetrics, extra);
      CheckValues(kCounter, openmetrics, extra);
      CheckValues(kGauge, openmetrics, extra);
    }
    CAPTURE(openmetrics);
    CheckValues(kUnknown, openmetrics, false);  // OpenMetrics: `unknown`, no exemplars
  }
}

TEST_CASE("LineWriter writes histograms as the model's writers do", "[metrics][line_writer]") {
  const std::vector<double> bounds = {0.005, 0.1, 1, 2.5, 60};
  const std::vector<std::string> rendered_bounds = metrics::RenderedBounds(bounds);
  REQUIRE(rendered_bounds.back() == "le=\"+Inf\"");
  for (const bool openmetrics : {false, true}) {
    CAPTURE(openmetrics);
    BothWays both(kHistogram, openmetrics);
    std::mt19937 random(7);
    int n = 0;
    for (const Labels& labels : kLabelSets) {
      std::vector<std::uint64_t> cumulative;
      std::uint64_t running = 0;
      std::vector<metrics::ExemplarCell> cells(bounds.size() + 1);
      ClientMetric sample;
      sample.label = labels;
      for (std::size_t b = 0; b <= bounds.size(); ++b) {
        running += random() % 5;
        cumulative.push_back(running);
        sample.histogram.bucket.push_back(
            {running, b < bounds.size() ? bounds[b] : std::numeric_limits<double>::infinity()});
        if (random() % 2 == 0) {
          const Exemplar exemplar = SomeExemplar(n++);
          const std::string trace = exemplar.trace_id;
          const std::string span = exemplar.span_id;
          cells[b].Store(metrics::ExemplarIds{trace, span, exemplar.timestamp_ms * 1'000'000}, exemplar.value);
          both.exemplars.Add(both.family.name, labels, b, *cells[b].Load());
        }
      }
      sample.histogram.sample_count = running;
      sample.histogram.sample_sum = 0.1 * static_cast<double>(running);
      both.family.metric.push_back(sample);
      both.lines().Histogram(Rendered(labels), {}, rendered_bounds, cumulative, sample.histogram.sample_sum,
                             cells.data());
    }
    both.Check();
  }
}

TEST_CASE("LineWriter leaves a family without samples out", "[metrics][line_writer]") {
  std::string out;
  std::optional<metrics::LineWriter> writer;
  metrics::LineWriter& lines = writer.emplace(out, true);
  lines.Family(kCounter);
  lines.Family(kGauge);
  lines.Value("a=\"x\"", {}, 2);
  writer.reset();
  CHECK(out == "# TYPE last_seen_seconds gauge\n# UNIT last_seen_seconds seconds\nlast_seen_seconds{a=\"x\"} 2\n");
}

TEST_CASE("TailLabel renders each value once and orders them by value", "[metrics][line_writer]") {
  constexpr std::array<std::string_view, 4> kValuesOf = {"unknown", "1xx", "2xx", "a\"b"};
  const metrics::TailLabel tail("status", kValuesOf);
  CHECK(tail.order() == std::vector<std::size_t>{1, 2, 3, 0});
  CHECK(tail.rendered(3) == "status=\"a\\\"b\"");
}

struct Cell {
  int id = 0;
};
constexpr std::array<std::string_view, 2> kNames = {"x", "y"};

std::vector<std::pair<std::string, std::string>> Order(const metrics::SeriesStore<Cell>& store) {
  std::vector<std::pair<std::string, std::string>> seen;
  store.ForEachInOrder(
      [&](std::string_view labels, const Cell& cell) { seen.emplace_back(labels, std::to_string(cell.id)); });
  return seen;
}

TEST_CASE("SeriesStore walks its series sorted by label values, value by value", "[metrics][series_store]") {
  metrics::SeriesStore<Cell> store(kNames);
  // A prefix first, value by value (not by the concatenation), bytes unsigned.
  const std::vector<std::array<std::string_view, 2>> created = {{"b", "a"},        {"a", "zz"}, {"ab", ""}, {"a", "z"},
                                                                {"\xc3\xa9", "0"}, {"", "9"},   {"a", ""}};
  int id = 0;
  for (const auto& values : created) store.Get(values).id = id++;
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"x=\"\",y=\"9\"", "5"},  {"x=\"a\",y=\"\"", "6"},  {"x=\"a\",y=\"z\"", "3"},       {"x=\"a\",y=\"zz\"", "1"},
      {"x=\"ab\",y=\"\"", "2"}, {"x=\"b\",y=\"a\"", "0"}, {"x=\"\xc3\xa9\",y=\"0\"", "4"}};
  CHECK(Order(store) == expected);
  CHECK(Order(store) == expected);  // unchanged without new series
}

TEST_CASE("SeriesStore merges series created between scrapes into the order", "[metrics][series_store]") {
  metrics::SeriesStore<Cell> store(kNames);
  std::mt19937 random(11);
  std::vector<std::string> keys;
  std::map<std::pair<std::string, std::string>, int> model;  // what ordering must give
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 50; ++i) {
      const std::string x = std::to_string(random() % 30);
      const std::string y = std::string(random() % 3, static_cast<char>('a' + random() % 3));
      const std::array<std::string_view, 2> values = {x, y};
      Cell& cell = store.Get(values);
      if (!model.contains({x, y})) cell.id = static_cast<int>(model.size());
      model.try_emplace({x, y}, cell.id);
    }
    std::vector<std::pair<std::string, std::string>> expected;
    for (const auto& [values, cell_id] : model) {
      std::string labels;
      metrics::AppendLabel(labels, true, "x", values.first);
      metrics::AppendLabel(labels, false, "y", values.second);
      expected.emplace_back(labels, std::to_string(cell_id));
    }
    REQUIRE(Order(store) == expected);
  }
}

}  // namespace
}  // namespace lce
