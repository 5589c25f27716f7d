// The handlers without a socket: a Request in, a Response out. Routing,
// authentication and body reading are the dispatcher's (covered end to end
// by tests/e2e); here each handler's own answers, its declared route, and
// the one Status -> HTTP mapping.
#include <atomic>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "handlers.h"

namespace lce {
namespace {

constexpr const char* kTable = R"(
provider: acme-ai
currency: USD
versions:
  - effective_from: 2020-01-01
    models:
      acme-small: {per_million_tokens: {input: 2, output: 10}}
)";

BudgetRule LimitRule(const char* pattern, const char* dollars) {
  BudgetRule rule;
  rule.campaign_pattern = pattern;
  rule.limit = *Money::ParseDollars(dollars);
  rule.period = BudgetPeriod::kTotal;
  return rule;
}

// Everything the handlers are built from, in memory.
struct Fixture {
  MetricRegistry registry;
  SelfMetrics self{BuildInfo{"test", "test", "test"}};
  std::unique_ptr<UsageMetrics> usage_metrics = UsageMetrics::WithDefaults(registry);
  UsageMetrics& usage = *usage_metrics;
  std::unique_ptr<Ledger> ledger = NewMemoryLedger(std::chrono::hours(1));
  Budgets budgets{BudgetsConfig{{LimitRule("cmp_small", "1")}, std::nullopt, std::chrono::seconds(300)}};
  std::unique_ptr<BudgetCollector> decisions = NewBudgetCollector(budgets, registry.guard());
  IngestPipeline pipeline{usage, *ledger, budgets, self};
  RepricingMetrics repricing{registry.guard()};
  std::shared_ptr<Snapshot> snapshot = std::make_shared<Snapshot>();

  Fixture() {
    auto prices = PriceBook::LoadDocuments({{"acme.yaml", kTable}});
    REQUIRE(prices.ok());
    snapshot->prices = std::move(prices).value();
  }

