#include "llm_cost_exporter/self_metrics.h"

#include <cmath>
#include <string>

#include "llm_cost_exporter/timestamp.h"

namespace lce {
namespace {

constexpr MetricDesc kBuildInfo{"llm_cost_exporter_build_info",
                                "A metric with a constant '1' value labeled by version, revision and compiler.",
                                MetricType::kGauge,
                                {"version", "revision", "compiler"}};
constexpr MetricDesc kAccepted{"llm_cost_exporter_records_accepted_total",
                               "Usage records accepted and counted (each idempotency key once).", MetricType::kCounter};
constexpr MetricDesc kDuplicate{"llm_cost_exporter_records_duplicate_total",
                                "Usage records skipped because their idempotency key was already counted.",
                                MetricType::kCounter};
constexpr MetricDesc kRejected{
    "llm_cost_exporter_records_rejected_total",
    "Usage records rejected (validation, idempotency conflicts, the ledger's range), by reason.",
    MetricType::kCounter,
    {"reason"}};
constexpr MetricDesc kIngestDuration{"llm_cost_exporter_ingest_duration_seconds",
                                     "Time to parse, validate, price and count one ingest request body.",
                                     MetricType::kHistogram};
constexpr MetricDesc kHttpRequests{"llm_cost_exporter_http_requests_total",
                                   "HTTP requests answered, by handler and status code.",
                                   MetricType::kCounter,
                                   {"handler", "code"}};
constexpr MetricDesc kAuthFailures{"llm_cost_exporter_auth_failures_total",
                                   "Requests refused by API key or basic auth checks, by endpoint and reason "
                                   "(missing, malformed, unknown_key, forbidden_campaign, basic_auth).",
                                   MetricType::kCounter,
                                   {"endpoint", "reason"}};
constexpr MetricDesc kLimited{"llm_cost_exporter_http_requests_limited_total",
                              "Requests refused by a limit, by handler and limit (body_size, records_per_batch, "
                              "rate); each was answered 413 or 429 and counted nothing.",
                              MetricType::kCounter,
                              {"handler", "limit"}};
constexpr MetricDesc kReloadSuccessful{"llm_cost_exporter_config_last_reload_successful",
                                       "Whether the last configuration and pricing reload succeeded.",
                                       MetricType::kGauge};
constexpr MetricDesc kReloadSuccessTime{"llm_cost_exporter_config_last_reload_success_timestamp_seconds",
                                        "Timestamp of the last successful configuration and pricing reload.",
                                        MetricType::kGauge};
constexpr MetricDesc kPriceTables{
    "llm_cost_exporter_price_table_info",
    "Loaded price table versions (value 1); in_force marks the version that prices records stamped now, "
    "newest_effective_from is the provider's latest version (possibly a future one).",
    MetricType::kGauge,
    {"effective_from", "file", "in_force", "newest_effective_from", "provider"}};
constexpr MetricDesc kNewestPriceVersion{
    "llm_cost_exporter_price_table_newest_version_timestamp_seconds",
    "Start (Unix time) of each provider's newest loaded price version, future ones included; "
    "time() minus it is how long the table has gone without a price change.",
    MetricType::kGauge,
    {"provider"}};

// The index of the provider's newest version: tables is sorted by provider
// then effective_from, so it is the last one of the provider's run.
std::size_t NewestOfProvider(const std::vector<PriceTableInfo>& tables, std::size_t i) {
  while (i + 1 < tables.size() && tables[i + 1].provider == tables[i].provider) ++i;
  return i;
}

// tables is sorted by provider then effective_from: a version is in force
// once it has started and until the provider's next version starts.
bool InForce(const std::vector<PriceTableInfo>& tables, std::size_t i, std::int64_t now) {
  const bool started = tables[i].effective_from_unix_ns <= now;
  const bool superseded = i + 1 < tables.size() && tables[i + 1].provider == tables[i].provider &&
                          tables[i + 1].effective_from_unix_ns <= now;
  return started && !superseded;
}

}  // namespace

SelfMetrics::SelfMetrics(BuildInfo build)
    : build_(std::move(build)),
      ingest_duration_(kIngestDuration, {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5}),
      http_requests_(kHttpRequests),
      auth_failures_(kAuthFailures),
      limited_(kLimited) {}

SelfMetrics::~SelfMetrics() = default;

void SelfMetrics::ObserveIngestSeconds(double seconds) {
  ingest_duration_.Observe(static_cast<std::int64_t>(std::llround(seconds * 1e9)));
}

void SelfMetrics::CountHttpRequest(std::string_view handler, int code) {
  http_requests_.With({handler, std::to_string(code)}).Increment();
}

void SelfMetrics::CountAuthFailure(std::string_view endpoint, std::string_view reason) {
  auth_failures_.With({endpoint, reason}).Increment();
}

void SelfMetrics::CountLimited(std::string_view handler, std::string_view limit) {
  limited_.With({handler, limit}).Increment();
}

void SelfMetrics::SetReloadResult(bool success, double unix_seconds) {
  reload_successful_.Set(success ? 1 : 0);
  if (success) reload_success_time_.Set(unix_seconds);
}

void SelfMetrics::SetPriceTables(std::vector<PriceTableInfo> tables) {
  std::lock_guard lock(tables_mutex_);
  tables_ = std::move(tables);
}

void SelfMetrics::Collect(MetricSink& sink) const {
  sink.Family(kBuildInfo);
  sink.Sample({build_.version, build_.revision, build_.compiler}, 1);
  sink.Unlabelled(kAccepted, static_cast<double>(accepted_.value()));
  sink.Unlabelled(kDuplicate, static_cast<double>(duplicate_.value()));
  sink.Family(kRejected);
  for (std::size_t i = 0; i < kRejectReasonCount; ++i) {
    sink.Sample({RejectReasonName(static_cast<RejectReason>(i))}, static_cast<double>(rejected_[i].value()));
  }
  ingest_duration_.Collect(sink);
  http_requests_.Collect(sink);
  auth_failures_.Collect(sink);
  limited_.Collect(sink);
  sink.Unlabelled(kReloadSuccessful, reload_successful_.value());
  sink.Unlabelled(kReloadSuccessTime, reload_success_time_.value());
  CollectPriceTables(sink);
}

void SelfMetrics::CollectPriceTables(MetricSink& sink) const {
  const std::int64_t now = NowUnixNs();
  sink.Family(kPriceTables);
  std::lock_guard lock(tables_mutex_);
  for (std::size_t i = 0; i < tables_.size(); ++i) {
    const PriceTableInfo& table = tables_[i];
    const PriceTableInfo& newest = tables_[NewestOfProvider(tables_, i)];
    sink.Sample({table.effective_from, table.file, InForce(tables_, i, now) ? "true" : "false", newest.effective_from,
                 table.provider},
                1);
  }
  sink.Family(kNewestPriceVersion);
  for (std::size_t i = 0; i < tables_.size(); i = NewestOfProvider(tables_, i) + 1) {
    const PriceTableInfo& newest = tables_[NewestOfProvider(tables_, i)];
    sink.Sample({newest.provider}, static_cast<double>(newest.effective_from_unix_ns / 1'000'000'000));
  }
}

}  // namespace lce
