#include "llm_cost_exporter/self_metrics.h"

#include "llm_cost_exporter/timestamp.h"

#include <chrono>
#include <mutex>
#include <string>

namespace lce {
namespace {

constexpr const char* kPrefix = "llm_cost_exporter_";

std::string Name(const char* suffix) { return std::string(kPrefix) + suffix; }

}  // namespace

// Renders llm_cost_exporter_price_table_info from the tables last loaded,
// deciding `in_force` against the clock at scrape time.
class SelfMetrics::PriceTableCollector final : public prometheus::Collectable {
 public:
  void Set(std::vector<PriceTableInfo> tables) {
    std::lock_guard lock(mutex_);
    tables_ = std::move(tables);
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    const std::int64_t now = NowUnixNs();
    prometheus::MetricFamily family;
    family.name = Name("price_table_info");
    family.help = "Loaded price table versions (value 1); in_force marks the version that prices records stamped now.";
    family.type = prometheus::MetricType::Gauge;
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < tables_.size(); ++i) {
      prometheus::ClientMetric metric;
      metric.label = {{"effective_from", tables_[i].effective_from},
                      {"file", tables_[i].file},
                      {"in_force", InForce(i, now) ? "true" : "false"},
                      {"provider", tables_[i].provider}};
      metric.gauge.value = 1;
      family.metric.push_back(std::move(metric));
    }
    return {std::move(family)};
  }

 private:
  // tables_ is sorted by provider then effective_from: a version is in force
  // once it has started and until the provider's next version starts.
  bool InForce(std::size_t i, std::int64_t now) const {
    const bool started = tables_[i].effective_from_unix_ns <= now;
    const bool superseded = i + 1 < tables_.size() && tables_[i + 1].provider == tables_[i].provider &&
                            tables_[i + 1].effective_from_unix_ns <= now;
    return started && !superseded;
  }

  mutable std::mutex mutex_;
  std::vector<PriceTableInfo> tables_;
};

SelfMetrics::~SelfMetrics() = default;

SelfMetrics::SelfMetrics(const BuildInfo& build) : registry_(std::make_shared<prometheus::Registry>()) {
  using prometheus::BuildCounter;
  using prometheus::BuildGauge;
  using prometheus::BuildHistogram;

  BuildGauge()
      .Name(Name("build_info"))
      .Help("A metric with a constant '1' value labeled by version, revision and compiler.")
      .Register(*registry_)
      .Add({{"version", build.version}, {"revision", build.revision}, {"compiler", build.compiler}})
      .Set(1);

  accepted_ = &BuildCounter()
                   .Name(Name("records_accepted_total"))
                   .Help("Usage records accepted and counted (each idempotency key once).")
                   .Register(*registry_)
                   .Add({});
  duplicate_ = &BuildCounter()
                    .Name(Name("records_duplicate_total"))
                    .Help("Usage records skipped because their idempotency key was already counted.")
                    .Register(*registry_)
                    .Add({});
  auto& rejected = BuildCounter()
                       .Name(Name("records_rejected_total"))
                       .Help("Usage records rejected (validation, idempotency conflicts, the ledger's range), by reason.")
                       .Register(*registry_);
  for (std::size_t i = 0; i < kRejectReasonCount; ++i) {
    rejected_[i] = &rejected.Add({{"reason", std::string(RejectReasonName(static_cast<RejectReason>(i)))}});
  }
  ingest_duration_ = &BuildHistogram()
                          .Name(Name("ingest_duration_seconds"))
                          .Help("Time to parse, validate, price and count one ingest request body.")
                          .Register(*registry_)
                          .Add({}, prometheus::Histogram::BucketBoundaries{0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5});
  http_requests_ = &BuildCounter()
                        .Name(Name("http_requests_total"))
                        .Help("HTTP requests answered, by handler and status code.")
                        .Register(*registry_);
  auth_failures_ = &BuildCounter()
                        .Name(Name("auth_failures_total"))
                        .Help("Requests refused by API key or basic auth checks, by endpoint and reason "
                              "(missing, malformed, unknown_key, forbidden_campaign, basic_auth).")
                        .Register(*registry_);
  limited_ = &BuildCounter()
                  .Name(Name("http_requests_limited_total"))
                  .Help("Requests refused by a limit, by handler and limit (body_size, records_per_batch, "
                        "rate); each was answered 413 or 429 and counted nothing.")
                  .Register(*registry_);
  reload_successful_ = &BuildGauge()
                            .Name(Name("config_last_reload_successful"))
                            .Help("Whether the last configuration and pricing reload succeeded.")
                            .Register(*registry_)
                            .Add({});
  reload_success_time_ = &BuildGauge()
                              .Name(Name("config_last_reload_success_timestamp_seconds"))
                              .Help("Timestamp of the last successful configuration and pricing reload.")
                              .Register(*registry_)
                              .Add({});
  price_tables_ = std::make_unique<PriceTableCollector>();
}

void SelfMetrics::CountHttpRequest(std::string_view handler, int code) {
  http_requests_->Add({{"handler", std::string(handler)}, {"code", std::to_string(code)}}).Increment();
}

void SelfMetrics::CountAuthFailure(std::string_view endpoint, std::string_view reason) {
  auth_failures_->Add({{"endpoint", std::string(endpoint)}, {"reason", std::string(reason)}}).Increment();
}

void SelfMetrics::CountLimited(std::string_view handler, std::string_view limit) {
  limited_->Add({{"handler", std::string(handler)}, {"limit", std::string(limit)}}).Increment();
}

void SelfMetrics::SetReloadResult(bool success, double unix_seconds) {
  reload_successful_->Set(success ? 1 : 0);
  if (success) reload_success_time_->Set(unix_seconds);
}

void SelfMetrics::SetPriceTables(std::vector<PriceTableInfo> tables) { price_tables_->Set(std::move(tables)); }

std::vector<const prometheus::Collectable*> SelfMetrics::collectables() const {
  return {registry_.get(), price_tables_.get()};
}

}  // namespace lce
