// GET /v1/spend: exact spend from the ledger, grouped for finance.
//
//   from, to   RFC 3339 or YYYY-MM-DD (UTC); default: everything. A bucket
//              counts when its 15-minute window starts in [from, to).
//   group_by   comma list of campaign_id, model, vendor, service, and one of
//              day or hour (UTC); default campaign_id,model,vendor,day.
//   format     json (default) or csv; Accept: text/csv also selects CSV.
//
// Amounts are decimal strings in USD, never floats: they add up exactly.
#include <algorithm>
#include <cstring>
#include <optional>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "handlers.h"
#include "llm_cost_exporter/timestamp.h"

namespace lce {
namespace {

enum class Dimension { kCampaign, kModel, kVendor, kService, kDay, kHour };

struct DimensionName {
  std::string_view name;
  Dimension dimension;
};
constexpr DimensionName kDimensions[] = {
    {"campaign_id", Dimension::kCampaign}, {"model", Dimension::kModel}, {"vendor", Dimension::kVendor},
    {"service", Dimension::kService},      {"day", Dimension::kDay},     {"hour", Dimension::kHour}};

struct SpendQuery {
  std::int64_t from = std::numeric_limits<std::int64_t>::min();
  std::int64_t to = std::numeric_limits<std::int64_t>::max();
  std::vector<DimensionName> group_by;
  bool csv = false;
};

struct Totals {
  Money cost;
  Money retry_cost;
  std::uint64_t records = 0;
  std::uint64_t unpriced_records = 0;

  void Add(const SpendBucket& bucket) {
    cost += bucket.cost;
    retry_cost += bucket.retry_cost;
    records += bucket.records;
    unpriced_records += bucket.unpriced_records;
  }
};

// The query parameter `name`, or nullopt when absent.
Status ParseInstant(const std::optional<std::string>& text, const char* name, std::int64_t* out) {
  if (!text) return Status::Ok();
  if (ParseIsoDate(*text, out) || ParseRfc3339(*text, out)) return Status::Ok();
  return Status::InvalidArgument(std::string(name) + " must be an RFC 3339 timestamp or a YYYY-MM-DD date");
}

Status ParseGroupBy(const std::string& text, std::vector<DimensionName>* out) {
  std::size_t start = 0;
  bool has_time = false;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view item = std::string_view(text).substr(start, comma - start);
    const auto* found = std::find_if(std::begin(kDimensions), std::end(kDimensions),
                                     [&](const DimensionName& d) { return d.name == item; });
    if (found == std::end(kDimensions)) {
      return Status::InvalidArgument("group_by takes campaign_id, model, vendor, service, day or hour");
    }
    const bool is_time = found->dimension == Dimension::kDay || found->dimension == Dimension::kHour;
    if (is_time && has_time) return Status::InvalidArgument("group_by takes at most one of day and hour");
    has_time = has_time || is_time;
    out->push_back(*found);
    start = comma + 1;
  }
  return Status::Ok();
}

Result<SpendQuery> ParseQuery(const Request& request) {
  SpendQuery query;
  if (Status s = ParseInstant(request.Param("from"), "from", &query.from); !s.ok()) return s;
  if (Status s = ParseInstant(request.Param("to"), "to", &query.to); !s.ok()) return s;
  if (query.from >= query.to) return Status::InvalidArgument("from must be before to");
  if (Status s = ParseGroupBy(request.Param("group_by").value_or("campaign_id,model,vendor,day"), &query.group_by);
      !s.ok()) {
    return s;
  }
  const std::string format = request.Param("format").value_or("");
  if (!format.empty() && format != "json" && format != "csv") return Status::InvalidArgument("format is json or csv");
  query.csv =
      format == "csv" || (format.empty() && request.Header("Accept").find("text/csv") != std::string_view::npos);
  return query;
}

std::string DimensionValue(const SpendBucket& bucket, Dimension dimension) {
  constexpr std::int64_t kHourNs = 3600LL * 1'000'000'000;
  switch (dimension) {
    case Dimension::kCampaign: return bucket.campaign_id;
    case Dimension::kModel: return bucket.model;
    case Dimension::kVendor: return bucket.vendor;
    case Dimension::kService: return bucket.service;
    case Dimension::kDay: return FormatIsoDate(bucket.start_unix_ns);
    case Dimension::kHour: {
      // Floor to the hour (buckets are 15 minutes wide), also before 1970.
      const std::int64_t hour = bucket.start_unix_ns - ((bucket.start_unix_ns % kHourNs) + kHourNs) % kHourNs;
      return FormatRfc3339(hour);
    }
  }
  return {};
}

using Groups = std::map<std::vector<std::string>, Totals>;

Groups GroupBuckets(const std::vector<SpendBucket>& buckets, const std::vector<DimensionName>& group_by) {
  Groups groups;
  for (const SpendBucket& bucket : buckets) {
    std::vector<std::string> key;
    key.reserve(group_by.size());
    for (const DimensionName& d : group_by) key.push_back(DimensionValue(bucket, d.dimension));
    groups[std::move(key)].Add(bucket);
  }
  return groups;
}

nlohmann::ordered_json TotalsJson(const Totals& t) {
  return {{"cost_usd", t.cost.ToDecimalString()},
          {"retry_cost_usd", t.retry_cost.ToDecimalString()},
          {"records", t.records},
          {"unpriced_records", t.unpriced_records}};
}

std::string RenderJson(const SpendQuery& query, const Groups& groups) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  Totals total;
  for (const auto& [key, totals] : groups) {
    nlohmann::ordered_json row;
    for (std::size_t i = 0; i < key.size(); ++i) row[std::string(query.group_by[i].name)] = key[i];
    row.update(TotalsJson(totals));
    rows.push_back(std::move(row));
    total.cost += totals.cost;
    total.retry_cost += totals.retry_cost;
    total.records += totals.records;
    total.unpriced_records += totals.unpriced_records;
  }
  nlohmann::ordered_json group_by = nlohmann::ordered_json::array();
  for (const DimensionName& d : query.group_by) group_by.push_back(d.name);
  nlohmann::ordered_json answer = {{"currency", "USD"}, {"group_by", std::move(group_by)}};
  if (query.from != std::numeric_limits<std::int64_t>::min()) answer["from"] = FormatRfc3339(query.from);
  if (query.to != std::numeric_limits<std::int64_t>::max()) answer["to"] = FormatRfc3339(query.to);
  answer["rows"] = std::move(rows);
  answer["total"] = TotalsJson(total);
  return answer.dump();
}

