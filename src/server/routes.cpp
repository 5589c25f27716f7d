// Wiring: every endpoint's handler, built with only what it uses, behind a
// Dispatcher registered with CivetWeb. Adding an endpoint means a handler
// (handlers.h) and one line here.
#include "dispatcher.h"
#include "exporter_impl.h"
#include "handlers.h"

namespace lce {

void RegisterHandlers(Exporter::Impl& impl) {
  std::vector<std::unique_ptr<Handler>> handlers;
  handlers.push_back(MakeUsageHandler(impl.pipeline, impl.self));
  handlers.push_back(MakeTracesHandler(impl.pipeline, impl.self));
  handlers.push_back(MakeMetricsHandler(*impl.registry));
  handlers.push_back(MakeSpendHandler(*impl.ledger));
  handlers.push_back(MakeBudgetCheckHandler(impl.budgets, *impl.budget_metrics, impl.self));
  handlers.push_back(MakeBudgetReserveHandler(impl.budgets, *impl.budget_metrics, impl.self));
  handlers.push_back(MakeBudgetReleaseHandler(impl.budgets, *impl.budget_metrics, impl.self));
  handlers.push_back(MakeBudgetBatchHandler(impl.budgets, *impl.budget_metrics, impl.self));
  handlers.push_back(MakeRepriceHandler(*impl.ledger, impl.budgets, *impl.repricing_metrics, impl.self));
  handlers.push_back(MakeRepricingsHandler(*impl.ledger, impl.self));
  handlers.push_back(MakeHealthyHandler());
  handlers.push_back(MakeReadyHandler(impl.ready));
  handlers.push_back(MakeReloadHandler([&impl](std::string_view actor) { return impl.Reload(actor); }));
  handlers.push_back(MakeIndexHandler(impl.settings.build.version, impl.budgets));

  Edge edge;
  edge.current = [&impl] { return impl.Current(); };
  edge.basic_auth = impl.basic_auth.get();
  edge.rate_limiter = &impl.rate_limiter;
  edge.gate = impl.gate.get();
  edge.self = &impl.self;
  for (std::unique_ptr<Handler>& handler : handlers) {
    auto dispatcher = std::make_unique<Dispatcher>(edge, std::move(handler));
    impl.http->addHandler(dispatcher->path(), dispatcher.get());
    impl.handlers.push_back(std::move(dispatcher));
  }
}

}  // namespace lce
