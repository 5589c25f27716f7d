// The vendor families: vendor_units_total and vendor_cost_usd_total (from a
// record's units, for any record with a vendor) and vendor_errors_total.
#pragma once

#include <vector>

#include "cells.h"
#include "line_writer.h"
#include "llm_cost_exporter/pricing.h"
#include "llm_cost_exporter/usage_record.h"
#include "record_labels.h"
#include "series_store.h"

namespace lce::metrics {

class VendorFamilies {
 public:
  VendorFamilies();

  // Requires !record.vendor.empty(). Units with a zero count are skipped; a
  // unit's cost counts when price.units has it (same position) as priced.
  void Observe(const AdmittedLabels& labels, const UsageRecord& record, const PriceResult& price,
               RecordLabeler& labeler);

  // Writes the families' lines into `scrape`.
  void Collect(Scrape& scrape) const;

 private:
  // {service, campaign_id, vendor, unit}
  struct UnitSeries {
    CountCell units;
    CostCell cost;
  };
  // {vendor, service, status}
  struct ErrorSeries {
    CountCell errors;
  };

  void ObserveUnits(const AdmittedLabels& labels, const UsageRecord& record, const PriceResult& price,
                    RecordLabeler& labeler);
  void CollectUnits(LineWriter& lines) const;
  void CollectErrors(LineWriter& lines) const;

  SeriesStore<UnitSeries> units_;
  SeriesStore<ErrorSeries> errors_;
};

}  // namespace lce::metrics
