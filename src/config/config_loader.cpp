#include <algorithm>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "llm_cost_exporter/config.h"
#include "yaml_read.h"

namespace lce {
namespace {

using config_detail::Invalid;
using config_detail::KeyText;
using config_detail::ReadEach;
using config_detail::ReadIf;
using config_detail::ReadMapOf;
using config_detail::ReadScalar;
using config_detail::RejectUnknownKeys;
using config_detail::RequireMap;
using config_detail::RequireSection;
using config_detail::Scalar;
using config_detail::Where;

// An integer of at least `min` (0 or 1); `what` names the expectation in errors.
Result<std::size_t> ReadAtLeast(const YAML::Node& node, const std::string& path, long long min,
                                const std::string& what) {
  const Result<long long> value = ReadScalar<long long>(node, path, what.c_str());
  if (!value.ok()) return value.status();
  if (*value < min) return Invalid(node, path, " must be " + what);
  return static_cast<std::size_t>(*value);
}

Result<std::size_t> ReadPositive(const YAML::Node& node, const std::string& path) {
  return ReadAtLeast(node, path, 1, "a positive integer");
}

Result<std::vector<double>> ReadBuckets(const YAML::Node& node, const std::string& path) {
  if (!node.IsSequence() || node.size() == 0) return Invalid(node, path, " must be a non-empty list of numbers");
  std::vector<double> buckets;
  for (const auto& item : node) {
    const Result<double> bound = ReadScalar<double>(item, path, "a number");
    if (!bound.ok()) return bound.status();
    if (!buckets.empty() && *bound <= buckets.back()) return Invalid(item, path, " bounds must be strictly ascending");
    buckets.push_back(*bound);
  }
  return buckets;
}

// A positive integer for an int field: larger values are refused, not wrapped
// (2147483648 worker threads would have become -2147483648).
Result<int> ReadPositiveInt(const YAML::Node& node, const std::string& path) {
  const Result<std::size_t> value = ReadPositive(node, path);
  if (!value.ok()) return value.status();
  constexpr int kMax = std::numeric_limits<int>::max();
  if (*value > static_cast<std::size_t>(kMax)) return Invalid(node, path, " must be at most " + std::to_string(kMax));
  return static_cast<int>(*value);
}

// A non-negative integer (0 meaning "off" where the key says so).
Result<std::size_t> ReadCount(const YAML::Node& node, const std::string& path) {
  return ReadAtLeast(node, path, 0, "a non-negative integer");
}

// A duration above zero; `example` ends the error ("7d or 36h").
Result<std::chrono::seconds> ReadPositiveDuration(const YAML::Node& node, const std::string& path,
                                                  const char* example) {
  const Result<std::string> text = ReadScalar<std::string>(node, path, "a duration");
  if (!text.ok()) return text.status();
  const Result<std::chrono::seconds> parsed = ParseDuration(*text);
  if (!parsed.ok() || parsed->count() <= 0) {
    return Invalid(node, path, std::string(" must be a positive duration such as ") + example);
  }
  return *parsed;
}

Result<RateLimitConfig> ReadRateLimit(const YAML::Node& node, const std::string& path) {
  RateLimitConfig out;
  if (Status s = RequireSection(node, path, {"requests_per_second", "burst"}); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "requests_per_second", out.requests_per_second, ReadCount); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "burst", out.burst, ReadPositive); !s.ok()) return s;
  return out;
}

