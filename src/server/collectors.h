// Scrape-time collectors of the server module: budget families and the
// ledger's health. Private to the server module.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "llm_cost_exporter/budgets.h"
#include "llm_cost_exporter/ledger.h"

namespace lce {

// Budget families: campaign_budget_{limit,spent,reserved}_usd from
// Budgets::Snapshot at scrape time, and budget_decisions_total counted by the
// check / reserve endpoints. At most `campaign_limit` campaigns get their own
// decision series; later ones are folded into campaign_id="__overflow__".
class BudgetCollector : public prometheus::Collectable {
 public:
  virtual void CountDecision(std::string_view campaign_id, BudgetDecision decision) = 0;
};
std::unique_ptr<BudgetCollector> NewBudgetCollector(Budgets& budgets, std::size_t campaign_limit);

// A family of one unlabelled sample (a counter or a gauge).
prometheus::MetricFamily OneSampleFamily(std::string name, std::string help, prometheus::MetricType type,
                                         double value);

// Scrape-time view of Ledger::Stats as llm_cost_exporter_ledger_* families.
std::unique_ptr<prometheus::Collectable> NewLedgerCollector(const Ledger& ledger);

}  // namespace lce
