// The Ledger on PostgreSQL (see postgres_ledger.h for the contract).
//
// An Append is one READ COMMITTED transaction on one pooled connection:
//  1. claim: the call's distinct keys are inserted under the primary key
//     (ON CONFLICT DO NOTHING, keys in byte order); the keys not inserted
//     were there before (or were committed by another replica meanwhile: the
//     insert waits for that transaction) and their stored fingerprints,
//     read by a second statement that sees them, decide duplicate or conflict;
//  2. spend: the new entries summed per bucket in the process
//     (SpendAggregate), then one multi-row upsert adds the sums in the
//     server, only where the bucket stays within kMaxBucketCost and every
//     count within int64; a bucket refused there makes the transaction roll
//     back and run again without that bucket's entries (kOutOfRange), as the
//     other ledgers do;
//  3. COMMIT, then the answer.
// A deadlock or serialization failure (40P01, 40001: rolled back by the
// server) runs the transaction again, a bounded number of times. A lost
// connection fails the call: when COMMIT's outcome is unknown the caller's
// re-send finds its keys (duplicates), so nothing is counted twice.
#include "llm_cost_exporter/postgres_ledger.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <limits>
#include <map>
#include <new>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ledger_common.h"
#include "pg_client.h"
#include "postgres_schema.h"

namespace lce {
namespace {

using store_detail::BucketLabels;
using store_detail::BucketSums;
using store_detail::PgArray;
using store_detail::PgConnection;
using store_detail::PgFailure;
using store_detail::PgResult;

constexpr int kMaxAttempts = 8;
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

std::string TokenColumn(std::size_t kind) { return "tokens_" + std::string(kTokenTypeNames[kind]); }

// Fingerprints are uint64; the column is a bigint holding the same bits.
std::int64_t ToColumn(std::uint64_t value) {
  std::int64_t out = 0;
  std::memcpy(&out, &value, sizeof out);
  return out;
}
std::uint64_t FromColumn(std::int64_t value) {
  std::uint64_t out = 0;
  std::memcpy(&out, &value, sizeof out);
  return out;
}

// The same content, or either side unknown (0): the other ledgers' rule.
EntryOutcome CompareFingerprints(std::uint64_t stored, std::uint64_t sent) {
  return stored == sent || stored == 0 || sent == 0 ? EntryOutcome::kDuplicate : EntryOutcome::kConflict;
}

std::string MoneyText(Money amount) { return amount.ToDecimalString(); }

// A bucket's key as one string (label values cannot hold a NUL byte in
// PostgreSQL text), to match RETURNING rows with the buckets sent.
std::string KeyString(std::int64_t start, std::string_view service, std::string_view campaign, std::string_view vendor,
                      std::string_view model, std::string_view tier, std::string_view context_tier, bool retry) {
  std::string key = std::to_string(start);
  for (const std::string_view part : {service, campaign, vendor, model, tier, context_tier}) {
    key += '\0';
    key += part;
  }
  key += retry ? "\1t" : "\1f";
  return key;
}

std::string KeyString(const BucketLabels& labels) {
  return KeyString(labels.start_unix_ns, labels.service, labels.campaign_id, labels.vendor, labels.model,
                   labels.service_tier, std::to_string(labels.context_tier), labels.retry);
}

// Columns 0..7 of a row: the bucket key as KeyString builds it.
std::string RowKeyString(const PgResult& rows, int row) {
  std::int64_t start = 0;
  if (Result<std::int64_t> value = rows.Int(row, 0); value.ok()) start = *value;
  return KeyString(start, rows.Text(row, 1), rows.Text(row, 2), rows.Text(row, 3), rows.Text(row, 4), rows.Text(row, 5),
                   rows.Text(row, 6), rows.Text(row, 7) == "t");
}

bool LabelsLess(const BucketLabels& a, const BucketLabels& b) {
  return std::tie(a.start_unix_ns, a.service, a.campaign_id, a.vendor, a.model, a.service_tier, a.context_tier,
                  a.retry) < std::tie(b.start_unix_ns, b.service, b.campaign_id, b.vendor, b.model, b.service_tier,
                                      b.context_tier, b.retry);
}

// PostgreSQL text cannot hold a NUL byte. Records never carry one (every
// key and label rule excludes control characters); an entry that does is
// refused here, naming it, rather than failing the statement.
Status CheckText(std::span<const LedgerEntry> entries) {
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const LedgerEntry& e = entries[i];
    for (const std::string_view text :
         {e.idempotency_key, e.service, e.campaign_id, e.vendor, e.model, e.service_tier}) {
      if (text.find('\0') != std::string_view::npos) {
        return Status::InvalidArgument("ledger entry " + std::to_string(i) + ": a NUL byte in a key or label");
      }
    }
    for (const UnitCount& unit : e.units) {
      if (unit.unit.find('\0') != std::string_view::npos) {
        return Status::InvalidArgument("ledger entry " + std::to_string(i) + ": a NUL byte in a unit name");
      }
    }
  }
  return Status::Ok();
}

// ---- SQL --------------------------------------------------------------------

// The optimistic claim: every key new, as in most batches. A key that
// exists fails the statement (23505, the transaction aborted), and the
// claim runs again with kClaimKeys.
constexpr std::string_view kInsertNewKeys = R"sql(
INSERT INTO lce_idempotency_keys(key, fingerprint, received_unix_ns)
SELECT k, f, $3::bigint FROM unnest($1::text[], $2::bigint[]) AS t(k, f)
)sql";

