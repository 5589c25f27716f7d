#include "llm_families.h"

#include <cassert>

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

namespace {

std::array<std::string_view, kPriceOutcomeCount> PriceOutcomeNames() {
  std::array<std::string_view, kPriceOutcomeCount> names;
  for (std::size_t o = 0; o < names.size(); ++o) names[o] = PriceOutcomeName(static_cast<PriceOutcome>(o));
  return names;
}

}  // namespace

LlmFamilies::LlmFamilies(std::vector<double> tokens_per_request_buckets)
    : tokens_layout_(std::move(tokens_per_request_buckets)),
      tokens_bounds_(RenderedBounds(tokens_layout_.bounds())),
      token_type_("type", kTokenTypeNames),
      status_class_("status", kStatusClassNames),
      price_outcome_("reason", PriceOutcomeNames()),
      spend_(LeadingLabels(kCost)),
      requests_(LeadingLabels(kRequests, 4)),
      tokens_per_request_(LeadingLabels(kTokensPerRequest, 2)),
      unpriced_(LeadingLabels(kUnpriced, 2)),
      releases_(LeadingLabels(kRelease)) {}

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

void LlmFamilies::Tally::Observe(const Handles& series, const UsageRecord& record, const PriceResult& price,
                                 const ExemplarIds& exemplar) {
  SpendSum& spend = spend_.For(series.spend);
  if (record.has_token_usage) {
    for (std::size_t t = 0; t < kTokenTypeCount; ++t) spend.tokens[t] += record.tokens.count[t];
  }
  if (HasPricedPart(price)) {
    spend.cost += price.total;
    spend.priced = true;
    if (record.is_retry()) {
      spend.retry_cost += price.total;
      spend.retry_priced = true;
    }
    if (!exemplar.empty()) {
      spend.exemplar = exemplar;
      spend.exemplar_cost = price.total;
    }
  }
  const std::size_t status = StatusClassIndex(record.vendor_status);
  RequestSum& requests = requests_.For(series.requests);
  ++requests.by_status[status];
  if (!exemplar.empty()) requests.exemplars[status] = exemplar;
  if (record.has_token_usage) CountTokens(tokens_per_request_.For(series.tokens_per_request), record.tokens);
  ReleaseSum& release = releases_.For(series.release);
  release.first_seen_unix_ns = std::min(release.first_seen_unix_ns, record.timestamp_unix_ns);
}

void LlmFamilies::Tally::CountTokens(TokensSum& sum, const TokenUsage& tokens) const {
  const BucketLayout& layout = families_.tokens_layout_;
  if (sum.counts.empty()) sum.counts.assign(kTokenTypeCount * layout.bucket_count(), 0);
  for (std::size_t t = 0; t < kTokenTypeCount; ++t) {
    const std::uint64_t count = tokens.count[t];
    if (!IsTokenTypeObserved(static_cast<TokenType>(t), count)) continue;
    ++sum.counts[t * layout.bucket_count() + layout.IndexFor(static_cast<double>(count))];
    sum.sums[t] += static_cast<std::int64_t>(count);
  }
}

void LlmFamilies::Tally::Apply() {
  spend_.ForEach([](SpendSeries& series, const SpendSum& sum) {
    for (std::size_t t = 0; t < kTokenTypeCount; ++t) {
      if (sum.tokens[t] > 0) series.tokens[t].Add(sum.tokens[t]);
    }
    if (sum.priced) series.cost.Add(sum.cost);
    if (sum.retry_priced) series.retry_cost.Add(sum.retry_cost);
    if (!sum.exemplar.empty()) series.cost_exemplar.Store(sum.exemplar, sum.exemplar_cost);
  });
  requests_.ForEach([](RequestSeries& series, const RequestSum& sum) {
    for (std::size_t s = 0; s < kStatusClassCount; ++s) {
      if (sum.by_status[s] > 0) series.by_status[s].Add(sum.by_status[s]);
      if (!sum.exemplars[s].empty()) series.exemplars[s].Store(sum.exemplars[s], 1.0);
    }
  });
  const std::size_t buckets = families_.tokens_layout_.bucket_count();
  tokens_per_request_.ForEach([buckets](TokensPerRequestSeries& series, const TokensSum& sum) {
    for (std::size_t t = 0; t < kTokenTypeCount; ++t) {
      series.histograms.Merge(t, std::span(sum.counts).subspan(t * buckets, buckets), sum.sums[t]);
    }
  });
  releases_.ForEach([](ReleaseSeries& series, const ReleaseSum& sum) { series.Lower(sum.first_seen_unix_ns); });
  spend_.Clear();
  requests_.Clear();
  tokens_per_request_.Clear();
  releases_.Clear();
}

