// PlanImport / ApplyImport: catalogues + tables -> planned files, checked by
// the real loader before anything is written.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string_view>

#include "llm_cost_exporter/catalogue.h"
#include "llm_cost_exporter/pricing.h"
#include "llm_cost_exporter/timestamp.h"
#include "planner.h"
#include "readers.h"

namespace lce::catalogue {
namespace {

namespace fs = std::filesystem;

Result<std::string> ImportDate(const std::string& given) {
  if (given.empty()) return FormatIsoDate(NowUnixNs());
  std::int64_t unix_ns = 0;
  if (given.size() != 10 || !ParseIsoDate(given, &unix_ns)) {
    return Status::InvalidArgument("--effective-from '" + given + "' is not a date (YYYY-MM-DD)");
  }
  return given;
}

Result<std::vector<const ProviderMapping*>> SelectProviders(const std::vector<std::string>& names) {
  std::vector<const ProviderMapping*> out;
  if (names.empty()) {
    for (const ProviderMapping& m : ProviderMappings()) out.push_back(&m);
    return out;
  }
  for (const std::string& name : names) {
    const ProviderMapping* m = FindProviderMapping(name);
    if (m == nullptr) return Status::InvalidArgument("unknown provider '" + name + "' (see --help)");
    if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  }
  return out;
}

// The table documents of `dir` (what PriceBook::LoadDirectory would read).
Result<std::map<std::string, std::string>> ReadTables(const std::string& dir) {
  std::map<std::string, std::string> docs;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const std::string ext = entry.path().extension().string();
    if (name.starts_with(".") || (ext != ".yaml" && ext != ".yml") || !entry.is_regular_file()) continue;
    Result<std::string> text = ReadFile(entry.path().string());
    if (!text.ok()) return text.status();
    docs.emplace(name, std::move(*text));
  }
  if (ec) return Status::IoError("cannot read the pricing directory " + dir + ": " + ec.message());
  return docs;
}

struct Catalogues {
  std::unique_ptr<JsonNode> genai;
  std::unique_ptr<JsonNode> litellm;
};

Result<std::unique_ptr<JsonNode>> LoadCatalogue(const std::string& path) {
  if (path.empty()) return std::unique_ptr<JsonNode>();
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  Result<JsonNode> tree = ParseJsonTree(*text, path);
  if (!tree.ok()) return tree.status();
  return std::make_unique<JsonNode>(std::move(*tree));
}

std::string Summary(const ProviderPlan& plan, const ProviderMapping& m) {
  std::string out = "== " + plan.file + " (" + std::string(m.provider) + "): " + std::to_string(plan.added.size()) +
                    " added, " + std::to_string(plan.changed_models.size()) + " changed, " +
                    std::to_string(plan.unchanged.size()) + " unchanged, " + std::to_string(plan.refused.size()) +
                    " refused\n";
  for (const std::string& message : plan.messages) out += "  " + message + "\n";
  return out;
}

// "# provider prices ... imported on DATE" and one "#   from ..." line per catalogue.
std::string HeaderComment(const ImportOptions& o, std::string_view provider, const std::string& date) {
  std::string out = "# " + std::string(provider) +
                    " prices, USD per 1M tokens, imported by `llm_cost_exporter pricing " + "import` on " + date + "\n";
  if (!o.genai_prices_file.empty()) out += "#   from genai-prices: " + o.genai_prices_file + "\n";
  if (!o.litellm_file.empty()) out += "#   from LiteLLM: " + o.litellm_file + "\n";
  return out + "# Review before relying on them; never edit a past version, import or add a new one.\n";
}

// "# imported from genai-prices and LiteLLM on DATE", above each appended version.
std::string VersionComment(const ImportOptions& o, const std::string& date) {
  std::string sources;
  if (!o.genai_prices_file.empty()) sources += "genai-prices";
  if (!o.litellm_file.empty()) sources += std::string(sources.empty() ? "" : " and ") + "LiteLLM";
  return "# imported from " + sources + " on " + date;
}

// The whole directory as it would be after the import loads with the real loader.
Status CheckLoads(std::map<std::string, std::string> docs, const std::vector<FileChange>& changes) {
  for (const FileChange& c : changes) docs[c.file] = c.text;
  std::vector<std::pair<std::string, std::string>> documents(docs.begin(), docs.end());
  Result<std::shared_ptr<const PriceBook>> book = PriceBook::LoadDocuments(documents);
  if (!book.ok()) return book.status().WithContext("the imported tables would not load, nothing written");
  return Status::Ok();
}

}  // namespace

