#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "llm_cost_exporter/config.h"

using lce::ParseConfig;

TEST_CASE("an empty document gives the defaults", "[config]") {
  auto config = ParseConfig("", "empty.yml");
  REQUIRE(config.ok());
  CHECK(config->server.max_body_bytes == 8 * 1024 * 1024);
  CHECK(config->ingest.max_label_length == 128);
  CHECK(config->metrics.cardinality.default_limit == 1000);
  CHECK(config->storage.fsync_every_commit);  // acknowledged means durable by default
}

TEST_CASE("every section is read", "[config]") {
  auto config = ParseConfig(R"(
server: {max_body_bytes: 1024, worker_threads: 4, request_timeout_ms: 500}
ingest: {max_label_length: 64}
metrics:
  cardinality: {default_limit: 10, per_label: {campaign_id: 3}}
  latency_buckets_seconds: [0.1, 1]
  tokens_per_request_buckets: [10, 100]
  business_event_families: {email.sent: messages_sent_total}
)",
                            "full.yml");
  REQUIRE(config.ok());
  CHECK(config->server.max_body_bytes == 1024);
  CHECK(config->server.worker_threads == 4);
  CHECK(config->server.request_timeout_ms == 500);
  CHECK(config->ingest.max_label_length == 64);
  CHECK(config->metrics.cardinality.default_limit == 10);
  CHECK(config->metrics.cardinality.LimitFor("campaign_id") == 3);
  CHECK(config->metrics.cardinality.LimitFor("model") == 10);
  CHECK(config->metrics.latency_buckets_seconds == std::vector<double>{0.1, 1});
  CHECK(config->metrics.business_event_families.at("email.sent") == "messages_sent_total");
}

TEST_CASE("unknown keys are errors naming the key and line", "[config]") {
  auto config = ParseConfig("server:\n  max_body_byte: 10\n", "typo.yml");
  REQUIRE_FALSE(config.ok());
  CHECK_THAT(config.status().message(),
             Catch::Contains("typo.yml") && Catch::Contains("server.max_body_byte") && Catch::Contains("line 2"));
}

TEST_CASE("wrong types and ranges are errors", "[config]") {
  CHECK_FALSE(ParseConfig("server: {max_body_bytes: -5}", "x").ok());
  CHECK_FALSE(ParseConfig("server: {max_body_bytes: lots}", "x").ok());
  CHECK_FALSE(ParseConfig("metrics: {latency_buckets_seconds: [1, 0.5]}", "x").ok());
  CHECK_FALSE(ParseConfig("metrics: {latency_buckets_seconds: []}", "x").ok());
  CHECK_FALSE(ParseConfig("- a list", "x").ok());
}

TEST_CASE("malformed YAML reports the line", "[config]") {
  auto config = ParseConfig("server:\n  max_body_bytes: [1,\n", "bad.yml");
  REQUIRE_FALSE(config.ok());
  CHECK_THAT(config.status().message(), Catch::Contains("bad.yml:3: invalid YAML"));
}

TEST_CASE("a repeated key or a second document is refused, not silently dropped", "[config]") {
  auto repeated = ParseConfig("server:\n  max_body_bytes: 10\n  max_body_bytes: 20\n", "r.yml");
  REQUIRE_FALSE(repeated.ok());
  CHECK_THAT(repeated.status().message(), Catch::Contains("r.yml:3: server.max_body_bytes: duplicate key"));
  auto two = ParseConfig("server: {max_body_bytes: 10}\n---\nserver: {max_body_bytes: 20}\n", "two.yml");
  REQUIRE_FALSE(two.ok());
  CHECK_THAT(two.status().message(), Catch::Contains("two.yml: expected exactly one YAML document, found 2 or more"));
  // The text that made yaml-cpp's LoadAll loop forever is refused at once.
  CHECK_FALSE(ParseConfig(",", "comma.yml").ok());
}

TEST_CASE("business event families must be valid counter names", "[config]") {
  CHECK_FALSE(ParseConfig("metrics: {business_event_families: {email.sent: 'not a name'}}", "x").ok());
  CHECK_FALSE(ParseConfig("metrics: {business_event_families: {email.sent: messages_sent}}", "x").ok());
}

