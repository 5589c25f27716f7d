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

using config_detail::ConfigError;
using config_detail::ReadScalar;
using config_detail::RejectUnknownKeys;
using config_detail::RequireMap;
using config_detail::Where;

// An integer of at least `min` (0 or 1); `what` names the expectation in errors.
std::size_t ReadAtLeast(const YAML::Node& node, const std::string& path, long long min, const std::string& what) {
  const auto value = ReadScalar<long long>(node, path, what.c_str());
  if (value < min) throw ConfigError{Where(node, path) + " must be " + what};
  return static_cast<std::size_t>(value);
}

std::size_t ReadPositive(const YAML::Node& node, const std::string& path) {
  return ReadAtLeast(node, path, 1, "a positive integer");
}

std::vector<double> ReadBuckets(const YAML::Node& node, const std::string& path) {
  if (!node.IsSequence() || node.size() == 0) throw ConfigError{Where(node, path) + " must be a non-empty list of numbers"};
  std::vector<double> buckets;
  for (const auto& item : node) {
    const double bound = ReadScalar<double>(item, path, "a number");
    if (!buckets.empty() && bound <= buckets.back()) throw ConfigError{Where(item, path) + " bounds must be strictly ascending"};
    buckets.push_back(bound);
  }
  return buckets;
}

// A positive integer for an int field: larger values are refused, not wrapped
// (2147483648 worker threads would have become -2147483648).
int ReadPositiveInt(const YAML::Node& node, const std::string& path) {
  const std::size_t value = ReadPositive(node, path);
  constexpr int kMax = std::numeric_limits<int>::max();
  if (value > static_cast<std::size_t>(kMax)) throw ConfigError{Where(node, path) + " must be at most " + std::to_string(kMax)};
  return static_cast<int>(value);
}

// A non-negative integer (0 meaning "off" where the key says so).
std::size_t ReadCount(const YAML::Node& node, const std::string& path) {
  return ReadAtLeast(node, path, 0, "a non-negative integer");
}

void ReadRateLimit(const YAML::Node& node, RateLimitConfig& out) {
  RequireMap(node, "server.rate_limit");
  RejectUnknownKeys(node, "server.rate_limit", {"requests_per_second", "burst"});
  if (node["requests_per_second"]) {
    out.requests_per_second = ReadCount(node["requests_per_second"], "server.rate_limit.requests_per_second");
  }
  if (node["burst"]) out.burst = ReadPositive(node["burst"], "server.rate_limit.burst");
}

void ReadServer(const YAML::Node& node, ServerConfig& out) {
  RequireMap(node, "server");
  RejectUnknownKeys(node, "server", {"max_body_bytes", "worker_threads", "request_timeout_ms", "keep_alive_timeout_ms",
                                     "max_connections", "max_connections_per_client", "rate_limit"});
  if (node["max_body_bytes"]) out.max_body_bytes = ReadPositive(node["max_body_bytes"], "server.max_body_bytes");
  if (node["worker_threads"]) out.worker_threads = ReadPositiveInt(node["worker_threads"], "server.worker_threads");
  if (node["request_timeout_ms"]) out.request_timeout_ms = ReadPositiveInt(node["request_timeout_ms"], "server.request_timeout_ms");
  if (node["keep_alive_timeout_ms"]) {
    out.keep_alive_timeout_ms = ReadPositiveInt(node["keep_alive_timeout_ms"], "server.keep_alive_timeout_ms");
  }
  if (node["max_connections"]) out.max_connections = ReadPositive(node["max_connections"], "server.max_connections");
  if (node["max_connections_per_client"]) {
    out.max_connections_per_client = ReadPositive(node["max_connections_per_client"], "server.max_connections_per_client");
  }
  if (node["rate_limit"]) ReadRateLimit(node["rate_limit"], out.rate_limit);
  // Unset connection limits follow a smaller worker pool; set ones must fit it.
  const auto workers = static_cast<std::size_t>(out.worker_threads);
  if (!node["max_connections"]) out.max_connections = std::min(out.max_connections, workers);
  if (!node["max_connections_per_client"]) {
    out.max_connections_per_client = std::min(out.max_connections_per_client, out.max_connections);
  }
  if (out.max_connections > workers) {
    throw ConfigError{Where(node, "server") + " max_connections (" + std::to_string(out.max_connections) +
                      ") must not exceed worker_threads (" + std::to_string(out.worker_threads) +
                      "): each open connection holds a worker thread"};
  }
  if (out.max_connections_per_client > out.max_connections) {
    throw ConfigError{Where(node, "server") + " max_connections_per_client (" + std::to_string(out.max_connections_per_client) +
                      ") must not exceed max_connections (" + std::to_string(out.max_connections) + ")"};
  }
}

