#include "planner.h"

#include <algorithm>
#include <map>

#include "decimal.h"
#include "readers.h"
#include "writer.h"

namespace lce::catalogue {
namespace {

const char* SourceName(Source s) { return s == Source::kGenaiPrices ? "genai-prices" : "litellm"; }

// The prices of `model` in force on `date`.
const Schedule& ScheduleAt(const CatalogueModel& model, const std::string& date) {
  const Schedule* found = &model.model.schedule;
  for (const auto& [start, schedule] : model.dated) {
    if (start <= date) found = &schedule;
  }
  return *found;
}

Schedule& ScheduleAt(CatalogueModel& model, const std::string& date) {
  return const_cast<Schedule&>(ScheduleAt(static_cast<const CatalogueModel&>(model), date));
}

std::string TiersText(const Schedule& s) {
  if (s.tiers.empty()) return "none";
  std::string out;
  for (const Tier& t : s.tiers) out += (out.empty() ? "above " : ", ") + std::to_string(t.above_input_tokens);
  return out;
}

bool SameTiers(const Schedule& a, const Schedule& b) {
  Schedule x = a, y = b;
  x.base = y.base = Prices{};
  return x.SameAs(y);
}

// Merges the two catalogues' views of one provider; disagreements are
// settled by the table's value when the table has the model, else by
// `prefer`, and printed.
class Merger {
 public:
  Merger(const PlanInput& input, ProviderPlan& plan) : in_(input), plan_(plan) {}

  std::vector<CatalogueModel> Merge() {
    if (in_.genai == nullptr) return in_.litellm->models;
    models_ = in_.genai->models;
    for (std::size_t i = 0; i < models_.size(); ++i) {
      Index(models_[i].model.name, i);
      for (const std::string& alias : models_[i].model.aliases) Index(alias, i);
    }
    if (in_.litellm != nullptr) {
      for (const CatalogueModel& l : in_.litellm->models) MergeOne(l);
    }
    ReportUnusedRules();
    return models_;
  }

 private:
  void Index(const std::string& name, std::size_t i) { index_.emplace(Lowercase(name), i); }

  // contains/regex/ends_with rules are only expanded against LiteLLM ids.
  void ReportUnusedRules() {
    for (std::size_t i = 0; i < models_.size(); ++i) {
      if (models_[i].has_rules && !expanded_.contains(i)) {
        plan_.messages.push_back(models_[i].model.name +
                                 ": contains/regex/ends_with rules not imported (they match no LiteLLM id)");
      }
    }
  }

  // The genai-prices model a LiteLLM id resolves to: exact name or alias,
  // else (by_rule) the first whose prefixes or rules match it.
  struct Resolved {
    std::size_t model = 0;
    bool by_rule = false;
  };
  std::optional<Resolved> Resolve(const std::string& id) {
    if (const auto it = index_.find(Lowercase(id)); it != index_.end()) return Resolved{it->second, false};
    for (std::size_t i = 0; i < models_.size(); ++i) {
      const CatalogueModel& g = models_[i];
      if ((g.has_rules || !g.model.prefixes.empty()) && g.match != nullptr && ClauseMatches(*g.match, id)) {
        expanded_.insert(i);
        return Resolved{i, true};
      }
    }
    return std::nullopt;
  }

  // A LiteLLM id that only a broad genai-prices rule takes (a "contains"
  // rule taking Azure's "us/o4-mini-2025-04-16") but whose prices differ is a
  // variant with prices of its own (a data zone, a region): imported as its
  // own model at LiteLLM's prices, the more specific entry.
  void AddVariant(const CatalogueModel& l, const CatalogueModel& rule_owner) {
    plan_.messages.push_back(std::string(in_.mapping->provider) + "/" + l.model.name +
                             ": matched by a genai-prices rule of " + rule_owner.model.name +
                             " but priced differently: imported as its own model with LiteLLM's prices");
    index_[Lowercase(l.model.name)] = models_.size();
    models_.push_back(l);
  }

  // The table's model `name` in force on the import date (the date the
  // catalogues' undated prices are compared at).
  const Model* TableModel(const std::string& name) const {
    if (in_.table == nullptr) return nullptr;
    const TableVersion* version = VersionAt(*in_.table, in_.default_date);
    return version == nullptr ? nullptr : FindModel(*version, name);
  }

