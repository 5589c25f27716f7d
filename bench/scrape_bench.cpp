// GET /metrics rendering (src/metrics: MetricRegistry::Render) with 10k, 100k
// and 1M series, beside two baselines on the same exposition in the same run:
// a memcpy of the rendered bytes (the floor), and prometheus-cpp's own
// TextSerializer of the same families, built in advance (what a scrape costs
// with prometheus-cpp's model when collecting is free). Each render also
// reports its heap allocations per series. Commands and figures:
// docs/benchmarks.md "Scrape".
//
// The families are those of a large deployment: llm_cost_usd_total and
// llm_tokens_total{type} over campaigns x 4 models, one series per label set
// (BM_Render_*). BM_Render_UsageFamilies renders the exporter's own usage
// families (UsageMetrics) after one LLM call per campaign and model: the
// issue's "4,500 campaigns x 4 models" case, every family a record reaches.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include "../tests/unit/allocation_tracking.h"  // counts this binary's allocations
#include "llm_cost_exporter/metric_registry.h"
#include "llm_cost_exporter/metrics.h"

namespace {

constexpr lce::MetricDesc kCost{"llm_cost_usd_total",
                                "USD spent on LLM calls",
                                lce::MetricType::kCounter,
                                {"service", "campaign_id", "vendor", "model"}};
constexpr lce::MetricDesc kTokens{"llm_tokens_total",
                                  "Tokens of LLM calls by kind",
                                  lce::MetricType::kCounter,
                                  {"service", "campaign_id", "vendor", "model", "type"}};

constexpr std::string_view kModels[] = {"gpt-5.4", "gpt-4o-mini", "claude-sonnet-4-5", "gemini-2.5-flash"};
constexpr std::string_view kVendors[] = {"openai", "openai", "anthropic", "google"};

// `series` series in all (rounded down to a multiple of 3): per label set of
// (campaign, model) one cost and two token series (input, output); four
// models per campaign.
class LargeDeployment : public lce::Collector {
 public:
  explicit LargeDeployment(std::size_t series) : label_sets_(series / 3) {
    campaigns_.reserve(label_sets_ / 4 + 1);
    for (std::size_t i = 0; i <= label_sets_ / 4; ++i) campaigns_.push_back("cmp_" + std::to_string(100000 + i));
  }

  void Collect(lce::MetricSink& sink) const override {
    sink.Family(kCost);
    for (std::size_t i = 0; i < label_sets_; ++i) {
      sink.Sample({"outreach", campaigns_[i / 4], kVendors[i % 4], kModels[i % 4]}, 0.000123 * double(i + 1) + 17);
    }
    sink.Family(kTokens);
    for (std::size_t i = 0; i < label_sets_; ++i) {
      const double input = double(1000 * (i + 1));
      sink.Sample({"outreach", campaigns_[i / 4], kVendors[i % 4], kModels[i % 4], "input"}, input);
      sink.Sample({"outreach", campaigns_[i / 4], kVendors[i % 4], kModels[i % 4], "output"}, input / 8);
    }
  }

  std::size_t series() const { return label_sets_ * 3; }

 private:
  std::size_t label_sets_;
  std::vector<std::string> campaigns_;
};

// The same samples in prometheus-cpp's model, as its serializer takes them.
std::vector<prometheus::MetricFamily> AsPrometheusFamilies(std::size_t series) {
  std::vector<prometheus::MetricFamily> families(2);
  families[0].name = std::string(kCost.name);
  families[0].help = std::string(kCost.help);
  families[0].type = prometheus::MetricType::Counter;
  families[1].name = std::string(kTokens.name);
  families[1].help = std::string(kTokens.help);
  families[1].type = prometheus::MetricType::Counter;
  const std::size_t sets = series / 3;
  for (std::size_t i = 0; i < sets; ++i) {
    const std::string campaign = "cmp_" + std::to_string(100000 + i / 4);
    const auto labels = [&](std::vector<prometheus::ClientMetric::Label> extra) {
      std::vector<prometheus::ClientMetric::Label> out = {{"service", "outreach"},
                                                          {"campaign_id", campaign},
                                                          {"vendor", std::string(kVendors[i % 4])},
                                                          {"model", std::string(kModels[i % 4])}};
      out.insert(out.end(), extra.begin(), extra.end());
      return out;
    };
    prometheus::ClientMetric cost;
    cost.label = labels({});
    cost.counter.value = 0.000123 * double(i + 1) + 17;
    families[0].metric.push_back(std::move(cost));
    for (const char* type : {"input", "output"}) {
      prometheus::ClientMetric tokens;
      tokens.label = labels({{"type", type}});
      tokens.counter.value = std::strcmp(type, "input") == 0 ? double(1000 * (i + 1)) : double(1000 * (i + 1)) / 8;
      families[1].metric.push_back(std::move(tokens));
    }
  }
  return families;
}

void Report(benchmark::State& state, std::size_t series, std::size_t bytes, std::size_t allocations) {
  const auto iterations = static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(iterations * static_cast<double>(series)));
  state.SetBytesProcessed(static_cast<std::int64_t>(iterations * static_cast<double>(bytes)));
  state.counters["series"] = static_cast<double>(series);
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["allocs_per_series"] = static_cast<double>(allocations) / (iterations * static_cast<double>(series));
}

