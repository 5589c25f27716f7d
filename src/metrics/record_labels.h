// RecordLabeler: passes a record's label-bound fields through the LabelGuard
// once per record, so every family of that record sees the same admitted
// value and a fold is counted once per (record, label) -- or once per unit
// entry for the unit label.
//
// Only the labels some family actually uses for the record are admitted (an
// LLM call's audience_id is no label anywhere, so it takes no slot and never
// folds).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "label_guard.h"
#include "llm_cost_exporter/usage_record.h"

namespace lce::metrics {

enum GuardedLabel : std::size_t {
  kServiceLabel,
  kOperationLabel,
  kCampaignIdLabel,
  kAudienceIdLabel,
  kVendorLabel,
  kModelLabel,
  kUnitLabel,
  kEventLabel,
  kPromptVersionLabel,
  kGuardedLabelCount
};
inline constexpr std::array<std::string_view, kGuardedLabelCount> kGuardedLabelNames = {
    "service", "operation", "campaign_id", "audience_id", "vendor", "model", "unit", "event", "prompt_version"};

// The label-bound fields of a record, in AdmittedLabels order.
enum RecordLabel : std::size_t {
  kRecordService,
  kRecordOperation,
  kRecordCampaignId,
  kRecordAudienceId,
  kRecordVendor,
  kRecordModel,
  kRecordPromptVersion,
  kRecordLabelCount
};

// Bit (1 << RecordLabel) set for each field some family uses for a record.
using LabelUseMask = std::uint8_t;
static_assert(kRecordLabelCount <= 8, "LabelUseMask has one bit per record label");

// The raw (not yet admitted) values of a record's label-bound fields.
std::array<std::string_view, kRecordLabelCount> RawLabelValues(const UsageRecord& record);

// Admitted (guard-owned, overflow or empty) values of one record's fields.
struct AdmittedLabels {
  std::string_view service;
  std::string_view operation;
  std::string_view campaign_id;
  std::string_view audience_id;
  std::string_view vendor;
  std::string_view model;
  std::string_view prompt_version;
};

class RecordLabeler {
 public:
  explicit RecordLabeler(LabelGuard& guard);

  // The fields used by the families this record feeds. `unpriced` is
  // PriceResult::unpriced(), `business` whether the record counts as a
  // business event.
  static LabelUseMask UsedLabels(const UsageRecord& record, bool unpriced, bool business);

  // Admits the fields in `used` (see UsedLabels); the others are left empty.
  // Sets *folded to whether any value was folded into kOverflowLabelValue.
  AdmittedLabels Admit(const UsageRecord& record, LabelUseMask used, bool* folded);
  std::string_view AdmitUnit(std::string_view unit);
  std::string_view AdmitEvent(std::string_view event);

 private:
  LabelGuard& guard_;
  std::array<LabelGuard::Handle, kGuardedLabelCount> handles_{};
};

// Whether a record feeds the vendor unit families (a vendor and a unit with a
// non-zero count).
bool HasVendorUnits(const UsageRecord& record);

}  // namespace lce::metrics
