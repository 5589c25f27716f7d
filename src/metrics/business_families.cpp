#include "business_families.h"

#include <mutex>

#include "text_format.h"

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

namespace {

// The store's key names: the family name and (mapped families) the empty
// event are not rendered labels.
constexpr std::array<std::string_view, 4> kEventKeyLabels = {"", "", "campaign_id", "audience_id"};

}  // namespace

BusinessFamilies::BusinessFamilies(const std::map<std::string, std::string>& families) : events_(kEventKeyLabels) {
  SetFamilies(families);
}

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

// The store's order is the families' (by name), then each family's samples'
// (event, campaign, audience): one walk writes them all.
void BusinessFamilies::Collect(Scrape& scrape) const {
  LineWriter lines = Lines(scrape);
  std::string_view family;  // the one being written (a view into the store's key, which stays)
  std::string help;         // a mapped family's
  std::string labels;       // business_events_total: the event label, then the rendered ones
  events_.ForEachInOrderWithValues(
      [&](const std::vector<std::string_view>& values, std::string_view rendered, const EventSeries& series) {
        const bool generic = values[0] == kBusinessEventsFamily;
        if (values[0] != family) {
          family = values[0];
          if (generic) {
            lines.Family(kBusinessEvents);
          } else {
            help = HelpFor(std::string(family));
            lines.Family(family, help, MetricType::kCounter);
          }
        }
        const auto count = static_cast<double>(series.events.Load());
        if (!generic) {
          lines.Value(rendered, {}, count);
          return;
        }
        labels.clear();
        AppendLabel(labels, true, "event", values[1]);
        labels += ',';
        labels += rendered;
        lines.Value(labels, {}, count);
      });
}

}  // namespace lce::metrics
