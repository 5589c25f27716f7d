// The 1,000-entry batches the ledger benchmarks append (ledger_bench for
// SQLite and memory, postgres_bench for PostgreSQL): unique keys in random
// order, labels from ledger_labels.h, and the timed loop that appends them.
#pragma once

#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "ledger_labels.h"
#include "llm_cost_exporter/ledger.h"

namespace lce_bench {

inline constexpr std::size_t kLedgerBatch = 1000;
inline constexpr std::int64_t kLedgerTimestamp = 1'775'124'900'000'000'000;

// "evt_<thread>_<16 hex digits>": unique per (thread, n), random order.
inline void FormatLedgerKey(std::string& out, int thread, std::uint64_t n) {
  std::array<char, 48> text{};
  const int size =
      std::snprintf(text.data(), text.size(), "evt_%d_%016llx", thread, static_cast<unsigned long long>(Mix(n)));
  out.assign(text.data(), static_cast<std::size_t>(size));
}

// Reusable batch: keys are rewritten per round, labels are fixed views.
struct LedgerBatch {
  std::vector<std::string> keys = std::vector<std::string>(kLedgerBatch);
  std::vector<lce::LedgerEntry> entries = std::vector<lce::LedgerEntry>(kLedgerBatch);
  std::vector<std::string> campaigns = LedgerCampaigns();

  LedgerBatch() {
    for (std::size_t i = 0; i < kLedgerBatch; ++i) {
      lce::LedgerEntry& entry = entries[i];
      entry.service = kLedgerServices[i % kLedgerServices.size()];
      entry.campaign_id = campaigns[i % campaigns.size()];
      entry.vendor = kLedgerVendors[i % kLedgerModels.size()];
      entry.model = kLedgerModels[i % kLedgerModels.size()];
      entry.timestamp_unix_ns = kLedgerTimestamp + static_cast<std::int64_t>(i) * 1'000'000;
      entry.cost = lce::Money::FromAtto(static_cast<lce::int128>(21'000'000'000'000'000) + static_cast<lce::int128>(i));
      entry.fingerprint = Mix(i + 1);
      entry.retry = i % 20 == 0;
    }
  }

  // Next `kLedgerBatch` unique keys for `thread`.
  void NextKeys(int thread, std::uint64_t& counter) {
    for (std::size_t i = 0; i < kLedgerBatch; ++i) {
      FormatLedgerKey(keys[i], thread, counter++);
      entries[i].idempotency_key = keys[i];
    }
  }
};

// The timed loop: one batch of new keys per iteration. `ledger` is read only
// inside the loop, after the start barrier, so thread 0's setup is visible
// to every thread.
inline void AppendBatches(benchmark::State& state, const std::unique_ptr<lce::Ledger>& ledger) {
  LedgerBatch batch;
  std::uint64_t counter = 0;
  for (auto _ : state) {
    batch.NextKeys(state.thread_index(), counter);
    auto result = ledger->Append(batch.entries, kLedgerTimestamp);
    if (!result.ok()) {
      state.SkipWithError(result.status().message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kLedgerBatch));
}

}  // namespace lce_bench
