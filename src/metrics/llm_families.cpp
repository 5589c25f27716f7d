#include "llm_families.h"

#include <cassert>

#include "exposition.h"
#include "llm_cost_exporter/timestamp.h"

namespace lce::metrics {
namespace {

constexpr MetricDesc kTokens{
    "llm_tokens_total",
    "Tokens of LLM calls by type. Types overlap (OpenAI/OpenTelemetry convention): cached_input and "
    "cache_write are parts of input, reasoning is part of output; do not sum across types.",
    MetricType::kCounter,
    {"service", "campaign_id", "vendor", "model", "type"}};
constexpr MetricDesc kCost{"llm_cost_usd_total",
                           "Exact cost in USD of LLM calls: token cost plus the priced unit costs of the call, retries "
                           "included. Only priced parts count; unpriced records are in llm_unpriced_records_total.",
                           MetricType::kCounter,
                           {"service", "campaign_id", "vendor", "model"}};
constexpr MetricDesc kRetryCost{
    "llm_retry_cost_usd_total",
    "Cost in USD of LLM calls with attempt > 1 (retry waste); already included in llm_cost_usd_total.",
    MetricType::kCounter,
    {"service", "campaign_id", "vendor", "model"}};
constexpr MetricDesc kRequests{
    "llm_requests_total",
    "LLM calls by vendor HTTP status class (1xx..5xx, unknown when the record has no vendor_status).",
    MetricType::kCounter,
    {"service", "operation", "vendor", "model", "status"}};
constexpr MetricDesc kTokensPerRequest{
    "llm_tokens_per_request",
    "Tokens per LLM call by type: input and output are observed for every call with token usage, "
    "cached_input, cache_write and reasoning only when non-zero.",
    MetricType::kHistogram,
    {"vendor", "model", "type"}};
constexpr MetricDesc kUnpriced{
    "llm_unpriced_records_total",
    "Accepted records with a part that could not be priced, by reason; they still count in the "
    "token, request and unit families, and their priced parts (if any) in the cost families.",
    MetricType::kCounter,
    {"vendor", "model", "reason"}};
constexpr MetricDesc kRelease{
    "llm_release_first_seen_timestamp_seconds",
    "Unix time of the earliest LLM call seen for this service, operation, vendor, model and "
    "prompt_version: a new series marks a release (model pin or prompt change). Since the exporter "
    "started; Grafana's release annotations read it.",
    MetricType::kGauge,
    {"service", "operation", "vendor", "model", "prompt_version"}};

bool IsTokenTypeObserved(TokenType type, std::uint64_t count) {
  return type == TokenType::kInput || type == TokenType::kOutput || count > 0;
}

}  // namespace

bool HasPricedPart(const PriceResult& price) {
  if (price.token_outcome == PriceOutcome::kPriced) return true;
  for (const UnitCost& unit : price.units) {
    if (unit.priced) return true;
  }
  return false;
}

LlmFamilies::LlmFamilies(std::vector<double> tokens_per_request_buckets)
    : tokens_layout_(std::move(tokens_per_request_buckets)) {}

LlmFamilies::Handles LlmFamilies::Resolve(const AdmittedLabels& labels, bool has_token_usage) {
  Handles series;
  const std::array<std::string_view, 4> spend_key = {labels.service, labels.campaign_id, labels.vendor, labels.model};
  series.spend = &spend_.Get(spend_key);
  const std::array<std::string_view, 4> request_key = {labels.service, labels.operation, labels.vendor, labels.model};
  series.requests = &requests_.Get(request_key);
  const std::array<std::string_view, 5> release_key = {labels.service, labels.operation, labels.vendor, labels.model,
                                                       labels.prompt_version};
  series.release = &releases_.Get(release_key);
  if (has_token_usage) {
    const std::array<std::string_view, 2> tokens_key = {labels.vendor, labels.model};
    series.tokens_per_request = &tokens_per_request_.Get(tokens_key, tokens_layout_.bucket_count());
  }
  return series;
}

void LlmFamilies::Observe(const Handles& series, const UsageRecord& record, const PriceResult& price,
                          const ExemplarIds& exemplar) {
  ObserveSpend(*series.spend, record, price, exemplar);
  const std::size_t status = StatusClassIndex(record.vendor_status);
  series.requests->by_status[status].Add(1);
  if (!exemplar.empty()) series.requests->exemplars[status].Store(exemplar, 1.0);
  if (record.has_token_usage) ObserveTokensPerRequest(*series.tokens_per_request, record.tokens);
  series.release->Lower(record.timestamp_unix_ns);
}

void LlmFamilies::ReleaseSeries::Lower(std::int64_t unix_ns) {
  std::int64_t seen = first_seen_unix_ns.load(std::memory_order_relaxed);
  while (unix_ns < seen && !first_seen_unix_ns.compare_exchange_weak(seen, unix_ns, std::memory_order_relaxed)) {
  }
}

void LlmFamilies::ObserveSpend(SpendSeries& series, const UsageRecord& record, const PriceResult& price,
                               const ExemplarIds& exemplar) {
  if (record.has_token_usage) {
    for (std::size_t t = 0; t < kTokenTypeCount; ++t) {
      if (record.tokens.count[t] > 0) series.tokens[t].Add(record.tokens.count[t]);
    }
  }
  if (!HasPricedPart(price)) return;
  series.cost.Add(price.total);
  if (record.is_retry()) series.retry_cost.Add(price.total);
  if (!exemplar.empty()) series.cost_exemplar.Store(exemplar, price.total);
}

void LlmFamilies::ObserveTokensPerRequest(TokensPerRequestSeries& series, const TokenUsage& tokens) {
  for (std::size_t t = 0; t < kTokenTypeCount; ++t) {
    const std::uint64_t count = tokens.count[t];
    if (!IsTokenTypeObserved(static_cast<TokenType>(t), count)) continue;
    series.histograms.Observe(t, tokens_layout_.IndexFor(static_cast<double>(count)), static_cast<std::int64_t>(count));
  }
}

void LlmFamilies::ObserveUnpriced(const AdmittedLabels& labels, PriceOutcome outcome) {
  const auto reason = static_cast<std::size_t>(outcome);
  assert(reason < kPriceOutcomeCount);
  if (reason >= kPriceOutcomeCount) return;
  const std::array<std::string_view, 2> key = {labels.vendor, labels.model};
  unpriced_.Get(key).by_outcome[reason].Add(1);
}

void LlmFamilies::Collect(std::vector<prometheus::MetricFamily>& out, ExemplarIndex* exemplars) const {
  CollectSpend(out, exemplars);
  CollectRequests(out, exemplars);
  CollectTokensPerRequest(out);
  CollectUnpriced(out);
  CollectReleases(out);
}

void LlmFamilies::CollectSpend(std::vector<prometheus::MetricFamily>& out, ExemplarIndex* exemplars) const {
  auto tokens = NewFamily(kTokens);
  auto cost = NewFamily(kCost);
  auto retry = NewFamily(kRetryCost);
  spend_.ForEach([&](const std::vector<std::string_view>& values, const SpendSeries& series) {
    for (std::size_t t = 0; t < kTokenTypeCount; ++t) {
      const std::uint64_t count = series.tokens[t].Load();
      if (count == 0) continue;
      auto sample = NewSample(kTokens, values, {kTokenTypeNames[t]});
      sample.counter.value = static_cast<double>(count);
      tokens.metric.push_back(std::move(sample));
    }
    const CostCell::Snapshot spent = series.cost.Load();
    if (!spent.priced) return;
    auto sample = NewSample(kCost, values);
    sample.counter.value = spent.total.ToDouble();
    AddExemplar(exemplars, cost, sample, ExemplarIndex::kNoBucket, series.cost_exemplar);
    cost.metric.push_back(sample);
    sample.counter.value = series.retry_cost.Load().total.ToDouble();
    retry.metric.push_back(std::move(sample));
  });
  AppendFamily(out, std::move(tokens));
  AppendFamily(out, std::move(cost));
  AppendFamily(out, std::move(retry));
}

void LlmFamilies::CollectRequests(std::vector<prometheus::MetricFamily>& out, ExemplarIndex* exemplars) const {
  auto requests = NewFamily(kRequests);
  requests_.ForEach([&](const std::vector<std::string_view>& values, const RequestSeries& series) {
    for (std::size_t s = 0; s < kStatusClassCount; ++s) {
      const std::uint64_t count = series.by_status[s].Load();
      if (count == 0) continue;
      auto sample = NewSample(kRequests, values, {kStatusClassNames[s]});
      sample.counter.value = static_cast<double>(count);
      AddExemplar(exemplars, requests, sample, ExemplarIndex::kNoBucket, series.exemplars[s]);
      requests.metric.push_back(std::move(sample));
    }
  });
  AppendFamily(out, std::move(requests));
}

void LlmFamilies::CollectTokensPerRequest(std::vector<prometheus::MetricFamily>& out) const {
  auto family = NewFamily(kTokensPerRequest);
  tokens_per_request_.ForEach([&](const std::vector<std::string_view>& values, const TokensPerRequestSeries& series) {
    for (std::size_t t = 0; t < kTokenTypeCount; ++t) {
      if (!series.histograms.Observed(t)) continue;
      auto sample = NewSample(kTokensPerRequest, values, {kTokenTypeNames[t]});
      series.histograms.Fill(t, tokens_layout_, 1.0, sample.histogram);
      family.metric.push_back(std::move(sample));
    }
  });
  AppendFamily(out, std::move(family));
}

void LlmFamilies::CollectUnpriced(std::vector<prometheus::MetricFamily>& out) const {
  auto family = NewFamily(kUnpriced);
  unpriced_.ForEach([&](const std::vector<std::string_view>& values, const UnpricedSeries& series) {
    for (std::size_t o = 0; o < kPriceOutcomeCount; ++o) {
      const std::uint64_t count = series.by_outcome[o].Load();
      if (count == 0) continue;
      auto sample = NewSample(kUnpriced, values, {PriceOutcomeName(static_cast<PriceOutcome>(o))});
      sample.counter.value = static_cast<double>(count);
      family.metric.push_back(std::move(sample));
    }
  });
  AppendFamily(out, std::move(family));
}

void LlmFamilies::CollectReleases(std::vector<prometheus::MetricFamily>& out) const {
  auto family = NewFamily(kRelease);
  releases_.ForEach([&](const std::vector<std::string_view>& values, const ReleaseSeries& series) {
    const std::int64_t first_seen = series.first_seen_unix_ns.load(std::memory_order_relaxed);
    if (first_seen == std::numeric_limits<std::int64_t>::max()) return;  // resolved, not yet observed
    auto sample = NewSample(kRelease, values);
    sample.gauge.value = UnixNsToSeconds(first_seen);
    family.metric.push_back(std::move(sample));
  });
  AppendFamily(out, std::move(family));
}

}  // namespace lce::metrics
