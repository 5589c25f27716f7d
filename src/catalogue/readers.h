// Readers of the two catalogues: what each gives for one of our provider
// files, with every price converted exactly (decimal.h) and every value that
// cannot be imported reported in `messages`.
#pragma once

#include <string>
#include <string_view>

#include "json_tree.h"
#include "model.h"
#include "provider_map.h"

namespace lce::catalogue {

// genai-prices data.json (v2: an array of providers). The models of the
// provider `mapping.genai_id`; an absent provider gives no models.
CatalogueProvider ReadGenaiPrices(const JsonNode& root, const ProviderMapping& mapping);

// LiteLLM model_prices_and_context_window.json. The token-priced models of
// `mapping.litellm`, keys stripped; the first source naming an id wins.
CatalogueProvider ReadLitellm(const JsonNode& root, const ProviderMapping& mapping);

// True when a genai-prices match clause matches `name` (case-insensitive;
// regex as ECMAScript search). Unknown clauses never match.
bool ClauseMatches(const JsonNode& clause, std::string_view name);

// ASCII lower case: names, aliases and prefixes match case-insensitively.
std::string Lowercase(std::string_view text);

// A valid table name: 1..128 of A-Z a-z 0-9 _ . : / - (the loader's rule).
bool IsTableName(std::string_view name);

}  // namespace lce::catalogue