std::string RenderCsv(const SpendQuery& query, const Groups& groups) {
  std::string csv;
  for (const DimensionName& d : query.group_by) (csv += d.name) += ',';
  csv += "cost_usd,retry_cost_usd,records,unpriced_records\r\n";
  // Values are label-safe (no commas, quotes or line breaks), so no quoting.
  for (const auto& [key, totals] : groups) {
    for (const std::string& value : key) (csv += value) += ',';
    csv += totals.cost.ToDecimalString() + ',' + totals.retry_cost.ToDecimalString() + ',' +
           std::to_string(totals.records) + ',' + std::to_string(totals.unpriced_records) + "\r\n";
  }
  return csv;
}

class SpendHandler final : public Handler {
 public:
  explicit SpendHandler(const Ledger& ledger)
      : Handler(Route{"spend", "/v1/spend", "GET", Access::kApiKey}), ledger_(ledger) {}

  Response Serve(const Request& request) override {
    Result<SpendQuery> query = ParseQuery(request);
    if (!query.ok()) return Response::FromStatus(query.status());
    Result<std::vector<SpendBucket>> buckets = ledger_.Spend(query->from, query->to);
    if (!buckets.ok()) return Response::Unavailable("cannot read the ledger: " + buckets.status().message());
    // A restricted API key sees only its campaigns' spend.
    if (const Principal* key = request.caller.key; key != nullptr && !key->Unrestricted()) {
      std::erase_if(*buckets, [key](const SpendBucket& bucket) { return !key->MayUseCampaign(bucket.campaign_id); });
    }
    const Groups groups = GroupBuckets(*buckets, query->group_by);
    if (query->csv) return Response::With(200, "text/csv; charset=utf-8", RenderCsv(*query, groups));
    return Response::Json(200, RenderJson(*query, groups));
  }

 private:
  const Ledger& ledger_;
};

}  // namespace

std::unique_ptr<Handler> MakeSpendHandler(const Ledger& ledger) { return std::make_unique<SpendHandler>(ledger); }

}  // namespace lce