Result<ServerConfig> ReadServer(const YAML::Node& node, const std::string& path) {
  ServerConfig out;
  if (Status s = RequireSection(node, path,
                                {"max_body_bytes", "worker_threads", "request_timeout_ms", "keep_alive_timeout_ms",
                                 "max_connections", "max_connections_per_client", "rate_limit"});
      !s.ok()) {
    return s;
  }
  if (Status s = ReadIf(node, path, "max_body_bytes", out.max_body_bytes, ReadPositive); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "worker_threads", out.worker_threads, ReadPositiveInt); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "request_timeout_ms", out.request_timeout_ms, ReadPositiveInt); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "keep_alive_timeout_ms", out.keep_alive_timeout_ms, ReadPositiveInt); !s.ok()) {
    return s;
  }
  if (Status s = ReadIf(node, path, "max_connections", out.max_connections, ReadPositive); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "max_connections_per_client", out.max_connections_per_client, ReadPositive);
      !s.ok()) {
    return s;
  }
  if (Status s = ReadIf(node, path, "rate_limit", out.rate_limit, ReadRateLimit); !s.ok()) return s;
  // Unset connection limits follow a smaller worker pool; set ones must fit it.
  const auto workers = static_cast<std::size_t>(out.worker_threads);
  if (!node["max_connections"]) out.max_connections = std::min(out.max_connections, workers);
  if (!node["max_connections_per_client"]) {
    out.max_connections_per_client = std::min(out.max_connections_per_client, out.max_connections);
  }
  if (out.max_connections > workers) {
    return Invalid(node, path,
                   " max_connections (" + std::to_string(out.max_connections) + ") must not exceed worker_threads (" +
                       std::to_string(out.worker_threads) + "): each open connection holds a worker thread");
  }
  if (out.max_connections_per_client > out.max_connections) {
    return Invalid(node, path,
                   " max_connections_per_client (" + std::to_string(out.max_connections_per_client) +
                       ") must not exceed max_connections (" + std::to_string(out.max_connections) + ")");
  }
  return out;
}

Result<PostgresConfig> ReadPostgres(const YAML::Node& node, const std::string& path) {
  PostgresConfig out;
  if (Status s = RequireSection(node, path, {"dsn", "password_file", "pool_size", "statement_timeout"}); !s.ok()) {
    return s;
  }
  if (Status s = ReadIf(node, path, "dsn", out.dsn, Scalar<std::string>("a libpq connection string")); !s.ok()) {
    return s;
  }
  if (!node["dsn"] || out.dsn.empty()) {
    return Invalid(node, path + ".dsn",
                   " is required (a libpq connection string such as \"host=db dbname=lce user=lce\")");
  }
  if (Status s = ReadIf(node, path, "password_file", out.password_file, Scalar<std::string>("a file name")); !s.ok()) {
    return s;
  }
  if (Status s = ReadIf(node, path, "pool_size", out.pool_size, ReadPositive); !s.ok()) return s;
  const auto timeout = [](const YAML::Node& value, const std::string& at) {
    return ReadPositiveDuration(value, at, "5s or 1m");
  };
  if (Status s = ReadIf(node, path, "statement_timeout", out.statement_timeout, timeout); !s.ok()) return s;
  return out;
}

Result<StorageConfig> ReadStorage(const YAML::Node& node, const std::string& path) {
  StorageConfig out;
  if (Status s = RequireSection(node, path,
                                {"idempotency_retention", "fsync_every_commit", "key_snapshot_every_keys", "postgres"});
      !s.ok()) {
    return s;
  }
  if (Status s = ReadIf(node, path, "postgres", out.postgres, ReadPostgres); !s.ok()) return s;
  const auto retention = [](const YAML::Node& value, const std::string& at) {
    return ReadPositiveDuration(value, at, "7d or 36h");
  };
  if (Status s = ReadIf(node, path, "idempotency_retention", out.idempotency_retention, retention); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "fsync_every_commit", out.fsync_every_commit, Scalar<bool>("true or false"));
      !s.ok()) {
    return s;
  }
  if (Status s = ReadIf(node, path, "key_snapshot_every_keys", out.key_snapshot_every_keys, ReadCount); !s.ok()) {
    return s;
  }
  return out;
}

