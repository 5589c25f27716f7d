#include "model.h"

namespace lce::catalogue {

int128 Prices::Effective(Field f) const {
  if (at(f)) return *at(f);
  switch (f) {
    case Field::kCachedInput:
    case Field::kCacheWrite: return Effective(Field::kInput);
    case Field::kCacheWrite1h: return Effective(Field::kCacheWrite);
    case Field::kReasoning: return Effective(Field::kOutput);
    default: return 0;
  }
}

bool Prices::SameAs(const Prices& other) const {
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    if (Effective(static_cast<Field>(i)) != other.Effective(static_cast<Field>(i))) return false;
  }
  return true;
}

bool Schedule::SameAs(const Schedule& other) const {
  if (!base.SameAs(other.base) || tiers.size() != other.tiers.size()) return false;
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    if (tiers[i].above_input_tokens != other.tiers[i].above_input_tokens) return false;
    if (!tiers[i].prices.SameAs(other.tiers[i].prices)) return false;
  }
  return true;
}

bool ServiceTier::SameAs(const ServiceTier& other, const Schedule& base) const {
  if (multiplier_micro && other.multiplier_micro) return *multiplier_micro == *other.multiplier_micro;
  // A multiplier and absolute prices agree when the scaled base equals them.
  const auto scaled = [&](const ServiceTier& t) {
    if (!t.multiplier_micro) return t.absolute;
    Schedule s = base;
    const auto scale = [&](Prices& p) {
      const Prices standard = p;
      for (std::size_t i = 0; i < kFieldCount; ++i) {
        p.given[i] = standard.Effective(static_cast<Field>(i)) * *t.multiplier_micro / 1'000'000;
      }
    };
    scale(s.base);
    for (Tier& tier : s.tiers) scale(tier.prices);
    return s;
  };
  return scaled(*this).SameAs(scaled(other));
}

}  // namespace lce::catalogue