  void MergeOne(const CatalogueModel& l) {
    const std::string& id = l.model.name;
    const std::optional<Resolved> resolved = Resolve(id);
    if (!resolved) {
      index_.emplace(Lowercase(id), models_.size());
      models_.push_back(l);
      return;
    }
    const std::size_t at = resolved->model;
    CatalogueModel& g = models_[at];
    const bool same_name = g.model.name == id;
    Schedule& genai = ScheduleAt(g, in_.default_date);
    const Schedule& litellm = l.model.schedule;
    if (same_name && g.model.service_tiers.empty()) g.model.service_tiers = l.model.service_tiers;
    if (genai.SameAs(litellm)) {
      if (!same_name && index_.emplace(Lowercase(id), at).second) g.model.aliases.push_back(id);
      return;
    }
    const Model* table = TableModel(id);
    if (table == nullptr && resolved->by_rule) {
      AddVariant(l, g);  // after this, g may have moved
    } else if (table != nullptr && table->name != g.model.name) {
      Settle(id, genai, litellm, table);  // reports; the table's own model stays as it is
      DropAlias(g, id);
    } else if (table == nullptr && !same_name && in_.prefer == Source::kLitellm) {
      Settle(id, genai, litellm, nullptr);
      DropAlias(g, id);
      index_[Lowercase(id)] = models_.size();
      models_.push_back(l);
    } else if (table == nullptr && !same_name) {
      Settle(id, genai, litellm, nullptr);
      if (index_.emplace(Lowercase(id), at).second) g.model.aliases.push_back(id);
    } else {
      genai = Settle(id, genai, litellm, table);
    }
  }

  static void DropAlias(CatalogueModel& g, const std::string& id) {
    auto& aliases = g.model.aliases;
    aliases.erase(std::remove(aliases.begin(), aliases.end(), id), aliases.end());
  }

  // The table states a field when it writes it, or (except cache_write_1h,
  // which older tables could not write) through its defaults.
  static bool TableStates(const Model& table, std::size_t field) {
    return table.schedule.base.given[field].has_value() || static_cast<Field>(field) != Field::kCacheWrite1h;
  }

  // Settles a disagreement field by field and prints it: the table's value
  // where the table states the field, else the preferred catalogue's.
  Schedule Settle(const std::string& id, const Schedule& genai, const Schedule& litellm, const Model* table) {
    const bool prefer_genai = in_.prefer == Source::kGenaiPrices;
    const std::string took = std::string("took ") + SourceName(in_.prefer) + " value ";
    const std::string who = std::string(in_.mapping->provider) + "/" + id + ": ";
    Schedule out = prefer_genai ? genai : litellm;
    for (std::size_t i = 0; i < kFieldCount; ++i) {
      const auto f = static_cast<Field>(i);
      const int128 a = genai.base.Effective(f), b = litellm.base.Effective(f);
      if (a == b || (!genai.base.given[i] && !litellm.base.given[i])) continue;
      std::string how;
      if (table != nullptr && TableStates(*table, i)) {
        out.base.given[i] = table->schedule.base.Effective(f);
        how = "kept table value " + FormatPrice(*out.base.given[i]);
      } else {
        how = took + FormatPrice(out.base.Effective(f)) +
              (table == nullptr ? " (not in the table)" : std::string(" (the table has no ") + kFieldNames[i] + ")");
      }
      plan_.messages.push_back(who + kFieldNames[i] + " genai-prices " + FormatPrice(a) + ", litellm " +
                               FormatPrice(b) + " -> " + how);
    }
    if (!SameTiers(genai, litellm)) {
      if (table != nullptr) out.tiers = table->schedule.tiers;
      plan_.messages.push_back(who + "tiers genai-prices " + TiersText(genai) + ", litellm " + TiersText(litellm) +
                               " -> " + (table != nullptr ? "kept table value " : took) + TiersText(out) +
                               (table != nullptr ? "" : " (not in the table)"));
    }
    return out;
  }

  const PlanInput& in_;
  ProviderPlan& plan_;
  std::vector<CatalogueModel> models_;
  std::map<std::string, std::size_t> index_;  // lower-cased names and aliases
  std::set<std::size_t> expanded_;            // models whose rules matched a LiteLLM id
};

// The catalogue's service tiers agree with the table model's (model map over
// the version's multipliers); tiers the catalogue does not give are not compared.
bool SameServiceTiers(const Model& catalogue, const Model& table, const TableVersion& version) {
  for (const auto& [tier, service] : catalogue.service_tiers) {
    ServiceTier in_table;
    if (const auto it = table.service_tiers.find(tier); it != table.service_tiers.end()) {
      in_table = it->second;
    } else if (const auto v = version.service_tiers.find(tier); v != version.service_tiers.end()) {
      in_table.multiplier_micro = v->second;
    } else {
      return false;
    }
    if (!service.SameAs(in_table, table.schedule)) return false;
  }
  return true;
}

bool SamePrices(const Model& catalogue, const Model& table, const TableVersion& version) {
  return catalogue.schedule.SameAs(table.schedule) && SameServiceTiers(catalogue, table, version);
}

// The lower-cased names, aliases and prefixes of every model of `version`
// other than `except`.
struct TakenNames {
  std::set<std::string> names;
  std::set<std::string> prefixes;
};

TakenNames OtherNames(const TableVersion& version, const std::string& except) {
  TakenNames taken;
  for (const auto& [name, model] : version.models) {
    if (name == except) continue;
    taken.names.insert(Lowercase(name));
    for (const std::string& alias : model.aliases) taken.names.insert(Lowercase(alias));
    for (const std::string& prefix : model.prefixes) taken.prefixes.insert(Lowercase(prefix));
  }
  return taken;
}

void AppendUnique(std::vector<std::string>& to, const std::vector<std::string>& from) {
  for (const std::string& s : from) {
    if (std::find(to.begin(), to.end(), s) == to.end()) to.push_back(s);
  }
}

class Planner {
 public:
  Planner(const PlanInput& input, ProviderPlan& plan) : in_(input), plan_(plan) {}

