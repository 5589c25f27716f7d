#include "business_families.h"

#include <mutex>

#include "exposition.h"

namespace lce::metrics {
namespace {

constexpr MetricDesc kBusinessEvents{
    kBusinessEventsFamily,
    "Business events (records without a model, e.g. email.sent) by event name, campaign and audience.",
    MetricType::kCounter,
    {"event", "campaign_id", "audience_id"}};
// A family of its own for mapped events (metrics.business_event_families):
// name and help come from the configuration, the labels from here.
constexpr MetricDesc kMappedEvents{"", "", MetricType::kCounter, {"campaign_id", "audience_id"}};

}  // namespace

BusinessFamilies::BusinessFamilies(const std::map<std::string, std::string>& families) { SetFamilies(families); }

void BusinessFamilies::SetFamilies(const std::map<std::string, std::string>& families) {
  std::unique_lock lock(config_mutex_);
  families_.clear();
  for (const auto& [event, family] : families) {
    families_.emplace(event, family);
    family_events_[family].insert(event);
  }
  any_mapped_.store(!families_.empty(), std::memory_order_relaxed);
}

bool BusinessFamilies::IsMapped(std::string_view event) const {
  if (!any_mapped_.load(std::memory_order_relaxed)) return false;
  std::shared_lock lock(config_mutex_);
  return families_.find(event) != families_.end();
}

void BusinessFamilies::Observe(const AdmittedLabels& labels, std::string_view event, bool llm_call,
                               RecordLabeler& labeler) {
  std::shared_lock lock(config_mutex_);
  if (const auto it = families_.find(event); it != families_.end()) {
    const std::array<std::string_view, 4> key = {it->second, std::string_view(), labels.campaign_id,
                                                 labels.audience_id};
    events_.Get(key).events.Add(1);
    return;
  }
  if (llm_call) return;  // its mapping was removed by a reload since IsMapped
  const std::array<std::string_view, 4> key = {kBusinessEventsFamily, labeler.AdmitEvent(event), labels.campaign_id,
                                               labels.audience_id};
  events_.Get(key).events.Add(1);
}

std::string BusinessFamilies::HelpFor(const std::string& family) const {
  std::string events;
  std::shared_lock lock(config_mutex_);
  if (const auto it = family_events_.find(family); it != family_events_.end()) {
    for (const std::string& event : it->second) events += (events.empty() ? "" : ", ") + event;
  }
  return "Business events " + events + " (event name mapped to this family) by campaign and audience.";
}

void BusinessFamilies::Collect(std::vector<prometheus::MetricFamily>& out) const {
  std::map<std::string, prometheus::MetricFamily> families;
  events_.ForEach([&](const std::vector<std::string_view>& values, const EventSeries& series) {
    const std::string name(values[0]);
    const bool generic = name == kBusinessEventsFamily;
    auto [it, inserted] = families.try_emplace(name);
    if (inserted) {
      it->second = NewFamily(generic ? kBusinessEvents : kMappedEvents);
      it->second.name = name;
      if (!generic) it->second.help = HelpFor(name);
    }
    prometheus::ClientMetric sample = generic ? NewSample(kBusinessEvents, {values.begin() + 1, values.end()})
                                              : NewSample(kMappedEvents, {values.begin() + 2, values.end()});
    sample.counter.value = static_cast<double>(series.events.Load());
    it->second.metric.push_back(std::move(sample));
  });
  for (auto& [name, family] : families) AppendFamily(out, std::move(family));
}

}  // namespace lce::metrics