  Request Post(std::string body, std::string_view content_type = "application/json") const {
    Request request;
    request.method = "POST";
    request.body = std::move(body);
    PadBody(request.body);  // as the dispatcher's reader leaves it, so usage batches parse in place
    request.headers = {{"content-type", content_type}};  // names are case-insensitive
    request.snapshot = snapshot;
    return request;
  }
  Request Get(std::string_view query = {}) const {
    Request request;
    request.method = "GET";
    request.query = query;
    request.snapshot = snapshot;
    return request;
  }
};

nlohmann::json JsonOf(const Response& response) {
  INFO(response.body);
  nlohmann::json json = nlohmann::json::parse(response.body, nullptr, false);
  REQUIRE_FALSE(json.is_discarded());
  return json;
}

Money TotalOf(const Ledger& ledger) {
  // Bound first: a range-for over *ledger.Spend(...) would iterate a destroyed temporary.
  const Result<std::vector<SpendBucket>> buckets =
      ledger.Spend(std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
  REQUIRE(buckets.ok());
  Money total;
  for (const SpendBucket& bucket : *buckets) total += bucket.cost;
  return total;
}

std::string Record(const char* id, int input) {
  return std::string(R"({"event":"llm.call","event_id":")") + id +
         R"(","timestamp":"2026-03-01T00:00:00Z","campaign_id":"cmp_a","vendor":"acme-ai","model":"acme-small",)"
         R"("token_usage":{"input":)" +
         std::to_string(input) + "}}\n";
}

TEST_CASE("one mapping from Status to HTTP; a store failure asks for a retry", "[server][handlers]") {
  CHECK(HttpStatusFor(Status::Code::kInvalidArgument) == 400);
  CHECK(HttpStatusFor(Status::Code::kNotFound) == 404);
  CHECK(HttpStatusFor(Status::Code::kResourceExhausted) == 413);
  CHECK(HttpStatusFor(Status::Code::kPayloadTooLarge) == 413);
  CHECK(HttpStatusFor(Status::Code::kUnprocessable) == 422);
  CHECK(HttpStatusFor(Status::Code::kInternal) == 500);
  CHECK(HttpStatusFor(Status::Code::kIoError) == 503);
  const Response store = Response::FromStatus(Status::IoError("disk full"), "commit: ");
  CHECK(store.status == 503);
  CHECK(store.headers == "Retry-After: 1\r\n");
  CHECK(JsonOf(store)["error"] == "commit: disk full");
  const Response bad = Response::FromStatus(Status::InvalidArgument("no"));
  CHECK(bad.status == 400);
  CHECK(bad.headers.empty());
}

TEST_CASE("every route declares who may call it and how much body it reads", "[server][handlers]") {
  Fixture f;
  std::atomic<bool> ready{true};
  struct Expected {
    std::unique_ptr<Handler> handler;
    const char* path;
    Access access;
    bool reads_body;
  };
  Expected routes[] = {
      {MakeUsageHandler(f.pipeline, f.self), "/v1/usage", Access::kApiKey, true},
      {MakeTracesHandler(f.pipeline, f.self), "/v1/traces", Access::kApiKey, true},
      {MakeSpendHandler(*f.ledger), "/v1/spend", Access::kApiKey, false},
      {MakeBudgetCheckHandler(f.budgets, *f.decisions, f.self), "/v1/budget/check", Access::kApiKey, true},
      {MakeBudgetReserveHandler(f.budgets, *f.decisions, f.self), "/v1/budget/reserve", Access::kApiKey, true},
      {MakeBudgetReleaseHandler(f.budgets, *f.decisions, f.self), "/v1/budget/release", Access::kApiKey, true},
      {MakeBudgetBatchHandler(f.budgets, *f.decisions, f.self), "/v1/budget/batch", Access::kApiKey, true},
      {MakeMetricsHandler(f.registry), "/metrics", Access::kOperator, false},
      {MakeIndexHandler("v", f.budgets), "/", Access::kOperator, false},
      {MakeReloadHandler([](std::string_view) { return Status::Ok(); }), "/-/reload", Access::kOperator, false},
      {MakeRepriceHandler(*f.ledger, f.budgets, f.repricing, f.self), "/v1/admin/reprice", Access::kApiKey, true},
      {MakeRepricingsHandler(*f.ledger, f.self), "/v1/admin/repricings", Access::kApiKey, false},
      {MakeHealthyHandler(), "/-/healthy", Access::kOpen, false},
      {MakeReadyHandler(ready), "/-/ready", Access::kOpen, false},
  };
  for (const Expected& e : routes) {
    INFO(e.path);
    CHECK(e.handler->route().path == e.path);
    CHECK(e.handler->route().access == e.access);
    CHECK((e.handler->route().body_limit != Route::kNoBody) == e.reads_body);
  }
}

TEST_CASE("probes answer from their state alone", "[server][handlers]") {
  Fixture f;
  std::atomic<bool> ready{false};
  auto handler = MakeReadyHandler(ready);
  CHECK(handler->Serve(f.Get()).status == 503);
  ready = true;
  const Response answer = handler->Serve(f.Get());
  CHECK(answer.status == 200);
  CHECK(answer.content_type == "text/plain; charset=utf-8");
  CHECK(MakeHealthyHandler()->Serve(f.Get()).body == "llm_cost_exporter is Healthy.\n");
}

TEST_CASE("usage: counts, conflicts and limits from the request alone", "[server][handlers]") {
  Fixture f;
  auto usage = MakeUsageHandler(f.pipeline, f.self);
  const Response first = usage->Serve(f.Post(Record("e1", 1000) + Record("e2", 5), "application/x-ndjson"));
  CHECK(first.status == 200);
  CHECK(JsonOf(first)["accepted"] == 2);
  // The same id with other tokens: a conflict, and every record rejected is 400.
  const Response conflict = usage->Serve(f.Post(Record("e1", 999), "application/x-ndjson"));
  CHECK(conflict.status == 400);
  CHECK(JsonOf(conflict)["errors"][0]["reason"] == "conflict");
  CHECK(usage->Serve(f.Post("{not json")).status == 400);
  CHECK(usage->Serve(f.Post("[]")).status == 400);
  auto limited = std::make_shared<Snapshot>(*f.snapshot);
  limited->config.ingest.max_records_per_batch = 1;
  Request too_many = f.Post(Record("e3", 1) + Record("e4", 1), "application/x-ndjson");
  too_many.snapshot = limited;
  CHECK(usage->Serve(too_many).status == 413);
  CHECK(f.ledger->Stats().idempotency_keys == 2);  // nothing of the refused requests was counted
}

TEST_CASE("usage: a large NDJSON body, ingested in parts, is answered as the same records in one piece",
          "[server][handlers][parts]") {
  // 4,000 records of about 165 bytes: past the 256 KiB from which NDJSON is
  // ingested in parts. Some bad, one repeated, one over a limit.
  std::vector<std::string> ids;
  for (int i = 0; i < 4000; ++i) ids.push_back("p" + std::to_string(i));
  std::string ndjson;
  std::string array = "[";
  for (int i = 0; i < 4000; ++i) {
    std::string record = i % 701 == 5 ? Record(ids[static_cast<std::size_t>(i)].c_str(), -1)
                         : i == 2000  ? Record("p7", 1000)
                                      : Record(ids[static_cast<std::size_t>(i)].c_str(), 1000);
    ndjson += record;
    record.pop_back();  // its newline
    array += (i > 0 ? "," : "") + record;
  }
  array += "]";
  REQUIRE(ndjson.size() > 2 * 256 * 1024);
  Fixture in_parts;
  Fixture whole;
  const Response streamed =
      MakeUsageHandler(in_parts.pipeline, in_parts.self)->Serve(in_parts.Post(ndjson, "application/x-ndjson"));
  const Response one_piece = MakeUsageHandler(whole.pipeline, whole.self)->Serve(whole.Post(array));
  CHECK(streamed.status == 200);
  CHECK(streamed.body == one_piece.body);
  const nlohmann::json answer = JsonOf(streamed);
  CHECK(answer["accepted"] == 3993);
  CHECK(answer["duplicate"] == 1);
  CHECK(answer["rejected"] == 6);
  CHECK(answer["errors"][3]["index"] == 2108);
  CHECK(TotalOf(*in_parts.ledger) == TotalOf(*whole.ledger));
  CHECK(in_parts.registry.Render(ExpositionFormat::kText004) == whole.registry.Render(ExpositionFormat::kText004));

  // Over max_records_per_batch: refused whole with the exact count, nothing counted.
  Fixture limited;
  auto snapshot = std::make_shared<Snapshot>(*limited.snapshot);
  snapshot->config.ingest.max_records_per_batch = 1000;
  Request too_many = limited.Post(ndjson + "\n" + ndjson, "application/x-ndjson");
  too_many.snapshot = snapshot;
  const Response refused = MakeUsageHandler(limited.pipeline, limited.self)->Serve(too_many);
  CHECK(refused.status == 413);
  CHECK_THAT(refused.body, Catch::Contains("the body holds 8000 records; at most 1000"));
  CHECK(limited.ledger->Stats().idempotency_keys == 0);
}

TEST_CASE("budget check: decisions, bad requests and unpriceable estimates", "[server][handlers]") {
  Fixture f;
  auto check = MakeBudgetCheckHandler(f.budgets, *f.decisions, f.self);
  const Response allow = check->Serve(f.Post(R"({"campaign_id":"cmp_small","estimate_usd":"0.5"})"));
  CHECK(allow.status == 200);
  CHECK(JsonOf(allow)["decision"] == "allow");
  CHECK(JsonOf(allow)["remaining_usd"] == "1");
  const Response deny = check->Serve(f.Post(R"({"campaign_id":"cmp_small","estimate_usd":"2"})"));
  CHECK(JsonOf(deny)["decision"] == "deny");
  const Response priced = check->Serve(
      f.Post(R"({"campaign_id":"cmp_small","vendor":"acme-ai","model":"acme-small","input_tokens":1000000})"));
  CHECK(JsonOf(priced)["estimate_usd"] == "2");
  // A model alone: its vendor is the one table that knows it.
  const Response vendorless =
      check->Serve(f.Post(R"({"campaign_id":"cmp_small","model":"acme-small","input_tokens":1000000})"));
  CHECK(vendorless.status == 200);
  CHECK(JsonOf(vendorless)["estimate_usd"] == "2");
  // Units need their vendor.
  const Response units = check->Serve(f.Post(R"({"campaign_id":"cmp_small","units":{"emails":1}})"));
  CHECK(units.status == 400);
  CHECK(JsonOf(units)["error"] == "field \"vendor\" is required");
  CHECK(check->Serve(f.Post(R"({"estimate_usd":"1"})")).status == 400);
  // An estimate the tables cannot price: a deny budget denies it rather than letting it pass at $0.
  const Response unpriced =
      check->Serve(f.Post(R"({"campaign_id":"cmp_small","vendor":"acme-ai","model":"nope","input_tokens":1})"));
  CHECK(unpriced.status == 200);
  CHECK(JsonOf(unpriced)["decision"] == "deny");
  CHECK(JsonOf(unpriced)["unpriced_estimate"] == "cannot price the estimate: unknown_model");
  // Without a budget there is nothing to protect: allowed, and still said.
  const Response free =
      check->Serve(f.Post(R"({"campaign_id":"cmp_free","vendor":"nobody","model":"nope","input_tokens":1})"));
  CHECK(JsonOf(free)["decision"] == "allow");
  CHECK(JsonOf(free)["unpriced_estimate"] == "cannot price the estimate: unknown_vendor");
  CHECK(JsonOf(priced).count("unpriced_estimate") == 0);
}

TEST_CASE("budget batch: items answered in order, each decided on its own, holds taken in turn", "[server][handlers]") {
  Fixture f;
  auto batch = MakeBudgetBatchHandler(f.budgets, *f.decisions, f.self);
  const Response first = batch->Serve(f.Post(R"({"requests":[
      {"action":"reserve","campaign_id":"cmp_small","estimate_usd":"0.6"},
      {"action":"reserve","campaign_id":"cmp_small","estimate_usd":"0.6"},
      {"action":"check","campaign_id":"cmp_small","estimate_usd":"0.1"},
      {"action":"check","estimate_usd":"0.4"},
      {"action":"check","campaign_id":"cmp_small","model":"acme-small","input_tokens":100000},
      {"action":"check","campaign_id":"cmp_small","vendor":"acme-ai","model":"nope","input_tokens":1},
      {"action":"release","reservation_id":"rsv_unknown"}]})"));
  REQUIRE(first.status == 200);
  const nlohmann::json answers = JsonOf(first)["answers"];
  REQUIRE(answers.size() == 7);
  // The first hold counts against the second: $1 cannot hold 0.6 twice.
  CHECK(answers[0]["status"] == 200);
  CHECK(answers[0]["decision"] == "allow");
  CHECK(answers[0]["reserved_usd"] == "0.6");  // its own hold included
  const std::string held = answers[0]["reservation_id"];
  CHECK(answers[1]["decision"] == "deny");
  CHECK(answers[1]["reserved_usd"] == "0.6");
  CHECK(answers[1].count("reservation_id") == 0);
  CHECK(answers[2]["decision"] == "allow");
  CHECK(answers[2]["remaining_usd"] == "0.4");
  // A bad item is refused alone, with the status its endpoint would answer.
  CHECK(answers[3] == nlohmann::json{{"status", 400}, {"error", "requests[3]: field \"campaign_id\" is required"}});
  CHECK(answers[4]["estimate_usd"] == "0.2");  // priced like a single check: 100k tokens at $2/M
  CHECK(answers[5]["decision"] == "deny");
  CHECK(answers[5]["unpriced_estimate"] == "cannot price the estimate: unknown_model");
  CHECK(answers[6] == nlohmann::json{{"status", 404}, {"released", false}});
  CHECK(f.budgets.Check("cmp_small", Money(), 0).reserved == *Money::ParseDollars("0.6"));

