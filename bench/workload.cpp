#include "workload.h"

#include <array>

namespace lce::bench {
namespace {

struct ModelChoice {
  const char* vendor;
  const char* model;
};

constexpr std::array<ModelChoice, 6> kModels = {{
    {"openai", "gpt-4o-2024-08-06"},
    {"openai", "gpt-4o-mini"},
    {"anthropic", "claude-sonnet-4-5-20250929"},
    {"anthropic", "claude-3-5-haiku-20241022"},
    {"google", "gemini-2.5-flash"},
    {"openai", "gpt-5"},
}};

constexpr std::array<const char*, 4> kServices = {"email_orchestrator", "content_generator", "scoring_agent",
                                                  "crm_sync"};

}  // namespace

std::string MakeNdjson(std::size_t count, const std::string& id_prefix) {
  std::string body;
  body.reserve(count * 520);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string id = id_prefix + std::to_string(i);
    const std::string campaign = "cmp_2026_04_promo_" + std::to_string(i % 40);
    const char* service = kServices[i % kServices.size()];
    if (i % 10 == 9) {  // one in ten is a business event
      body +=
          R"({"event":"email.sent","event_id":")" + id + R"(","timestamp":"2026-04-02T10:15:00.123Z","service":")" +
          service + R"(","campaign_id":")" + campaign +
          R"(","audience_id":"aud_us_smb_01","vendor":"sendgrid","units":{"emails":1},"vendor_status":202,"hash_email":"7c4a8d09ca3762af61e59520943dc26494f8941b"})"
          "\n";
      continue;
    }
    const ModelChoice& m = kModels[i % kModels.size()];
    const unsigned input = 300 + static_cast<unsigned>(i % 700);
    body +=
        R"({"event":"llm.call","event_id":")" + id + R"(","timestamp":"2026-04-02T10:15:00.123Z","service":")" +
        service + R"(","operation":"llm.generate_subject_line","campaign_id":")" + campaign +
        R"(","audience_id":"aud_us_smb_01","decision_id":"dec_01HZX9","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","vendor":")" +
        m.vendor + R"(","model":")" + m.model + R"(","service_tier":"default","token_usage":{"input":)" +
        std::to_string(input) + R"(,"output":128,"cached_input":)" + std::to_string(i % 3 == 0 ? 256 : 0) +
        R"(,"cache_write":0,"reasoning":0},"attempt":)" + (i % 25 == 0 ? "2" : "1") +
        R"(,"latency_ms":842,"vendor_status":200})"
        "\n";
  }
  return body;
}

}  // namespace lce::bench