TEST_CASE("the shipped configuration is valid", "[config]") {
  auto config = lce::LoadConfigFile(LCE_SOURCE_DIR "/config/llm_cost_exporter.yml");
  INFO(config.status().message());
  REQUIRE(config.ok());
  CHECK(config->metrics.business_event_families.count("email.sent") == 1);
  CHECK(config->storage.fsync_every_commit);
}

TEST_CASE("a missing file is an I/O error naming it", "[config]") {
  auto config = lce::LoadConfigFile("/nonexistent/llm_cost_exporter.yml");
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().code() == lce::Status::Code::kIoError);
  CHECK_THAT(config.status().message(), Catch::Contains("/nonexistent/llm_cost_exporter.yml"));
}

TEST_CASE("durations read the Prometheus way", "[config]") {
  using std::chrono::seconds;
  CHECK(*lce::ParseDuration("90s") == seconds(90));
  CHECK(*lce::ParseDuration("15m") == seconds(900));
  CHECK(*lce::ParseDuration("1h30m") == seconds(5400));
  CHECK(*lce::ParseDuration("7d") == seconds(7 * 86400));
  CHECK(*lce::ParseDuration("1w2d") == seconds(9 * 86400));
  for (const char* bad : {"", "7", "d", "1m1h", "1h1h", "1.5h", "-1h", "1 h", "7days"}) {
    INFO(bad);
    CHECK_FALSE(lce::ParseDuration(bad).ok());
  }
}

// Found by fuzz_test/config: "199999w" (121 billion seconds) was accepted,
// and storage.idempotency_retention overflowed when the ledger converted it
// to int64 nanoseconds.
TEST_CASE("durations beyond int64 nanoseconds are refused", "[config]") {
  using std::chrono::seconds;
  CHECK(*lce::ParseDuration("15250w") == seconds(15250LL * 7 * 86400));
  CHECK(*lce::ParseDuration("106751d23h") == seconds(106751LL * 86400 + 23 * 3600));
  for (const char* big : {"15251w", "106752d", "199999w", "999999999w999999999d"}) {
    INFO(big);
    auto parsed = lce::ParseDuration(big);
    REQUIRE_FALSE(parsed.ok());
    CHECK_THAT(parsed.status().message(), Catch::Contains("is out of range"));
  }
  auto config = ParseConfig("storage: {idempotency_retention: 199999w}", "s.yml");
  REQUIRE_FALSE(config.ok());
  CHECK_THAT(config.status().message(), Catch::Contains("storage.idempotency_retention"));
}

// Confirmed with fuzz_test/config's invariant (worker_threads > 0 as the int
// field holds it): values beyond int wrapped around instead of failing.
TEST_CASE("int settings beyond int's range are refused, not wrapped", "[config]") {
  auto ok = ParseConfig("server: {worker_threads: 2147483647, request_timeout_ms: 2147483647}", "s.yml");
  REQUIRE(ok.ok());
  CHECK(ok->server.worker_threads == 2147483647);
  for (const char* text : {"server: {worker_threads: 2147483648}", "server: {worker_threads: 4294967297}",
                           "server: {request_timeout_ms: 4294967296}"}) {
    INFO(text);
    auto config = ParseConfig(text, "s.yml");
    REQUIRE_FALSE(config.ok());
    CHECK_THAT(config.status().message(), Catch::Contains("must be at most 2147483647"));
  }
}

TEST_CASE("the storage section sets retention, fsync and the key snapshot interval", "[config]") {
  auto config = ParseConfig(
      "storage: {idempotency_retention: 36h, fsync_every_commit: false, key_snapshot_every_keys: 250000}", "s.yml");
  REQUIRE(config.ok());
  CHECK(config->storage.idempotency_retention == std::chrono::hours(36));
  CHECK_FALSE(config->storage.fsync_every_commit);
  CHECK(config->storage.key_snapshot_every_keys == 250000);
  CHECK(ParseConfig("", "s.yml")->storage.key_snapshot_every_keys == 1'000'000);
  CHECK(ParseConfig("storage: {key_snapshot_every_keys: 0}", "s.yml")->storage.key_snapshot_every_keys == 0);
  const auto negative = ParseConfig("storage: {key_snapshot_every_keys: -1}", "s.yml");
  REQUIRE_FALSE(negative.ok());
  CHECK_THAT(negative.status().message(), Catch::Contains("storage.key_snapshot_every_keys"));
  CHECK_FALSE(ParseConfig("storage: {idempotency_retention: forever}", "s.yml").ok());
  CHECK_FALSE(ParseConfig("storage: {idempotency_retention: 0s}", "s.yml").ok());
}

