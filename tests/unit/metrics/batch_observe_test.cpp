// UsageMetrics::ObserveAll sums a batch per series and updates each series
// once: the scrape must be exactly what counting the same records one by one
// gives (every family, both formats), exemplars included (the last traced
// record of each series; only their timestamps, the clock's, may differ).
#include <catch2/catch.hpp>

#include <regex>
#include <string>
#include <vector>

#include "scrape.h"
#include "test_support.h"

namespace lce {
namespace {

using test::Dollars;

// What `usage` writes into a scrape in one format, exemplar timestamps cut.
std::string Render(const UsageMetrics& usage, bool openmetrics) {
  metrics::Scrape scrape(openmetrics);
  MetricSink sink(scrape);
  usage.Collect(sink);
  scrape.Finish();
  // An exemplar is ` # {ids} value timestamp`; the timestamp is when it was counted.
  static const std::regex kExemplarTimestamp(R"((# \{[^}]*\} \S+) \S+)");
  return std::regex_replace(scrape.out, kExemplarTimestamp, "$1");
}

// Both formats of `got` are those of `expected`, byte for byte.
void CheckSameScrape(const UsageMetrics& got, const UsageMetrics& expected) {
  CHECK(Render(got, false) == Render(expected, false));
  CHECK(Render(got, true) == Render(expected, true));
}

// Hex ids that differ from record to record (so the last exemplar shows).
std::string HexId(std::size_t i, std::size_t digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(digits, '0');
  for (std::size_t d = 0; d < digits && i != 0; ++d, i /= 16) id[digits - 1 - d] = kHex[i % 16];
  id[0] = 'a';  // never all zero
  return id;
}

// A batch that touches every family and every branch of the tallies: LLM
// calls across campaigns, models, operations and prompt versions; retries;
// priced, unpriced and $0 calls; cached and reasoning tokens; latencies in
// several buckets, failures; every status class; traced and untraced
// records; business events; earlier and later timestamps.
struct Batch {
  std::vector<std::string> ids;  // the trace and span ids the records view
  std::vector<UsageRecord> records;
  std::vector<PriceResult> prices;
};

Batch MixedBatch(std::size_t n) {
  static constexpr std::string_view kCampaigns[] = {"cmp_a", "cmp_b", "cmp_c"};
  static constexpr std::string_view kModels[] = {"gpt-4o", "gpt-4o-mini"};
  static constexpr std::string_view kOperations[] = {"llm.generate_subject_line", "llm.score"};
  static constexpr std::uint16_t kStatuses[] = {200, 200, 429, 500, 0, 302, 101};
  Batch batch;
  batch.ids.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    batch.ids.push_back(HexId(i, 32));
    batch.ids.push_back(HexId(i, 16));
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (i % 9 == 8) {
      batch.records.push_back(test::BusinessEvent(i % 2 == 0 ? "email.sent" : "lead.created", kCampaigns[i % 3]));
      batch.prices.push_back(PriceResult{});
      continue;
    }
    UsageRecord r = test::LlmCall(kCampaigns[i % 3], kModels[i % 2]);
    r.operation = kOperations[i % 4 / 2];
    r.prompt_version = i % 5 == 0 ? "v2" : "v1";
    r.timestamp_unix_ns = 1'780'000'000'000'000'000 + static_cast<std::int64_t>((i * 7919) % 1000) * 1'000'000'000;
    r.tokens[TokenType::kInput] = 100 + 37 * i;
    r.tokens[TokenType::kOutput] = 10 + 5 * i;
    r.tokens[TokenType::kCachedInput] = i % 3 == 0 ? 64 : 0;
    r.tokens[TokenType::kReasoning] = i % 4 == 0 ? 8 * i : 0;
    r.attempt = i % 6 == 0 ? 2 : 1;
    r.vendor_status = kStatuses[i % 7];
    if (i % 2 == 0) {
      r.has_latency = true;
      r.latency_us = static_cast<std::int64_t>(1000 + 37'000 * (i % 40));
      r.failed = i % 10 == 0;
    }
    if (i % 3 != 1) {
      r.trace_id = batch.ids[2 * i];
      r.span_id = batch.ids[2 * i + 1];
    }
    batch.records.push_back(r);
    if (i % 11 == 3) {
      batch.prices.push_back(test::Unpriced(PriceOutcome::kUnknownModel));
    } else {
      batch.prices.push_back(test::TokensPriced(i % 13 == 0 ? Money() : Dollars(0, 1'000'000'000'000 * (i + 1))));
    }
  }
  return batch;
}

std::vector<UsageMetrics::Observation> ObservationsOf(const Batch& batch, std::size_t from, std::size_t to) {
  std::vector<UsageMetrics::Observation> observations;
  for (std::size_t i = from; i < to; ++i) observations.push_back({&batch.records[i], &batch.prices[i]});
  return observations;
}

TEST_CASE("ObserveAll of a batch scrapes exactly as Observe of each of its records", "[metrics][batch]") {
  const Batch batch = MixedBatch(400);
  test::Usage one_by_one;
  for (std::size_t i = 0; i < batch.records.size(); ++i) one_by_one.Observe(batch.records[i], batch.prices[i]);
  test::Usage batched;
  batched.usage().ObserveAll(ObservationsOf(batch, 0, batch.records.size()));

  CheckSameScrape(batched.usage(), one_by_one.usage());
  // Not vacuous: the batch fed every family the tallies sum.
  const std::string text = Render(batched.usage(), true);
  for (const char* family :
       {"llm_tokens_total{", "llm_cost_usd_total{", "llm_retry_cost_usd_total{", "llm_requests_total{",
        "llm_tokens_per_request_bucket{", "llm_release_first_seen_timestamp_seconds{", "span_latency_seconds_bucket{",
        "span_errors_total{", "llm_unpriced_records_total{", "# {trace_id=\""}) {
    INFO(family);
    CHECK(text.find(family) != std::string::npos);
  }
}

TEST_CASE("ObserveAll of a batch in parts adds up to the batch at once", "[metrics][batch]") {
  const Batch batch = MixedBatch(300);
  test::Usage whole;
  whole.usage().ObserveAll(ObservationsOf(batch, 0, 300));
  test::Usage parts;
  parts.usage().ObserveAll(ObservationsOf(batch, 0, 17));
  parts.usage().ObserveAll(ObservationsOf(batch, 17, 200));
  parts.usage().ObserveAll(ObservationsOf(batch, 200, 300));
  parts.usage().ObserveAll({});  // nothing: changes nothing
  CheckSameScrape(parts.usage(), whole.usage());
}

TEST_CASE("A draft finds known series, counts nothing, and ObserveAll with it counts the same", "[metrics][batch]") {
  const Batch batch = MixedBatch(300);
  test::Usage plain;
  plain.usage().ObserveAll(ObservationsOf(batch, 0, 150));
  plain.usage().ObserveAll(ObservationsOf(batch, 150, 300));

  test::Usage drafted;
  const std::string empty_text = Render(drafted.usage(), true);
  std::vector<UsageMetrics::Observation> first = ObservationsOf(batch, 0, 150);
  UsageMetrics::Draft first_draft = drafted.usage().DraftAll(first);
  // Nothing seen yet: no series is found, none is created or counted.
  CHECK_FALSE(first_draft.complete());
  for (const UsageMetrics::Observation& o : first) CHECK(o.route == nullptr);
  CHECK(Render(drafted.usage(), true) == empty_text);
  drafted.usage().ObserveAll(first, std::move(first_draft));

  // The second half repeats the first half's label sets: all are found.
  std::vector<UsageMetrics::Observation> second = ObservationsOf(batch, 150, 300);
  const std::string before_second = Render(drafted.usage(), true);
  UsageMetrics::Draft dropped = drafted.usage().DraftAll(second);  // e.g. a commit that failed
  CHECK(dropped.complete());
  CHECK(Render(drafted.usage(), true) == before_second);
  UsageMetrics::Draft second_draft = drafted.usage().DraftAll(second);
  REQUIRE(second_draft.complete());
  for (const UsageMetrics::Observation& o : second) CHECK(o.route != nullptr);
  CHECK(Render(drafted.usage(), true) == before_second);
  drafted.usage().ObserveAll(second, std::move(second_draft));

  CheckSameScrape(drafted.usage(), plain.usage());
}

TEST_CASE("Observations with drafted routes but without the draft count the same", "[metrics][batch]") {
  const Batch batch = MixedBatch(240);
  test::Usage plain;
  plain.usage().ObserveAll(ObservationsOf(batch, 0, 240));
  test::Usage drafted;
  drafted.usage().ObserveAll(ObservationsOf(batch, 0, 120));
  std::vector<UsageMetrics::Observation> rest = ObservationsOf(batch, 120, 240);
  (void)drafted.usage().DraftAll(rest);  // routes noted, sums dropped: as when some records were duplicates
  drafted.usage().ObserveAll(rest);
  CheckSameScrape(drafted.usage(), plain.usage());
}

TEST_CASE("ObserveAll keeps each series' last traced record as its exemplar", "[metrics][batch]") {
  Batch batch;
  batch.ids = {"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "0af7651916cd43dd8448eb211c80319c",
               "b7ad6b7169203331"};
  for (std::size_t i = 0; i < 3; ++i) {
    UsageRecord r = test::LlmCall();
    if (i < 2) {  // the third is untraced: it counts, but the exemplar stays the second's
      r.trace_id = batch.ids[2 * i];
      r.span_id = batch.ids[2 * i + 1];
    }
    batch.records.push_back(r);
    batch.prices.push_back(test::TokensPriced(Dollars(static_cast<std::int64_t>(i) + 1)));
  }
  test::Usage usage;
  usage.usage().ObserveAll(ObservationsOf(batch, 0, 3));
  ExemplarIndex exemplars;
  const auto families = usage.Collect(exemplars);
  const prometheus::ClientMetric* cost = test::FindSample(families, "llm_cost_usd_total", test::SpendLabels());
  REQUIRE(cost != nullptr);
  CHECK(cost->counter.value == 6.0);
  const Exemplar* last = exemplars.Find("llm_cost_usd_total", cost->label, ExemplarIndex::kNoBucket);
  REQUIRE(last != nullptr);
  CHECK(last->trace_id == batch.ids[2]);
  CHECK(last->span_id == batch.ids[3]);
  CHECK(last->value == 2.0);
}

}  // namespace
}  // namespace lce
