#include "vendor_families.h"

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

VendorFamilies::VendorFamilies() : units_(LeadingLabels(kUnits)), errors_(LeadingLabels(kErrors)) {}

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

void VendorFamilies::Collect(Scrape& scrape) const {
  LineWriter lines = Lines(scrape);
  CollectUnits(lines);
  CollectErrors(lines);
}

void VendorFamilies::CollectUnits(LineWriter& lines) const {
  lines.Family(kUnitCost);
  units_.ForEachInOrder([&](std::string_view labels, const UnitSeries& series) {
    const CostCell::Snapshot spent = series.cost.Load();
    if (spent.priced) lines.Value(labels, {}, spent.total.ToDouble());
  });
  lines.Family(kUnits);
  units_.ForEachInOrder([&](std::string_view labels, const UnitSeries& series) {
    lines.Value(labels, {}, static_cast<double>(series.units.Load()));
  });
}

void VendorFamilies::CollectErrors(LineWriter& lines) const {
  lines.Family(kErrors);
  errors_.ForEachInOrder([&](std::string_view labels, const ErrorSeries& series) {
    lines.Value(labels, {}, static_cast<double>(series.errors.Load()));
  });
}

}  // namespace lce::metrics