// Answers the keys it did not insert (usually none: the new keys, most of
// a batch, need not travel back).
constexpr std::string_view kClaimKeys = R"sql(
WITH input AS (SELECT k COLLATE "C" AS k, f FROM unnest($1::text[], $2::bigint[]) AS t(k, f)),
     inserted AS (INSERT INTO lce_idempotency_keys(key, fingerprint, received_unix_ns)
                  SELECT k, f, $3::bigint FROM input
                  ON CONFLICT (key) DO NOTHING
                  RETURNING key)
SELECT k FROM input WHERE k NOT IN (SELECT key FROM inserted)
)sql";

constexpr std::string_view kStoredKeys = R"sql(
SELECT key, fingerprint FROM lce_idempotency_keys WHERE key = ANY($1::text[])
)sql";

// Parameters: 8 key arrays, cost, retry_cost, records, unpriced_records,
// then one array per token kind. The update happens only where the bucket
// stays within kMaxBucketCost and every count within int64 (compared as
// numeric, so the check itself cannot overflow); a refused row is not
// returned.
std::string UpsertBucketsSql() {
  std::string columns =
      std::string(store_detail::kPgBucketKeyColumns) + ", cost, retry_cost, records, unpriced_records";
  std::string arrays =
      "$1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::boolean[], "
      "$9::numeric[], $10::numeric[], $11::bigint[], $12::bigint[]";
  std::string updates =
      "cost = b.cost + excluded.cost, retry_cost = b.retry_cost + excluded.retry_cost, "
      "records = b.records + excluded.records, unpriced_records = b.unpriced_records + excluded.unpriced_records";
  std::string checks =
      "b.cost + excluded.cost <= 1000000000000000000"
      " AND b.records::numeric + excluded.records <= 9223372036854775807";
  for (std::size_t kind = 0; kind < kTokenTypeCount; ++kind) {
    const std::string column = TokenColumn(kind);
    columns += ", " + column;
    arrays += ", $" + std::to_string(13 + kind) + "::bigint[]";
    updates += ", " + column + " = b." + column + " + excluded." + column;
    checks += " AND b." + column + "::numeric + excluded." + column + " <= 9223372036854775807";
  }
  return "INSERT INTO lce_spend_buckets AS b (" + columns + ")\nSELECT * FROM unnest(" + arrays + ")\nON CONFLICT (" +
         store_detail::kPgBucketKeyColumns + ") DO UPDATE SET " + updates + "\nWHERE " + checks + "\nRETURNING " +
         store_detail::kPgBucketKeyColumns;
}
static_assert(kMaxBucketCost.atto() == Money::kOneDollar * 1'000'000'000'000'000'000LL,
              "UpsertBucketsSql's WHERE clause spells kMaxBucketCost out");

constexpr std::string_view kUpsertUnits = R"sql(
INSERT INTO lce_spend_bucket_units AS u
SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
                     $8::boolean[], $9::text[], $10::bigint[])
ON CONFLICT (bucket_start_unix_ns, service, campaign_id, vendor, model, service_tier, context_tier, retry, unit)
DO UPDATE SET count = u.count + excluded.count
WHERE u.count::numeric + excluded.count <= 9223372036854775807
RETURNING bucket_start_unix_ns, service, campaign_id, vendor, model, service_tier, context_tier, retry
)sql";

std::string SelectBucketsSql(bool for_update) {
  std::string sql =
      std::string("SELECT ") + store_detail::kPgBucketKeyColumns + ", cost, retry_cost, records, unpriced_records";
  for (std::size_t kind = 0; kind < kTokenTypeCount; ++kind) sql += ", " + TokenColumn(kind);
  sql += " FROM lce_spend_buckets WHERE bucket_start_unix_ns >= $1 AND bucket_start_unix_ns < $2 ORDER BY ";
  sql += store_detail::kPgBucketKeyColumns;
  if (for_update) sql += " FOR UPDATE";
  return sql;
}

constexpr std::string_view kUpsertCampaignSpend = R"sql(
INSERT INTO lce_campaign_spend AS c (campaign_id, bucket_start_unix_ns, cost, retry_cost)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::numeric[], $4::numeric[])
ON CONFLICT (campaign_id, bucket_start_unix_ns) DO UPDATE
SET cost = c.cost + excluded.cost, retry_cost = c.retry_cost + excluded.retry_cost, updated_at = clock_timestamp()
)sql";

constexpr std::string_view kSelectUnits = R"sql(
SELECT bucket_start_unix_ns, service, campaign_id, vendor, model, service_tier, context_tier, retry, unit, count
FROM lce_spend_bucket_units WHERE bucket_start_unix_ns >= $1 AND bucket_start_unix_ns < $2
ORDER BY bucket_start_unix_ns, service, campaign_id, vendor, model, service_tier, context_tier, retry, unit
)sql";

constexpr std::string_view kUpdateRepriced = R"sql(
UPDATE lce_spend_buckets AS b SET cost = t.cost, retry_cost = t.retry_cost, unpriced_records = 0
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::boolean[],
            $9::numeric[], $10::numeric[])
     AS t(bucket_start_unix_ns, service, campaign_id, vendor, model, service_tier, context_tier, retry, cost, retry_cost)
