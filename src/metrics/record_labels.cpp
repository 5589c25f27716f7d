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

AdmittedLabels RecordLabeler::Admit(const UsageRecord& record, bool unpriced, bool business) {
  const bool llm = record.is_llm_call();
  const bool units = HasVendorUnits(record);
  const bool vendor_error = !record.vendor.empty() && record.vendor_status >= 400;
  const bool latency = record.has_latency;

  AdmittedLabels admitted;
  struct Field {
    bool used;
    GuardedLabel label;
    std::string_view raw;
    std::string_view* out;
  };
  const std::array<Field, 6> fields = {{
      {llm || units || vendor_error || latency, kServiceLabel, record.service, &admitted.service},
      {llm || latency, kOperationLabel, record.operation, &admitted.operation},
      {llm || units || business, kCampaignIdLabel, record.campaign_id, &admitted.campaign_id},
      {business, kAudienceIdLabel, record.audience_id, &admitted.audience_id},
      {llm || units || vendor_error || unpriced, kVendorLabel, record.vendor, &admitted.vendor},
      {llm || unpriced, kModelLabel, record.model, &admitted.model},
  }};

  std::array<LabelGuard::Handle, fields.size()> handles{};
  std::array<std::string_view, fields.size()> values{};
  std::array<std::string_view*, fields.size()> outs{};
  std::size_t n = 0;
  for (const Field& field : fields) {
    if (!field.used || field.raw.empty()) continue;
    handles[n] = handles_[field.label];
    values[n] = field.raw;
    outs[n++] = field.out;
  }
  guard_.AdmitMany(std::span(handles.data(), n), std::span(values.data(), n));
  for (std::size_t i = 0; i < n; ++i) *outs[i] = values[i];
  return admitted;
}

std::string_view RecordLabeler::AdmitUnit(std::string_view unit) {
  return guard_.Admit(handles_[kUnitLabel], unit);
}

std::string_view RecordLabeler::AdmitEvent(std::string_view event) {
  return guard_.Admit(handles_[kEventLabel], event);
}

}  // namespace lce::metrics