Result<Money> ReadDollars(const YAML::Node& node, const std::string& path) {
  const Result<std::string> text = ReadScalar<std::string>(node, path, "a decimal amount of USD");
  if (!text.ok()) return text.status();
  const Result<Money> money = Money::ParseDollars(*text);
  if (!money.ok() || money->atto() <= 0) return Invalid(node, path, " must be a positive decimal amount of USD");
  return *money;
}

Result<BudgetPeriod> ReadPeriod(const YAML::Node& node, const std::string& path) {
  const Result<std::string> text = ReadScalar<std::string>(node, path, "a period");
  if (!text.ok()) return text.status();
  for (BudgetPeriod p : {BudgetPeriod::kDaily, BudgetPeriod::kWeekly, BudgetPeriod::kMonthly, BudgetPeriod::kTotal}) {
    if (*text == BudgetPeriodName(p)) return p;
  }
  return Invalid(node, path, " must be daily, weekly, monthly or total");
}

// soft_limit_ratio as millionths.
Result<std::uint32_t> ReadRatioPpm(const YAML::Node& node, const std::string& path) {
  const Result<std::string> text = ReadScalar<std::string>(node, path, "a ratio");
  if (!text.ok()) return text.status();
  const auto ppm = ParseFixedPoint(*text, 6);
  if (!ppm.ok() || *ppm <= 0 || *ppm > 1'000'000) {
    return Invalid(node, path, " must be a decimal in (0, 1] with at most 6 digits");
  }
  return static_cast<std::uint32_t>(*ppm);
}

Result<BudgetAction> ReadAction(const YAML::Node& node, const std::string& path) {
  const Result<std::string> text = ReadScalar<std::string>(node, path, "deny or alert_only");
  if (!text.ok()) return text.status();
  if (*text != "deny" && *text != "alert_only") return Invalid(node, path, " must be deny or alert_only");
  return *text == "deny" ? BudgetAction::kDeny : BudgetAction::kAlertOnly;
}

Result<BudgetRule> ReadBudgetRule(const YAML::Node& node, const std::string& path, bool needs_match) {
  if (Status s = RequireSection(
          node, path, {"match", "limit_usd", "period", "time_zone", "soft_limit_ratio", "action", "count_retries"});
      !s.ok()) {
    return s;
  }
  BudgetRule rule;
  if (needs_match) {
    if (!node["match"]) return Invalid(node, path, " needs match (a campaign id or glob)");
    if (Status s = ReadIf(node, path, "match", rule.campaign_pattern, Scalar<std::string>("a campaign id or glob"));
        !s.ok()) {
      return s;
    }
  } else if (node["match"]) {
    return Invalid(node["match"], path + ".match", " is not allowed: the default applies to every other campaign");
  }
  if (!node["limit_usd"]) return Invalid(node, path, " needs limit_usd");
  if (Status s = ReadIf(node, path, "limit_usd", rule.limit, ReadDollars); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "period", rule.period, ReadPeriod); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "time_zone", rule.time_zone, Scalar<std::string>("an IANA time zone")); !s.ok()) {
    return s;
  }
  if (Status s = ReadIf(node, path, "soft_limit_ratio", rule.soft_limit_ppm, ReadRatioPpm); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "action", rule.action, ReadAction); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "count_retries", rule.count_retries, Scalar<bool>("true or false")); !s.ok()) {
    return s;
  }
  return rule;
}

// A reader of "deny" or "allow" into `deny` or `allow`.
template <typename Policy>
auto DenyOrAllow(Policy deny, Policy allow) {
  return [deny, allow](const YAML::Node& value, const std::string& at) -> Result<Policy> {
    const Result<std::string> text = ReadScalar<std::string>(value, at, "deny or allow");
    if (!text.ok()) return text.status();
    if (*text != "deny" && *text != "allow") return Invalid(value, at, " must be deny or allow");
    return *text == "deny" ? deny : allow;
  };
}

