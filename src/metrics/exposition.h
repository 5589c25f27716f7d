// Scrape-time helpers: exact values to doubles and MetricFamily assembly.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/metric_family.h>

#include "llm_cost_exporter/money.h"

namespace lce::metrics {

// Nearest-enough double of an exact amount, in USD: the whole dollars and the
// fractional attodollars are converted separately, so amounts up to 2^53 USD
// keep every whole dollar and the fraction is off by at most one rounding.
// (Own helper so the metrics module does not link the pricing module.)
double MoneyToDouble(Money amount);

prometheus::MetricFamily NewFamily(std::string name, std::string help, prometheus::MetricType type);

// A sample labeled names[i]=values[i] (values as stored in a series key).
prometheus::ClientMetric NewSample(std::initializer_list<std::string_view> names,
                                   const std::vector<std::string>& values);

// Appends one more label (e.g. type="input") to a sample.
void AddLabel(prometheus::ClientMetric& sample, std::string_view name, std::string_view value);

// Sorts the family's samples by labels (stable, diff-friendly output) and
// appends it to `out` unless it has no sample.
void AppendFamily(std::vector<prometheus::MetricFamily>& out, prometheus::MetricFamily family);

}  // namespace lce::metrics