WHERE b.bucket_start_unix_ns = t.bucket_start_unix_ns AND b.service = t.service AND b.campaign_id = t.campaign_id
  AND b.vendor = t.vendor AND b.model = t.model AND b.service_tier = t.service_tier
  AND b.context_tier = t.context_tier AND b.retry = t.retry
)sql";

constexpr std::string_view kInsertRepricing = R"sql(
INSERT INTO lce_repricings(who, at_unix_ns, from_unix_ns, to_unix_ns, tables, old_total, new_total, buckets,
                           buckets_changed, buckets_refused, refused)
VALUES ($1, $2, $3, $4, $5, $6::numeric, $7::numeric, $8, $9, $10, $11) RETURNING id
)sql";

// Keys deleted per statement (each its own transaction) when a key
// generation is dropped.
constexpr std::int64_t kPruneChunkRows = 50'000;

// Deletes up to $2 keys received before $1; answers how many.
constexpr std::string_view kDeleteOlderKeys = R"sql(
WITH gone AS (
  DELETE FROM lce_idempotency_keys
  WHERE key IN (SELECT key FROM lce_idempotency_keys WHERE received_unix_ns < $1 LIMIT $2)
  RETURNING 1)
SELECT count(*) FROM gone
)sql";

// Keys in the table: exact (count(*)) up to a million, PostgreSQL's own
// estimate (pg_class.reltuples, kept by ANALYZE and autovacuum) above, so a
// scrape never scans millions of keys. reltuples is -1 before the first
// ANALYZE.
constexpr std::string_view kStatsSql = R"sql(
SELECT CASE WHEN c.reltuples > 1000000 THEN c.reltuples::bigint
            ELSE (SELECT count(*) FROM lce_idempotency_keys) END,
       pg_total_relation_size('lce_idempotency_keys') + pg_total_relation_size('lce_spend_buckets')
         + pg_total_relation_size('lce_spend_bucket_units') + pg_total_relation_size('lce_repricings')
FROM pg_class c WHERE c.oid = 'lce_idempotency_keys'::regclass
)sql";

constexpr std::string_view kSelectRepricings = R"sql(
SELECT id, who, at_unix_ns, from_unix_ns, to_unix_ns, tables, old_total, new_total, buckets, buckets_changed,
       buckets_refused, refused
FROM lce_repricings ORDER BY id
)sql";

// The 8 key arrays of a set of buckets, as parameters 1..8.
struct KeyArrays {
  PgArray start, service, campaign, vendor, model, tier, context_tier, retry;

  void Add(const BucketLabels& labels) {
    start.AddInt(labels.start_unix_ns);
    service.Add(labels.service);
    campaign.Add(labels.campaign_id);
    vendor.Add(labels.vendor);
    model.Add(labels.model);
    tier.Add(labels.service_tier);
    context_tier.AddInt(static_cast<std::int64_t>(labels.context_tier));
    retry.Add(labels.retry ? "t" : "f");
  }
  void TakeInto(std::vector<std::string>& params) {
    for (PgArray* array : {&start, &service, &campaign, &vendor, &model, &tier, &context_tier, &retry}) {
      params.push_back(array->Take());
    }
  }
};

// ---- the ledger ---------------------------------------------------------------

