// llm_cost_exporter_ledger_*: the ledger's health, read from Ledger::Stats at
// scrape time.
#include "collectors.h"

namespace lce {
namespace {

constexpr MetricDesc kCommits{"llm_cost_exporter_ledger_commits_total",
                              "Ledger transactions committed (one per group of concurrent requests).",
                              MetricType::kCounter};
constexpr MetricDesc kCommitErrors{
    "llm_cost_exporter_ledger_commit_errors_total",
    "Ledger transactions that failed in the store (I/O, disk full); a request whose own transaction "
    "failed was answered 503 and counted nothing.",
    MetricType::kCounter};
constexpr MetricDesc kIsolatedAppends{
    "llm_cost_exporter_ledger_isolated_appends_total",
    "Requests committed in a transaction of their own after the group transaction they shared failed.",
    MetricType::kCounter};
constexpr MetricDesc kPendingAppends{"llm_cost_exporter_ledger_pending_appends",
                                     "Requests now waiting for, or inside, a ledger commit.", MetricType::kGauge};
constexpr MetricDesc kCommittedRecords{"llm_cost_exporter_ledger_committed_records_total",
                                       "Records committed to the ledger (new and duplicate candidates).",
                                       MetricType::kCounter};
constexpr MetricDesc kCommitSeconds{
    "llm_cost_exporter_ledger_commit_seconds_total",
    "Time spent committing; divide its rate by the commits rate for the mean commit latency.", MetricType::kCounter};
constexpr MetricDesc kSizeBytes{"llm_cost_exporter_ledger_size_bytes",
                                "Bytes the ledger occupies on disk (database and write-ahead log; 0 in memory).",
                                MetricType::kGauge};
constexpr MetricDesc kIdempotencyKeys{"llm_cost_exporter_ledger_idempotency_keys",
                                      "Idempotency keys remembered within the retention window.", MetricType::kGauge};

constexpr MetricDesc kKeySnapshots{
    "llm_cost_exporter_ledger_key_snapshots_total",
    "Key index snapshots written in the background while running; each bounds what a crash's restart replays.",
    MetricType::kCounter};
constexpr MetricDesc kKeySnapshotErrors{
    "llm_cost_exporter_ledger_key_snapshot_errors_total",
    "Background key index snapshots that failed (the previous one stays valid; a restart replays more).",
    MetricType::kCounter};
constexpr MetricDesc kKeySnapshotCopySeconds{
    "llm_cost_exporter_ledger_key_snapshot_copy_seconds",
    "How long the ledger writer paused to copy the key index for the last background snapshot.", MetricType::kGauge};

class LedgerCollector final : public Collector {
 public:
  explicit LedgerCollector(const Ledger& ledger) : ledger_(ledger) {}

  void Collect(MetricSink& sink) const override {
    const LedgerStats stats = ledger_.Stats();
    sink.Unlabelled(kCommits, static_cast<double>(stats.commits));
    sink.Unlabelled(kCommitErrors, static_cast<double>(stats.commit_errors));
    sink.Unlabelled(kIsolatedAppends, static_cast<double>(stats.isolated_appends));
    sink.Unlabelled(kPendingAppends, static_cast<double>(stats.pending_appends));
    sink.Unlabelled(kCommittedRecords, static_cast<double>(stats.committed_entries));
    sink.Unlabelled(kCommitSeconds, stats.commit_seconds_sum);
    sink.Unlabelled(kSizeBytes, static_cast<double>(stats.size_bytes));
    sink.Unlabelled(kIdempotencyKeys, static_cast<double>(stats.idempotency_keys));
    sink.Unlabelled(kKeySnapshots, static_cast<double>(stats.key_snapshots));
    sink.Unlabelled(kKeySnapshotErrors, static_cast<double>(stats.key_snapshot_errors));
    sink.Unlabelled(kKeySnapshotCopySeconds, stats.key_snapshot_copy_seconds);
  }

 private:
  const Ledger& ledger_;
};

}  // namespace

std::unique_ptr<Collector> NewLedgerCollector(const Ledger& ledger) {
  return std::make_unique<LedgerCollector>(ledger);
}

}  // namespace lce