  // The hold released in a later batch; the next item already sees it gone.
  const Response second =
      batch->Serve(f.Post(R"({"requests":[{"action":"release","reservation_id":")" + held +
                          R"("},{"action":"check","campaign_id":"cmp_small","estimate_usd":"0.5"}]})"));
  const nlohmann::json after = JsonOf(second)["answers"];
  CHECK(after[0] == nlohmann::json{{"status", 200}, {"released", true}});
  CHECK(after[1]["decision"] == "allow");
  CHECK(after[1]["reserved_usd"] == "0");
}

TEST_CASE("budget batch: the envelope, its size, and campaigns outside the key", "[server][handlers]") {
  Fixture f;
  auto batch = MakeBudgetBatchHandler(f.budgets, *f.decisions, f.self);
  CHECK(batch->route().body_limit == 1024 * 1024);
  CHECK(batch->Serve(f.Post("not json")).status == 400);
  CHECK(JsonOf(batch->Serve(f.Post(R"({"checks":[]})")))["error"] ==
        "the body must be {\"requests\": [...]}, an array of decisions");
  std::string too_many = R"({"requests":[)";
  for (int i = 0; i <= 1000; ++i) too_many += std::string(i ? "," : "") + R"({"action":"check"})";
  const Response refused = batch->Serve(f.Post(too_many + "]}"));
  CHECK(refused.status == 413);
  CHECK(JsonOf(refused)["error"] == "a batch holds at most 1000 decisions");

  // A key limited to cmp_small: the other campaign's item is 403, the rest decided.
  Principal key{"agent-7", "growth", {}, {"cmp_small"}, false};
  Request scoped = f.Post(R"({"requests":[{"action":"check","campaign_id":"cmp_other","estimate_usd":"1"},
                                          {"action":"check","campaign_id":"cmp_small","estimate_usd":"0.5"}]})");
  scoped.caller.key = &key;
  const nlohmann::json answers = JsonOf(batch->Serve(scoped))["answers"];
  CHECK(answers[0] == nlohmann::json{{"status", 403}, {"error", "API key agent-7 may not use campaign \"cmp_other\""}});
  CHECK(answers[1]["decision"] == "allow");
}