TEST_CASE("storage.postgres selects PostgreSQL: a DSN, a password file, a pool and a statement timeout",
          "[config][postgres]") {
  CHECK_FALSE(ParseConfig("", "s.yml")->storage.postgres.enabled());
  auto config = ParseConfig(
      "storage:\n  postgres:\n    dsn: \"host=db port=5432 dbname=lce user=lce\"\n    password_file: pg.pass\n"
      "    pool_size: 16\n    statement_timeout: 30s\n",
      "s.yml");
  REQUIRE(config.ok());
  const lce::PostgresConfig& pg = config->storage.postgres;
  CHECK(pg.enabled());
  CHECK(pg.dsn == "host=db port=5432 dbname=lce user=lce");
  CHECK(pg.password_file == "pg.pass");
  CHECK(pg.pool_size == 16);
  CHECK(pg.statement_timeout == std::chrono::seconds(30));
  auto defaults = ParseConfig("storage: {postgres: {dsn: \"dbname=lce\"}}", "s.yml");
  REQUIRE(defaults.ok());
  CHECK(defaults->storage.postgres.pool_size == 8);
  CHECK(defaults->storage.postgres.statement_timeout == std::chrono::seconds(5));

  const auto no_dsn = ParseConfig("storage: {postgres: {pool_size: 4}}", "s.yml");
  REQUIRE_FALSE(no_dsn.ok());
  CHECK_THAT(no_dsn.status().message(), Catch::Contains("\"storage.postgres.dsn\" (line 1) is required"));
  const auto no_pool = ParseConfig("storage: {postgres: {dsn: x, pool_size: 0}}", "s.yml");
  REQUIRE_FALSE(no_pool.ok());
  CHECK_THAT(no_pool.status().message(), Catch::Contains("storage.postgres.pool_size"));
  CHECK_THAT(ParseConfig("storage: {postgres: {dsn: x, password: hunter2}}", "s.yml").status().message(),
             Catch::Contains("unknown key \"storage.postgres.password\""));
  CHECK_FALSE(ParseConfig("storage: {postgres: {dsn: x, statement_timeout: 0s}}", "s.yml").ok());

  // The password file is relative to the configuration's directory.
  const auto dir = std::filesystem::temp_directory_path() / "lce_config_postgres_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "exporter.yml") << "storage: {postgres: {dsn: \"dbname=lce\", password_file: pg.pass}}\n";
  auto loaded = lce::LoadConfigFile((dir / "exporter.yml").string());
  REQUIRE(loaded.ok());
  CHECK(loaded->storage.postgres.password_file == (dir / "pg.pass").string());
  std::filesystem::remove_all(dir);
}

TEST_CASE("pricing.model_aliases maps names per vendor", "[config][pricing]") {
  auto config = ParseConfig(
      "pricing:\n  model_aliases:\n    azure.ai.openai:\n      prod-chat: gpt-4o\n      eu-chat: eu/gpt-5.4\n"
      "    bedrock: {claude: anthropic.claude-sonnet-4-5-20250929-v1:0}\n",
      "p.yml");
  INFO(config.status().message());
  REQUIRE(config.ok());
  const std::vector<lce::ModelAlias>& aliases = config->pricing.model_aliases;
  REQUIRE(aliases.size() == 3);
  CHECK(aliases[0].vendor == "azure.ai.openai");
  CHECK(aliases[0].name == "eu-chat");
  CHECK(aliases[0].model == "eu/gpt-5.4");
  CHECK(aliases[1].name == "prod-chat");
  CHECK(aliases[1].model == "gpt-4o");
  CHECK(aliases[2].vendor == "bedrock");
  CHECK(aliases[2].model == "anthropic.claude-sonnet-4-5-20250929-v1:0");
  CHECK(ParseConfig("", "p.yml")->pricing.model_aliases.empty());
  const auto error = [](const char* text) {
    auto bad = ParseConfig(text, "p.yml");
    REQUIRE_FALSE(bad.ok());
    return bad.status().message();
  };
  CHECK_THAT(error("pricing: {aliases: {}}"), Catch::Contains("unknown key \"pricing.aliases\""));
  CHECK_THAT(error("pricing: {model_aliases: [a]}"),
             Catch::Contains("\"pricing.model_aliases\" (line 1) must be a mapping"));
  CHECK_THAT(error("pricing: {model_aliases: {azure: [gpt-4o]}}"),
             Catch::Contains("\"pricing.model_aliases.azure\" (line 1) must be a mapping"));
  CHECK_THAT(error("pricing: {model_aliases: {azure: {prod: [gpt-4o]}}}"),
             Catch::Contains("\"pricing.model_aliases.azure.prod\" (line 1) must be a model name"));
}

TEST_CASE("budgets.on_unpriced_estimate is deny or allow", "[config][budgets]") {
  auto allow = ParseConfig("budgets: {on_unpriced_estimate: allow}", "b.yml");
  REQUIRE(allow.ok());
  CHECK(allow->budgets.on_unpriced_estimate == lce::UnpricedEstimate::kAllow);
  auto bad = ParseConfig("budgets: {on_unpriced_estimate: maybe}", "b.yml");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(),
             Catch::Contains("budgets.on_unpriced_estimate") && Catch::Contains("must be deny or allow"));
}

TEST_CASE("budgets.on_store_error is deny (the default) or allow", "[config][budgets][postgres]") {
  CHECK(ParseConfig("", "b.yml")->budgets.on_store_error == lce::StoreErrorPolicy::kDeny);
  auto allow = ParseConfig("budgets: {on_store_error: allow}", "b.yml");
  REQUIRE(allow.ok());
  CHECK(allow->budgets.on_store_error == lce::StoreErrorPolicy::kAllow);
  auto bad = ParseConfig("budgets: {on_store_error: retry}", "b.yml");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.status().message(),
             Catch::Contains("budgets.on_store_error") && Catch::Contains("must be deny or allow"));
}

