// CardinalityLimits and the public CardinalityGuard, a thin wrapper over
// LabelGuard that addresses labels by name.
#include "label_guard.h"

namespace lce {

std::size_t CardinalityLimits::LimitFor(std::string_view label) const {
  const auto it = per_label.find(std::string(label));
  return it == per_label.end() ? default_limit : it->second;
}

struct CardinalityGuard::Impl {
  explicit Impl(CardinalityLimits limits) : guard(std::move(limits)) {}
  metrics::LabelGuard guard;
};

CardinalityGuard::CardinalityGuard(CardinalityLimits limits)
    : impl_(std::make_unique<Impl>(std::move(limits))) {}

CardinalityGuard::~CardinalityGuard() = default;

std::string_view CardinalityGuard::Admit(std::string_view label, std::string_view value) {
  return impl_->guard.Admit(impl_->guard.Register(label), value);
}

void CardinalityGuard::SetLimits(CardinalityLimits limits) { impl_->guard.SetLimits(std::move(limits)); }

std::map<std::string, std::uint64_t> CardinalityGuard::FoldCounts() const { return impl_->guard.FoldCounts(); }

}  // namespace lce
