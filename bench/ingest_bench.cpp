// In-process throughput of the ingest path, beside raw-parse baselines of the
// same input measured in the same run:
//   BM_RawParse_Nlohmann  - nlohmann::json::parse of every line (baseline)
//   BM_RawParse_Simdjson  - simdjson On-Demand walk of every field (baseline)
//   BM_ParseValidate      - lce::ParseBatchInPlace (parse + validate into records)
//   BM_FullPipeline       - parse -> validate -> price -> dedupe (memory ledger) -> metrics
//   BM_FullPipelineLongIds - the same with event ids of ULID length (31-35 characters)
// Each reports items_per_second = records per second on one core.
#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "llm_cost_exporter/allocator.h"
#include "llm_cost_exporter/pipeline.h"
#include "workload.h"

namespace {

constexpr std::size_t kRecords = 10000;
constexpr std::int64_t kReceiveTime = 1'780'000'000'000'000'000;

// Padded as the server reads a request body (PadBody), so the pipeline
// parses it where it lies (ParseBatchInPlace), as POST /v1/usage does.
std::string PaddedNdjson(const std::string& id_prefix) {
  std::string text = lce::bench::MakeNdjson(kRecords, id_prefix);
  lce::PadBody(text);
  return text;
}

const std::string& Body() {
  static const std::string body = PaddedNdjson("evt_bench_");
  return body;
}

// The same records with event ids as long as a ULID-based id ("evt_" and
// 26 characters, then the record number): past std::string's inline 15.
const std::string& LongIdBody() {
  static const std::string body = PaddedNdjson("evt_01J9ZQ4XKJ3M7A9C2V5B8N6T0P_");
  return body;
}

template <typename Fn>
void ForEachLine(const std::string& body, Fn&& fn) {
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string::npos) end = body.size();
    fn(std::string_view(body).substr(start, end - start));
    start = end + 1;
  }
}

void BM_RawParse_Nlohmann(benchmark::State& state) {
  for (auto _ : state) {
    ForEachLine(Body(), [](std::string_view line) { benchmark::DoNotOptimize(nlohmann::json::parse(line)); });
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kRecords));
}
BENCHMARK(BM_RawParse_Nlohmann)->Unit(benchmark::kMillisecond);

// Walks every field of every record, the minimum any simdjson-based parser does.
void WalkValue(simdjson::ondemand::value value) {
  switch (value.type()) {
    case simdjson::ondemand::json_type::object:
      for (auto field : value.get_object()) WalkValue(field.value());
      break;
    case simdjson::ondemand::json_type::string: benchmark::DoNotOptimize(value.get_raw_json_string()); break;
    case simdjson::ondemand::json_type::number: benchmark::DoNotOptimize(value.get_double()); break;
    default: break;
  }
}

void BM_RawParse_Simdjson(benchmark::State& state) {
  const simdjson::padded_string padded(Body());
  simdjson::ondemand::parser parser;
  for (auto _ : state) {
    ForEachLine(Body(), [&](std::string_view line) {
      const std::size_t offset = static_cast<std::size_t>(line.data() - Body().data());
      // padded_string allocates SIMDJSON_PADDING bytes past its end.
      auto doc =
          parser.iterate(padded.data() + offset, line.size(), padded.size() + simdjson::SIMDJSON_PADDING - offset);
      for (auto field : doc.get_object()) WalkValue(field.value());
    });
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kRecords));
}
BENCHMARK(BM_RawParse_Simdjson)->Unit(benchmark::kMillisecond);

void BM_ParseValidate(benchmark::State& state) {
  for (auto _ : state) {
    auto batch = lce::ParseBatchInPlace(Body(), Body(), lce::BodyFormat::kNdjson, lce::IngestOptions{}, kReceiveTime);
    if (!batch.ok() || batch->records.size() != kRecords) state.SkipWithError("unexpected parse result");
    benchmark::DoNotOptimize(batch);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kRecords));
}
BENCHMARK(BM_ParseValidate)->Unit(benchmark::kMillisecond);

void FullPipeline(benchmark::State& state, const std::string& body) {
  lce::ConfigureAllocatorForBatches();  // as the exporter's main does
  auto prices = lce::PriceBook::LoadDirectory(LCE_SOURCE_DIR "/pricing");
  if (!prices.ok()) {
    state.SkipWithError(prices.status().message().c_str());
    return;
  }
  lce::SelfMetrics self(lce::BuildInfo{"bench", "bench", "bench"});
  lce::MetricRegistry registry;
  const std::unique_ptr<lce::UsageMetrics> usage_metrics = lce::UsageMetrics::WithDefaults(registry);
  lce::UsageMetrics& usage = *usage_metrics;
  lce::Budgets budgets{lce::BudgetsConfig{}};
  for (auto _ : state) {
    state.PauseTiming();  // a fresh (in-memory) ledger, so every record is new each round
    auto ledger = lce::NewMemoryLedger(std::chrono::hours(24));
    lce::IngestPipeline pipeline(usage, *ledger, budgets, self);
    state.ResumeTiming();
    auto batch = lce::ParseBatchInPlace(body, body, lce::BodyFormat::kNdjson, lce::IngestOptions{}, kReceiveTime);
    const auto summary = pipeline.Ingest(std::move(batch).value(), **prices, kReceiveTime);
    if (!summary.ok() || summary->accepted != kRecords || summary->unpriced != 0) {
      state.SkipWithError("records not all accepted and priced");
    }
    state.PauseTiming();
    ledger.reset();  // freeing 10k keys is not ingest work
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kRecords));
}

void BM_FullPipeline(benchmark::State& state) { FullPipeline(state, Body()); }
BENCHMARK(BM_FullPipeline)->Unit(benchmark::kMillisecond);

// BM_FullPipeline with ids of 31 to 35 characters, as real clients send.
void BM_FullPipelineLongIds(benchmark::State& state) { FullPipeline(state, LongIdBody()); }
BENCHMARK(BM_FullPipelineLongIds)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
