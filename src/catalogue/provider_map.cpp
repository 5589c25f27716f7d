#include "provider_map.h"

namespace lce::catalogue {

const std::vector<ProviderMapping>& ProviderMappings() {
  static const std::vector<ProviderMapping> mappings = {
      {"anthropic.yaml", "anthropic", "anthropic", {{"anthropic", "anthropic/"}}},
      {"azure.yaml", "azure.ai.openai", "azure", {{"azure", "azure/", true}}},
      {"bedrock.yaml",
       "aws.bedrock",
       "aws",
       {{"bedrock_converse", "bedrock/"}, {"bedrock", "bedrock/"}, {"bedrock_mantle", "bedrock/"}}},
      {"cohere.yaml", "cohere", "cohere", {{"cohere_chat", "cohere/"}, {"cohere", "cohere/"}}},
      {"deepseek.yaml", "deepseek", "deepseek", {{"deepseek", "deepseek/"}}},
      {"fireworks.yaml", "fireworks_ai", "fireworks", {{"fireworks_ai", "fireworks_ai/", true}}},
      {"google.yaml", "google", "google", {{"gemini", "gemini/"}}, {"claude"}},
      {"groq.yaml", "groq", "groq", {{"groq", "groq/", true}}},
      {"mistral.yaml", "mistral_ai", "mistral", {{"mistral", "mistral/"}, {"codestral", "codestral/"}}},
      {"openai.yaml", "openai", "openai", {{"openai", "openai/"}}},
      {"openrouter.yaml", "openrouter", "openrouter", {{"openrouter", "openrouter/", true}}},
      {"perplexity.yaml", "perplexity", "perplexity", {{"perplexity", "perplexity/"}}},
      {"together.yaml", "together_ai", "together", {{"together_ai", "together_ai/", true}}},
      {"vertex.yaml",
       "gcp.vertex_ai",
       "google",
       {{"vertex_ai-language-models", "vertex_ai/"}, {"vertex_ai-anthropic_models", "vertex_ai/"}}},
      {"xai.yaml", "x_ai", "x-ai", {{"xai", "xai/"}}},
  };
  return mappings;
}

const ProviderMapping* FindProviderMapping(std::string_view name) {
  for (const ProviderMapping& m : ProviderMappings()) {
    const std::string_view stem = m.file.substr(0, m.file.size() - 5);
    if (name == m.provider || name == stem || name == m.genai_id) return &m;
  }
  return nullptr;
}

}  // namespace lce::catalogue
