// Catalogue importer: turns the public price catalogues (genai-prices
// data.json, LiteLLM model_prices_and_context_window.json) into versions of
// our price tables (docs/pricing.md, "Importing catalogues").
//
// Prices are converted from the JSON number text, never through a double.
// An import only appends: existing versions and bytes stay as they are, a
// changed model becomes one `inherit: true` version at the end of its file,
// and nothing is written unless the whole resulting directory loads.
// Thread safety: no shared state; one import per directory at a time.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "llm_cost_exporter/status.h"

namespace lce::catalogue {

struct ImportOptions {
  std::string genai_prices_file;       // empty: not used
  std::string litellm_file;            // empty: not used
  std::string pricing_dir;             // required
  std::vector<std::string> providers;  // our provider names or file stems; empty: all 14
  std::string effective_from;          // YYYY-MM-DD for undated prices; empty: today (UTC)
  bool prefer_litellm = false;         // disagreements on models the table lacks
  bool emit_prefixes = false;          // write genai-prices starts_with rules as `prefixes`
};

// One file the import would write.
struct FileChange {
  std::string file;  // name under pricing_dir
  std::string text;  // the whole new content
  bool is_new = false;
  std::size_t old_size = 0;  // bytes kept unchanged at the front
};

struct ImportPlan {
  std::vector<FileChange> changes;
  std::string report;  // per-provider summary and messages
  Status loads;        // the whole directory with the changes, through the real loader
};

// Reads the catalogues and the tables, and plans every change; writes nothing.
// Fails on unreadable input; `loads` says whether the result would load.
Result<ImportPlan> PlanImport(const ImportOptions& options);

// Writes the plan's files (temporary file + rename each); refuses a plan
// whose result would not load.
Status ApplyImport(const ImportPlan& plan, const std::string& pricing_dir);

// `llm_cost_exporter pricing import|diff ...`: `args` after "pricing".
// Returns the exit code (diff: 0 no change, 1 changes, 2 error; import: 0 or 2).
int RunPricingCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace lce::catalogue
