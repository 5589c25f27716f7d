// Scrape-time helpers: MetricFamily assembly.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/metric_family.h>

#include "cells.h"
#include "llm_cost_exporter/metrics.h"

namespace lce::metrics {

prometheus::MetricFamily NewFamily(std::string name, std::string help, prometheus::MetricType type);

// A sample labeled names[i]=values[i] (values as stored in a series key).
prometheus::ClientMetric NewSample(std::initializer_list<std::string_view> names,
                                   const std::vector<std::string>& values);

// Appends one more label (e.g. type="input") to a sample.
void AddLabel(prometheus::ClientMetric& sample, std::string_view name, std::string_view value);

// Adds the exemplar `cell` holds (if any) to `index` (if any) for the sample
// (and histogram bucket) of `family`. Scrape time.
template <typename Value>
void AddExemplar(ExemplarIndex* index, const prometheus::MetricFamily& family, const prometheus::ClientMetric& sample,
                 std::size_t bucket, const BasicExemplarCell<Value>& cell) {
  if (index == nullptr) return;
  if (std::optional<Exemplar> exemplar = cell.Load()) index->Add(family.name, sample.label, bucket, std::move(*exemplar));
}

// Sorts the family's samples by labels (stable, diff-friendly output) and
// appends it to `out` unless it has no sample.
void AppendFamily(std::vector<prometheus::MetricFamily>& out, prometheus::MetricFamily family);

}  // namespace lce::metrics
