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
  // The families a record updates one by one (not summed per call).
  void ObserveOneByOne(const UsageRecord& record, const PriceResult& price, const metrics::AdmittedLabels& labels,
                       bool business);

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

namespace {

// Whether an LLM call's event is also a mapped business event, asked once
// per distinct event of a call (a lookup under the mapping's lock).
class MappedEvents {
 public:
  explicit MappedEvents(const metrics::BusinessFamilies& business) : business_(business) {}

  // Whether `record` feeds the business families: every business event, and
  // an LLM call whose event is mapped.
  bool Feeds(const UsageRecord& record) {
    if (!record.is_llm_call()) return true;
    for (const auto& [known, answer] : answers_) {
      if (EqualStrings(known, record.event)) return answer;
    }
    return answers_.emplace_back(record.event, business_.IsMapped(record.event)).second;
  }

 private:
  const metrics::BusinessFamilies& business_;
  std::vector<std::pair<std::string_view, bool>> answers_;
};

}  // namespace

// The families a call sums per series (applied once at its end).
struct UsageMetrics::Draft::Sums {
  Sums(metrics::LlmFamilies& llm_families, metrics::SpanFamilies& span_families)
      : llm(llm_families), spans(span_families) {}

  void Add(const UsageRecord& record, const PriceResult& price, const metrics::RecordRoute& route, std::int64_t now) {
    const metrics::ExemplarIds exemplar = ExemplarIdsOf(record, now);
    if (record.is_llm_call()) llm.Observe(route.llm, record, price, exemplar);
    if (record.has_latency) spans.Observe(route.spans, record.latency_us, record.failed, exemplar);
  }

  void Apply() {
    llm.Apply();
    spans.Apply();
  }

  metrics::LlmFamilies::Tally llm;
  metrics::SpanFamilies::Tally spans;
  bool complete = true;
};

UsageMetrics::Draft::Draft(std::unique_ptr<Sums> sums) : sums_(std::move(sums)) {}
UsageMetrics::Draft::Draft(Draft&&) noexcept = default;
UsageMetrics::Draft& UsageMetrics::Draft::operator=(Draft&&) noexcept = default;
UsageMetrics::Draft::~Draft() = default;
bool UsageMetrics::Draft::complete() const { return sums_ != nullptr && sums_->complete; }

// The families counted record by record.
void UsageMetrics::Impl::ObserveOneByOne(const UsageRecord& record, const PriceResult& price,
                                         const metrics::AdmittedLabels& labels, bool business) {
  if (price.unpriced()) llm.ObserveUnpriced(labels, price.outcome);
  if (!record.vendor.empty()) vendor.Observe(labels, record, price, labeler);
  if (business) this->business.Observe(labels, record.event, record.is_llm_call(), labeler);
}

void UsageMetrics::ObserveAll(std::span<const Observation> observations) {
  Draft::Sums sums(impl_->llm, impl_->spans);
  const std::int64_t now = CoarseNowUnixNs();
  MappedEvents mapped(impl_->business);
  for (const Observation& observation : observations) {
    const UsageRecord& record = *observation.record;
    const PriceResult& price = *observation.price;
    // A drafted route was found with its business answer: both are kept,
    // so a mapping reloaded since then does not split them.
    const bool business = observation.route != nullptr ? observation.business : mapped.Feeds(record);
    metrics::RecordRoute resolved;
    const metrics::RecordRoute& route = observation.route != nullptr
                                            ? *observation.route
                                            : (resolved = impl_->routes.For(record, price.unpriced(), business));
    sums.Add(record, price, route, now);
    impl_->ObserveOneByOne(record, price, route.labels, business);
  }
  sums.Apply();
}

UsageMetrics::Draft UsageMetrics::DraftAll(std::span<Observation> observations) {
  auto sums = std::make_unique<Draft::Sums>(impl_->llm, impl_->spans);
  const std::int64_t now = CoarseNowUnixNs();
  MappedEvents mapped(impl_->business);
  for (Observation& observation : observations) {
    const UsageRecord& record = *observation.record;
    observation.business = mapped.Feeds(record);
    // Find, not For: resolving a new route would admit its labels (and count
    // folds) for a record that may yet not be counted.
    observation.route = impl_->routes.Find(record, observation.price->unpriced(), observation.business);
    if (observation.route == nullptr) {
      sums->complete = false;  // the sums are dropped; the routes found still serve
    } else if (sums->complete) {
      sums->Add(record, *observation.price, *observation.route, now);
    }
  }
  return Draft(std::move(sums));
}

void UsageMetrics::ObserveAll(std::span<const Observation> observations, Draft draft) {
  if (!draft.complete()) {
    ObserveAll(observations);
    return;
  }
  for (const Observation& observation : observations) {
    impl_->ObserveOneByOne(*observation.record, *observation.price, observation.route->labels, observation.business);
  }
  draft.sums_->Apply();
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
