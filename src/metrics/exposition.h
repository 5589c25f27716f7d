// Scrape-time helpers of the usage families: samples of a described family
// in prometheus-cpp's model (see scrape.h).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/metric_family.h>

#include "cells.h"
#include "scrape.h"

namespace lce::metrics {

// A sample of `desc`'s family: its first labels valued by `key` (a series
// key, in the order of desc.labels), the remaining ones by `tail`. Requires
// key.size() + tail.size() == desc.label_count().
prometheus::ClientMetric NewSample(const MetricDesc& desc, std::span<const std::string_view> key,
                                   std::initializer_list<std::string_view> tail = {});

// Adds the exemplar `cell` holds (if any) to `index` (if any) for the sample
// (and histogram bucket) of `family`. Scrape time.
template <typename Value>
void AddExemplar(ExemplarIndex* index, const prometheus::MetricFamily& family, const prometheus::ClientMetric& sample,
                 std::size_t bucket, const BasicExemplarCell<Value>& cell) {
  if (index == nullptr) return;
  if (std::optional<Exemplar> exemplar = cell.Load())
    index->Add(family.name, sample.label, bucket, std::move(*exemplar));
}

// Appends `family` to `out` unless it has no sample.
void AppendFamily(std::vector<prometheus::MetricFamily>& out, prometheus::MetricFamily family);

}  // namespace lce::metrics
