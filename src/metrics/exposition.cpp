#include "exposition.h"

#include <algorithm>
#include <cassert>

namespace lce::metrics {

prometheus::MetricFamily NewFamily(std::string name, std::string help, prometheus::MetricType type) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  return family;
}

prometheus::ClientMetric NewSample(std::initializer_list<std::string_view> names,
                                   const std::vector<std::string>& values) {
  assert(names.size() <= values.size());
  prometheus::ClientMetric sample;
  sample.label.reserve(names.size() + 1);
  std::size_t i = 0;
  for (std::string_view name : names) sample.label.push_back({std::string(name), values[i++]});
  return sample;
}

void AddLabel(prometheus::ClientMetric& sample, std::string_view name, std::string_view value) {
  sample.label.push_back({std::string(name), std::string(value)});
}

void AppendFamily(std::vector<prometheus::MetricFamily>& out, prometheus::MetricFamily family) {
  if (family.metric.empty()) return;
  std::sort(family.metric.begin(), family.metric.end(),
            [](const prometheus::ClientMetric& a, const prometheus::ClientMetric& b) { return a.label < b.label; });
  out.push_back(std::move(family));
}

}  // namespace lce::metrics