Result<ImportPlan> PlanImport(const ImportOptions& options) {
  if (options.pricing_dir.empty()) return Status::InvalidArgument("--pricing.dir is required");
  if (options.genai_prices_file.empty() && options.litellm_file.empty()) {
    return Status::InvalidArgument("give --genai-prices=FILE, --litellm=FILE or both");
  }
  Result<std::string> date = ImportDate(options.effective_from);
  if (!date.ok()) return date.status();
  Result<std::vector<const ProviderMapping*>> mappings = SelectProviders(options.providers);
  if (!mappings.ok()) return mappings.status();
  Result<std::map<std::string, std::string>> docs = ReadTables(options.pricing_dir);
  if (!docs.ok()) return docs.status();
  Result<std::unique_ptr<JsonNode>> genai = LoadCatalogue(options.genai_prices_file);
  if (!genai.ok()) return genai.status();
  Result<std::unique_ptr<JsonNode>> litellm = LoadCatalogue(options.litellm_file);
  if (!litellm.ok()) return litellm.status();
  const std::string today = FormatIsoDate(NowUnixNs());

  ImportPlan plan;
  for (const ProviderMapping* m : *mappings) {
    const std::string file(m->file);
    const auto existing = docs->find(file);
    std::optional<ExistingTable> table;
    if (existing != docs->end()) {
      Result<ExistingTable> read = ReadTable(existing->second, file);
      if (!read.ok()) return read.status();
      table = std::move(*read);
    }
    std::optional<CatalogueProvider> from_genai, from_litellm;
    if (*genai) from_genai = ReadGenaiPrices(**genai, *m);
    if (*litellm) from_litellm = ReadLitellm(**litellm, *m);
    PlanInput input;
    input.mapping = m;
    input.genai = from_genai ? &*from_genai : nullptr;
    input.litellm = from_litellm ? &*from_litellm : nullptr;
    input.table = table ? &*table : nullptr;
    input.existing_text = existing != docs->end() ? existing->second : "";
    input.default_date = *date;
    input.header_comment = HeaderComment(options, m->provider, today);
    input.version_comment = VersionComment(options, today);
    input.prefer = options.prefer_litellm ? Source::kLitellm : Source::kGenaiPrices;
    input.emit_prefixes = options.emit_prefixes;
    ProviderPlan provider = PlanProvider(input);
    plan.report += Summary(provider, *m);
    if (provider.changed) {
      plan.changes.push_back({file, provider.text, existing == docs->end(), input.existing_text.size()});
    }
  }
  plan.loads = CheckLoads(std::move(*docs), plan.changes);
  return plan;
}

Status ApplyImport(const ImportPlan& plan, const std::string& pricing_dir) {
  if (!plan.loads.ok()) return plan.loads;
  for (const FileChange& change : plan.changes) {
    const fs::path target = fs::path(pricing_dir) / change.file;
    const fs::path temp = fs::path(pricing_dir) / ("." + change.file + ".import-tmp");
    {
      std::ofstream out(temp, std::ios::binary | std::ios::trunc);
      out << change.text;
      out.flush();
      if (!out) return Status::IoError("cannot write " + temp.string());
    }
    std::error_code ec;
    fs::rename(temp, target, ec);
    if (ec) return Status::IoError("cannot rename " + temp.string() + " to " + target.string() + ": " + ec.message());
  }
  return Status::Ok();
}

}  // namespace lce::catalogue
