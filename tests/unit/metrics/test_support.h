// Helpers for the metrics tests: building records and prices, reading samples
// back from what UsageMetrics writes into a scrape (parsed into prometheus-cpp
// families: these are white-box tests of the module, see scrape.h).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "llm_cost_exporter/metric_registry.h"
#include "llm_cost_exporter/metrics.h"
#include "exposition_parser.h"
#include "scrape.h"

namespace lce::test {

using Labels = std::map<std::string, std::string>;

// What `collector` writes into an OpenMetrics scrape, read back into the model.
inline std::vector<prometheus::MetricFamily> CollectFamilies(const Collector& collector,
                                                             ExemplarIndex* exemplars = nullptr) {
  metrics::Scrape scrape(/*openmetrics_format=*/true);
  MetricSink sink(scrape);
  collector.Collect(sink);
  scrape.Finish();
  return ParseOpenMetrics(scrape.out, exemplars);
}

// UsageMetrics over a registry of its own, with the methods the tests use.
class Usage {
 public:
  explicit Usage(const MetricsOptions& options = {}) : usage_(Build(options, registry_)) {}

  void Observe(const UsageRecord& record, const PriceResult& price) { usage_->Observe(record, price); }
  Status Reconfigure(const MetricsOptions& options) { return usage_->Reconfigure(options); }
  // The families as a scrape writes them (OpenMetrics, read back: empty ones
  // dropped, samples sorted), with their exemplars when asked.
  std::vector<prometheus::MetricFamily> Collect() const { return CollectFamilies(*usage_); }
  std::vector<prometheus::MetricFamily> Collect(ExemplarIndex& exemplars) const {
    return CollectFamilies(*usage_, &exemplars);
  }
  MetricRegistry& registry() { return registry_; }
  UsageMetrics& usage() { return *usage_; }

 private:
  static std::unique_ptr<UsageMetrics> Build(const MetricsOptions& options, MetricRegistry& registry) {
    Result<std::unique_ptr<UsageMetrics>> usage = UsageMetrics::Create(options, registry);
    if (!usage.ok()) throw std::invalid_argument(usage.status().message());
    return std::move(usage).value();
  }

  MetricRegistry registry_;
  std::unique_ptr<UsageMetrics> usage_;
};

inline UsageRecord LlmCall(std::string_view campaign = "cmp_a", std::string_view model = "gpt-4o") {
  UsageRecord r;
  r.event = "llm.call";
  r.service = "email_orchestrator";
  r.operation = "llm.generate_subject_line";
  r.campaign_id = campaign;
  r.vendor = "openai";
  r.model = model;
  r.has_token_usage = true;
  r.tokens[TokenType::kInput] = 512;
  r.tokens[TokenType::kOutput] = 128;
  r.vendor_status = 200;
  return r;
}

inline UsageRecord BusinessEvent(std::string_view event, std::string_view campaign = "cmp_a",
                                 std::string_view audience = "aud_1") {
  UsageRecord r;
  r.event = event;
  r.campaign_id = campaign;
  r.audience_id = audience;
  return r;
}

inline PriceResult TokensPriced(Money cost) {
  PriceResult p;
  p.token_outcome = PriceOutcome::kPriced;
  p.token_cost = cost;
  p.outcome = PriceOutcome::kPriced;
  p.total = cost;
  return p;
}

inline PriceResult Unpriced(PriceOutcome why) {
  PriceResult p;
  p.token_outcome = why;
  p.outcome = why;
  return p;
}

inline Money Dollars(std::int64_t whole, std::int64_t atto_fraction = 0) {
  return Money::FromAtto(static_cast<int128>(whole) * Money::kOneDollar + atto_fraction);
}

inline const prometheus::MetricFamily* FindFamily(const std::vector<prometheus::MetricFamily>& families,
                                                  std::string_view name) {
  for (const auto& family : families) {
    if (family.name == name) return &family;
  }
  return nullptr;
}

inline Labels LabelsOf(const prometheus::ClientMetric& sample) {
  Labels labels;
  for (const auto& label : sample.label) labels[label.name] = label.value;
  return labels;
}

// The sample of `family` whose label set is exactly `labels`, if any.
inline const prometheus::ClientMetric* FindSample(const std::vector<prometheus::MetricFamily>& families,
                                                  std::string_view family, const Labels& labels) {
  const prometheus::MetricFamily* f = FindFamily(families, family);
  if (f == nullptr) return nullptr;
  for (const auto& sample : f->metric) {
    if (LabelsOf(sample) == labels) return &sample;
  }
  return nullptr;
}

// The counter value of that sample, or nullopt when there is none.
inline std::optional<double> CounterValue(const std::vector<prometheus::MetricFamily>& families,
                                          std::string_view family, const Labels& labels) {
  const prometheus::ClientMetric* sample = FindSample(families, family, labels);
  if (sample == nullptr) return std::nullopt;
  return sample->counter.value;
}

inline std::size_t SampleCount(const std::vector<prometheus::MetricFamily>& families, std::string_view family) {
  const prometheus::MetricFamily* f = FindFamily(families, family);
  return f == nullptr ? 0 : f->metric.size();
}

inline Labels SpendLabels(std::string campaign = "cmp_a", std::string model = "gpt-4o") {
  return {{"service", "email_orchestrator"},
          {"campaign_id", std::move(campaign)},
          {"vendor", "openai"},
          {"model", std::move(model)}};
}

inline Labels With(Labels labels, const std::string& name, const std::string& value) {
  labels[name] = value;
  return labels;
}

}  // namespace lce::test