TEST_CASE("budgets are read with their defaults", "[config][budgets]") {
  auto config = ParseConfig(R"(
budgets:
  reservation_ttl: 2m
  default: {limit_usd: "100", action: alert_only}
  campaigns:
    - {match: "cmp_spring_*", limit_usd: 250.50, period: daily, time_zone: America/New_York,
       soft_limit_ratio: 0.9, count_retries: false}
)",
                            "b.yml");
  INFO(config.status().message());
  REQUIRE(config.ok());
  const lce::BudgetsConfig& budgets = config->budgets;
  CHECK(budgets.reservation_ttl == std::chrono::minutes(2));
  CHECK(budgets.on_unpriced_estimate == lce::UnpricedEstimate::kDeny);  // the default
  REQUIRE(budgets.default_rule.has_value());
  CHECK(budgets.default_rule->action == lce::BudgetAction::kAlertOnly);
  CHECK(budgets.default_rule->period == lce::BudgetPeriod::kMonthly);
  REQUIRE(budgets.rules.size() == 1);
  const lce::BudgetRule& rule = budgets.rules[0];
  CHECK(rule.campaign_pattern == "cmp_spring_*");
  CHECK(rule.limit.ToDecimalString() == "250.5");
  CHECK(rule.period == lce::BudgetPeriod::kDaily);
  CHECK(rule.time_zone == "America/New_York");
  CHECK(rule.soft_limit_ppm == 900'000);
  CHECK(rule.action == lce::BudgetAction::kDeny);
  CHECK_FALSE(rule.count_retries);
}

