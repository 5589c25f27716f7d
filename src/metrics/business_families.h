// business_events_total{event, campaign_id, audience_id} for records that
// are not LLM calls, and the mapped families (e.g.
// messages_sent_total{campaign_id, audience_id}) for every record whose event
// is mapped -- an LLM call included: mapping an event name is an explicit
// statement that it is an outcome (the operators' guide emits email.sent
// records carrying the model that wrote the e-mail).
//
// The mapping in force when a record is observed decides where it counts;
// after a Reconfigure existing series keep their values (counters never go
// back) and new records follow the new mapping. Mapped events bypass the
// event label's cardinality guard: they are a bounded, configured set.
#pragma once

#include <atomic>
#include <map>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "cells.h"
#include "line_writer.h"
#include "record_labels.h"
#include "series_store.h"

namespace lce::metrics {

inline constexpr std::string_view kBusinessEventsFamily = "business_events_total";

class BusinessFamilies {
 public:
  // `families` maps event names to family names (already validated).
  explicit BusinessFamilies(const std::map<std::string, std::string>& families);

  void SetFamilies(const std::map<std::string, std::string>& families);
  // Whether `event` has a family of its own. Lock-free when nothing is mapped.
  bool IsMapped(std::string_view event) const;
  // Counts one business event: in its mapped family, else (unless the record
  // is an LLM call) in business_events_total.
  void Observe(const AdmittedLabels& labels, std::string_view event, bool llm_call, RecordLabeler& labeler);
  // Writes the families' lines into `scrape`, families in name order.
  void Collect(Scrape& scrape) const;

 private:
  // Key {family, event ("" in mapped families), campaign_id, audience_id};
  // the rendered labels hold campaign_id and audience_id.
  struct EventSeries {
    CountCell events;
  };

  std::string HelpFor(const std::string& family) const;

  std::atomic<bool> any_mapped_{false};
  mutable std::shared_mutex config_mutex_;
  std::map<std::string, std::string, std::less<>> families_;    // event -> family in force
  std::map<std::string, std::set<std::string>> family_events_;  // family -> events ever mapped to it
  SeriesStore<EventSeries> events_;
};

}  // namespace lce::metrics
