// Fuzz target: the config loader (ParseConfig) on YAML text, and
// ParseDuration on the same bytes. A configuration that loads must hold
// values the exporter can use as they are: positive sizes, thread counts and
// timeouts (as the int fields hold them, not only as written), durations that
// fit the int64 nanosecond clock every module uses, positive budget limits
// and soft-limit ratios in (0, 1]. A refused one must say why, naming the
// document. yaml-cpp's exceptions are the loader's to catch ("loading never
// throws"): one escaping is a crash here.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "llm_cost_exporter/config.h"

namespace {

// Durations must convert to the nanosecond clock without overflow.
bool FitsNanoseconds(std::chrono::seconds d) {
  return d.count() >= 0 && d <= std::chrono::duration_cast<std::chrono::seconds>(std::chrono::nanoseconds::max());
}

void CheckRule(const lce::BudgetRule& rule) {
  LCE_FUZZ_CHECK(rule.limit.atto() > 0);
  LCE_FUZZ_CHECK(rule.soft_limit_ppm > 0 && rule.soft_limit_ppm <= 1'000'000);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  const lce::Result<std::chrono::seconds> duration = lce::ParseDuration(text);
  LCE_FUZZ_CHECK(!duration.ok() || FitsNanoseconds(*duration));

  const lce::Result<lce::Config> config = lce::ParseConfig(text, "fuzz.yml");
  if (!config.ok()) {
    LCE_FUZZ_CHECK(config.status().message().rfind("fuzz.yml", 0) == 0);
    return 0;
  }
  const lce::Config& c = *config;
  LCE_FUZZ_CHECK(c.server.max_body_bytes > 0);
  LCE_FUZZ_CHECK(c.server.worker_threads > 0);
  LCE_FUZZ_CHECK(c.server.request_timeout_ms > 0);
  LCE_FUZZ_CHECK(c.storage.idempotency_retention.count() > 0 && FitsNanoseconds(c.storage.idempotency_retention));
  LCE_FUZZ_CHECK(c.budgets.reservation_ttl.count() > 0 && FitsNanoseconds(c.budgets.reservation_ttl));
  LCE_FUZZ_CHECK(c.ingest.max_label_length > 0);
  for (const lce::BudgetRule& rule : c.budgets.rules) {
    LCE_FUZZ_CHECK(!rule.campaign_pattern.empty());
    CheckRule(rule);
  }
  if (c.budgets.default_rule) CheckRule(*c.budgets.default_rule);
  return 0;
}
