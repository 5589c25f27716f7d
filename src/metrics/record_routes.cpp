#include "record_routes.h"

#include <array>
#include <cstdint>
#include <string_view>

namespace lce::metrics {
namespace {

// What, besides the used labels, decides which series a route resolves.
enum ShapeBit : std::uint16_t {
  kLlmCall = 1u << 8,  // bits 0..7 hold the LabelUseMask
  kTokenUsage = 1u << 9,
  kLatency = 1u << 10,
};

std::uint16_t ShapeOf(const UsageRecord& record, LabelUseMask used) {
  return static_cast<std::uint16_t>(used | (record.is_llm_call() ? kLlmCall : 0) |
                                    (record.has_token_usage ? kTokenUsage : 0) | (record.has_latency ? kLatency : 0));
}

}  // namespace

std::array<std::string_view, RecordRoutes::kKeyPieces> RecordRoutes::KeyOf(const UsageRecord& record, LabelUseMask used,
                                                                           const std::uint16_t* shape) {
  const std::array<std::string_view, kRecordLabelCount> raw = RawLabelValues(record);
  std::array<std::string_view, kKeyPieces> key{};
  key[0] = std::string_view(reinterpret_cast<const char*>(shape), sizeof *shape);
  for (std::size_t f = 0; f < kRecordLabelCount; ++f) {
    if ((used & (1u << f)) != 0) key[f + 1] = raw[f];
  }
  return key;
}

RecordRoute RecordRoutes::For(const UsageRecord& record, bool unpriced, bool business) {
  if (const RecordRoute* known = Find(record, unpriced, business)) return *known;

  const LabelUseMask used = RecordLabeler::UsedLabels(record, unpriced, business);
  const std::uint16_t shape = ShapeOf(record, used);
  bool folded = false;
  const RecordRoute route = Resolve(record, used, &folded);
  if (!folded) routes_.Get(KeyOf(record, used, &shape), route);
  return route;
}

const RecordRoute* RecordRoutes::Find(const UsageRecord& record, bool unpriced, bool business) {
  const LabelUseMask used = RecordLabeler::UsedLabels(record, unpriced, business);
  const std::uint16_t shape = ShapeOf(record, used);
  return routes_.Find(KeyOf(record, used, &shape));
}

RecordRoute RecordRoutes::Resolve(const UsageRecord& record, LabelUseMask used, bool* folded) {
  RecordRoute route;
  route.labels = labeler_.Admit(record, used, folded);
  if (record.is_llm_call()) route.llm = llm_.Resolve(route.labels, record.has_token_usage);
  if (record.has_latency) route.spans = spans_.Resolve(route.labels);
  return route;
}

}  // namespace lce::metrics
