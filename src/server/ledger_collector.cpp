// llm_cost_exporter_ledger_*: the ledger's health, read from Ledger::Stats at
// scrape time.
#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>

#include "exporter_impl.h"

namespace lce {

prometheus::MetricFamily OneSampleFamily(std::string name, std::string help, prometheus::MetricType type,
                                         double value) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

namespace {

prometheus::MetricFamily Family(const char* name, const char* help, prometheus::MetricType type, double value) {
  return OneSampleFamily(std::string("llm_cost_exporter_ledger_") + name, help, type, value);
}

class LedgerCollector final : public prometheus::Collectable {
 public:
  explicit LedgerCollector(const Ledger& ledger) : ledger_(ledger) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    using prometheus::MetricType;
    const LedgerStats stats = ledger_.Stats();
    return {
        Family("commits_total", "Ledger transactions committed (one per group of concurrent requests).",
               MetricType::Counter, static_cast<double>(stats.commits)),
        Family("commit_errors_total",
               "Ledger transactions that failed in the store (I/O, disk full); a request whose own transaction "
               "failed was answered 503 and counted nothing.",
               MetricType::Counter, static_cast<double>(stats.commit_errors)),
        Family("isolated_appends_total",
               "Requests committed in a transaction of their own after the group transaction they shared failed.",
               MetricType::Counter, static_cast<double>(stats.isolated_appends)),
        Family("pending_appends", "Requests now waiting for, or inside, a ledger commit.",
               MetricType::Gauge, static_cast<double>(stats.pending_appends)),
        Family("committed_records_total", "Records committed to the ledger (new and duplicate candidates).",
               MetricType::Counter, static_cast<double>(stats.committed_entries)),
        Family("commit_seconds_total", "Time spent committing; divide its rate by the commits rate for the mean commit latency.",
               MetricType::Counter, stats.commit_seconds_sum),
        Family("size_bytes", "Bytes the ledger occupies on disk (database and write-ahead log; 0 in memory).",
               MetricType::Gauge, static_cast<double>(stats.size_bytes)),
        Family("idempotency_keys", "Idempotency keys remembered within the retention window.",
               MetricType::Gauge, static_cast<double>(stats.idempotency_keys)),
    };
  }

 private:
  const Ledger& ledger_;
};

}  // namespace

std::unique_ptr<prometheus::Collectable> NewLedgerCollector(const Ledger& ledger) {
  return std::make_unique<LedgerCollector>(ledger);
}

}  // namespace lce