Result<BudgetsConfig> ReadBudgets(const YAML::Node& node, const std::string& path) {
  BudgetsConfig out;
  if (Status s = RequireSection(node, path,
                                {"reservation_ttl", "on_unpriced_estimate", "on_store_error", "default", "campaigns"});
      !s.ok()) {
    return s;
  }
  if (Status s = ReadIf(node, path, "on_store_error", out.on_store_error,
                        DenyOrAllow(StoreErrorPolicy::kDeny, StoreErrorPolicy::kAllow));
      !s.ok()) {
    return s;
  }
  if (Status s = ReadIf(node, path, "on_unpriced_estimate", out.on_unpriced_estimate,
                        DenyOrAllow(UnpricedEstimate::kDeny, UnpricedEstimate::kAllow));
      !s.ok()) {
    return s;
  }
  const auto ttl = [](const YAML::Node& value, const std::string& at) { return ReadPositiveDuration(value, at, "5m"); };
  if (Status s = ReadIf(node, path, "reservation_ttl", out.reservation_ttl, ttl); !s.ok()) return s;
  const auto default_rule = [](const YAML::Node& value, const std::string& at) {
    return ReadBudgetRule(value, at, false);
  };
  if (Status s = ReadIf(node, path, "default", out.default_rule, default_rule); !s.ok()) return s;
  if (const YAML::Node campaigns = node["campaigns"]) {
    const std::string at = path + ".campaigns";
    if (!campaigns.IsSequence()) return Invalid(campaigns, at, " must be a list");
    Result<std::vector<BudgetRule>> rules = ReadEach<BudgetRule>(
        campaigns, at,
        [](const YAML::Node& value, const std::string& item) { return ReadBudgetRule(value, item, true); });
    if (!rules.ok()) return rules.status();
    out.rules = std::move(rules).value();
  }
  return out;
}

Result<IngestOptions> ReadIngest(const YAML::Node& node, const std::string& path) {
  IngestOptions out;
  if (Status s = RequireSection(node, path, {"max_label_length", "max_records_per_batch"}); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "max_label_length", out.max_label_length, ReadPositive); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "max_records_per_batch", out.max_records_per_batch, ReadPositive); !s.ok()) {
    return s;
  }
  return out;
}

Result<CardinalityLimits> ReadCardinality(const YAML::Node& node, const std::string& path) {
  CardinalityLimits out;
  if (Status s = RequireSection(node, path, {"default_limit", "per_label"}); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "default_limit", out.default_limit, ReadPositive); !s.ok()) return s;
  const auto per_label = [](const YAML::Node& value, const std::string& at) {
    return ReadMapOf<std::size_t>(value, at, ReadPositive);
  };
  if (Status s = ReadIf(node, path, "per_label", out.per_label, per_label); !s.ok()) return s;
  return out;
}

Result<MetricsOptions> ReadMetrics(const YAML::Node& node, const std::string& path) {
  MetricsOptions out;
  if (Status s = RequireSection(
          node, path,
          {"cardinality", "latency_buckets_seconds", "tokens_per_request_buckets", "business_event_families"});
      !s.ok()) {
    return s;
  }
  if (Status s = ReadIf(node, path, "cardinality", out.cardinality, ReadCardinality); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "latency_buckets_seconds", out.latency_buckets_seconds, ReadBuckets); !s.ok()) {
    return s;
  }
  if (Status s = ReadIf(node, path, "tokens_per_request_buckets", out.tokens_per_request_buckets, ReadBuckets);
      !s.ok()) {
    return s;
  }
  // Given, the families replace the defaults.
  const auto families = [](const YAML::Node& value, const std::string& at) {
    return ReadMapOf<std::string>(value, at, Scalar<std::string>("a metric name"));
  };
  if (Status s = ReadIf(node, path, "business_event_families", out.business_event_families, families); !s.ok()) {
    return s;
  }
  return out;
}

