#include "vendor_families.h"

#include "exposition.h"
#include "label_values.h"

namespace lce::metrics {
namespace {

constexpr MetricDesc kUnits{"vendor_units_total",
                            "Units used at paid vendors, from the records' units (e.g. emails).",
                            MetricType::kCounter,
                            {"service", "campaign_id", "vendor", "unit"}};
constexpr MetricDesc kUnitCost{"vendor_cost_usd_total",
                               "Exact cost in USD of vendor units that have a per-unit price (units of LLM calls are "
                               "also in llm_cost_usd_total); unpriced units are in llm_unpriced_records_total.",
                               MetricType::kCounter,
                               {"service", "campaign_id", "vendor", "unit"}};
constexpr MetricDesc kErrors{"vendor_errors_total",
                             "Vendor calls answered with an HTTP error status (>= 400), by exact status code.",
                             MetricType::kCounter,
                             {"vendor", "service", "status"}};

// The price of record unit `i`, or nullptr when it was not priced.
const UnitCost* PricedUnit(const PriceResult& price, std::size_t i, std::string_view unit) {
  if (i >= price.units.size() || price.units[i].unit != unit || !price.units[i].priced) return nullptr;
  return &price.units[i];
}

}  // namespace

void VendorFamilies::Observe(const AdmittedLabels& labels, const UsageRecord& record, const PriceResult& price,
                             RecordLabeler& labeler) {
  ObserveUnits(labels, record, price, labeler);
  if (record.vendor_status < 400) return;
  const StatusCodeText status(record.vendor_status);
  const std::array<std::string_view, 3> key = {labels.vendor, labels.service, status.view()};
  errors_.Get(key).errors.Add(1);
}

void VendorFamilies::ObserveUnits(const AdmittedLabels& labels, const UsageRecord& record, const PriceResult& price,
                                  RecordLabeler& labeler) {
  for (std::size_t i = 0; i < record.units.size(); ++i) {
    const UnitCount& unit = record.units[i];
    if (unit.count == 0) continue;
    const std::array<std::string_view, 4> key = {labels.service, labels.campaign_id, labels.vendor,
                                                 labeler.AdmitUnit(unit.unit)};
    UnitSeries& series = units_.Get(key);
    series.units.Add(unit.count);
    if (const UnitCost* cost = PricedUnit(price, i, unit.unit)) series.cost.Add(cost->cost);
  }
}

void VendorFamilies::Collect(std::vector<prometheus::MetricFamily>& out) const {
  CollectUnits(out);
  CollectErrors(out);
}

void VendorFamilies::CollectUnits(std::vector<prometheus::MetricFamily>& out) const {
  auto units = NewFamily(kUnits);
  auto cost = NewFamily(kUnitCost);
  units_.ForEach([&](const std::vector<std::string_view>& values, const UnitSeries& series) {
    auto sample = NewSample(kUnits, values);
    const CostCell::Snapshot spent = series.cost.Load();
    if (spent.priced) {
      sample.counter.value = spent.total.ToDouble();
      cost.metric.push_back(sample);
    }
    sample.counter.value = static_cast<double>(series.units.Load());
    units.metric.push_back(std::move(sample));
  });
  AppendFamily(out, std::move(cost));
  AppendFamily(out, std::move(units));
}

void VendorFamilies::CollectErrors(std::vector<prometheus::MetricFamily>& out) const {
  auto errors = NewFamily(kErrors);
  errors_.ForEach([&](const std::vector<std::string_view>& values, const ErrorSeries& series) {
    auto sample = NewSample(kErrors, values);
    sample.counter.value = static_cast<double>(series.errors.Load());
    errors.metric.push_back(std::move(sample));
  });
  AppendFamily(out, std::move(errors));
}

}  // namespace lce::metrics
