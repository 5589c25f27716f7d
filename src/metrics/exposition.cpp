#include "exposition.h"

#include <cassert>

namespace lce::metrics {

prometheus::ClientMetric NewSample(const MetricDesc& desc, std::span<const std::string_view> key,
                                   std::initializer_list<std::string_view> tail) {
  const std::size_t count = desc.label_count();
  assert(key.size() + tail.size() == count);
  prometheus::ClientMetric sample;
  sample.label.reserve(count);
  std::size_t i = 0;
  for (; i < key.size() && i < count; ++i) sample.label.push_back({std::string(desc.labels[i]), std::string(key[i])});
  for (std::string_view value : tail) {
    if (i == count) break;
    sample.label.push_back({std::string(desc.labels[i++]), std::string(value)});
  }
  return sample;
}

void AppendFamily(std::vector<prometheus::MetricFamily>& out, prometheus::MetricFamily family) {
  if (!family.metric.empty()) out.push_back(std::move(family));
}

}  // namespace lce::metrics