// A list of strings; a single string is a list of one.
Result<std::vector<std::string>> ReadStringList(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) {
    Result<std::string> one = ReadScalar<std::string>(node, path, "a string or a list of strings");
    if (!one.ok()) return one.status();
    return std::vector<std::string>{std::move(one).value()};
  }
  if (!node.IsSequence()) return Invalid(node, path, " must be a string or a list of strings");
  std::vector<std::string> out;
  for (const auto& item : node) {
    if (!item.IsScalar()) return Invalid(item, path, " must be a list of strings");
    Result<std::string> text = ReadScalar<std::string>(item, path, "a string");
    if (!text.ok()) return text.status();
    out.push_back(std::move(text).value());
  }
  return out;
}

Result<OtlpAttributeKeys> ReadOtlpAttributes(const YAML::Node& node, const std::string& path) {
  OtlpAttributeKeys out;
  if (Status s = RequireMap(node, path); !s.ok()) return s;
  for (const auto& entry : node) {
    const Result<std::string> key = KeyText(entry.first);
    if (!key.ok()) return key.status();
    const auto* field = std::find_if(std::begin(kOtlpAttributeFields), std::end(kOtlpAttributeFields),
                                     [&key](const OtlpAttributeField& f) { return f.name == *key; });
    if (field == std::end(kOtlpAttributeFields)) {
      return Status::InvalidArgument("unknown key " + Where(entry.first, path + "." + *key));
    }
    if (Status s = config_detail::Store(ReadStringList(entry.second, path + "." + *key), out.*(field->keys)); !s.ok()) {
      return s;
    }
  }
  return out;
}

Result<OtlpOptions> ReadOtlp(const YAML::Node& node, const std::string& path) {
  OtlpOptions out;
  if (Status s = RequireSection(node, path, {"attributes", "disjoint_cache_vendors", "llm_event", "span_event"});
      !s.ok()) {
    return s;
  }
  if (Status s = ReadIf(node, path, "attributes", out.attributes, ReadOtlpAttributes); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "disjoint_cache_vendors", out.disjoint_cache_vendors, ReadStringList); !s.ok()) {
    return s;
  }
  if (Status s = ReadIf(node, path, "llm_event", out.llm_event, Scalar<std::string>("a string")); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "span_event", out.span_event, Scalar<std::string>("a string")); !s.ok()) return s;
  return out;
}

Result<AuthConfig> ReadAuth(const YAML::Node& node, const std::string& path) {
  AuthConfig out;
  if (Status s = RequireSection(node, path, {"api_keys_file"}); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "api_keys_file", out.api_keys_file, Scalar<std::string>("a file name")); !s.ok()) {
    return s;
  }
  return out;
}

// pricing.model_aliases: a mapping of vendors, each a mapping of names to
// the table model they mean. Whether the vendor and model exist is checked
// when the price tables load (PriceBook::LoadDirectory).
Result<std::vector<ModelAlias>> ReadModelAliases(const YAML::Node& node, const std::string& path) {
  const auto names = [](const YAML::Node& value, const std::string& at) {
    return ReadMapOf<std::string>(value, at, Scalar<std::string>("a model name"));
  };
  Result<std::map<std::string, std::map<std::string, std::string>>> vendors =
      ReadMapOf<std::map<std::string, std::string>>(node, path, names);
  if (!vendors.ok()) return vendors.status();
  std::vector<ModelAlias> out;
  for (const auto& [vendor, aliases] : *vendors) {
    for (const auto& [name, model] : aliases) out.push_back({vendor, name, model});
  }
  return out;
}

Result<PricingConfig> ReadPricing(const YAML::Node& node, const std::string& path) {
  PricingConfig out;
  if (Status s = RequireSection(node, path, {"model_aliases"}); !s.ok()) return s;
  if (Status s = ReadIf(node, path, "model_aliases", out.model_aliases, ReadModelAliases); !s.ok()) return s;
  return out;
}