void ReadStorage(const YAML::Node& node, StorageConfig& out) {
  RequireMap(node, "storage");
  RejectUnknownKeys(node, "storage", {"idempotency_retention", "fsync_every_commit"});
  if (const YAML::Node retention = node["idempotency_retention"]) {
    auto parsed = ParseDuration(ReadScalar<std::string>(retention, "storage.idempotency_retention", "a duration"));
    if (!parsed.ok() || parsed->count() <= 0) {
      throw ConfigError{Where(retention, "storage.idempotency_retention") + " must be a positive duration such as 7d or 36h"};
    }
    out.idempotency_retention = *parsed;
  }
  if (node["fsync_every_commit"]) {
    out.fsync_every_commit = ReadScalar<bool>(node["fsync_every_commit"], "storage.fsync_every_commit", "true or false");
  }
}

Money ReadDollars(const YAML::Node& node, const std::string& path) {
  auto money = Money::ParseDollars(ReadScalar<std::string>(node, path, "a decimal amount of USD"));
  if (!money.ok() || money->atto() <= 0) throw ConfigError{Where(node, path) + " must be a positive decimal amount of USD"};
  return *money;
}

BudgetPeriod ReadPeriod(const YAML::Node& node, const std::string& path) {
  const std::string text = ReadScalar<std::string>(node, path, "a period");
  for (BudgetPeriod p : {BudgetPeriod::kDaily, BudgetPeriod::kWeekly, BudgetPeriod::kMonthly, BudgetPeriod::kTotal}) {
    if (text == BudgetPeriodName(p)) return p;
  }
  throw ConfigError{Where(node, path) + " must be daily, weekly, monthly or total"};
}

BudgetRule ReadBudgetRule(const YAML::Node& node, const std::string& path, bool needs_match) {
  RequireMap(node, path);
  RejectUnknownKeys(node, path, {"match", "limit_usd", "period", "time_zone", "soft_limit_ratio", "action", "count_retries"});
  BudgetRule rule;
  if (needs_match) {
    if (!node["match"]) throw ConfigError{Where(node, path) + " needs match (a campaign id or glob)"};
    rule.campaign_pattern = ReadScalar<std::string>(node["match"], path + ".match", "a campaign id or glob");
  } else if (node["match"]) {
    throw ConfigError{Where(node["match"], path + ".match") + " is not allowed: the default applies to every other campaign"};
  }
  if (!node["limit_usd"]) throw ConfigError{Where(node, path) + " needs limit_usd"};
  rule.limit = ReadDollars(node["limit_usd"], path + ".limit_usd");
  if (node["period"]) rule.period = ReadPeriod(node["period"], path + ".period");
  if (node["time_zone"]) rule.time_zone = ReadScalar<std::string>(node["time_zone"], path + ".time_zone", "an IANA time zone");
  if (const YAML::Node ratio = node["soft_limit_ratio"]) {
    auto ppm = ParseFixedPoint(ReadScalar<std::string>(ratio, path + ".soft_limit_ratio", "a ratio"), 6);
    if (!ppm.ok() || *ppm <= 0 || *ppm > 1'000'000) {
      throw ConfigError{Where(ratio, path + ".soft_limit_ratio") + " must be a decimal in (0, 1] with at most 6 digits"};
    }
    rule.soft_limit_ppm = static_cast<std::uint32_t>(*ppm);
  }
  if (const YAML::Node action = node["action"]) {
    const std::string text = ReadScalar<std::string>(action, path + ".action", "deny or alert_only");
    if (text != "deny" && text != "alert_only") throw ConfigError{Where(action, path + ".action") + " must be deny or alert_only"};
    rule.action = text == "deny" ? BudgetAction::kDeny : BudgetAction::kAlertOnly;
  }
  if (node["count_retries"]) rule.count_retries = ReadScalar<bool>(node["count_retries"], path + ".count_retries", "true or false");
  return rule;
}