TEST_CASE("single decisions answer as before: members in order, errors as {\"error\"}", "[server][handlers]") {
  Fixture f;
  auto reserve = MakeBudgetReserveHandler(f.budgets, *f.decisions, f.self);
  const Response held = reserve->Serve(f.Post(R"({"campaign_id":"cmp_small","estimate_usd":"0.25"})"));
  const nlohmann::ordered_json answer = nlohmann::ordered_json::parse(held.body);
  std::vector<std::string> keys;
  for (const auto& [key, value] : answer.items()) keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"decision", "campaign_id", "has_budget", "estimate_usd", "limit_usd",
                                         "spent_usd", "reserved_usd", "remaining_usd", "period", "reservation_id",
                                         "reservation_expires"});
  CHECK(answer["reservation_expires"].get<std::string>().size() == 20);  // 2026-04-02T10:15:00Z
  auto release = MakeBudgetReleaseHandler(f.budgets, *f.decisions, f.self);
  const std::string body = R"({"reservation_id":")" + answer["reservation_id"].get<std::string>() + "\"}";
  CHECK(release->Serve(f.Post(body)).body == R"({"released":true})");
  CHECK(release->Serve(f.Post(body)).status == 404);
  const Response bad = release->Serve(f.Post("[]"));
  CHECK(bad.status == 400);
  CHECK(bad.body == R"({"error":"the body must be {\"reservation_id\": \"rsv_...\"}"})");
}