Result<Config> ParseRoot(const YAML::Node& root) {
  Config config;
  if (!root || root.IsNull()) return config;
  if (Status s = RequireMap(root, "(document)"); !s.ok()) return s;
  if (Status s =
          RejectUnknownKeys(root, "", {"server", "storage", "budgets", "ingest", "metrics", "otlp", "auth", "pricing"});
      !s.ok()) {
    return s;
  }
  if (Status s = ReadIf(root, "", "server", config.server, ReadServer); !s.ok()) return s;
  if (Status s = ReadIf(root, "", "storage", config.storage, ReadStorage); !s.ok()) return s;
  if (Status s = ReadIf(root, "", "budgets", config.budgets, ReadBudgets); !s.ok()) return s;
  if (Status s = ReadIf(root, "", "ingest", config.ingest, ReadIngest); !s.ok()) return s;
  if (Status s = ReadIf(root, "", "metrics", config.metrics, ReadMetrics); !s.ok()) return s;
  if (Status s = ReadIf(root, "", "otlp", config.otlp, ReadOtlp); !s.ok()) return s;
  if (Status s = ReadIf(root, "", "auth", config.auth, ReadAuth); !s.ok()) return s;
  if (Status s = ReadIf(root, "", "pricing", config.pricing, ReadPricing); !s.ok()) return s;
  return config;
}

}  // namespace

Result<std::chrono::seconds> ParseDuration(std::string_view text) {
  // Units in descending order, each at most once, as Prometheus writes them.
  static constexpr std::pair<char, long long> kUnits[] = {
      {'w', 7 * 86400}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
  const Status invalid =
      Status::InvalidArgument("\"" + std::string(text) + "\" is not a duration like 90s, 15m, 24h, 7d or 1h30m");
  if (text.empty()) return invalid;
  long long total = 0;
  std::size_t next_unit = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    long long value = 0;
    const std::size_t digits_start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && pos - digits_start < 9) {
      value = value * 10 + (text[pos++] - '0');
    }
    if (pos == digits_start || pos == text.size()) return invalid;
    while (next_unit < std::size(kUnits) && kUnits[next_unit].first != text[pos]) ++next_unit;
    if (next_unit == std::size(kUnits)) return invalid;
    total += value * kUnits[next_unit++].second;
    ++pos;
  }
  // Like Prometheus, refuse what int64 nanoseconds cannot hold (about 292
  // years): every module converts durations to its nanosecond clock.
  constexpr auto kMax = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::nanoseconds::max());
  if (total > kMax.count()) {
    return Status::InvalidArgument("\"" + std::string(text) + "\" is out of range (at most " +
                                   std::to_string(kMax.count()) + "s, about 292 years)");
  }
  return std::chrono::seconds(total);
}

Result<Config> ParseConfig(const std::string& yaml_text, const std::string& source) {
  Result<Config> config = config_detail::ReadDocument<Config>(yaml_text, source, ParseRoot);
  if (!config.ok()) return config;
  const Status metrics_status = UsageMetrics::ValidateOptions(config->metrics);
  if (!metrics_status.ok()) return metrics_status.WithContext(source + ": metrics");
  const Status budgets_status = Budgets::Validate(config->budgets);
  if (!budgets_status.ok()) return budgets_status.WithContext(source + ": budgets");
  const Status otlp_status = ValidateOtlpOptions(config->otlp, config->ingest);
  if (!otlp_status.ok()) return otlp_status.WithContext(source + ": otlp");
  return config;
}

Result<Config> LoadConfigFile(const std::string& path) {
  Result<std::string> text = config_detail::ReadTextFile(path, "config file");
  if (!text.ok()) return text.status();
  Result<Config> config = ParseConfig(*text, path);
  if (!config.ok()) return config;
  // Files the configuration names are relative to its directory.
  for (std::string* file : {&config->auth.api_keys_file, &config->storage.postgres.password_file}) {
    const std::filesystem::path named = *file;
    if (!file->empty() && named.is_relative()) *file = (std::filesystem::path(path).parent_path() / named).string();
  }
  return config;
}

}  // namespace lce
