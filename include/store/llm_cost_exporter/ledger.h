// Ledger: the durable record of accepted usage, and the authority on
// idempotency. Every accepted record's idempotency key and its priced cost
// (aggregated into 15-minute spend buckets) are committed before the request
// that carried it is answered, so after a crash and restart a re-sent record
// is still counted once and spend is restored exactly.
//
// Two implementations: SQLite in WAL mode under --storage.path (the embedded
// default) and an in-memory one (tests, benchmarks, --storage.path="").
// Both decide new vs duplicate vs conflict against an in-memory key index
// (a 16-byte digest slot per remembered key, 20 to 30 bytes a key with the
// free slots; no key bytes); SQLite also logs every new key with its
// fingerprint, in the same transaction as its spend, saves the index to a
// key snapshot when it closes, and on open reads the snapshot and the log
// rows after it (or the whole log when the snapshot is missing or does not
// match).
// Thread safety: every method may be called from any thread. Append calls
// that overlap in time share one transaction (group commit).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "llm_cost_exporter/money.h"
#include "llm_cost_exporter/status.h"
#include "llm_cost_exporter/usage_record.h"

namespace lce {

// One accepted-or-duplicate candidate, as the ledger keeps it. Views must stay
// valid for the duration of Append.
struct LedgerEntry {
  std::string_view idempotency_key;  // "" when the record has none: never a duplicate
  std::int64_t timestamp_unix_ns = 0;
  std::string_view service;
  std::string_view campaign_id;
  std::string_view vendor;
  std::string_view model;
  Money cost;  // PriceResult::total (priced parts only)
  // RecordFingerprint of the record: the same key with another fingerprint
  // is a conflict. 0 means unknown and never conflicts.
  std::uint64_t fingerprint = 0;
  bool retry = false;     // attempt > 1
  bool unpriced = false;  // some part could not be priced
  // What the cost was computed from, kept per bucket so history can be
  // re-priced (docs/ledger.md "Re-pricing").
  std::string_view service_tier;  // as the record gave it ("" = the default tier)
  // PriceResult::context_tier: the above_input_tokens threshold of the
  // long-context tier the record was priced in, 0 = the base prices.
  std::uint64_t context_tier = 0;
  TokenUsage tokens;                 // zero for a record without a model
  std::span<const UnitCount> units;  // the record's units
  // The budget hold the record settles ("" for none). A ledger that keeps
  // holds (PostgreSQL) deletes it in the transaction that adds the spend.
  std::string_view reservation_id;
};

// What Append decided for one entry.
enum class EntryOutcome : std::uint8_t {
  kNew,         // committed: its key is remembered and its cost is in its bucket
  kDuplicate,   // its key was recorded before with the same content: nothing added
  kConflict,    // its key was recorded before with other content: nothing added
  kOutOfRange,  // its cost would take its spend bucket past kMaxBucketCost: nothing added
};

// The ledger's range. Callers keep entries within the first two (the
// pipeline rejects a record beyond them alone, before Append); Append
// refuses a whole call that does not, before touching anything. The bucket
// bound is checked at commit, per entry (kOutOfRange): it keeps every
// bucket's whole-dollar sum inside int64 (SQLite integers).
inline constexpr Money kMaxEntryCost = Money::FromAtto(Money::kOneDollar * 1'000'000'000LL);       // $1e9
inline constexpr Money kMaxAppendCost = Money::FromAtto(Money::kOneDollar * 1'000'000'000'000LL);  // $1e12 per call
inline constexpr Money kMaxBucketCost =
    Money::FromAtto(Money::kOneDollar * 1'000'000'000'000'000'000LL);  // $1e18 per 15-minute bucket

// A unit count of a spend bucket.
struct BucketUnit {
  std::string unit;
  std::uint64_t count = 0;
  bool operator==(const BucketUnit&) const = default;
};

// Spend of one (15-minute bucket, service, campaign, vendor, model, service
// tier, context tier, retry): the labels of the spend report plus what
// re-pricing needs. A report sums the buckets that share its labels.
struct SpendBucket {
  static constexpr std::int64_t kWidthNs = 15LL * 60 * 1'000'000'000;
  // The start of the bucket holding `unix_ns`: floor to a multiple of
  // kWidthNs, rounding toward -infinity; INT64_MIN when not representable.
  static std::int64_t StartOf(std::int64_t unix_ns);
  std::int64_t start_unix_ns = 0;  // multiple of kWidthNs (UTC); every zone offset is a multiple of 15 min
  std::string service;
  std::string campaign_id;
  std::string vendor;
  std::string model;
  Money cost;
  Money retry_cost;
  std::uint64_t records = 0;
  std::uint64_t unpriced_records = 0;
  std::string service_tier;
  std::uint64_t context_tier = 0;
  // Every record of the bucket is a retry (then retry_cost == cost), or none
  // is (retry_cost == 0); buckets written before schema 3 mix both.
  bool retry = false;
  // False for buckets written before the ledger kept detail (schema < 3):
  // their tokens and units are unknown, so they cannot be re-priced.
  bool detailed = true;
  // Sums of the records' counts; units sorted by name.
  TokenUsage tokens;
  std::vector<BucketUnit> units;
};

// Re-pricing (docs/ledger.md "Re-pricing").
//
// What the pricer decided for one bucket: its new cost, or why it cannot be
// re-priced (the bucket is then left unchanged and reported).
struct BucketPrice {
  bool refused = false;
  std::string reason;  // when refused
  Money cost;          // the bucket's new cost (retries included), when not refused
  std::string table;   // the table version that priced it, e.g. "openai.yaml@2025-01-01"; "" when none was needed
};
// Prices one bucket's detail with the tables in force. Called on the
// ledger's writer thread, inside its transaction: it must be quick, must not
// call the ledger, and must not throw.
using BucketPricer = std::function<BucketPrice(const SpendBucket&)>;

struct RepriceRequest {
  std::int64_t from_unix_ns = 0;  // buckets whose start is in [floor(from), to), as Spend
  std::int64_t to_unix_ns = 0;
  bool dry_run = false;          // compute and answer, write nothing (no audit row)
  std::string who;               // for the audit: the API key id, a user, or "cli"
  std::int64_t now_unix_ns = 0;  // for the audit
  BucketPricer pricer;
};

// A re-priced bucket: its old values and its new cost.
struct RepricedBucket {
  SpendBucket before;
  Money cost;        // new
  Money retry_cost;  // new: cost when before.retry, else 0
};
struct RefusedBucket {
  SpendBucket bucket;
  std::string reason;
};

// One row of the audit of re-pricings.
struct RepricingAudit {
  std::int64_t id = 0;  // 1, 2, ... in order; 0 for a dry run (not recorded)
  std::string who;
  std::int64_t at_unix_ns = 0;
  std::int64_t from_unix_ns = 0;
  std::int64_t to_unix_ns = 0;
  std::vector<std::string> tables;  // distinct BucketPrice::table values used, sorted
  Money old_total;                  // every bucket of the range before
  Money new_total;                  // and after (refused buckets unchanged)
  std::uint64_t buckets = 0;        // buckets in the range
  std::uint64_t buckets_changed = 0;
  std::uint64_t buckets_refused = 0;
  // One line per refused bucket (at most kMaxAuditRefusals, then a count):
  // "<bucket start, RFC 3339> <service>/<campaign_id>/<vendor>/<model>[/<service_tier>]: <reason>".
  std::vector<std::string> refused;
};
inline constexpr std::size_t kMaxAuditRefusals = 100;

struct RepriceReport {
  RepricingAudit audit;
  std::vector<RepricedBucket> changed;  // buckets whose cost changed
  std::vector<RefusedBucket> refused;
};

struct LedgerStats {
  std::uint64_t commits = 0;                  // committed transactions (one per group of Append calls)
  std::uint64_t commit_errors = 0;            // failed transactions (every Append of the group failed)
  std::uint64_t committed_entries = 0;        // entries of committed Append calls, duplicates included
  double commit_seconds_sum = 0;              // wall time of transactions, BEGIN to COMMIT (0 in memory)
  std::uint64_t size_bytes = 0;               // ledger.db + ledger.db-wal on disk (0 in memory)
  std::uint64_t idempotency_keys = 0;         // keys remembered now
  std::uint64_t idempotency_index_bytes = 0;  // memory of the in-memory key index (its slot arrays)
  // How the last open rebuilt the key index (SQLite; 0 in memory): keys read
  // from the key snapshot, and rows of the ledger's key log claimed after it
  // (every row when there was no usable snapshot).
  std::uint64_t open_snapshot_keys = 0;
  std::uint64_t open_replayed_keys = 0;
  // Key snapshots written while running (not the one at close), the last
  // one's copy of the index (the writer's pause) and the failed writes.
  std::uint64_t key_snapshots = 0;
  double key_snapshot_copy_seconds = 0;
  std::uint64_t key_snapshot_errors = 0;
  // Append calls committed in a transaction of their own after the shared
  // one they were grouped into failed (SQLite group commit isolation).
  std::uint64_t isolated_appends = 0;
  // Append calls now waiting for the writer, and now unanswered (waiting or
  // being written). Both 0 in memory.
  std::uint64_t queued_appends = 0;
  std::uint64_t pending_appends = 0;
};

struct LedgerOptions {
  std::string directory;  // the SQLite file is <directory>/ledger.db
  // Every key is remembered for at least this long after its receive time;
  // a record re-sent later than that may be counted again. Prune deletes
  // stored keys received before now - retention; the in-memory index drops
  // them a generation at a time (see Prune).
  std::chrono::seconds idempotency_retention{std::chrono::hours(48)};
  // true: synchronous=FULL, fsync per commit, durable across power loss;
  // false: WAL with synchronous=NORMAL, durable across process crashes only
  // (the OS holds the written pages).
  bool fsync_every_commit = true;
  // SQLite: once this many new keys were committed since the last key
  // snapshot, a background thread prepares buffers, the writer copies the
  // index into them between two groups (a memcpy: appends wait ~40 ms at
  // 10M keys) and the thread writes the copy as the new snapshot, so a
  // crash's restart replays at most about this many key rows beyond it.
  // 0: a snapshot only at close.
  std::uint64_t key_snapshot_every_keys = 1'000'000;
};

// One call's entries handed over in parts, so the store can write the
// first parts while the caller prepares the next (SQLite: its writer thread
// claims keys and inserts rows as parts arrive). Finish commits every part in
// one transaction, with Append's outcomes and guarantees for the entries of
// all parts in the order added. Destroyed without Finish, or after an Add
// that failed: nothing of it is committed.
//
// One caller. Every added span must stay valid and unchanged until Finish
// returns or the stream is destroyed. Between the first Add and Finish the
// caller must not wait on the same ledger (another Append would wait for
// this stream's transaction).
class AppendStream {
 public:
  virtual ~AppendStream() = default;
  // Fails (and the stream commits nothing) with kInvalidArgument for what
  // Append refuses, counted over every part: a cost outside [0,
  // kMaxEntryCost], costs summing past kMaxAppendCost, a timestamp before
  // year 1677's first bucket.
  virtual Status Add(std::span<const LedgerEntry> entries) = 0;
  // Says no part follows, so the store may commit while the caller does
  // other work; Finish still waits for the commit and gives the outcomes.
  // Optional, after the last Add; nothing may be added after it. A sealed
  // stream may be committed even if Finish is never called (its entries
  // are then recorded, unanswered: a client re-sending them gets
  // duplicates). The default does nothing: the commit starts in Finish.
  virtual void Seal() {}
  // Commits and returns one outcome per added entry, in the order added.
  virtual Result<std::vector<EntryOutcome>> Finish() = 0;
};

class Ledger {
 public:
  virtual ~Ledger() = default;

  // A stream for one call's entries (see AppendStream). The default keeps
  // the parts and calls Append from Finish.
  virtual std::unique_ptr<AppendStream> OpenAppend(std::int64_t receive_unix_ns);

  // Commits the entries of one request in one transaction and returns, for
  // each entry in order, its outcome: new (committed), duplicate or conflict
  // (its key was recorded before, also earlier in the same call, with the
  // same or with other content), or out of range (its bucket is full).
  // Only kNew entries are committed. On error nothing of the call was
  // committed, and the error is about the store (I/O, out of memory), never
  // about the content of an entry. Blocks until the commit (SQLite: the
  // group transaction with every Append queued meanwhile, ~2 ms per 1,000
  // entries; a group whose transaction fails is committed again request by
  // request, so one call's failure never fails the others). Fails with
  // kInvalidArgument, before touching anything, for a cost outside
  // [0, kMaxEntryCost], costs summing past kMaxAppendCost, or a timestamp
  // before year 1677's first bucket.
  virtual Result<std::vector<EntryOutcome>> Append(std::span<const LedgerEntry> entries,
                                                   std::int64_t receive_unix_ns) = 0;

  // Spend buckets overlapping [from, to), unordered: exactly the buckets
  // whose start is in [floor(from), to), floor to a multiple of kWidthNs.
  virtual Result<std::vector<SpendBucket>> Spend(std::int64_t from_unix_ns, std::int64_t to_unix_ns) const = 0;

  // Forgets idempotency keys received before now - retention (never a
  // younger one), though memory may hold them a while longer. Stored keys (SQLite) are deleted exactly by that rule.
  // The in-memory index keeps two generations: the first Prune starts one, and a Prune at least `retention` after the
  // current generation began drops the older generation and starts a new one; so a key leaves memory within 2 *
  // retention + 2 * (the interval between Prune calls). The generations survive a restart through the key snapshot
  // (SQLite); an open without a usable snapshot reloads only the keys still stored. Call it periodically (e.g. every
  // minute) with the clock that gives Append its receive times. SQLite deletes in chunks of 100,000 keys, letting
  // queued Appends commit between chunks.
  virtual Status Prune(std::int64_t now_unix_ns) = 0;

  virtual LedgerStats Stats() const = 0;

  // Re-prices the detailed buckets of the range with `request.pricer`, in one
  // transaction with its audit row (unless dry_run): a bucket whose new cost
  // differs gets it (and retry_cost accordingly; unpriced_records becomes 0,
  // since every part was priced), refused and legacy (!detailed) buckets are
  // left unchanged and reported. Serialized with Append (SQLite: on the
  // writer thread, so appends wait for it). Re-pricing again with the same
  // tables changes nothing and is audited with equal totals. Fails, having
  // changed nothing, when a new cost is outside [0, kMaxBucketCost] or on a
  // store error.
  virtual Result<RepriceReport> Reprice(const RepriceRequest& request) = 0;

  // Every recorded re-pricing, oldest first.
  virtual Result<std::vector<RepricingAudit>> Repricings() const = 0;
};

Result<std::unique_ptr<Ledger>> OpenSqliteLedger(const LedgerOptions& options);
std::unique_ptr<Ledger> NewMemoryLedger(std::chrono::seconds idempotency_retention);

}  // namespace lce
