// How record vendors and models find their table entries: exact first, then
// case-insensitive, then (models) by prefix rule. The exact lookup is the
// hot path; the others run only on a miss and allocate nothing.
#include <algorithm>

#include "price_model.h"

namespace lce {
namespace pricing {

std::optional<std::string_view> FoldCase(std::string_view text, std::array<char, kMaxNameLength>& buffer) {
  if (text.size() > buffer.size()) return std::nullopt;
  bool changed = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool upper = c >= 'A' && c <= 'Z';
    buffer[i] = upper ? static_cast<char>(c - 'A' + 'a') : c;
    changed = changed || upper;
  }
  if (!changed) return std::nullopt;
  return std::string_view(buffer.data(), text.size());
}

namespace {

// True when `text` starts with the lower-case `prefix`, ignoring case.
bool StartsWithFolded(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char c = text[i];
    const char folded = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    if (folded != prefix[i]) return false;
  }
  return true;
}

}  // namespace

const ModelPrices* VersionPrices::FindModel(std::string_view name) const {
  if (const std::optional<std::size_t> it = model_index.Find(name)) return &models[*it];
  std::array<char, kMaxNameLength> buffer;
  const std::string_view folded = FoldCase(name, buffer).value_or(name);
  if (const std::optional<std::size_t> it = folded_index.Find(folded)) return &models[*it];
  for (const ModelPrefix& rule : prefixes) {  // longest first
    if (StartsWithFolded(name, rule.prefix)) return &models[rule.model];
  }
  return nullptr;
}

}  // namespace pricing

std::optional<std::size_t> PriceBook::Impl::FindProvider(std::string_view vendor) const {
  if (const std::optional<std::size_t> it = vendor_index.Find(vendor)) return it;
  std::array<char, pricing::kMaxNameLength> buffer;
  const std::optional<std::string_view> folded = pricing::FoldCase(vendor, buffer);
  if (!folded) return std::nullopt;
  return vendor_index.Find(*folded);
}

namespace {

// The version in force at `unix_ns`: the last one started; nullptr before the first.
const pricing::VersionPrices* VersionAt(const pricing::ProviderTable& table, std::int64_t unix_ns) {
  const auto next =
      std::upper_bound(table.versions.begin(), table.versions.end(), unix_ns,
                       [](std::int64_t t, const pricing::VersionPrices& v) { return t < v.effective_from_unix_ns; });
  return next == table.versions.begin() ? nullptr : &*std::prev(next);
}

}  // namespace

// Exact, case-insensitive and prefix rules (VersionPrices::FindModel); then,
// for a routed name such as "openai/gpt-4o" or "bedrock/us.anthropic....",
// the same without its first segment when that segment names this provider.
const pricing::ModelPrices* PriceBook::Impl::FindModelOf(std::size_t provider, const pricing::VersionPrices& version,
                                                         std::string_view model) const {
  if (const pricing::ModelPrices* found = version.FindModel(model)) return found;
  const std::size_t slash = model.find('/');
  if (slash == std::string_view::npos || slash + 1 == model.size()) return nullptr;
  if (FindProvider(model.substr(0, slash)) != provider) return nullptr;
  return version.FindModel(model.substr(slash + 1));
}

// A model without a vendor: the one table (among those that take vendorless
// records) whose version in force knows the model.
Match PriceBook::Impl::InferVendor(const UsageRecord& record) const {
  Match match;
  match.failure = PriceOutcome::kUnknownModel;
  for (std::size_t i = 0; i < providers.size(); ++i) {
    const pricing::ProviderTable& table = providers[i];
    if (!table.matches_vendorless_records) continue;
    const pricing::VersionPrices* version = VersionAt(table, record.timestamp_unix_ns);
    const pricing::ModelPrices* model = version == nullptr ? nullptr : FindModelOf(i, *version, record.model);
    if (model == nullptr) continue;
    if (match.provider != nullptr) {
      match.candidates = {match.provider->name, table.name};
      match.provider = nullptr;
      match.version = nullptr;
      match.model = nullptr;
      match.failure = PriceOutcome::kAmbiguousVendor;
      return match;
    }
    match.provider = &table;
    match.version = version;
    match.model = model;
  }
  return match;
}

Match PriceBook::Impl::Resolve(const UsageRecord& record) const {
  if (record.vendor.empty() && record.is_llm_call()) return InferVendor(record);
  Match match;
  const std::optional<std::size_t> provider = FindProvider(record.vendor);
  if (!provider) {
    match.failure = PriceOutcome::kUnknownVendor;
    return match;
  }
  match.provider = &providers[*provider];
  match.version = VersionAt(*match.provider, record.timestamp_unix_ns);
  if (match.version == nullptr) {
    match.failure = PriceOutcome::kNoVersionInForce;
    return match;
  }
  if (record.is_llm_call()) match.model = FindModelOf(*provider, *match.version, record.model);
  return match;
}

}  // namespace lce
