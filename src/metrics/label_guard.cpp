#include "label_guard.h"

#include <mutex>

namespace lce::metrics {

LabelGuard::LabelGuard(CardinalityLimits limits) : limits_(std::move(limits)) {}

LabelGuard::Handle LabelGuard::Register(std::string_view label) {
  {
    std::shared_lock lock(mutex_);
    for (Handle h = 0; h < states_.size(); ++h) {
      if (states_[h]->name == label) return h;
    }
  }
  std::unique_lock lock(mutex_);
  for (Handle h = 0; h < states_.size(); ++h) {
    if (states_[h]->name == label) return h;
  }
  auto state = std::make_unique<LabelState>();
  state->name = std::string(label);
  state->limit = limits_.LimitFor(label);
  states_.push_back(std::move(state));
  return states_.size() - 1;
}

LabelGuard::Lookup LabelGuard::Find(LabelState& state, std::string_view& value) const {
  if (value.empty()) return Lookup::kAdmitted;
  if (value == kOverflowLabelValue) {
    value = kOverflowLabelValue;
    return Lookup::kAdmitted;
  }
  if (const auto it = state.admitted.find(value); it != state.admitted.end()) {
    value = *it;
    return Lookup::kAdmitted;
  }
  if (state.admitted.size() < state.limit) return Lookup::kMiss;
  state.folds.fetch_add(1, std::memory_order_relaxed);
  value = kOverflowLabelValue;
  return Lookup::kFolded;
}

LabelGuard::Lookup LabelGuard::Insert(LabelState& state, std::string_view& value) {
  if (const Lookup found = Find(state, value); found != Lookup::kMiss) return found;
  value = *state.admitted.emplace(value).first;
  return Lookup::kAdmitted;
}

std::string_view LabelGuard::Admit(Handle label, std::string_view value) {
  AdmitMany(std::span<const Handle>(&label, 1), std::span<std::string_view>(&value, 1));
  return value;
}

bool LabelGuard::AdmitMany(std::span<const Handle> labels, std::span<std::string_view> values) {
  bool any_miss = false;
  bool any_fold = false;
  {
    std::shared_lock lock(mutex_);
    for (std::size_t i = 0; i < labels.size(); ++i) {
      const Lookup found = Find(*states_[labels[i]], values[i]);
      any_miss = found == Lookup::kMiss || any_miss;
      any_fold = found == Lookup::kFolded || any_fold;
    }
  }
  if (!any_miss) return any_fold;
  // Values resolved above are already guard-owned, overflow or empty, so a
  // second lookup of them is a hit and counts nothing twice.
  std::unique_lock lock(mutex_);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    any_fold = Insert(*states_[labels[i]], values[i]) == Lookup::kFolded || any_fold;
  }
  return any_fold;
}

void LabelGuard::SetLimits(CardinalityLimits limits) {
  std::unique_lock lock(mutex_);
  limits_ = std::move(limits);
  for (const auto& state : states_) state->limit = limits_.LimitFor(state->name);
}

std::map<std::string, std::uint64_t> LabelGuard::FoldCounts() const {
  std::map<std::string, std::uint64_t> counts;
  std::shared_lock lock(mutex_);
  for (const auto& state : states_) counts[state->name] = state->folds.load(std::memory_order_relaxed);
  return counts;
}

}  // namespace lce::metrics
