// PriceBook construction: reading the pricing directory, parsing every file
// and checking what spans files (provider names and aliases).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <system_error>
#include <tuple>

#include "llm_cost_exporter/pricing.h"
#include "price_model.h"
#include "price_table_loader.h"

namespace lce {
namespace {

namespace fs = std::filesystem;

bool IsTableFile(const fs::directory_entry& entry) {
  std::error_code ec;
  const std::string name = entry.path().filename().string();
  const std::string extension = entry.path().extension().string();
  // Hidden names are skipped: editor backups, and the "..data" entries of a
  // Kubernetes ConfigMap mount (whose visible files are symlinks, followed here).
  return !name.empty() && name.front() != '.' && (extension == ".yaml" || extension == ".yml") &&
         entry.is_regular_file(ec);
}

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) return Status::IoError(path.string() + ": cannot read");
  return text.str();
}

// Registers a provider name or alias, as written and lower-cased (vendors
// match in any case); each may belong to one provider only.
Status RegisterVendor(const std::string& name, std::size_t index, PriceBook::Impl& impl) {
  const auto taken = [&](std::size_t owner_index, bool folded) {
    const pricing::ProviderTable& owner = impl.providers[owner_index];
    return Status::InvalidArgument(impl.providers[index].file + ": provider name or alias '" + name +
                                   "' is already used by provider '" + owner.name + "' (" + owner.file + ")" +
                                   (folded ? " (names match in any case)" : ""));
  };
  const auto [holder, inserted] = impl.vendor_index.Insert(name, index);
  if (!inserted) return taken(holder, false);
  std::string folded = pricing::LowerCase(name);
  if (folded == name) return Status::Ok();
  // The lower-cased form may repeat another name of the same provider ("Acme", "acme").
  const auto [lower_holder, lower_inserted] = impl.vendor_index.Insert(folded, index);
  if (!lower_inserted && lower_holder != index) return taken(lower_holder, true);
  return Status::Ok();
}

Result<std::unique_ptr<PriceBook::Impl>> Assemble(std::vector<pricing::ProviderTable> providers) {
  auto impl = std::make_unique<PriceBook::Impl>();
  impl->providers = std::move(providers);
  for (std::size_t i = 0; i < impl->providers.size(); ++i) {
    const pricing::ProviderTable& provider = impl->providers[i];
    if (Status s = RegisterVendor(provider.name, i, *impl); !s.ok()) return s;
    for (const std::string& alias : provider.aliases) {
      if (Status s = RegisterVendor(alias, i, *impl); !s.ok()) return s;
    }
    for (const pricing::VersionPrices& version : provider.versions) {
      impl->tables.push_back({provider.name, provider.file, version.effective_from, version.effective_from_unix_ns,
                              version.models.size()});
    }
  }
  std::sort(impl->tables.begin(), impl->tables.end(), [](const PriceTableInfo& a, const PriceTableInfo& b) {
    return std::tie(a.provider, a.effective_from_unix_ns) < std::tie(b.provider, b.effective_from_unix_ns);
  });
  return impl;
}

// Adds one configured model alias to every version of its table that knows
// the model, as an exact and a lower-cased name (so it matches like a table
// alias: before any prefix rule).
Status AddModelAlias(const ModelAlias& alias, PriceBook::Impl& impl) {
  const std::string where = "pricing.model_aliases: vendor '" + alias.vendor + "', name '" + alias.name + "'";
  if (alias.name.empty() || alias.name.size() > pricing::kMaxNameLength) {
    return Status::InvalidArgument(where + ": the name must be 1 to " + std::to_string(pricing::kMaxNameLength) +
                                   " characters");
  }
  const std::optional<std::size_t> index = impl.FindProvider(alias.vendor);
  if (!index) {
    return Status::InvalidArgument(where + ": no price table has the provider name or alias '" + alias.vendor + "'");
  }
  pricing::ProviderTable& table = impl.providers[*index];
  const std::string folded = pricing::LowerCase(alias.name);
  bool known = false;
  for (pricing::VersionPrices& version : table.versions) {
    if (version.model_index.Contains(alias.name) || version.folded_index.Contains(folded)) {
      return Status::InvalidArgument(where + ": " + table.file + " already has a model or alias '" + alias.name +
                                     "' (version " + version.effective_from + ")");
    }
    const pricing::ModelPrices* model = version.FindModel(alias.model);
    if (model == nullptr) continue;
    const auto position = static_cast<std::size_t>(model - version.models.data());
    version.model_index.Insert(alias.name, position);
    version.folded_index.Insert(folded, position);
    known = true;
  }
  if (!known) {
    return Status::InvalidArgument(where + ": no version of " + table.file + " has the model '" + alias.model + "'");
  }
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<const PriceBook>> PriceBook::LoadDocuments(
    const std::vector<std::pair<std::string, std::string>>& documents, std::span<const ModelAlias> model_aliases) {
  std::vector<pricing::ProviderTable> providers;
  for (const auto& [file, text] : documents) {
    Result<pricing::ProviderTable> table = pricing::ParsePriceTable(file, text);
    if (!table.ok()) return table.status();
    providers.push_back(std::move(*table));
  }
  Result<std::unique_ptr<Impl>> impl = Assemble(std::move(providers));
  if (!impl.ok()) return impl.status();
  for (const ModelAlias& alias : model_aliases) {
    if (Status s = AddModelAlias(alias, **impl); !s.ok()) return s;
  }
  return std::shared_ptr<const PriceBook>(new PriceBook(std::move(*impl)));
}

Result<std::shared_ptr<const PriceBook>> PriceBook::LoadDirectory(const std::string& dir,
                                                                  std::span<const ModelAlias> model_aliases) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (IsTableFile(*it)) files.push_back(it->path());
  }
  if (ec) return Status::IoError("pricing directory '" + dir + "': " + ec.message());
  if (files.empty()) return Status::NotFound("pricing directory '" + dir + "' has no *.yaml or *.yml price tables");
  std::sort(files.begin(), files.end());
  std::vector<std::pair<std::string, std::string>> documents;
  for (const fs::path& path : files) {
    Result<std::string> text = ReadFile(path);
    if (!text.ok()) return text.status();
    documents.emplace_back(path.filename().string(), std::move(*text));
  }
  return LoadDocuments(documents, model_aliases);
}

}  // namespace lce
