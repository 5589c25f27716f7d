// What the ledger benchmarks (ledger_bench, restart_bench) share: the labels
// of their entries (4 services, 40 campaigns, 6 models, each with its
// vendor) and the mix that makes unique keys come in random order.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace lce_bench {

inline constexpr std::array<const char*, 4> kLedgerServices = {"email_orchestrator", "lead_scorer", "reply_classifier",
                                                               "copy_writer"};
// kLedgerVendors[i] is the vendor of kLedgerModels[i], as in real records.
inline constexpr std::array<const char*, 6> kLedgerVendors = {"openai",    "openai", "anthropic",
                                                              "anthropic", "google", "mistral"};
inline constexpr std::array<const char*, 6> kLedgerModels = {"gpt-4o-2024-08-06",          "gpt-4o-mini",
                                                             "claude-sonnet-4-5-20250929", "claude-haiku-4-5",
                                                             "gemini-2.5-flash",           "mistral-large-latest"};

inline std::vector<std::string> LedgerCampaigns() {
  std::vector<std::string> campaigns;
  for (int c = 0; c < 40; ++c) campaigns.push_back("cmp_2026_04_campaign_" + std::to_string(c));
  return campaigns;
}

// A 64-bit mix (splitmix64 finalizer): unique inputs give unique, randomly
// ordered outputs.
inline std::uint64_t Mix(std::uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace lce_bench