TEST_CASE("invalid budgets name the rule", "[config][budgets]") {
  const auto message = [](const char* yaml) { return ParseConfig(yaml, "b.yml").status().message(); };
  CHECK_THAT(message("budgets: {campaigns: [{limit_usd: 5}]}"),
             Catch::Contains("budgets.campaigns[0]") && Catch::Contains("match"));
  CHECK_THAT(message("budgets: {campaigns: [{match: a, limit_usd: -5}]}"), Catch::Contains("limit_usd"));
  CHECK_THAT(message("budgets: {campaigns: [{match: a, limit_usd: 5, period: yearly}]}"), Catch::Contains("period"));
  CHECK_THAT(message("budgets: {campaigns: [{match: a, limit_usd: 5, soft_limit_ratio: 1.5}]}"),
             Catch::Contains("soft_limit_ratio"));
  CHECK_THAT(message("budgets: {campaigns: [{match: a, limit_usd: 5, action: panic}]}"), Catch::Contains("action"));
  CHECK_THAT(message("budgets: {campaigns: [{match: a, limit_usd: 5, time_zone: Mars/Olympus}]}"),
             Catch::Contains("Mars/Olympus"));
  CHECK_THAT(message("budgets: {default: {match: a, limit_usd: 5}}"), Catch::Contains("budgets.default.match"));
}

TEST_CASE("otlp: defaults, attribute lists, events and disjoint vendors", "[config][otlp]") {
  auto defaults = ParseConfig("", "empty.yml");
  REQUIRE(defaults.ok());
  CHECK(defaults->otlp.attributes.campaign_id == std::vector<std::string>{"campaign_id"});
  CHECK(defaults->otlp.attributes.model ==
        std::vector<std::string>{"gen_ai.response.model", "gen_ai.request.model", "llm.model_name"});
  CHECK(defaults->otlp.disjoint_cache_vendors == std::vector<std::string>{"anthropic"});
  CHECK(defaults->otlp.llm_event == "llm.call");
  CHECK(defaults->otlp.span_event == "span");

  auto config = ParseConfig(R"(
otlp:
  attributes:
    campaign_id: [app.campaign_id, campaign_id]
    audience_id: app.audience
    input_tokens: [gen_ai.usage.input_tokens]
  disjoint_cache_vendors: []
  llm_event: genai.call
  span_event: otel.span
)",
                            "otlp.yml");
  REQUIRE(config.ok());
  CHECK(config->otlp.attributes.campaign_id == std::vector<std::string>{"app.campaign_id", "campaign_id"});
  CHECK(config->otlp.attributes.audience_id == std::vector<std::string>{"app.audience"});
  CHECK(config->otlp.attributes.input_tokens == std::vector<std::string>{"gen_ai.usage.input_tokens"});
  CHECK(config->otlp.attributes.output_tokens == lce::OtlpAttributeKeys{}.output_tokens);  // defaults kept
  CHECK(config->otlp.disjoint_cache_vendors.empty());
  CHECK(config->otlp.llm_event == "genai.call");
  CHECK(config->otlp.span_event == "otel.span");
}

TEST_CASE("otlp: unknown keys and bad values are errors", "[config][otlp]") {
  auto typo = ParseConfig("otlp:\n  attributes:\n    campaign: [x]\n", "typo.yml");
  REQUIRE_FALSE(typo.ok());
  CHECK_THAT(typo.status().message(), Catch::Contains("otlp.attributes.campaign") && Catch::Contains("line 3"));
  CHECK_FALSE(ParseConfig("otlp: {span_events: x}", "x").ok());
  CHECK_FALSE(ParseConfig("otlp: {attributes: {model: {a: b}}}", "x").ok());
  auto event = ParseConfig("otlp: {span_event: 'a span'}", "x");
  REQUIRE_FALSE(event.ok());
  CHECK_THAT(event.status().message(), Catch::Contains("otlp") && Catch::Contains("span_event"));
  CHECK_FALSE(ParseConfig("otlp: {attributes: {model: ['']}}", "x").ok());
}