class PostgresLedger final : public Ledger {
 public:
  PostgresLedger(const PostgresOptions& options, store_detail::PgConnectOptions connect)
      : options_(options),
        retention_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(options.idempotency_retention).count()),
        pool_(std::move(connect), options.pool_size),
        upsert_buckets_(UpsertBucketsSql()),
        select_buckets_(SelectBucketsSql(false)),
        select_buckets_for_update_(SelectBucketsSql(true)) {}

  Result<std::vector<EntryOutcome>> Append(std::span<const LedgerEntry> entries,
                                           std::int64_t receive_unix_ns) override {
    if (Status valid = store_detail::ValidateEntries(entries); !valid.ok()) return valid;
    if (Status text = CheckText(entries); !text.ok()) return text;
    if (entries.empty()) return std::vector<EntryOutcome>();
    try {
      Result<store_detail::PgPool::Lease> conn = pool_.Acquire(options_.pool_wait);
      if (!conn.ok()) return conn.status();
      std::vector<EntryOutcome> outcomes(entries.size(), EntryOutcome::kNew);
      for (int attempt = 1;; ++attempt) {
        const auto began = std::chrono::steady_clock::now();
        Result<bool> committed = TryAppend(**conn, entries, receive_unix_ns, outcomes);
        if (committed.ok() && *committed) {
          RecordCommit(entries.size(), std::chrono::steady_clock::now() - began);
          return outcomes;
        }
        if (committed.ok()) continue;  // some buckets were full: again without their entries
        (*conn)->Rollback();
        if ((*conn)->last_failure() != PgFailure::kRetryable || attempt == kMaxAttempts) {
          commit_errors_.fetch_add(1, std::memory_order_relaxed);
          return committed.status();
        }
        ResetOutcomes(outcomes);
      }
    } catch (const std::bad_alloc&) {
      return Status::Internal("ledger: out of memory while appending " + std::to_string(entries.size()) + " entries");
    }
  }

  Result<std::vector<SpendBucket>> Spend(std::int64_t from_unix_ns, std::int64_t to_unix_ns) const override {
    try {
      Result<store_detail::PgPool::Lease> conn = pool_.Acquire(options_.pool_wait);
      if (!conn.ok()) return conn.status();
      // Buckets and units from one snapshot.
      if (Status s = (*conn)->Run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); !s.ok()) return s;
      Result<std::vector<SpendBucket>> buckets = ReadBuckets(**conn, from_unix_ns, to_unix_ns, false);
      (*conn)->Rollback();
      return buckets;
    } catch (const std::bad_alloc&) {
      return Status::Internal("ledger: out of memory while reading spend");
    }
  }

  Status Prune(std::int64_t now_unix_ns) override {
    Result<store_detail::PgPool::Lease> conn = pool_.Acquire(options_.pool_wait);
    if (!conn.ok()) return conn.status();
    Status pruned = PruneLocked(**conn, now_unix_ns);
    if (!pruned.ok()) (*conn)->Rollback();
    return pruned;
  }

  LedgerStats Stats() const override {
    LedgerStats stats;
    stats.commits = commits_.load(std::memory_order_relaxed);
    stats.commit_errors = commit_errors_.load(std::memory_order_relaxed);
    stats.committed_entries = committed_entries_.load(std::memory_order_relaxed);
    stats.commit_seconds_sum =
        static_cast<double>(commit_nanos_.load(std::memory_order_relaxed)) / 1e9;  // Prometheus boundary
    Result<store_detail::PgPool::Lease> conn = pool_.Acquire(options_.pool_wait);
    if (!conn.ok()) return stats;
    Result<PgResult> sizes = (*conn)->Exec(kStatsSql);
    if (sizes.ok() && sizes->rows() == 1) {
      if (Result<std::int64_t> keys = sizes->Int(0, 0); keys.ok())
        stats.idempotency_keys = static_cast<std::uint64_t>(*keys);
      if (Result<std::int64_t> bytes = sizes->Int(0, 1); bytes.ok())
        stats.size_bytes = static_cast<std::uint64_t>(*bytes);
    }
    return stats;
  }

  Result<RepriceReport> Reprice(const RepriceRequest& request) override {
    try {
      Result<store_detail::PgPool::Lease> conn = pool_.Acquire(options_.pool_wait);
      if (!conn.ok()) return conn.status();
      Result<RepriceReport> report = RepriceLocked(**conn, request);
      if (!report.ok() || request.dry_run) (*conn)->Rollback();
      return report;
    } catch (const std::bad_alloc&) {
      return Status::Internal("ledger: out of memory while re-pricing");
    }
  }

  Result<std::vector<RepricingAudit>> Repricings() const override {
    try {
      Result<store_detail::PgPool::Lease> conn = pool_.Acquire(options_.pool_wait);
      if (!conn.ok()) return conn.status();
      Result<PgResult> rows = (*conn)->Exec(kSelectRepricings);
      if (!rows.ok()) return rows.status();
      std::vector<RepricingAudit> audits;
      for (int row = 0; row < rows->rows(); ++row) {
        Result<RepricingAudit> audit = ReadAudit(*rows, row);
        if (!audit.ok()) return audit.status();
        audits.push_back(std::move(audit).value());
      }
      return audits;
    } catch (const std::bad_alloc&) {
      return Status::Internal("ledger: out of memory while reading re-pricings");
    }
  }

 private:
  // One attempt at the transaction: true when committed, false when it was
  // rolled back because some buckets were full (their entries now
  // kOutOfRange), an error otherwise (the caller rolls back).
  Result<bool> TryAppend(PgConnection& conn, std::span<const LedgerEntry> entries, std::int64_t receive_unix_ns,
                         std::vector<EntryOutcome>& outcomes) {
    if (Status s = conn.Run("BEGIN"); !s.ok()) return s;
    if (Status s = ClaimKeys(conn, entries, receive_unix_ns, outcomes); !s.ok()) return s;
    store_detail::SpendAggregate aggregate;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (outcomes[i] == EntryOutcome::kNew) aggregate.Add(entries[i]);
    }
    Result<std::vector<BucketLabels>> full = AddSpend(conn, aggregate);
    if (!full.ok()) return full.status();
    if (!full->empty()) {
      conn.Rollback();
      store_detail::MarkFullBuckets(entries, *full, outcomes);
      ResetOutcomes(outcomes);
      return false;
    }
    if (Status s = AddCampaignSpend(conn, aggregate); !s.ok()) return s;
    if (Status s = SettleHolds(conn, entries, outcomes); !s.ok()) return s;
    if (Status s = conn.Run("COMMIT"); !s.ok()) return s;
    return true;
  }

  // Every outcome back to kNew except kOutOfRange, for the next attempt.
  static void ResetOutcomes(std::vector<EntryOutcome>& outcomes) {
    for (EntryOutcome& outcome : outcomes) {
      if (outcome != EntryOutcome::kOutOfRange) outcome = EntryOutcome::kNew;
    }
  }

  // Decides every keyed entry not out of range: kNew (its key inserted by
  // this transaction, first occurrence in the call), kDuplicate or
  // kConflict. Entries without a key stay kNew.
  Status ClaimKeys(PgConnection& conn, std::span<const LedgerEntry> entries, std::int64_t receive_unix_ns,
                   std::vector<EntryOutcome>& outcomes) {
    std::unordered_map<std::string_view, std::size_t> first;  // key -> its first entry
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (outcomes[i] == EntryOutcome::kOutOfRange || entries[i].idempotency_key.empty()) continue;
      first.emplace(entries[i].idempotency_key, i);
    }
    if (first.empty()) return Status::Ok();
    std::vector<std::string_view> keys;
    keys.reserve(first.size());
    for (const auto& [key, index] : first) keys.push_back(key);
    std::sort(keys.begin(), keys.end());  // one lock order for every replica
    PgArray key_array;
    PgArray fingerprints;
    for (const std::string_view key : keys) {
      key_array.Add(key);
      fingerprints.AddInt(ToColumn(entries[first[key]].fingerprint));
    }
    std::vector<std::string> params = {key_array.Take(), fingerprints.Take(), std::to_string(receive_unix_ns)};
    if (!expect_duplicates_.load(std::memory_order_relaxed)) {
      // A plain insert costs about two thirds of ON CONFLICT's (docs/benchmarks.md "PostgreSQL").
      Result<PgResult> all_new = conn.Exec(kInsertNewKeys, params);
      if (all_new.ok()) {
        DecideAllNew(entries, first, outcomes);
        return Status::Ok();
      }
      if (conn.last_failure() != PgFailure::kUniqueViolation) return all_new.status();
      expect_duplicates_.store(true, std::memory_order_relaxed);
      conn.Rollback();  // nothing else was done in it: start the transaction again
      if (Status s = conn.Run("BEGIN"); !s.ok()) return s;
    }
    Result<PgResult> not_inserted = conn.Exec(kClaimKeys, params);
    if (!not_inserted.ok()) return not_inserted.status();
    std::unordered_set<std::string_view> existing;
    for (int row = 0; row < not_inserted->rows(); ++row) existing.insert(not_inserted->Text(row, 0));
    // Back to the optimistic claim once a batch holds no known key.
    expect_duplicates_.store(!existing.empty(), std::memory_order_relaxed);

    // The keys stored before: their fingerprints, read by a statement of
    // its own, which sees rows committed while the insert waited.
    std::unordered_map<std::string_view, std::uint64_t> stored;
    PgResult stored_rows;
    if (!existing.empty()) {
      PgArray old_keys;
      for (const std::string_view key : existing) old_keys.Add(key);
      params = {old_keys.Take()};
      Result<PgResult> found = conn.Exec(kStoredKeys, params);
      if (!found.ok()) return found.status();
      stored_rows = std::move(found).value();
      for (int row = 0; row < stored_rows.rows(); ++row) {
        Result<std::int64_t> fingerprint = stored_rows.Int(row, 1);
        if (!fingerprint.ok()) return fingerprint.status();
        stored.emplace(stored_rows.Text(row, 0), FromColumn(*fingerprint));
      }
    }
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const std::string_view key = entries[i].idempotency_key;
      if (outcomes[i] == EntryOutcome::kOutOfRange || key.empty()) continue;
      const std::size_t first_index = first[key];
      if (!existing.contains(key)) {  // inserted by this transaction
        outcomes[i] = first_index == i ? EntryOutcome::kNew
                                       : CompareFingerprints(entries[first_index].fingerprint, entries[i].fingerprint);
        continue;
      }
      const auto it = stored.find(key);
      if (it == stored.end()) {
        // Neither inserted nor found: pruned between the two statements.
        return Status::Internal("postgres: key \"" + std::string(key) + "\" vanished while being claimed");
      }
      outcomes[i] = CompareFingerprints(it->second, entries[i].fingerprint);
    }
    return Status::Ok();
  }

  // Outcomes when every distinct key was inserted by this transaction: a
  // key's first entry is new, a later one compares with the first.
  static void DecideAllNew(std::span<const LedgerEntry> entries,
                           std::unordered_map<std::string_view, std::size_t>& first,
                           std::vector<EntryOutcome>& outcomes) {
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const std::string_view key = entries[i].idempotency_key;
      if (outcomes[i] == EntryOutcome::kOutOfRange || key.empty()) continue;
      const std::size_t first_index = first[key];
      outcomes[i] = first_index == i ? EntryOutcome::kNew
                                     : CompareFingerprints(entries[first_index].fingerprint, entries[i].fingerprint);
    }
  }

  // Adds the aggregate's sums to their buckets (and units); answers the
  // buckets that had no room (then the caller rolls back).
  Result<std::vector<BucketLabels>> AddSpend(PgConnection& conn, const store_detail::SpendAggregate& aggregate) {
    std::vector<BucketLabels> full;
    if (aggregate.empty()) return full;
    std::vector<const store_detail::SpendAggregate::Bucket*> buckets;
    for (const auto& bucket : aggregate.buckets()) buckets.push_back(&bucket);
    std::sort(buckets.begin(), buckets.end(),
              [](const auto* a, const auto* b) { return LabelsLess(a->first, b->first); });  // one lock order

    KeyArrays keys;
    KeyArrays unit_keys;
    PgArray cost, retry_cost, records, unpriced, unit_names, unit_counts;
    std::vector<PgArray> tokens(kTokenTypeCount);
    bool any_unit = false;
    for (const auto* bucket : buckets) {
      const BucketSums& sums = bucket->second;
      bool fits = sums.records <= static_cast<std::uint64_t>(kInt64Max);
      for (const std::uint64_t count : sums.tokens.count) fits = fits && count <= static_cast<std::uint64_t>(kInt64Max);
      for (const store_detail::UnitSum& unit : sums.units)
        fits = fits && unit.count <= static_cast<std::uint64_t>(kInt64Max);
      if (!fits) {
        full.push_back(bucket->first);
        continue;
      }
      keys.Add(bucket->first);
      cost.Add(MoneyText(sums.cost));
      retry_cost.Add(MoneyText(sums.retry_cost));
      records.AddInt(static_cast<std::int64_t>(sums.records));
      unpriced.AddInt(static_cast<std::int64_t>(sums.unpriced_records));
      for (std::size_t kind = 0; kind < kTokenTypeCount; ++kind) {
        tokens[kind].AddInt(static_cast<std::int64_t>(sums.tokens.count[kind]));
      }
      for (const store_detail::UnitSum& unit : sums.units) {
        unit_keys.Add(bucket->first);
        unit_names.Add(unit.unit);
        unit_counts.AddInt(static_cast<std::int64_t>(unit.count));
        any_unit = true;
      }
    }
    if (!full.empty()) return full;

    std::vector<std::string> params;
    keys.TakeInto(params);
    for (PgArray* array : {&cost, &retry_cost, &records, &unpriced}) params.push_back(array->Take());
    for (PgArray& array : tokens) params.push_back(array.Take());
    Result<PgResult> upserted = conn.Exec(upsert_buckets_, params);
    if (!upserted.ok()) return upserted.status();
    std::unordered_set<std::string> written;
    for (int row = 0; row < upserted->rows(); ++row) written.insert(RowKeyString(*upserted, row));
    if (any_unit) {
      params.clear();
      unit_keys.TakeInto(params);
      params.push_back(unit_names.Take());
      params.push_back(unit_counts.Take());
      Result<PgResult> units = conn.Exec(kUpsertUnits, params);
      if (!units.ok()) return units.status();
      std::unordered_map<std::string, std::size_t> units_written;
      for (int row = 0; row < units->rows(); ++row) ++units_written[RowKeyString(*units, row)];
      for (const auto* bucket : buckets) {
        const auto it = units_written.find(KeyString(bucket->first));
        const std::size_t count = it == units_written.end() ? 0 : it->second;
        if (count != bucket->second.units.size()) written.erase(KeyString(bucket->first));
      }
    }
    for (const auto* bucket : buckets) {
      if (!written.contains(KeyString(bucket->first))) full.push_back(bucket->first);
    }
    return full;
  }

  // (campaign, bucket start) -> (cost, retry cost) to add; ordered, so rows
  // are locked in one order by every replica.
  using CampaignDeltas = std::map<std::pair<std::string_view, std::int64_t>, std::pair<Money, Money>>;

  // The budgets' view of the spend (docs/design/shared-budgets.md): the
  // aggregate's sums per campaign and 15-minute bucket, in key order.
  Status AddCampaignSpend(PgConnection& conn, const store_detail::SpendAggregate& aggregate) {
    CampaignDeltas deltas;
    for (const auto& [labels, sums] : aggregate.buckets()) {
      auto& delta = deltas[{labels.campaign_id, labels.start_unix_ns}];
      delta.first += sums.cost;
      delta.second += sums.retry_cost;
    }
    return UpsertCampaignSpend(conn, deltas);
  }

  static Status UpsertCampaignSpend(PgConnection& conn, const CampaignDeltas& deltas) {
    if (deltas.empty()) return Status::Ok();
    PgArray campaigns, starts, costs, retry_costs;
    for (const auto& [key, delta] : deltas) {
      campaigns.Add(key.first);
      starts.AddInt(key.second);
      costs.Add(MoneyText(delta.first));
      retry_costs.Add(MoneyText(delta.second));
    }
    const std::vector<std::string> params = {campaigns.Take(), starts.Take(), costs.Take(), retry_costs.Take()};
    Result<PgResult> upserted = conn.Exec(kUpsertCampaignSpend, params);
    return upserted.ok() ? Status::Ok() : upserted.status();
  }

  // Deletes the holds the new entries settle: a hold becomes its record's
  // cost in one transaction, whichever replica granted it.
  static Status SettleHolds(PgConnection& conn, std::span<const LedgerEntry> entries,
                            const std::vector<EntryOutcome>& outcomes) {
    PgArray ids;
    bool any = false;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (outcomes[i] != EntryOutcome::kNew || entries[i].reservation_id.empty()) continue;
      ids.Add(entries[i].reservation_id);
      any = true;
    }
    if (!any) return Status::Ok();
    const std::vector<std::string> params = {ids.Take()};
    Result<PgResult> deleted = conn.Exec("DELETE FROM lce_budget_holds WHERE reservation_id = ANY($1::text[])", params);
    return deleted.ok() ? Status::Ok() : deleted.status();
  }

  void RecordCommit(std::size_t entries, std::chrono::steady_clock::duration took) {
    commits_.fetch_add(1, std::memory_order_relaxed);
    committed_entries_.fetch_add(entries, std::memory_order_relaxed);
    commit_nanos_.fetch_add(static_cast<std::uint64_t>(std::chrono::nanoseconds(took).count()),
                            std::memory_order_relaxed);
  }

  // The buckets of [StartOf(from), to) with their units, in key order.
  Result<std::vector<SpendBucket>> ReadBuckets(PgConnection& conn, std::int64_t from_unix_ns, std::int64_t to_unix_ns,
                                               bool for_update) const {
    std::vector<std::string> params = {std::to_string(SpendBucket::StartOf(from_unix_ns)), std::to_string(to_unix_ns)};
    Result<PgResult> rows = conn.Exec(for_update ? select_buckets_for_update_ : select_buckets_, params);
    if (!rows.ok()) return rows.status();
    std::vector<SpendBucket> buckets;
    std::unordered_map<std::string, std::size_t> by_key;
    buckets.reserve(static_cast<std::size_t>(rows->rows()));
    for (int row = 0; row < rows->rows(); ++row) {
      Result<SpendBucket> bucket = ReadBucket(*rows, row);
      if (!bucket.ok()) return bucket.status();
      by_key.emplace(RowKeyString(*rows, row), buckets.size());
      buckets.push_back(std::move(bucket).value());
    }
    Result<PgResult> units = conn.Exec(kSelectUnits, params);
    if (!units.ok()) return units.status();
    for (int row = 0; row < units->rows(); ++row) {
      const auto it = by_key.find(RowKeyString(*units, row));
      Result<std::int64_t> count = units->Int(row, 9);
      if (it == by_key.end() || !count.ok()) return Status::Internal("postgres: a unit row without its bucket");
      buckets[it->second].units.push_back(
          BucketUnit{std::string(units->Text(row, 8)), static_cast<std::uint64_t>(*count)});
    }
    return buckets;
  }

  static Result<SpendBucket> ReadBucket(const PgResult& rows, int row) {
    SpendBucket bucket;
    std::int64_t ints[4 + kTokenTypeCount] = {};
    const int int_columns[] = {0, 6, 10, 11};
    for (int k = 0; k < 4; ++k) {
      Result<std::int64_t> value = rows.Int(row, int_columns[k]);
      if (!value.ok()) return value.status();
      ints[k] = *value;
    }
    for (std::size_t kind = 0; kind < kTokenTypeCount; ++kind) {
      Result<std::int64_t> value = rows.Int(row, 12 + static_cast<int>(kind));
      if (!value.ok()) return value.status();
      bucket.tokens.count[kind] = static_cast<std::uint64_t>(*value);
    }
    Result<Money> cost = store_detail::MoneyAt(rows, row, 8);
    if (!cost.ok()) return cost.status();
    Result<Money> retry_cost = store_detail::MoneyAt(rows, row, 9);
    if (!retry_cost.ok()) return retry_cost.status();
    bucket.start_unix_ns = ints[0];
    bucket.service = rows.Text(row, 1);
    bucket.campaign_id = rows.Text(row, 2);
    bucket.vendor = rows.Text(row, 3);
    bucket.model = rows.Text(row, 4);
    bucket.service_tier = rows.Text(row, 5);
    bucket.context_tier = static_cast<std::uint64_t>(ints[1]);
    bucket.retry = rows.Text(row, 7) == "t";
    bucket.cost = *cost;
    bucket.retry_cost = *retry_cost;
    bucket.records = static_cast<std::uint64_t>(ints[2]);
    bucket.unpriced_records = static_cast<std::uint64_t>(ints[3]);
    bucket.detailed = true;
    return bucket;
  }

  // The key generations (KeyGenerations) kept in the database, so every
  // replica rotates by the same start: the row is locked while deciding.
  Status PruneLocked(PgConnection& conn, std::int64_t now_unix_ns) {
    if (Status s = conn.Run("BEGIN"); !s.ok()) return s;
    Result<PgResult> row = conn.Exec("SELECT start_unix_ns FROM lce_key_generations WHERE id = 1 FOR UPDATE");
    if (!row.ok()) return row.status();
    if (row->rows() != 1) return Status::Internal("postgres: lce_key_generations must hold one row");
    store_detail::KeyGenerations generations;
    if (!row->IsNull(0, 0)) {
      Result<std::int64_t> start = row->Int(0, 0);
      if (!start.ok()) return start.status();
      generations.start_unix_ns = *start;
    }
    const std::vector<std::string> now = {std::to_string(now_unix_ns)};
    const auto action = generations.Decide(now_unix_ns, retention_ns_);
    if (action == store_detail::KeyGenerations::Action::kNone) return conn.Run("ROLLBACK");
    if (Result<PgResult> set = conn.Exec("UPDATE lce_key_generations SET start_unix_ns = $1 WHERE id = 1", now);
        !set.ok()) {
      return set.status();
    }
    if (Status s = conn.Run("COMMIT"); !s.ok()) return s;
    if (action != store_detail::KeyGenerations::Action::kRotate) return Status::Ok();
    // The older generation: every key received before the current one
    // began. Deleted in chunks of their own transactions, so appends never
    // wait behind one long delete; chunks a crash leaves behind are
    // deleted by the next rotation (keys are only ever kept longer).
    const std::vector<std::string> older = {std::to_string(*generations.start_unix_ns),
                                            std::to_string(kPruneChunkRows)};
    for (;;) {
      Result<PgResult> deleted = conn.Exec(kDeleteOlderKeys, older);
      if (!deleted.ok()) return deleted.status();
      Result<std::int64_t> count = deleted->Int(0, 0);
      if (!count.ok()) return count.status();
      if (*count < kPruneChunkRows) return Status::Ok();
    }
  }

  Result<RepriceReport> RepriceLocked(PgConnection& conn, const RepriceRequest& request) {
    if (Status s = conn.Run("BEGIN"); !s.ok()) return s;
    // The range's rows locked: appends to them wait until this commits.
    Result<std::vector<SpendBucket>> buckets = ReadBuckets(conn, request.from_unix_ns, request.to_unix_ns, true);
    if (!buckets.ok()) return buckets.status();
    Result<RepriceReport> report = store_detail::PlanRepricing(request, *buckets);
    if (!report.ok() || request.dry_run) return report;
    if (!report->changed.empty()) {
      KeyArrays keys;
      PgArray cost, retry_cost;
      for (const RepricedBucket& change : report->changed) {
        keys.Add(store_detail::LabelsOf(change.before));
        cost.Add(MoneyText(change.cost));
        retry_cost.Add(MoneyText(change.retry_cost));
      }
      std::vector<std::string> params;
      keys.TakeInto(params);
      params.push_back(cost.Take());
      params.push_back(retry_cost.Take());
      if (Result<PgResult> updated = conn.Exec(kUpdateRepriced, params); !updated.ok()) return updated.status();
      CampaignDeltas deltas;
      for (const RepricedBucket& change : report->changed) {
        auto& delta = deltas[{change.before.campaign_id, change.before.start_unix_ns}];
        delta.first += change.cost - change.before.cost;
        delta.second += change.retry_cost - change.before.retry_cost;
      }
      if (Status s = UpsertCampaignSpend(conn, deltas); !s.ok()) return s;
    }
    RepricingAudit& audit = report->audit;
    const std::vector<std::string> params = {audit.who,
                                             std::to_string(audit.at_unix_ns),
                                             std::to_string(audit.from_unix_ns),
                                             std::to_string(audit.to_unix_ns),
                                             store_detail::JoinLines(audit.tables),
                                             MoneyText(audit.old_total),
                                             MoneyText(audit.new_total),
                                             std::to_string(audit.buckets),
                                             std::to_string(audit.buckets_changed),
                                             std::to_string(audit.buckets_refused),
                                             store_detail::JoinLines(audit.refused)};
    Result<PgResult> inserted = conn.Exec(kInsertRepricing, params);
    if (!inserted.ok()) return inserted.status();
    Result<std::int64_t> id = inserted->Int(0, 0);
    if (!id.ok()) return id.status();
    if (Status s = conn.Run("COMMIT"); !s.ok()) return s;
    audit.id = *id;
    return report;
  }

  static Result<RepricingAudit> ReadAudit(const PgResult& rows, int row) {
    RepricingAudit audit;
    std::int64_t ints[7] = {};
    const int int_columns[] = {0, 2, 3, 4, 8, 9, 10};
    for (int k = 0; k < 7; ++k) {
      Result<std::int64_t> value = rows.Int(row, int_columns[k]);
      if (!value.ok()) return value.status();
      ints[k] = *value;
    }
    Result<Money> old_total = store_detail::MoneyAt(rows, row, 6);
    if (!old_total.ok()) return old_total.status();
    Result<Money> new_total = store_detail::MoneyAt(rows, row, 7);
    if (!new_total.ok()) return new_total.status();
    audit.id = ints[0];
    audit.who = rows.Text(row, 1);
    audit.at_unix_ns = ints[1];
    audit.from_unix_ns = ints[2];
    audit.to_unix_ns = ints[3];
    audit.tables = store_detail::SplitLines(std::string(rows.Text(row, 5)));
    audit.old_total = *old_total;
    audit.new_total = *new_total;
    audit.buckets = static_cast<std::uint64_t>(ints[4]);
    audit.buckets_changed = static_cast<std::uint64_t>(ints[5]);
    audit.buckets_refused = static_cast<std::uint64_t>(ints[6]);
    audit.refused = store_detail::SplitLines(std::string(rows.Text(row, 11)));
    return audit;
  }

  const PostgresOptions options_;
  const std::int64_t retention_ns_;
  mutable store_detail::PgPool pool_;
  const std::string upsert_buckets_;
  const std::string select_buckets_;
  const std::string select_buckets_for_update_;
  // Whether the last claim met a stored key: then the next claim goes
  // straight to ON CONFLICT instead of failing the optimistic insert first.
  std::atomic<bool> expect_duplicates_{false};
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> commit_errors_{0};
  std::atomic<std::uint64_t> committed_entries_{0};
  std::atomic<std::uint64_t> commit_nanos_{0};
};

}  // namespace

Result<int> MigratePostgresSchema(const PostgresOptions& options) {
  Result<std::unique_ptr<store_detail::PgConnection>> conn =
      store_detail::PgConnection::Connect(store_detail::ConnectOptionsOf(options));
  if (!conn.ok()) return conn.status();
  return store_detail::MigratePostgres(**conn);
}

std::string DescribePostgresDsn(const std::string& dsn) { return store_detail::DescribeDsn(dsn); }

Result<std::unique_ptr<Ledger>> OpenPostgresLedger(const PostgresOptions& options) {
  if (options.pool_size == 0) return Status::InvalidArgument("postgres: pool_size must be at least 1");
  if (Result<int> migrated = MigratePostgresSchema(options); !migrated.ok()) return migrated.status();
  return std::unique_ptr<Ledger>(std::make_unique<PostgresLedger>(options, store_detail::ConnectOptionsOf(options)));
}

}  // namespace lce