void ReadBudgets(const YAML::Node& node, BudgetsConfig& out) {
  RequireMap(node, "budgets");
  RejectUnknownKeys(node, "budgets", {"reservation_ttl", "default", "campaigns"});
  if (const YAML::Node ttl = node["reservation_ttl"]) {
    auto parsed = ParseDuration(ReadScalar<std::string>(ttl, "budgets.reservation_ttl", "a duration"));
    if (!parsed.ok() || parsed->count() <= 0) throw ConfigError{Where(ttl, "budgets.reservation_ttl") + " must be a positive duration such as 5m"};
    out.reservation_ttl = *parsed;
  }
  if (node["default"]) out.default_rule = ReadBudgetRule(node["default"], "budgets.default", false);
  if (const YAML::Node campaigns = node["campaigns"]) {
    if (!campaigns.IsSequence()) throw ConfigError{Where(campaigns, "budgets.campaigns") + " must be a list"};
    for (std::size_t i = 0; i < campaigns.size(); ++i) {
      out.rules.push_back(ReadBudgetRule(campaigns[i], "budgets.campaigns[" + std::to_string(i) + "]", true));
    }
  }
}

void ReadIngest(const YAML::Node& node, IngestOptions& out) {
  RequireMap(node, "ingest");
  RejectUnknownKeys(node, "ingest", {"max_label_length", "max_records_per_batch"});
  if (node["max_label_length"]) out.max_label_length = ReadPositive(node["max_label_length"], "ingest.max_label_length");
  if (node["max_records_per_batch"]) {
    out.max_records_per_batch = ReadPositive(node["max_records_per_batch"], "ingest.max_records_per_batch");
  }
}

void ReadCardinality(const YAML::Node& node, CardinalityLimits& out) {
  RequireMap(node, "metrics.cardinality");
  RejectUnknownKeys(node, "metrics.cardinality", {"default_limit", "per_label"});
  if (node["default_limit"]) out.default_limit = ReadPositive(node["default_limit"], "metrics.cardinality.default_limit");
  if (const YAML::Node per_label = node["per_label"]) {
    RequireMap(per_label, "metrics.cardinality.per_label");
    for (const auto& entry : per_label) {
      const std::string label = entry.first.as<std::string>();
      out.per_label[label] = ReadPositive(entry.second, "metrics.cardinality.per_label." + label);
    }
  }
}

void ReadMetrics(const YAML::Node& node, MetricsOptions& out) {
  RequireMap(node, "metrics");
  RejectUnknownKeys(node, "metrics", {"cardinality", "latency_buckets_seconds",
                                      "tokens_per_request_buckets", "business_event_families"});
  if (node["cardinality"]) ReadCardinality(node["cardinality"], out.cardinality);
  if (node["latency_buckets_seconds"]) out.latency_buckets_seconds = ReadBuckets(node["latency_buckets_seconds"], "metrics.latency_buckets_seconds");
  if (node["tokens_per_request_buckets"]) out.tokens_per_request_buckets = ReadBuckets(node["tokens_per_request_buckets"], "metrics.tokens_per_request_buckets");
  if (const YAML::Node families = node["business_event_families"]) {
    RequireMap(families, "metrics.business_event_families");
    out.business_event_families.clear();
    for (const auto& entry : families) {
      const std::string event = entry.first.as<std::string>();
      out.business_event_families[event] =
          ReadScalar<std::string>(entry.second, "metrics.business_event_families." + event, "a metric name");
    }
  }
}

// A list of strings; a single string is a list of one.
std::vector<std::string> ReadStringList(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) return {ReadScalar<std::string>(node, path, "a string or a list of strings")};
  if (!node.IsSequence()) throw ConfigError{Where(node, path) + " must be a string or a list of strings"};
  std::vector<std::string> out;
  for (const auto& item : node) {
    if (!item.IsScalar()) throw ConfigError{Where(item, path) + " must be a list of strings"};
    out.push_back(ReadScalar<std::string>(item, path, "a string"));
  }
  return out;
}

