// The handlers of every endpoint, each built with only what it uses.
// Private to the server module; the exporter wires them (exporter.cpp).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "collectors.h"
#include "handler.h"
#include "llm_cost_exporter/budgets.h"
#include "llm_cost_exporter/ledger.h"
#include "llm_cost_exporter/pipeline.h"
#include "llm_cost_exporter/repricing.h"
#include "llm_cost_exporter/self_metrics.h"

namespace lce {

// POST /v1/usage and POST /v1/traces: records (or spans) through the pipeline.
std::unique_ptr<Handler> MakeUsageHandler(IngestPipeline& pipeline, SelfMetrics& self);
std::unique_ptr<Handler> MakeTracesHandler(IngestPipeline& pipeline, SelfMetrics& self);
// GET /metrics: the registry's exposition, in the format the Accept header prefers.
std::unique_ptr<Handler> MakeMetricsHandler(const MetricRegistry& registry);
// GET /v1/spend: exact spend from the ledger.
std::unique_ptr<Handler> MakeSpendHandler(const Ledger& ledger);
// POST /v1/budget/check, /v1/budget/reserve, /v1/budget/release, and
// /v1/budget/batch (several of them in one request).
std::unique_ptr<Handler> MakeBudgetCheckHandler(Budgets& budgets, BudgetCollector& decisions, SelfMetrics& self);
std::unique_ptr<Handler> MakeBudgetReserveHandler(Budgets& budgets, BudgetCollector& decisions, SelfMetrics& self);
std::unique_ptr<Handler> MakeBudgetReleaseHandler(Budgets& budgets, BudgetCollector& decisions, SelfMetrics& self);
std::unique_ptr<Handler> MakeBudgetBatchHandler(Budgets& budgets, BudgetCollector& decisions, SelfMetrics& self);
// GET /-/healthy, GET /-/ready (200 while `ready`), POST /-/reload.
std::unique_ptr<Handler> MakeHealthyHandler();
std::unique_ptr<Handler> MakeReadyHandler(const std::atomic<bool>& ready);
std::unique_ptr<Handler> MakeReloadHandler(std::function<Status(std::string_view actor)> reload);
// POST /v1/admin/reprice, GET /v1/admin/repricings: re-pricing history
// (API key scope "reprice").
std::unique_ptr<Handler> MakeRepriceHandler(Ledger& ledger, Budgets& budgets, RepricingMetrics& metrics,
                                            SelfMetrics& self);
std::unique_ptr<Handler> MakeRepricingsHandler(const Ledger& ledger, SelfMetrics& self);
// GET /: the status page.
std::unique_ptr<Handler> MakeIndexHandler(std::string version, Budgets& budgets);

}  // namespace lce