void LlmFamilies::ReleaseSeries::Lower(std::int64_t unix_ns) {
  std::int64_t seen = first_seen_unix_ns.load(std::memory_order_relaxed);
  while (unix_ns < seen && !first_seen_unix_ns.compare_exchange_weak(seen, unix_ns, std::memory_order_relaxed)) {
  }
}

void LlmFamilies::ObserveUnpriced(const AdmittedLabels& labels, PriceOutcome outcome) {
  const auto reason = static_cast<std::size_t>(outcome);
  assert(reason < kPriceOutcomeCount);
  if (reason >= kPriceOutcomeCount) return;
  const std::array<std::string_view, 2> key = {labels.vendor, labels.model};
  unpriced_.Get(key).by_outcome[reason].Add(1);
}

void LlmFamilies::Collect(Scrape& scrape) const {
  LineWriter lines = Lines(scrape);
  CollectSpend(lines);
  CollectRequests(lines);
  CollectTokensPerRequest(lines);
  CollectUnpriced(lines);
  CollectReleases(lines);
}

// Three families from one store: tokens by type, then cost and retry cost
// (the priced series only), each its own pass in exposition order.
void LlmFamilies::CollectSpend(LineWriter& lines) const {
  lines.Family(kTokens);
  spend_.ForEachInOrder([&](std::string_view labels, const SpendSeries& series) {
    for (const std::size_t t : token_type_.order()) {
      const std::uint64_t count = series.tokens[t].Load();
      if (count != 0) lines.Value(labels, token_type_.rendered(t), static_cast<double>(count));
    }
  });
  lines.Family(kCost);
  spend_.ForEachInOrder([&](std::string_view labels, const SpendSeries& series) {
    const CostCell::Snapshot spent = series.cost.Load();
    if (spent.priced) lines.Value(labels, {}, spent.total.ToDouble(), lines.Load(series.cost_exemplar));
  });
  lines.Family(kRetryCost);
  spend_.ForEachInOrder([&](std::string_view labels, const SpendSeries& series) {
    if (!series.cost.Load().priced) return;
    lines.Value(labels, {}, series.retry_cost.Load().total.ToDouble());
  });
}

void LlmFamilies::CollectRequests(LineWriter& lines) const {
  lines.Family(kRequests);
  requests_.ForEachInOrder([&](std::string_view labels, const RequestSeries& series) {
    for (const std::size_t s : status_class_.order()) {
      const std::uint64_t count = series.by_status[s].Load();
      if (count != 0) {
        lines.Value(labels, status_class_.rendered(s), static_cast<double>(count), lines.Load(series.exemplars[s]));
      }
    }
  });
}

void LlmFamilies::CollectTokensPerRequest(LineWriter& lines) const {
  lines.Family(kTokensPerRequest);
  std::vector<std::uint64_t> cumulative(tokens_layout_.bucket_count());
  tokens_per_request_.ForEachInOrder([&](std::string_view labels, const TokensPerRequestSeries& series) {
    for (const std::size_t t : token_type_.order()) {
      const std::int64_t sum = series.histograms.Cumulative(t, cumulative);
      if (cumulative.back() == 0) continue;  // no observation of this type
      lines.Histogram(labels, token_type_.rendered(t), tokens_bounds_, cumulative, static_cast<double>(sum));
    }
  });
}

void LlmFamilies::CollectUnpriced(LineWriter& lines) const {
  lines.Family(kUnpriced);
  unpriced_.ForEachInOrder([&](std::string_view labels, const UnpricedSeries& series) {
    for (const std::size_t o : price_outcome_.order()) {
      const std::uint64_t count = series.by_outcome[o].Load();
      if (count != 0) lines.Value(labels, price_outcome_.rendered(o), static_cast<double>(count));
    }
  });
}

void LlmFamilies::CollectReleases(LineWriter& lines) const {
  lines.Family(kRelease);
  releases_.ForEachInOrder([&](std::string_view labels, const ReleaseSeries& series) {
    const std::int64_t first_seen = series.first_seen_unix_ns.load(std::memory_order_relaxed);
    if (first_seen == std::numeric_limits<std::int64_t>::max()) return;  // resolved, not yet observed
    lines.Value(labels, {}, UnixNsToSeconds(first_seen));
  });
}

}  // namespace lce::metrics