TEST_CASE("spend: query parameters from the request, exact decimals", "[server][handlers]") {
  Fixture f;
  auto usage = MakeUsageHandler(f.pipeline, f.self);
  REQUIRE(usage->Serve(f.Post(Record("s1", 1'500'000) + Record("s2", 1), "application/x-ndjson")).status == 200);
  auto spend = MakeSpendHandler(*f.ledger);
  const Response all = spend->Serve(f.Get("group_by=campaign_id&from=2026-03-01&to=2026-03-02"));
  CHECK(all.status == 200);
  CHECK(JsonOf(all)["total"]["cost_usd"] == "3.000002");
  CHECK(JsonOf(all)["total"]["records"] == 2);
  Request csv = f.Get("group_by=campaign_id&format=csv");
  CHECK(spend->Serve(csv).content_type == "text/csv; charset=utf-8");
  Request accept_csv = f.Get("group_by=campaign_id");
  accept_csv.headers = {{"Accept", "text/csv"}};
  CHECK(spend->Serve(accept_csv).content_type == "text/csv; charset=utf-8");
  CHECK(spend->Serve(f.Get("group_by=colour")).status == 400);
}

TEST_CASE("reprice: needs the reprice scope, corrects spend and budgets exactly, and is audited",
          "[server][handlers][reprice]") {
  Fixture f;
  auto usage = MakeUsageHandler(f.pipeline, f.self);
  const std::string record =
      R"({"event":"llm.call","event_id":"r1","timestamp":"2026-03-01T00:00:00Z","campaign_id":"cmp_small",)"
      R"("vendor":"acme-ai","model":"acme-small","token_usage":{"input":100000,"output":1000}})";
  REQUIRE(usage->Serve(f.Post(record)).status == 200);
  CHECK(f.budgets.Check("cmp_small", Money(), 0).spent == *Money::ParseDollars("0.21"));
  // The table is fixed (input 2 -> 3 USD per million tokens).
  std::string fixed = kTable;
  fixed.replace(fixed.find("input: 2"), 8, "input: 3");
  f.snapshot->prices = *PriceBook::LoadDocuments({{"acme.yaml", fixed}});
  auto reprice = MakeRepriceHandler(*f.ledger, f.budgets, f.repricing, f.self);
  auto repricings = MakeRepricingsHandler(*f.ledger, f.self);
  const std::string body = R"({"from":"2026-03-01","to":"2026-03-02"})";

  Principal reader{"reader", "ops", {}, {}, false};
  Request forbidden = f.Post(body);
  forbidden.caller.key = &reader;
  CHECK(reprice->Serve(forbidden).status == 403);
  Request list_forbidden = f.Get();
  list_forbidden.caller.key = &reader;
  CHECK(repricings->Serve(list_forbidden).status == 403);

  Principal admin{"ops-admin", "ops", {}, {}, true};
  Request dry = f.Post(R"({"from":"2026-03-01","to":"2026-03-02","dry_run":true})");
  dry.caller.key = &admin;
  const nlohmann::json dry_answer = JsonOf(reprice->Serve(dry));
  CHECK(dry_answer["new_total_usd"] == "0.31");
  CHECK(f.budgets.Check("cmp_small", Money(), 0).spent == *Money::ParseDollars("0.21"));

  Request allowed = f.Post(body);
  allowed.caller.key = &admin;
  const Response done = reprice->Serve(allowed);
  REQUIRE(done.status == 200);
  const nlohmann::json answer = JsonOf(done);
  CHECK(answer["id"] == 1);
  CHECK(answer["who"] == "ops-admin");
  CHECK(answer["old_total_usd"] == "0.21");
  CHECK(answer["new_total_usd"] == "0.31");
  CHECK(answer["tables"] == nlohmann::json::array({"acme.yaml@2020-01-01"}));
  CHECK(f.budgets.Check("cmp_small", Money(), 0).spent == *Money::ParseDollars("0.31"));
  CHECK(TotalOf(*f.ledger) == *Money::ParseDollars("0.31"));

  Request list = f.Get();
  list.caller.key = &admin;
  const nlohmann::json audits = JsonOf(repricings->Serve(list));
  REQUIRE(audits["repricings"].size() == 1);
  CHECK(audits["repricings"][0]["buckets_changed"] == 1);

  CHECK(reprice->Serve(f.Post(R"({"from":"2026-03-02","to":"2026-03-01"})")).status == 400);
  CHECK(reprice->Serve(f.Post(R"({"to":"2026-03-01"})")).status == 400);
  CHECK(reprice->Serve(f.Post(R"({"from":"2026-03-01","to":"2026-03-02","dry_run":"yes"})")).status == 400);
}

TEST_CASE("reload answers with the reloader's status and the caller as actor", "[server][handlers]") {
  Fixture f;
  std::string actor;
  auto reload = MakeReloadHandler([&actor](std::string_view who) {
    actor = who;
    return Status::InvalidArgument("broken.yml: line 3");
  });
  Request request = f.Get();
  request.caller.user = "ops";
  const Response answer = reload->Serve(request);
  CHECK(answer.status == 500);
  CHECK(answer.body == "failed to reload config: broken.yml: line 3\n");
  CHECK(actor == "ops");
}

}  // namespace
}  // namespace lce
