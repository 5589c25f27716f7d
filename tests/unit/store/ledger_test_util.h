// Helpers for the ledger tests: a fresh temporary directory per test, entry
// builders, and one factory type per Ledger implementation so a behavioural
// suite runs against all three (TEMPLATE_TEST_CASE).
#pragma once

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "llm_cost_exporter/ledger.h"
#include "llm_cost_exporter/postgres_ledger.h"
#include "postgres_test_db.h"

namespace lce::ledger_test {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kWidth = SpendBucket::kWidthNs;
// 2026-04-02T10:15:00Z, on a bucket boundary.
constexpr std::int64_t kT0 = 1'775'124'900LL * kSecond;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "lce_ledger_test_XXXXXX").string();
    const char* made = ::mkdtemp(pattern.data());
    REQUIRE(made != nullptr);
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline Money Dollars(const char* decimal) {
  Result<Money> money = Money::ParseDollars(decimal);
  REQUIRE(money.ok());
  return *money;
}

inline LedgerEntry Entry(std::string_view key, std::int64_t ts, Money cost, std::string_view campaign = "cmp_a") {
  LedgerEntry entry;
  entry.idempotency_key = key;
  entry.timestamp_unix_ns = ts;
  entry.service = "svc";
  entry.campaign_id = campaign;
  entry.vendor = "openai";
  entry.model = "gpt-4o";
  entry.cost = cost;
  return entry;
}

inline LedgerEntry Keyed(std::string_view key, std::uint64_t fingerprint, Money cost, std::int64_t ts = kT0,
                         std::string_view campaign = "cmp_a") {
  LedgerEntry entry = Entry(key, ts, cost, campaign);
  entry.fingerprint = fingerprint;
  return entry;
}

inline std::vector<EntryOutcome> AppendOutcomes(Ledger& ledger, const std::vector<LedgerEntry>& entries,
                                                std::int64_t now = kT0) {
  Result<std::vector<EntryOutcome>> result = ledger.Append(entries, now);
  INFO((result.ok() ? "" : result.status().message()));
  REQUIRE(result.ok());
  return *result;
}

// Which entries were new (true) and which duplicates (false); any other
// outcome fails the test.
inline std::vector<bool> AppendOk(Ledger& ledger, const std::vector<LedgerEntry>& entries, std::int64_t now = kT0) {
  std::vector<bool> is_new;
  for (EntryOutcome outcome : AppendOutcomes(ledger, entries, now)) {
    REQUIRE((outcome == EntryOutcome::kNew || outcome == EntryOutcome::kDuplicate));
    is_new.push_back(outcome == EntryOutcome::kNew);
  }
  return is_new;
}

inline std::vector<SpendBucket> SpendOk(const Ledger& ledger, std::int64_t from, std::int64_t to) {
  Result<std::vector<SpendBucket>> result = ledger.Spend(from, to);
  INFO((result.ok() ? "" : result.status().message()));
  REQUIRE(result.ok());
  return *result;
}

inline Money TotalCost(const std::vector<SpendBucket>& buckets) {
  Money total;
  for (const SpendBucket& bucket : buckets) total += bucket.cost;
  return total;
}

// For a ledger whose bucket (kT0, campaign "cmp_full") has exactly $1 of
// room left below kMaxBucketCost: an entry that fits fills it; in the next
// call only the entry that would pass it is out of range, the others of
// the call (other buckets, the same campaign's next bucket) are new, and
// the refused key is not remembered.
inline void CheckFullBucketRefusesAlone(Ledger& ledger) {
  using O = EntryOutcome;
  CHECK(AppendOutcomes(ledger, {Entry("fits", kT0, Dollars("1"), "cmp_full")}) == std::vector<O>{O::kNew});
  CHECK(AppendOutcomes(ledger, {Entry("a", kT0, Dollars("5"), "cmp_a"), Entry("b", kT0, Dollars("0.01"), "cmp_full"),
                                Entry("c", kT0 + kWidth, Dollars("3"), "cmp_full"), Entry("d", kT0, Dollars("1"))}) ==
        std::vector<O>{O::kNew, O::kOutOfRange, O::kNew, O::kNew});
  CHECK(ledger.Stats().commit_errors == 0);  // about content, not the store
  Money full;
  for (const SpendBucket& bucket : SpendOk(ledger, kT0, kT0 + 1)) {
    if (bucket.campaign_id == "cmp_full") full = bucket.cost;
  }
  CHECK(full == kMaxBucketCost);
  CHECK(TotalCost(SpendOk(ledger, kT0, kT0 + 2 * kWidth)) == kMaxBucketCost + Dollars("9"));
  CHECK(AppendOutcomes(ledger, {Entry("b", kT0 + kWidth, Dollars("0.01"), "cmp_full")}) == std::vector<O>{O::kNew});
}

// Factories: Open() may be called again (after the previous ledger is
// destroyed) to reopen the same storage; memory storage starts empty then.
struct MemoryFactory {
  static constexpr bool kDurable = false;
  std::unique_ptr<Ledger> Open(std::chrono::seconds retention = std::chrono::hours(24)) {
    return NewMemoryLedger(retention);
  }
};

struct SqliteFactory {
  static constexpr bool kDurable = true;
  TempDir dir;
  std::unique_ptr<Ledger> Open(std::chrono::seconds retention = std::chrono::hours(24)) {
    LedgerOptions options;
    options.directory = dir.path() + "/data";
    options.idempotency_retention = retention;
    Result<std::unique_ptr<Ledger>> ledger = OpenSqliteLedger(options);
    INFO((ledger.ok() ? "" : ledger.status().message()));
    REQUIRE(ledger.ok());
    return std::move(ledger).value();
  }
};

// A fresh database of the test cluster (tests/postgres) per factory.
struct PostgresFactory {
  static constexpr bool kDurable = true;
  TestDatabase db;
  std::unique_ptr<Ledger> Open(std::chrono::seconds retention = std::chrono::hours(24)) {
    PostgresOptions options = db.Options();
    options.idempotency_retention = retention;
    Result<std::unique_ptr<Ledger>> ledger = OpenPostgresLedger(options);
    INFO((ledger.ok() ? "" : ledger.status().message()));
    REQUIRE(ledger.ok());
    return std::move(ledger).value();
  }
};

}  // namespace lce::ledger_test
