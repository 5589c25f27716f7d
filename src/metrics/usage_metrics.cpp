// UsageMetrics: routes each record to the family groups and assembles the
// scrape. Exact state lives in the groups; doubles exist only in Collect().
//
// Cardinality scheme: a record's label values are admitted by the guard (one
// shared lock for all of a record's labels) before any family sees them; the
// series stores are keyed by the admitted values only. RecordRoutes caches,
// per label tuple whose values were all admitted, the admitted values and the
// series they select, so a known tuple costs one lookup; tuples with a folded
// value are never cached. So memory is bounded by the limits (the route cache
// holds only admitted tuples), a folded value is folded the same way in every
// family, and the fold counter counts folded observations: one per record and
// label (one per unit entry for unit).
#include <time.h>

#include "business_families.h"
#include "llm_cost_exporter/small_bytes.h"
#include "label_guard.h"
#include "llm_families.h"
#include "options_validation.h"
#include "record_labels.h"
#include "record_routes.h"
#include "scrape.h"
#include "span_families.h"
#include "vendor_families.h"

namespace lce {
namespace {

constexpr MetricDesc kFolded{
    "llm_cost_exporter_series_folded_total",
    "Observations (records; unit entries for the unit label) whose label value was folded into "
    "__overflow__ because the label's cardinality limit was reached, by label name.",
    MetricType::kCounter,
    {"label"}};

// The record's exemplar ids, stamped with `unix_ns` (when its batch is
// counted); empty when it has no trace id or an id too long for an exemplar
// cell (skipped).
metrics::ExemplarIds ExemplarIdsOf(const UsageRecord& record, std::int64_t unix_ns) {
  if (!metrics::ExemplarIds::Fit(record.trace_id, record.span_id)) return {};
  return {record.trace_id, record.span_id, unix_ns};
}

// The coarse clock (a few ms resolution, a plain vDSO read) is exact enough
// for an exemplar's timestamp and several times cheaper than the precise one.
std::int64_t CoarseNowUnixNs() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME_COARSE, &now);
  return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

}  // namespace

struct UsageMetrics::Impl {
  Impl(const MetricsOptions& options, metrics::LabelGuard& label_guard)
      : guard(label_guard),
        labeler(guard),
        llm(options.tokens_per_request_buckets),
        spans(options.latency_buckets_seconds),
        business(options.business_event_families),
        routes(labeler, llm, spans) {}

  void CollectFolds(MetricSink& sink) const;

  metrics::LabelGuard& guard;      // the registry's
  metrics::RecordLabeler labeler;  // uses guard
  metrics::LlmFamilies llm;
  metrics::VendorFamilies vendor;
  metrics::SpanFamilies spans;
  metrics::BusinessFamilies business;
  metrics::RecordRoutes routes;  // uses labeler, llm, spans
};

void UsageMetrics::Impl::CollectFolds(MetricSink& sink) const {
  sink.Family(kFolded);
  for (const auto& [label, folds] : guard.FoldCounts()) sink.Sample({label}, static_cast<double>(folds));
}

Result<std::unique_ptr<UsageMetrics>> UsageMetrics::Create(const MetricsOptions& options, MetricRegistry& registry) {
  if (Status s = metrics::ValidateOptions(options); !s.ok()) return s.WithContext("metrics options");
  return std::unique_ptr<UsageMetrics>(new UsageMetrics(options, registry));
}

std::unique_ptr<UsageMetrics> UsageMetrics::WithDefaults(MetricRegistry& registry) {
  return std::unique_ptr<UsageMetrics>(new UsageMetrics(MetricsOptions{}, registry));
}

UsageMetrics::UsageMetrics(const MetricsOptions& options, MetricRegistry& registry) {
  registry.guard().SetLimits(options.cardinality);
  impl_ = std::make_unique<Impl>(options, registry.guard().engine());
}

UsageMetrics::~UsageMetrics() = default;

Status UsageMetrics::ValidateOptions(const MetricsOptions& options) { return metrics::ValidateOptions(options); }

void UsageMetrics::ObserveAll(std::span<const Observation> observations) {
  metrics::LlmFamilies::Tally llm(impl_->llm);
  metrics::SpanFamilies::Tally spans(impl_->spans);
  const std::int64_t now = CoarseNowUnixNs();
  // Whether an LLM call's event is also a mapped business event, asked once
  // per distinct event of the call (a lookup under the mapping's lock).
  std::vector<std::pair<std::string_view, bool>> mapped;
  const auto is_mapped = [&](std::string_view event) {
    for (const auto& [known, answer] : mapped) {
      if (EqualStrings(known, event)) return answer;
    }
    return mapped.emplace_back(event, impl_->business.IsMapped(event)).second;
  };
  for (const Observation& observation : observations) {
    const UsageRecord& record = *observation.record;
    const PriceResult& price = *observation.price;
    const bool llm_call = record.is_llm_call();
    const bool unpriced = price.unpriced();
    const bool business = !llm_call || is_mapped(record.event);
    const metrics::RecordRoute route = impl_->routes.For(record, unpriced, business);
    const metrics::AdmittedLabels& labels = route.labels;
    const metrics::ExemplarIds exemplar = ExemplarIdsOf(record, now);
    if (llm_call) llm.Observe(route.llm, record, price, exemplar);
    if (unpriced) impl_->llm.ObserveUnpriced(labels, price.outcome);
    if (!record.vendor.empty()) impl_->vendor.Observe(labels, record, price, impl_->labeler);
    if (record.has_latency) spans.Observe(route.spans, record.latency_us, record.failed, exemplar);
    if (business) impl_->business.Observe(labels, record.event, llm_call, impl_->labeler);
  }
  llm.Apply();
  spans.Apply();
}

void UsageMetrics::Observe(const UsageRecord& record, const PriceResult& price) {
  const Observation one{&record, &price};
  ObserveAll(std::span(&one, 1));
}

Status UsageMetrics::Reconfigure(const MetricsOptions& options) {
  if (Status s = metrics::ValidateOptions(options); !s.ok()) return s;
  impl_->guard.SetLimits(options.cardinality);
  impl_->business.SetFamilies(options.business_event_families);
  return Status::Ok();
}

void UsageMetrics::Collect(MetricSink& sink) const {
  metrics::Scrape& scrape = sink.scrape();
  impl_->llm.Collect(scrape);
  impl_->vendor.Collect(scrape);
  impl_->spans.Collect(scrape);
  impl_->business.Collect(scrape);
  impl_->CollectFolds(sink);
}

}  // namespace lce