TEST_CASE("auth.api_keys_file is read and resolved against the config file", "[config][auth]") {
  auto config = lce::ParseConfig("auth: {api_keys_file: secrets/keys.yml}", "test.yml");
  REQUIRE(config.ok());
  CHECK(config->auth.api_keys_file == "secrets/keys.yml");
  CHECK(lce::ParseConfig("", "test.yml")->auth.api_keys_file.empty());
  CHECK_THAT(lce::ParseConfig("auth: {keys: x}", "test.yml").status().message(),
             Catch::Contains("unknown key \"auth.keys\""));

  const auto dir = std::filesystem::temp_directory_path() / "lce_config_auth_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "exporter.yml") << "auth: {api_keys_file: keys.yml}\n";
  auto loaded = lce::LoadConfigFile((dir / "exporter.yml").string());
  REQUIRE(loaded.ok());
  CHECK(loaded->auth.api_keys_file == (dir / "keys.yml").string());
  std::filesystem::remove_all(dir);
}

TEST_CASE("server limits: connections, keep-alive, rate limit and records per batch", "[config][limits]") {
  auto defaults = ParseConfig("", "empty.yml");
  REQUIRE(defaults.ok());
  CHECK(defaults->server.worker_threads == 128);
  CHECK(defaults->server.max_connections == 128);
  CHECK(defaults->server.max_connections_per_client == 32);
  CHECK(defaults->server.rate_limit.requests_per_second == 1000);
  CHECK(defaults->ingest.max_records_per_batch == 10000);

  auto config = ParseConfig(R"(
server:
  keep_alive_timeout_ms: 2500
  max_connections: 40
  max_connections_per_client: 4
  rate_limit: {requests_per_second: 0, burst: 7}
ingest: {max_records_per_batch: 250}
)",
                            "limits.yml");
  REQUIRE(config.ok());
  CHECK(config->server.keep_alive_timeout_ms == 2500);
  CHECK(config->server.max_connections == 40);
  CHECK(config->server.max_connections_per_client == 4);
  CHECK(config->server.rate_limit.requests_per_second == 0);  // 0 turns it off
  CHECK(config->server.rate_limit.burst == 7);
  CHECK(config->ingest.max_records_per_batch == 250);
}

TEST_CASE("server limits: bad values name the key", "[config][limits]") {
  auto more_per_client = ParseConfig("server: {max_connections: 4, max_connections_per_client: 5}", "x.yml");
  REQUIRE_FALSE(more_per_client.ok());
  CHECK_THAT(more_per_client.status().message(), Catch::Contains("max_connections_per_client (5) must not exceed"));
  auto few_workers = ParseConfig("server: {worker_threads: 4}", "x.yml");
  REQUIRE(few_workers.ok());  // unset connection limits follow the worker pool
  CHECK(few_workers->server.max_connections == 4);
  CHECK(few_workers->server.max_connections_per_client == 4);
  auto over_workers =
      ParseConfig("server: {worker_threads: 8, max_connections: 9, max_connections_per_client: 2}", "x.yml");
  REQUIRE_FALSE(over_workers.ok());
  CHECK_THAT(over_workers.status().message(),
             Catch::Contains("max_connections (9) must not exceed worker_threads (8)"));
  auto negative_rate = ParseConfig("server: {rate_limit: {requests_per_second: -1}}", "x.yml");
  REQUIRE_FALSE(negative_rate.ok());
  CHECK_THAT(negative_rate.status().message(), Catch::Contains("server.rate_limit.requests_per_second"));
  auto zero_burst = ParseConfig("server: {rate_limit: {burst: 0}}", "x.yml");
  REQUIRE_FALSE(zero_burst.ok());
  CHECK_THAT(zero_burst.status().message(), Catch::Contains("server.rate_limit.burst"));
  auto unknown = ParseConfig("server: {rate_limit: {per_minute: 3}}", "x.yml");
  REQUIRE_FALSE(unknown.ok());
  CHECK_THAT(unknown.status().message(), Catch::Contains("per_minute"));
  auto zero_records = ParseConfig("ingest: {max_records_per_batch: 0}", "x.yml");
  REQUIRE_FALSE(zero_records.ok());
  CHECK_THAT(zero_records.status().message(), Catch::Contains("ingest.max_records_per_batch"));
}
