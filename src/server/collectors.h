// Scrape-time collectors of the server module: budget families and the
// ledger's health. Private to the server module.
#pragma once

#include <memory>
#include <string_view>

#include "llm_cost_exporter/budgets.h"
#include "llm_cost_exporter/ledger.h"
#include "llm_cost_exporter/metric_registry.h"

namespace lce {

// Budget families: campaign_budget_{limit,spent,reserved}_usd and friends
// from Budgets::Snapshot at scrape time, and budget_decisions_total counted by
// the check / reserve endpoints. Decision campaign ids go through the
// registry's cardinality guard (campaign_id's limit, shared with the usage
// families): a campaign beyond it is counted as campaign_id="__overflow__".
class BudgetCollector : public Collector {
 public:
  virtual void CountDecision(std::string_view campaign_id, BudgetDecision decision) = 0;
  // A decision the shared store could not serve (budgets.on_store_error
  // decided it): llm_cost_exporter_budget_store_errors_total{decision},
  // exposed when the budgets are shared.
  virtual void CountStoreError(BudgetDecision decision) = 0;
};
std::unique_ptr<BudgetCollector> NewBudgetCollector(const Budgets& budgets, CardinalityGuard& guard);

// Scrape-time view of Ledger::Stats as llm_cost_exporter_ledger_* families.
std::unique_ptr<Collector> NewLedgerCollector(const Ledger& ledger);

}  // namespace lce