void ReadOtlpAttributes(const YAML::Node& node, OtlpAttributeKeys& out) {
  const std::string path = "otlp.attributes";
  RequireMap(node, path);
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    const auto* field = std::find_if(std::begin(kOtlpAttributeFields), std::end(kOtlpAttributeFields),
                                     [&key](const OtlpAttributeField& f) { return f.name == key; });
    if (field == std::end(kOtlpAttributeFields)) {
      throw ConfigError{"unknown key " + Where(entry.first, path + "." + key)};
    }
    out.*(field->keys) = ReadStringList(entry.second, path + "." + key);
  }
}

void ReadOtlp(const YAML::Node& node, OtlpOptions& out) {
  RequireMap(node, "otlp");
  RejectUnknownKeys(node, "otlp", {"attributes", "disjoint_cache_vendors", "llm_event", "span_event"});
  if (node["attributes"]) ReadOtlpAttributes(node["attributes"], out.attributes);
  if (node["disjoint_cache_vendors"]) {
    out.disjoint_cache_vendors = ReadStringList(node["disjoint_cache_vendors"], "otlp.disjoint_cache_vendors");
  }
  if (node["llm_event"]) out.llm_event = ReadScalar<std::string>(node["llm_event"], "otlp.llm_event", "a string");
  if (node["span_event"]) out.span_event = ReadScalar<std::string>(node["span_event"], "otlp.span_event", "a string");
}

void ReadAuth(const YAML::Node& node, AuthConfig& out) {
  RequireMap(node, "auth");
  RejectUnknownKeys(node, "auth", {"api_keys_file"});
  if (node["api_keys_file"]) out.api_keys_file = ReadScalar<std::string>(node["api_keys_file"], "auth.api_keys_file", "a file name");
}

Config ParseRoot(const YAML::Node& root) {
  Config config;
  if (!root || root.IsNull()) return config;
  RequireMap(root, "(document)");
  RejectUnknownKeys(root, "", {"server", "storage", "budgets", "ingest", "metrics", "otlp", "auth"});
  if (root["server"]) ReadServer(root["server"], config.server);
  if (root["storage"]) ReadStorage(root["storage"], config.storage);
  if (root["budgets"]) ReadBudgets(root["budgets"], config.budgets);
  if (root["ingest"]) ReadIngest(root["ingest"], config.ingest);
  if (root["metrics"]) ReadMetrics(root["metrics"], config.metrics);
  if (root["otlp"]) ReadOtlp(root["otlp"], config.otlp);
  if (root["auth"]) ReadAuth(root["auth"], config.auth);
  return config;
}

}  // namespace

Result<std::chrono::seconds> ParseDuration(std::string_view text) {
  // Units in descending order, each at most once, as Prometheus writes them.
  static constexpr std::pair<char, long long> kUnits[] = {
      {'w', 7 * 86400}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
  const Status invalid = Status::InvalidArgument("\"" + std::string(text) + "\" is not a duration like 90s, 15m, 24h, 7d or 1h30m");
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
  return config_detail::ReadDocument<Config>(yaml_text, source, [&source](const YAML::Node& root) -> Result<Config> {
    Config config = ParseRoot(root);
    const Status metrics_status = UsageMetrics::ValidateOptions(config.metrics);
    if (!metrics_status.ok()) return metrics_status.WithContext(source + ": metrics");
    const Status budgets_status = Budgets::Validate(config.budgets);
    if (!budgets_status.ok()) return budgets_status.WithContext(source + ": budgets");
    const Status otlp_status = ValidateOtlpOptions(config.otlp, config.ingest);
    if (!otlp_status.ok()) return otlp_status.WithContext(source + ": otlp");
    return config;
  });
}

Result<Config> LoadConfigFile(const std::string& path) {
  Result<std::string> text = config_detail::ReadTextFile(path, "config file");
  if (!text.ok()) return text.status();
  Result<Config> config = ParseConfig(*text, path);
  if (config.ok() && !config->auth.api_keys_file.empty()) {
    const std::filesystem::path keys = config->auth.api_keys_file;
    if (keys.is_relative()) config->auth.api_keys_file = (std::filesystem::path(path).parent_path() / keys).string();
  }
  return config;
}

}  // namespace lce