void RenderBench(benchmark::State& state, lce::ExpositionFormat format) {
  const LargeDeployment deployment(static_cast<std::size_t>(state.range(0)));
  lce::MetricRegistry registry;
  registry.Register(deployment);
  std::size_t bytes = 0;
  const std::size_t before = lce::test::g_allocations;
  for (auto _ : state) {
    std::string text = registry.Render(format);
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  Report(state, deployment.series(), bytes, lce::test::g_allocations - before);
}

void BM_Render_Text004(benchmark::State& state) { RenderBench(state, lce::ExpositionFormat::kText004); }
void BM_Render_OpenMetrics(benchmark::State& state) { RenderBench(state, lce::ExpositionFormat::kOpenMetrics); }

// Floor: copying the rendered 0.0.4 exposition once.
void BM_Baseline_Memcpy(benchmark::State& state) {
  const LargeDeployment deployment(static_cast<std::size_t>(state.range(0)));
  lce::MetricRegistry registry;
  registry.Register(deployment);
  const std::string text = registry.Render(lce::ExpositionFormat::kText004);
  std::string copy(text.size(), '\0');
  const std::size_t before = lce::test::g_allocations;
  for (auto _ : state) {
    std::memcpy(copy.data(), text.data(), text.size());
    benchmark::DoNotOptimize(copy.data());
    benchmark::ClobberMemory();
  }
  Report(state, deployment.series(), text.size(), lce::test::g_allocations - before);
}

// prometheus-cpp's serializer of the same families, collected in advance.
void BM_Baseline_PrometheusCppSerializer(benchmark::State& state) {
  const std::size_t series = static_cast<std::size_t>(state.range(0));
  const std::vector<prometheus::MetricFamily> families = AsPrometheusFamilies(series);
  const prometheus::TextSerializer serializer;
  std::size_t bytes = 0;
  const std::size_t before = lce::test::g_allocations;
  for (auto _ : state) {
    std::ostringstream out;
    serializer.Serialize(out, families);
    bytes = out.str().size();
    benchmark::DoNotOptimize(bytes);
  }
  Report(state, series / 3 * 3, bytes, lce::test::g_allocations - before);
}

// The exporter's usage families after one priced LLM call (input, output,
// latency, 200, a trace id: exemplars in OpenMetrics) per campaign and model.
void UsageFamiliesBench(benchmark::State& state, lce::ExpositionFormat format) {
  const auto campaigns = static_cast<std::size_t>(state.range(0));
  lce::MetricsOptions options;
  options.cardinality.default_limit = 10 * campaigns + 1000;  // nothing folds
  lce::MetricRegistry registry(options.cardinality);
  lce::Result<std::unique_ptr<lce::UsageMetrics>> created = lce::UsageMetrics::Create(options, registry);
  if (!created.ok()) {
    state.SkipWithError(created.status().message().c_str());
    return;
  }
  const std::unique_ptr<lce::UsageMetrics> usage = std::move(created).value();
  registry.Register(*usage);
  std::vector<std::string> names;
  names.reserve(campaigns);
  for (std::size_t c = 0; c < campaigns; ++c) names.push_back("cmp_" + std::to_string(100000 + c));
  for (std::size_t c = 0; c < campaigns; ++c) {
    for (std::size_t m = 0; m < 4; ++m) {
      lce::UsageRecord record;
      record.event = "llm.call";
      record.service = "outreach";
      record.operation = "llm.write_email";
      record.campaign_id = names[c];
      record.vendor = kVendors[m];
      record.model = kModels[m];
      record.has_token_usage = true;
      record.tokens[lce::TokenType::kInput] = 1200 + c;
      record.tokens[lce::TokenType::kOutput] = 300;
      record.has_latency = true;
      record.latency_us = 850'000;
      record.vendor_status = 200;
      record.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
      record.span_id = "00f067aa0ba902b7";
      lce::PriceResult price;
      price.outcome = price.token_outcome = lce::PriceOutcome::kPriced;
      price.token_cost = price.total = lce::Money::FromAtto(1'234'567'000'000'000 + static_cast<std::int64_t>(c));
      price.vendor = record.vendor;
      price.model = record.model;
      usage->Observe(record, price);
    }
  }
  // The first scrape after new series orders them (a sort of what is new,
  // merged into the kept order); it is timed apart, the loop times scrapes
  // of known series, as Prometheus makes them.
  const auto first_start = std::chrono::steady_clock::now();
  benchmark::DoNotOptimize(registry.Render(format).size());
  state.counters["first_render_ms"] =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - first_start).count();
  std::size_t bytes = 0;
  std::size_t series = 0;
  const std::size_t before = lce::test::g_allocations;
  for (auto _ : state) {
    std::string text = registry.Render(format);
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
    if (series == 0) {
      bool line_start = true;
      for (const char c : text) {
        if (line_start && c != '#') ++series;  // a sample line (HELP, TYPE, UNIT and EOF lines are not)
        line_start = c == '\n';
      }
    }
  }
  Report(state, series, bytes, lce::test::g_allocations - before);
}

void BM_Render_UsageFamilies(benchmark::State& state) { UsageFamiliesBench(state, lce::ExpositionFormat::kText004); }
void BM_Render_UsageFamilies_OpenMetrics(benchmark::State& state) {
  UsageFamiliesBench(state, lce::ExpositionFormat::kOpenMetrics);
}

void Sizes(benchmark::internal::Benchmark* b) {
  b->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_Baseline_Memcpy)->Apply(Sizes);
BENCHMARK(BM_Baseline_PrometheusCppSerializer)->Apply(Sizes);
BENCHMARK(BM_Render_Text004)->Apply(Sizes);
BENCHMARK(BM_Render_OpenMetrics)->Apply(Sizes);
// 625, 6,250 and 62,500 campaigns: 10k, 100k and 1M series (16 per campaign).
BENCHMARK(BM_Render_UsageFamilies)->Arg(625)->Arg(6250)->Arg(62500)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Render_UsageFamilies_OpenMetrics)->Arg(625)->Arg(6250)->Arg(62500)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
