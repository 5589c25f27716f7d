// CardinalityLimits and the public CardinalityGuard, a thin wrapper over
// LabelGuard that addresses labels by name.
#include "label_guard.h"

namespace lce {

std::size_t CardinalityLimits::LimitFor(std::string_view label) const {
  const auto it = per_label.find(std::string(label));
  return it == per_label.end() ? default_limit : it->second;
}

CardinalityGuard::CardinalityGuard(CardinalityLimits limits)
    : guard_(std::make_unique<metrics::LabelGuard>(std::move(limits))) {}

CardinalityGuard::~CardinalityGuard() = default;

std::string_view CardinalityGuard::Admit(std::string_view label, std::string_view value) {
  return guard_->Admit(guard_->Register(label), value);
}

void CardinalityGuard::SetLimits(CardinalityLimits limits) { guard_->SetLimits(std::move(limits)); }

std::map<std::string, std::uint64_t> CardinalityGuard::FoldCounts() const { return guard_->FoldCounts(); }

metrics::LabelGuard& CardinalityGuard::engine() { return *guard_; }

}  // namespace lce
