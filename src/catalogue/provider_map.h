// The built-in mapping of catalogue providers to our price table files
// (docs/design/price-catalogues.md, section 4).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lce::catalogue {

// One LiteLLM `litellm_provider` feeding a table; `strip` is removed from the
// front of its keys. Keys that still hold a '/' afterwards are regional or
// deployment variants and are skipped unless `nested_names` (ids such as
// "meta-llama/Llama-3.3-70B" are model names there).
struct LitellmSource {
  std::string_view litellm_provider;
  std::string_view strip;
  bool nested_names = false;
};

struct ProviderMapping {
  std::string_view file;      // "openai.yaml"
  std::string_view provider;  // our provider name, "openai"
  std::string_view genai_id;  // genai-prices provider id, "openai"
  std::vector<LitellmSource> litellm;
  // genai-prices model ids this table does not take (they belong to another
  // table fed by the same genai-prices provider: Claude on Vertex AI is in
  // genai-prices' "google" but not served by the Gemini API).
  std::vector<std::string_view> genai_skip_prefixes = {};
};

// The 15 providers, in file name order.
const std::vector<ProviderMapping>& ProviderMappings();

// The mapping whose provider or file stem (file without ".yaml") is `name`, or nullptr.
const ProviderMapping* FindProviderMapping(std::string_view name);

}  // namespace lce::catalogue