  void Run(const std::vector<CatalogueModel>& models) {
    std::set<std::string> dates = {in_.default_date};
    for (const CatalogueModel& m : models) {
      for (const auto& [start, schedule] : m.dated) dates.insert(start);
    }
    if (in_.table != nullptr) {
      state_ = in_.table->versions.back();
      newest_ = state_.date;
    }
    for (const std::string& date : dates) {
      const std::vector<const CatalogueModel*> priced = PricedOn(models, date);
      if (in_.table != nullptr && date <= newest_) {
        CheckHistory(priced, date);
      } else {
        AppendVersion(priced, date);
      }
    }
    for (const CatalogueModel& m : models) {
      const std::string& n = m.model.name;
      if (!plan_.added.contains(n) && !plan_.changed_models.contains(n) && !plan_.refused.contains(n)) {
        plan_.unchanged.insert(n);
      }
    }
  }

  std::string appended;
  bool first_written = false;

 private:
  // The models whose catalogue states a price from `date`: every model on the
  // import date (undated prices hold from then), else those with a dated
  // entry starting on `date`.
  std::vector<const CatalogueModel*> PricedOn(const std::vector<CatalogueModel>& models,
                                              const std::string& date) const {
    std::vector<const CatalogueModel*> out;
    for (const CatalogueModel& m : models) {
      const bool dated = std::any_of(m.dated.begin(), m.dated.end(), [&](const auto& d) { return d.first == date; });
      if (dated || date == in_.default_date) out.push_back(&m);
    }
    return out;
  }

  // A dated price on or before the table's newest version must already be
  // what the table says then.
  // Service tiers (LiteLLM's, undated) are compared on the import date only.
  void CheckHistory(const std::vector<const CatalogueModel*>& models, const std::string& date) {
    const TableVersion* version = VersionAt(*in_.table, date);
    if (version == nullptr) return;
    for (const CatalogueModel* m : models) {
      const Model* table = FindModel(*version, m->model.name);
      Model wanted = m->model;
      wanted.schedule = ScheduleAt(*m, date);
      if (date != in_.default_date) wanted.service_tiers.clear();
      if (table == nullptr || SamePrices(wanted, *table, *version)) continue;
      plan_.refused.insert(m->model.name);
      plan_.messages.push_back(m->model.name + ": price from " + date + " differs from the table's version " +
                               version->effective_from + ": would rewrite history, not written");
    }
  }

  // The model to write for `m`, or nullopt when the state already has it.
  std::optional<Model> Resolve(const CatalogueModel& m, const std::string& date) {
    Model wanted = m.model;
    wanted.schedule = ScheduleAt(m, date);
    const Model* table = FindModel(state_, wanted.name);
    if (table != nullptr && table->name != wanted.name) {
      if (!SamePrices(wanted, *table, state_)) {
        plan_.refused.insert(wanted.name);
        plan_.messages.push_back(wanted.name + ": is an alias of table model " + table->name +
                                 " whose prices differ; not imported (edit the table)");
      }
      return std::nullopt;
    }
    const TakenNames taken = OtherNames(state_, wanted.name);
    if (table != nullptr) {
      const bool same_prices = SamePrices(wanted, *table, state_);
      std::map<std::string, ServiceTier> tiers = table->service_tiers;
      for (const auto& [tier, service] : wanted.service_tiers) tiers[tier] = service;
      wanted.service_tiers = std::move(tiers);
      wanted.per_unit = table->per_unit;
      std::vector<std::string> aliases = table->aliases;
      AppendUnique(aliases, wanted.aliases);
      wanted.aliases = std::move(aliases);
      std::vector<std::string> prefixes = table->prefixes;
      if (in_.emit_prefixes) AppendUnique(prefixes, wanted.prefixes);
      wanted.prefixes = std::move(prefixes);
      DropTaken(wanted, taken);
      if (same_prices && wanted.aliases == table->aliases && wanted.prefixes == table->prefixes) return std::nullopt;
      plan_.changed_models.insert(wanted.name);
    } else {
      if (!in_.emit_prefixes) wanted.prefixes.clear();
      DropTaken(wanted, taken);
      plan_.added.insert(wanted.name);
    }
    DropStandardTiers(wanted);
    return wanted;
  }

