#include "record_labels.h"

namespace lce::metrics {

RecordLabeler::RecordLabeler(LabelGuard& guard) : guard_(guard) {
  for (std::size_t i = 0; i < kGuardedLabelCount; ++i) handles_[i] = guard_.Register(kGuardedLabelNames[i]);
}

bool HasVendorUnits(const UsageRecord& record) {
  if (record.vendor.empty()) return false;
  for (const UnitCount& unit : record.units) {
    if (unit.count > 0) return true;
  }
  return false;
}

std::array<std::string_view, kRecordLabelCount> RawLabelValues(const UsageRecord& record) {
  return {record.service, record.operation, record.campaign_id,   record.audience_id,
          record.vendor,  record.model,     record.prompt_version};
}

LabelUseMask RecordLabeler::UsedLabels(const UsageRecord& record, bool unpriced, bool business) {
  const bool llm = record.is_llm_call();
  const bool units = HasVendorUnits(record);
  const bool vendor_error = !record.vendor.empty() && record.vendor_status >= 400;
  const bool latency = record.has_latency;
  const auto bit = [](bool used, RecordLabel label) { return used ? LabelUseMask(1u << label) : LabelUseMask(0); };
  return static_cast<LabelUseMask>(bit(llm || units || vendor_error || latency, kRecordService) |
                                   bit(llm || latency, kRecordOperation) |
                                   bit(llm || units || business, kRecordCampaignId) | bit(business, kRecordAudienceId) |
                                   bit(llm || units || vendor_error || unpriced, kRecordVendor) |
                                   bit(llm || unpriced, kRecordModel) | bit(llm, kRecordPromptVersion));
}

AdmittedLabels RecordLabeler::Admit(const UsageRecord& record, LabelUseMask used, bool* folded) {
  static constexpr std::array<GuardedLabel, kRecordLabelCount> kGuarded = {
      kServiceLabel, kOperationLabel, kCampaignIdLabel,   kAudienceIdLabel,
      kVendorLabel,  kModelLabel,     kPromptVersionLabel};
  AdmittedLabels admitted;
  const std::array<std::string_view*, kRecordLabelCount> fields = {
      &admitted.service, &admitted.operation, &admitted.campaign_id,   &admitted.audience_id,
      &admitted.vendor,  &admitted.model,     &admitted.prompt_version};
  const std::array<std::string_view, kRecordLabelCount> raw = RawLabelValues(record);

  std::array<LabelGuard::Handle, kRecordLabelCount> handles{};
  std::array<std::string_view, kRecordLabelCount> values{};
  std::array<std::string_view*, kRecordLabelCount> outs{};
  std::size_t n = 0;
  for (std::size_t f = 0; f < kRecordLabelCount; ++f) {
    if ((used & (1u << f)) == 0 || raw[f].empty()) continue;
    handles[n] = handles_[kGuarded[f]];
    values[n] = raw[f];
    outs[n++] = fields[f];
  }
  *folded = guard_.AdmitMany(std::span(handles.data(), n), std::span(values.data(), n));
  for (std::size_t i = 0; i < n; ++i) *outs[i] = values[i];
  return admitted;
}

std::string_view RecordLabeler::AdmitUnit(std::string_view unit) { return guard_.Admit(handles_[kUnitLabel], unit); }

std::string_view RecordLabeler::AdmitEvent(std::string_view event) {
  return guard_.Admit(handles_[kEventLabel], event);
}

}  // namespace lce::metrics
