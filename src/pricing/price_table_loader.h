// YAML price table -> ProviderTable, validated strictly (schema: docs/pricing.md).
#pragma once

#include <string>

#include "llm_cost_exporter/status.h"
#include "price_model.h"

namespace lce::pricing {

// Parses one provider file. Never throws: every yaml-cpp error and every
// schema violation becomes Status::InvalidArgument reading
// "<file>:<line>: <key path>: <what>", e.g.
// "openai.yaml:14: versions[0].models[gpt-5].per_million_tokens.inptu: unknown key (...)".
Result<ProviderTable> ParsePriceTable(const std::string& file, const std::string& yaml_text);

}  // namespace lce::pricing