  // A model's service tier that only repeats the version's multiplier is not written.
  void DropStandardTiers(Model& model) const {
    for (auto it = model.service_tiers.begin(); it != model.service_tiers.end();) {
      const auto v = state_.service_tiers.find(it->first);
      const bool inherited = v != state_.service_tiers.end() && it->second.multiplier_micro == v->second;
      it = inherited ? model.service_tiers.erase(it) : std::next(it);
    }
  }

  // Drops aliases and prefixes another model already has (the first wins),
  // and repeats within the model.
  void DropTaken(Model& model, const TakenNames& taken) {
    std::set<std::string> own = {Lowercase(model.name)};
    model.aliases = KeepFree(model.name, model.aliases, taken.names, own, "alias");
    std::set<std::string> own_prefixes;
    model.prefixes = KeepFree(model.name, model.prefixes, taken.prefixes, own_prefixes, "prefix");
  }

  std::vector<std::string> KeepFree(const std::string& model, const std::vector<std::string>& names,
                                    const std::set<std::string>& taken, std::set<std::string>& own,
                                    const std::string& what) {
    std::vector<std::string> kept;
    for (const std::string& name : names) {
      const std::string key = Lowercase(name);
      if (taken.contains(key)) {
        plan_.messages.push_back(model + ": " + what + " " + name + " belongs to another table model; not added");
      } else if (own.insert(key).second) {
        kept.push_back(name);
      }
    }
    return kept;
  }

  void AppendVersion(const std::vector<const CatalogueModel*>& models, const std::string& date) {
    std::vector<Model> written;
    for (const CatalogueModel* m : models) {
      std::optional<Model> model = Resolve(*m, date);
      if (!model) continue;
      state_.models[model->name] = *model;
      written.push_back(std::move(*model));
    }
    if (written.empty()) return;
    const bool first = in_.table == nullptr && !first_written;
    appended += (appended.empty() && !in_.existing_text.empty() ? "\n" : (appended.empty() ? "" : "\n"));
    appended += VersionText(date, first, written, in_.version_comment);
    first_written = true;
    state_.date = date;
  }

  const PlanInput& in_;
  ProviderPlan& plan_;
  TableVersion state_;
  std::string newest_;
};

// Table models no catalogue names any more are kept (an import never
// removes); they are listed so a reviewer can retire them by hand.
void ReportKept(const PlanInput& input, ProviderPlan& plan) {
  const ExistingTable* table = input.table;
  if (table == nullptr || table->versions.empty()) return;
  std::set<std::string> known;
  for (const CatalogueProvider* c : {input.genai, input.litellm}) {
    if (c == nullptr) continue;
    for (const CatalogueModel& m : c->models) {
      known.insert(Lowercase(m.model.name));
      for (const std::string& alias : m.model.aliases) known.insert(Lowercase(alias));
    }
  }
  std::string kept;
  for (const auto& [name, model] : table->versions.back().models) {
    bool named = known.contains(Lowercase(name));
    for (const std::string& alias : model.aliases) named = named || known.contains(Lowercase(alias));
    if (!named) kept += (kept.empty() ? "" : ", ") + name;
  }
  if (!kept.empty()) plan.messages.push_back("kept, not in the catalogues: " + kept);
}

}  // namespace

ProviderPlan PlanProvider(const PlanInput& input) {
  ProviderPlan plan;
  plan.file = std::string(input.mapping->file);
  for (const CatalogueProvider* c : {input.genai, input.litellm}) {
    if (c == nullptr) continue;
    plan.messages.insert(plan.messages.end(), c->messages.begin(), c->messages.end());
    plan.refused.insert(c->refused.begin(), c->refused.end());
  }
  if (input.genai == nullptr && input.litellm == nullptr) {
    plan.text = input.existing_text;
    return plan;
  }
  const std::vector<CatalogueModel> models = Merger(input, plan).Merge();
  Planner planner(input, plan);
  planner.Run(models);
  ReportKept(input, plan);
  std::set<std::string> seen;
  std::erase_if(plan.messages, [&](const std::string& m) { return !seen.insert(m).second; });
  plan.changed = !planner.appended.empty();
  if (input.table == nullptr) {
    plan.text =
        plan.changed ? TableHeader(std::string(input.mapping->provider), input.header_comment) + planner.appended : "";
  } else {
    std::string text = input.existing_text;
    if (plan.changed && !text.empty() && text.back() != '\n') text += "\n";
    plan.text = text + planner.appended;
  }
  return plan;
}

}  // namespace lce::catalogue
