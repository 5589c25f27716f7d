// Budget decisions per second (lce::Budgets), beside a baseline measured in
// the same run:
//   BM_Baseline_LockedLookup  - baseline: hash-map lookup of the campaign id
//                               plus one std::mutex lock/unlock (that
//                               campaign's), the least a locked decision costs
//   BM_Check                  - Budgets::Check
//   BM_ReserveRelease         - Budgets::Reserve then Budgets::Release (one
//                               item = the pair, i.e. two decisions)
//   BM_ReserveLatency_4Threads- four std::threads each doing Reserve+Release
//                               pairs; every Reserve timed with steady_clock;
//                               reports p50/p99/p999 in microseconds
// Each of the first three runs on 1 and 4 benchmark threads. 40 campaigns,
// one monthly rule "cmp_*" in America/New_York with a limit never reached,
// so every answer is allow and every Reserve holds.
// items_per_second is decisions (pairs for ReserveRelease) per wall second.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "llm_cost_exporter/budgets.h"

namespace {

constexpr int kCampaigns = 40;
constexpr std::int64_t kNow = 1'763'640'000'000'000'000;  // 2025-11-20T12:00:00Z

std::vector<std::string> CampaignIds() {
  std::vector<std::string> ids;
  for (int i = 0; i < kCampaigns; ++i) ids.push_back("cmp_2026_campaign_" + std::to_string(i));
  return ids;
}

lce::BudgetsConfig BenchConfig() {
  lce::BudgetRule rule;
  rule.campaign_pattern = "cmp_*";
  rule.limit = lce::Money::FromAtto(lce::Money::kOneDollar * 1'000'000'000);
  rule.period = lce::BudgetPeriod::kMonthly;
  rule.time_zone = "America/New_York";
  lce::BudgetsConfig config;
  config.rules.push_back(rule);
  return config;
}

const lce::Money kEstimate = lce::Money::FromAtto(lce::Money::kOneDollar / 100);

// Shared by the threads of one benchmark run; built by thread 0 before the
// first iteration (Google Benchmark starts all threads' loops together).
std::unique_ptr<lce::Budgets> g_budgets;
const std::vector<std::string> g_ids = CampaignIds();

void SetUpBudgets(const benchmark::State& state) {
  if (state.thread_index() != 0) return;
  g_budgets = std::make_unique<lce::Budgets>(BenchConfig());
  for (const std::string& id : g_ids) g_budgets->Record(id, kNow - 3'600'000'000'000, kEstimate, false, "");
}

struct LockedCampaign {
  std::mutex mutex;
  std::int64_t decisions = 0;
};

void BM_Baseline_LockedLookup(benchmark::State& state) {
  static std::unordered_map<std::string, LockedCampaign> campaigns = [] {
    std::unordered_map<std::string, LockedCampaign> map;
    for (const std::string& id : g_ids) map.try_emplace(id);
    return map;
  }();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7;
  for (auto _ : state) {
    LockedCampaign& campaign = campaigns.find(g_ids[i++ % g_ids.size()])->second;
    std::lock_guard lock(campaign.mutex);
    benchmark::DoNotOptimize(++campaign.decisions);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Check(benchmark::State& state) {
  SetUpBudgets(state);
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7;
  for (auto _ : state) {
    benchmark::DoNotOptimize(g_budgets->Check(g_ids[i++ % g_ids.size()], kEstimate, kNow));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ReserveRelease(benchmark::State& state) {
  SetUpBudgets(state);
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7;
  for (auto _ : state) {
    const lce::BudgetAnswer held = g_budgets->Reserve(g_ids[i++ % g_ids.size()], kEstimate, kNow);
    benchmark::DoNotOptimize(g_budgets->Release(held.reservation_id, kNow));
  }
  state.SetItemsProcessed(state.iterations());
}

double PercentileUs(std::vector<std::int64_t>& sorted_ns, double quantile) {
  const auto index = static_cast<std::size_t>(quantile * static_cast<double>(sorted_ns.size() - 1));
  return static_cast<double>(sorted_ns[index]) / 1000.0;
}

// Per-call latency of Reserve with 4 threads at once (each also releases its
// hold, so holds stay few, as with real agents settling quickly).
void BM_ReserveLatency_4Threads(benchmark::State& state) {
  constexpr int kThreads = 4;
  constexpr int kCallsPerThread = 250'000;
  for (auto _ : state) {
    lce::Budgets budgets(BenchConfig());
    std::vector<std::vector<std::int64_t>> latencies(kThreads);
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&budgets, &mine = latencies[static_cast<std::size_t>(t)], t] {
        mine.reserve(kCallsPerThread);
        for (int n = 0; n < kCallsPerThread; ++n) {
          const std::string& id = g_ids[static_cast<std::size_t>(n * 7 + t) % g_ids.size()];
          const auto before = std::chrono::steady_clock::now();
          const lce::BudgetAnswer held = budgets.Reserve(id, kEstimate, kNow);
          const auto after = std::chrono::steady_clock::now();
          mine.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(after - before).count());
          budgets.Release(held.reservation_id, kNow);
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<std::int64_t> all;
    for (const auto& mine : latencies) all.insert(all.end(), mine.begin(), mine.end());
    std::sort(all.begin(), all.end());
    state.counters["p50_us"] = PercentileUs(all, 0.50);
    state.counters["p99_us"] = PercentileUs(all, 0.99);
    state.counters["p999_us"] = PercentileUs(all, 0.999);
    state.counters["max_us"] = static_cast<double>(all.back()) / 1000.0;
    state.counters["reserve_release_pairs_per_s"] = static_cast<double>(all.size()) / seconds;
  }
}

BENCHMARK(BM_Baseline_LockedLookup)->Threads(1)->Threads(4)->UseRealTime();
BENCHMARK(BM_Check)->Threads(1)->Threads(4)->UseRealTime();
BENCHMARK(BM_ReserveRelease)->Threads(1)->Threads(4)->UseRealTime();
BENCHMARK(BM_ReserveLatency_4Threads)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
