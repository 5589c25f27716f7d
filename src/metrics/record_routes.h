// RecordRoutes: resolves, once per distinct (record shape, label tuple), what
// observing a record needs: its admitted labels and the series of the
// families most records feed (LLM spend, requests and tokens per request;
// span latency and errors). A record whose route is known then costs one
// hash lookup under one shared lock, instead of a guard lookup per label
// plus a store lookup (and a lock) per family.
//
// Equivalence with the uncached path: a route is cached only when none of
// its label values was folded. Admitted values stay admitted for the guard's
// lifetime (new limits apply only to values not yet admitted), so for a
// cached tuple the guard would return the same values and count no fold. A
// tuple with a folded value is never cached and takes the uncached path on
// every record, so each fold is still counted once per record and label.
//
// Memory: routes are keyed by raw values that were all admitted, so they are
// bounded like the series stores (the product of the labels' limits, times
// the few record shapes). Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "llm_cost_exporter/usage_record.h"
#include "llm_families.h"
#include "record_labels.h"
#include "series_store.h"
#include "span_families.h"

namespace lce::metrics {

struct RecordRoute {
  AdmittedLabels labels;
  LlmFamilies::Handles llm;    // resolved when the record is an LLM call
  SpanFamilies::Handle spans;  // resolved when the record has a latency (latency and errors)
};

class RecordRoutes {
 public:
  RecordRoutes(RecordLabeler& labeler, LlmFamilies& llm, SpanFamilies& spans)
      : labeler_(labeler), llm_(llm), spans_(spans) {}

  // The route of `record` (arguments as for RecordLabeler::UsedLabels).
  // Counts folds exactly as RecordLabeler::Admit does.
  RecordRoute For(const UsageRecord& record, bool unpriced, bool business);
  // The cached route of `record`, or nullptr: resolves, admits and counts
  // nothing, so it may run before the record is known to count. A route
  // returned is the one For would return, and stays valid (and unchanged)
  // for this object's lifetime.
  const RecordRoute* Find(const UsageRecord& record, bool unpriced, bool business);

 private:
  static constexpr std::size_t kKeyPieces = kRecordLabelCount + 1;
  // The cache key of a record: its shape, then the raw value of each used
  // label ("" when unused). Views into `record` and `*shape`.
  static std::array<std::string_view, kKeyPieces> KeyOf(const UsageRecord& record, LabelUseMask used,
                                                        const std::uint16_t* shape);
  RecordRoute Resolve(const UsageRecord& record, LabelUseMask used, bool* folded);

  RecordLabeler& labeler_;
  LlmFamilies& llm_;
  SpanFamilies& spans_;
  SeriesStore<RecordRoute> routes_;
};

}  // namespace lce::metrics
