// The SQLite Ledger: <directory>/ledger.db in WAL mode.
//
// Writes: one writer thread owns the write connection. Append enqueues its
// request and blocks; the writer takes everything queued at once and commits
// it in ONE transaction (group commit), then wakes each caller with its own
// result. An SQLite error rolls the whole group back (see Isolation for what
// happens then). Prune runs on the writer too, in its own transaction.
//
// Streams (OpenAppend): a stream's request is queued with its first part,
// and the writer claims keys and inserts rows for each part as it arrives,
// inside the group's transaction, which commits once every stream of the
// group is sealed. So a large request's store work overlaps its caller's
// parsing of the next part. Requests queued while a group waits for a
// stream's parts form the next group. An abandoned stream fails its group's
// transaction, whose other requests are then committed alone.
//
// Isolation: nothing about one request's content can fail a transaction
// (the pipeline validates entries before Append, and a bucket that would
// pass kMaxBucketCost is detected by the upsert itself). Still, when a
// group's transaction fails, each request of the group is committed again
// alone, so a request is answered with an error only when its own
// transaction fails, i.e. when the store itself does (I/O, disk full, out of
// memory). A full bucket fails its request's transaction, which is retried
// without that request's entries of the bucket (kOutOfRange).
//
// Idempotency: the writer decides new vs duplicate vs conflict in memory (a
// KeyIndex, two generations, each key with its content fingerprint) and
// appends each new key and its fingerprint to idempotency_keys, a plain
// rowid table in arrival order with no index: every insert lands at the right
// edge of one B-tree, so a commit writes few pages. (A table keyed by the
// idempotency key costs a random B-tree insert per key, and a commit then
// rewrites about one 4 KiB page per key: 9x slower in ledger_bench.) Prune
// deletes its oldest rows by rowid range (receive times never decrease along
// rowid), in chunks.
//
// Restart: closing saves the index to <directory>/ledger.keys (key_snapshot.h)
// with the rowid and content of the last key row. Open reads it back and
// claims the rows after that one; when the snapshot is missing, unreadable or
// names a row the ledger does not hold as it was, open discards it and
// claims every row (a full load). A crash leaves the last snapshot, which
// stays valid: the rows committed after it are its tail. While running, every
// key_snapshot_every_keys new keys the writer copies the index between two
// groups (when it holds exactly the committed keys) into buffers a
// background thread prepared, and that thread writes the copy
// (snapshot_writer.h): this bounds the tail.
//
// Reads: Spend uses a second, read-only connection under a mutex; WAL lets
// it read the last committed state while the writer writes.
//
// Crash safety: every change is inside a transaction, so a SIGKILL at any
// moment leaves ledger.db + ledger.db-wal consistent (SQLite replays or
// discards the WAL tail on the next open). A lock file (flock) keeps a
// second exporter from opening the same directory.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "key_index.h"
#include "key_rows.h"
#include "key_snapshot.h"
#include "snapshot_writer.h"
#include "ledger_common.h"
#include "llm_cost_exporter/ledger.h"
#include "sqlite_util.h"

namespace lce {
namespace {

using store_detail::Connection;
using store_detail::SpendAggregate;
using store_detail::Statement;

// 1: keys without fingerprints; 2: idempotency_keys.fingerprint (0 for keys
// written by version 1: unknown, never a conflict); 3: spend buckets keyed
// also by service tier, context tier and retry, with token counts per kind
// (one tokens_<kind> column per TokenType, added at open when a kind is new),
// their units in spend_bucket_units, and the repricings audit. Buckets of
// version 2 get context_tier -1: not detailed, never re-priced.
constexpr std::int64_t kSchemaVersion = 3;
constexpr int kBusyTimeoutMs = 5000;
constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::int64_t kLegacyContextTier = -1;

// The columns every spend row is keyed by, in primary key order.
constexpr const char* kBucketKeyColumns =
    "bucket_start_unix_ns, service, campaign_id, vendor, model, service_tier, context_tier, retry";
constexpr int kBucketKeyCount = 8;

std::string TokenColumn(std::size_t kind) { return "tokens_" + std::string(kTokenTypeNames[kind]); }

// idempotency_keys: arrival order (rowid), received_unix_s never decreasing
// along rowid. Money is split into whole dollars and an attodollar fraction
// in [0, 1e18).
constexpr const char* kKeysDdl = R"sql(
CREATE TABLE idempotency_keys(key TEXT NOT NULL, received_unix_s INTEGER NOT NULL,
                              fingerprint INTEGER NOT NULL DEFAULT 0);
)sql";

std::string SpendBucketsDdl() {
  std::string ddl = R"sql(
CREATE TABLE spend_buckets(
  bucket_start_unix_ns INTEGER NOT NULL,
  service TEXT NOT NULL,
  campaign_id TEXT NOT NULL,
  vendor TEXT NOT NULL,
  model TEXT NOT NULL,
  service_tier TEXT NOT NULL DEFAULT '',
  context_tier INTEGER NOT NULL DEFAULT -1,
  retry INTEGER NOT NULL DEFAULT 0,
  cost_whole INTEGER NOT NULL,
  cost_frac INTEGER NOT NULL,
  retry_cost_whole INTEGER NOT NULL,
  retry_cost_frac INTEGER NOT NULL,
  records INTEGER NOT NULL,
  unpriced_records INTEGER NOT NULL)sql";
  for (std::size_t kind = 0; kind < kTokenTypeCount; ++kind)
    ddl += ",\n  " + TokenColumn(kind) + " INTEGER NOT NULL DEFAULT 0";
  return ddl + ",\n  PRIMARY KEY (" + kBucketKeyColumns + ")) WITHOUT ROWID;\n";
}

constexpr const char* kDetailDdl = R"sql(
CREATE TABLE spend_bucket_units(
  bucket_start_unix_ns INTEGER NOT NULL, service TEXT NOT NULL, campaign_id TEXT NOT NULL, vendor TEXT NOT NULL,
  model TEXT NOT NULL, service_tier TEXT NOT NULL, context_tier INTEGER NOT NULL, retry INTEGER NOT NULL,
  unit TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (bucket_start_unix_ns, service, campaign_id, vendor, model, service_tier, context_tier, retry, unit))
  WITHOUT ROWID;
CREATE TABLE repricings(
  id INTEGER PRIMARY KEY, who TEXT NOT NULL, at_unix_ns INTEGER NOT NULL,
  from_unix_ns INTEGER NOT NULL, to_unix_ns INTEGER NOT NULL, tables TEXT NOT NULL,
  old_total_whole INTEGER NOT NULL, old_total_frac INTEGER NOT NULL,
  new_total_whole INTEGER NOT NULL, new_total_frac INTEGER NOT NULL,
  buckets INTEGER NOT NULL, buckets_changed INTEGER NOT NULL, buckets_refused INTEGER NOT NULL,
  refused TEXT NOT NULL);
)sql";

constexpr const char* kMigrateV1ToV2 = R"sql(
ALTER TABLE idempotency_keys ADD COLUMN fingerprint INTEGER NOT NULL DEFAULT 0;
)sql";

// Rebuilds spend_buckets with the version 3 key; the old rows become legacy
// buckets (context_tier -1, no retry split, no token counts).
std::string MigrateV2ToV3() {
  return "ALTER TABLE spend_buckets RENAME TO spend_buckets_v2;" + SpendBucketsDdl() +
         "INSERT INTO spend_buckets(bucket_start_unix_ns, service, campaign_id, vendor, model, service_tier, "
         "context_tier, retry, cost_whole, cost_frac, retry_cost_whole, retry_cost_frac, records, unpriced_records) "
         "SELECT bucket_start_unix_ns, service, campaign_id, vendor, model, '', -1, 0, cost_whole, cost_frac, "
         "retry_cost_whole, retry_cost_frac, records, unpriced_records FROM spend_buckets_v2;"
         "DROP TABLE spend_buckets_v2;" +
         std::string(kDetailDdl);
}

// Rows of idempotency_keys deleted per Prune transaction, so appends queued
// meanwhile wait for one chunk at most.
constexpr std::int64_t kPruneChunkRows = 100'000;

// Adds the excluded row's sums with the fraction carry done in SQL: both
// fractions are < 1e18, so their sum (< 2e18) fits an int64. The update is
// made only when the bucket stays within kMaxBucketCost (whole dollars
// <= 1e18, which leaves int64 room for any group) and every token sum is
// still an integer (SQLite turns an int64 overflow into a REAL); otherwise
// the row is left as it was and the statement changes no row, which the
// caller reads as a full bucket. A new row is checked by the caller before
// the insert. A DO UPDATE ... WHERE costs no more than the update itself,
// where a RETURNING clause would build a temporary table per statement.
// Parameters: the 8 key columns, the 6 sums, the token counts in TokenType
// order.
std::string UpsertBucketSql() {
  std::string columns = std::string(kBucketKeyColumns) +
                        ", cost_whole, cost_frac, retry_cost_whole, retry_cost_frac, records, unpriced_records";
  std::string values = "?1";
  constexpr int kFixed = kBucketKeyCount + 6;
  for (int i = 2; i <= kFixed; ++i) values += ", ?" + std::to_string(i);
  std::string updates;
  std::string checks;
  for (std::size_t kind = 0; kind < kTokenTypeCount; ++kind) {
    const std::string column = TokenColumn(kind);
    columns += ", " + column;
    values += ", ?" + std::to_string(kFixed + 1 + static_cast<int>(kind));
    updates += ",\n  " + column + " = " + column + " + excluded." + column;
    checks += "\n  AND typeof(" + column + " + excluded." + column + ") = 'integer'";
  }
  // The bucket's cost after the update: the SET writes it, the WHERE bounds it.
  const std::string new_whole =
      "cost_whole + excluded.cost_whole + (cost_frac + excluded.cost_frac) / 1000000000000000000";
  const std::string new_frac = "(cost_frac + excluded.cost_frac) % 1000000000000000000";
  return "INSERT INTO spend_buckets(" + columns + ") VALUES (" + values +
         ")\nON CONFLICT DO UPDATE SET\n  cost_whole = " + new_whole + ",\n  cost_frac = " + new_frac + "," + R"sql(
  retry_cost_whole = retry_cost_whole + excluded.retry_cost_whole
                     + (retry_cost_frac + excluded.retry_cost_frac) / 1000000000000000000,
  retry_cost_frac = (retry_cost_frac + excluded.retry_cost_frac) % 1000000000000000000,
  records = records + excluded.records,
  unpriced_records = unpriced_records + excluded.unpriced_records)sql" +
         updates + "\nWHERE (" + new_whole + " < 1000000000000000000\n  OR (" + new_whole +
         " = 1000000000000000000 AND " + new_frac + " = 0))" + checks;
}
static_assert(kMaxBucketCost.atto() == Money::kOneDollar * 1'000'000'000'000'000'000LL,
              "UpsertBucketSql's WHERE clause spells kMaxBucketCost out");

constexpr std::string_view kUpsertUnit = R"sql(
INSERT INTO spend_bucket_units VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
ON CONFLICT DO UPDATE SET count = count + excluded.count
)sql";

std::string SelectSpendSql() {
  std::string sql = std::string("SELECT ") + kBucketKeyColumns +
                    ", cost_whole, cost_frac, retry_cost_whole, retry_cost_frac, records, unpriced_records";
  for (std::size_t kind = 0; kind < kTokenTypeCount; ++kind) sql += ", " + TokenColumn(kind);
  return sql + " FROM spend_buckets WHERE bucket_start_unix_ns >= ?1 AND bucket_start_unix_ns < ?2";
}

constexpr std::string_view kSelectUnits = R"sql(
SELECT bucket_start_unix_ns, service, campaign_id, vendor, model, service_tier, context_tier, retry, unit, count
FROM spend_bucket_units WHERE bucket_start_unix_ns >= ?1 AND bucket_start_unix_ns < ?2
)sql";

constexpr std::string_view kUpdateRepriced = R"sql(
UPDATE spend_buckets SET cost_whole = ?9, cost_frac = ?10, retry_cost_whole = ?11, retry_cost_frac = ?12,
                         unpriced_records = 0
WHERE bucket_start_unix_ns = ?1 AND service = ?2 AND campaign_id = ?3 AND vendor = ?4 AND model = ?5
  AND service_tier = ?6 AND context_tier = ?7 AND retry = ?8
)sql";

constexpr std::string_view kInsertRepricing = R"sql(
INSERT INTO repricings(who, at_unix_ns, from_unix_ns, to_unix_ns, tables, old_total_whole, old_total_frac,
                       new_total_whole, new_total_frac, buckets, buckets_changed, buckets_refused, refused)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) RETURNING id
)sql";

constexpr std::string_view kSelectRepricings = R"sql(
SELECT id, who, at_unix_ns, from_unix_ns, to_unix_ns, tables, old_total_whole, old_total_frac,
       new_total_whole, new_total_frac, buckets, buckets_changed, buckets_refused, refused
FROM repricings ORDER BY id
)sql";

// Binds a bucket's 8 key columns as parameters 1..8.
void BindBucketKey(Statement& stmt, const store_detail::BucketLabels& labels, bool detailed = true) {
  stmt.BindInt(1, labels.start_unix_ns);
  stmt.BindText(2, labels.service);
  stmt.BindText(3, labels.campaign_id);
  stmt.BindText(4, labels.vendor);
  stmt.BindText(5, labels.model);
  stmt.BindText(6, labels.service_tier);
  stmt.BindInt(7, detailed ? static_cast<std::int64_t>(labels.context_tier) : kLegacyContextTier);
  stmt.BindInt(8, labels.retry ? 1 : 0);
}

// Reads a bucket's key from columns 0..7.
void ReadBucketKey(const Statement& stmt, SpendBucket& bucket) {
  bucket.start_unix_ns = stmt.ColumnInt(0);
  bucket.service = stmt.ColumnText(1);
  bucket.campaign_id = stmt.ColumnText(2);
  bucket.vendor = stmt.ColumnText(3);
  bucket.model = stmt.ColumnText(4);
  bucket.service_tier = stmt.ColumnText(5);
  const std::int64_t tier = stmt.ColumnInt(6);
  bucket.detailed = tier != kLegacyContextTier;
  bucket.context_tier = bucket.detailed ? static_cast<std::uint64_t>(tier) : 0;
  bucket.retry = stmt.ColumnInt(7) != 0;
}

// Spend rows of [first, to) and their units, read with two prepared
// statements (kSelectSpend, kSelectUnits) of one connection.
Status ReadSpend(Statement& buckets_stmt, Statement& units_stmt, std::int64_t first, std::int64_t to,
                 std::vector<SpendBucket>& out) {
  buckets_stmt.BindInt(1, first);
  buckets_stmt.BindInt(2, to);
  for (;;) {
    Result<bool> row = buckets_stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    SpendBucket& bucket = out.emplace_back();
    ReadBucketKey(buckets_stmt, bucket);
    constexpr int kSums = kBucketKeyCount;
    bucket.cost = store_detail::Join(buckets_stmt.ColumnInt(kSums), buckets_stmt.ColumnInt(kSums + 1));
    bucket.retry_cost = store_detail::Join(buckets_stmt.ColumnInt(kSums + 2), buckets_stmt.ColumnInt(kSums + 3));
    bucket.records = static_cast<std::uint64_t>(buckets_stmt.ColumnInt(kSums + 4));
    bucket.unpriced_records = static_cast<std::uint64_t>(buckets_stmt.ColumnInt(kSums + 5));
    for (std::size_t kind = 0; kind < kTokenTypeCount; ++kind) {
      bucket.tokens.count[kind] =
          static_cast<std::uint64_t>(buckets_stmt.ColumnInt(kSums + 6 + static_cast<int>(kind)));
    }
  }
  buckets_stmt.Reset();
  units_stmt.BindInt(1, first);
  units_stmt.BindInt(2, to);
  std::unordered_map<store_detail::BucketLabels, std::size_t, store_detail::BucketLabelsHash> index;
  for (;;) {
    Result<bool> row = units_stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (index.empty()) {
      for (std::size_t i = 0; i < out.size(); ++i) index.emplace(store_detail::LabelsOf(out[i]), i);
    }
    SpendBucket key;
    ReadBucketKey(units_stmt, key);
    const auto it = index.find(store_detail::LabelsOf(key));
    if (it == index.end()) continue;  // cannot happen: units are written with their bucket
    store_detail::AddUnit(out[it->second].units, units_stmt.ColumnText(8),
                          static_cast<std::uint64_t>(units_stmt.ColumnInt(9)));
  }
  units_stmt.Reset();
  return Status::Ok();
}

// floor(a / b) for b > 0.
std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if (a % b != 0 && a < 0) --q;
  return q;
}

std::uint64_t FileSize(const std::string& path) {
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<std::uint64_t>(size);
}

// An exclusive flock on <directory>/ledger.lock for the ledger's lifetime.
class DirectoryLock {
 public:
  static Result<DirectoryLock> Acquire(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Status::IoError("cannot open lock file " + path + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      ::close(fd);
      if (error == EWOULDBLOCK)
        return Status::IoError("ledger is in use by another process (lock " + path + " is held)");
      return Status::IoError("cannot lock " + path + ": " + std::strerror(error));
    }
    return DirectoryLock(fd);
  }
  DirectoryLock(DirectoryLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  DirectoryLock& operator=(DirectoryLock&&) = delete;
  ~DirectoryLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
  }

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Runs a query returning one integer (e.g. a PRAGMA).
Result<std::int64_t> QueryInt(Connection& db, std::string_view sql) {
  Result<Statement> stmt = db.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Internal("sqlite: no result from " + std::string(sql));
  return stmt->ColumnInt(0);
}

Result<std::string> QueryText(Connection& db, std::string_view sql) {
  Result<Statement> stmt = db.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Internal("sqlite: no result from " + std::string(sql));
  return stmt->ColumnText(0);
}

// Sets the write connection's pragmas: WAL, synchronous level, a 64 MiB page
// cache (spend buckets are updated in place at random).
Status ConfigureWriter(Connection& db, bool fsync_every_commit) {
  db.SetBusyTimeout(kBusyTimeoutMs);
  Result<std::string> mode = QueryText(db, "PRAGMA journal_mode=WAL");
  if (!mode.ok()) return mode.status();
  if (*mode != "wal") return Status::IoError("cannot switch to WAL mode (journal_mode is " + *mode + ")");
  return db.Exec(std::string("PRAGMA synchronous=") + (fsync_every_commit ? "FULL" : "NORMAL") +
                 "; PRAGMA cache_size=-65536; PRAGMA foreign_keys=OFF");
}

// Adds a tokens_<kind> column for every TokenType the table lacks (a kind
// added after the database was written: its past counts are 0).
Status AddTokenColumns(Connection& db) {
  Result<Statement> info = db.Prepare("SELECT name FROM pragma_table_info('spend_buckets')");
  if (!info.ok()) return info.status();
  std::vector<std::string> columns;
  for (;;) {
    Result<bool> row = info->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    columns.push_back(info->ColumnText(0));
  }
  info->Reset();
  std::string alter;
  for (std::size_t kind = 0; kind < kTokenTypeCount; ++kind) {
    const std::string column = TokenColumn(kind);
    if (std::find(columns.begin(), columns.end(), column) == columns.end()) {
      alter += "ALTER TABLE spend_buckets ADD COLUMN " + column + " INTEGER NOT NULL DEFAULT 0;";
    }
  }
  if (alter.empty()) return Status::Ok();
  return db.Exec("BEGIN IMMEDIATE;" + alter + "COMMIT;");
}

// Creates the schema in a fresh database, migrates an older one in place (one
// transaction per version step), or refuses a newer one.
Status EnsureSchema(Connection& db) {
  Result<std::int64_t> version = QueryInt(db, "PRAGMA user_version");
  if (!version.ok()) return version.status();
  if (*version > kSchemaVersion) {
    return Status::InvalidArgument("schema version " + std::to_string(*version) +
                                   " is newer than this exporter supports (" + std::to_string(kSchemaVersion) +
                                   "); run a newer exporter or use another --storage.path");
  }
  if (*version < 0) return Status::InvalidArgument("unknown schema version " + std::to_string(*version));
  if (*version == 0) {
    Status created = db.Exec("BEGIN IMMEDIATE;" + std::string(kKeysDdl) + SpendBucketsDdl() + kDetailDdl +
                             "PRAGMA user_version=" + std::to_string(kSchemaVersion) + "; COMMIT;");
    if (!created.ok()) return created;
    return Status::Ok();
  }
  if (*version == 1) {
    Status migrated = db.Exec("BEGIN IMMEDIATE;" + std::string(kMigrateV1ToV2) + "PRAGMA user_version=2; COMMIT;");
    if (!migrated.ok()) return migrated;
    *version = 2;
  }
  if (*version == 2) {
    Status migrated = db.Exec("BEGIN IMMEDIATE;" + MigrateV2ToV3() + "PRAGMA user_version=3; COMMIT;");
    if (!migrated.ok()) return migrated;
  }
  return AddTokenColumns(db);
}

// A caller's unit of work for the writer thread.
struct Request {
  enum class Kind { kAppend, kPrune, kReprice };
  Kind kind = Kind::kAppend;
  std::int64_t time_unix_ns = 0;  // receive time (append) or now (prune)
  // kAppend: the entries in the parts handed over (Append: one; a stream
  // adds parts while the writer works). Guarded by the queue mutex, as are
  // `sealed` (no part will follow) and `abandoned` (commit nothing).
  std::vector<std::span<const LedgerEntry>> parts;
  bool sealed = true;
  bool abandoned = false;
  // Writer-only until done: the parts taken from `parts`, each with the
  // index of its first entry in `outcomes`.
  struct TakenPart {
    std::span<const LedgerEntry> entries;
    std::size_t first = 0;
  };
  std::vector<TakenPart> taken;
  // One per taken entry: kNew when taken, then the writer's decision;
  // kOutOfRange entries are left out of every later attempt.
  std::vector<EntryOutcome> outcomes;
  Status status;
  bool prune_started = false;                   // the in-memory generations were pruned
  const RepriceRequest* reprice = nullptr;      // kReprice: the request
  std::optional<Result<RepriceReport>> report;  // kReprice: the answer
  bool done = false;                            // guarded by the queue mutex
};

// One row of idempotency_keys.
class SqliteAppendStream;

struct KeyRow {
  std::int64_t rowid = 0;
  std::int64_t received_unix_s = 0;
};

class SqliteLedger final : public Ledger {
 public:
  static Result<std::unique_ptr<Ledger>> Open(const LedgerOptions& options);
  ~SqliteLedger() override;

  Result<std::vector<EntryOutcome>> Append(std::span<const LedgerEntry> entries, std::int64_t receive_unix_ns) override;
  std::unique_ptr<AppendStream> OpenAppend(std::int64_t receive_unix_ns) override;
  Result<std::vector<SpendBucket>> Spend(std::int64_t from_unix_ns, std::int64_t to_unix_ns) const override;
  Status Prune(std::int64_t now_unix_ns) override;
  LedgerStats Stats() const override;
  Result<RepriceReport> Reprice(const RepriceRequest& request) override;
  Result<std::vector<RepricingAudit>> Repricings() const override;

 private:
  friend class SqliteAppendStream;  // AddPart, EndStream

  SqliteLedger(const LedgerOptions& options, DirectoryLock lock, Connection write, Connection read)
      : db_path_(options.directory + "/ledger.db"),
        snapshot_path_(options.directory + "/ledger.keys"),
        snapshot_every_keys_(options.key_snapshot_every_keys),
        retention_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(options.idempotency_retention).count()),
        lock_(std::move(lock)),
        write_(std::move(write)),
        read_(std::move(read)) {
    if (snapshot_every_keys_ > 0) snapshots_ = std::make_unique<store_detail::KeySnapshotWriter>(snapshot_path_);
  }

  Status Initialize();  // prepares statements, loads the keys
  Status PrepareStatements();
  // Rebuilds the index: the snapshot if it matches, then the rows after it.
  Status LoadKeys();
  // Reads the snapshot into the index if it matches the ledger. Returns the
  // rowid after which rows must still be claimed (INT64_MIN: every row).
  Result<std::int64_t> RestoreSnapshot();
  // The mark of the last key row now (0 and 0 when there is none).
  Result<store_detail::SnapshotMark> CurrentMark();
  // Writes the snapshot; called once the writer has stopped. Best effort: a
  // snapshot that is not written leaves the previous one, which stays valid.
  void SaveSnapshot() noexcept;
  // Between two groups on the writer: captures a prepared snapshot (a copy
  // of the index and its mark, written in the background), and asks for one
  // once key_snapshot_every_keys new keys were committed since the last ask.
  void SnapshotBetweenGroups() noexcept;

  // Enqueues `request` and blocks until the writer has handled it.
  void Submit(Request& request);
  // A stream's part: enqueues the request with its first part, or hands the
  // writer one more. Fails when the ledger is closing.
  Status AddPart(Request& request, std::span<const LedgerEntry> entries, bool first);
  // Seals a stream's request: the writer commits its group once it has
  // taken the parts (AppendStream::Seal).
  void SealStream(Request& request);
  // Seals (or abandons) a stream's request and blocks until it is handled.
  void EndStream(Request& request, bool abandon);
  // Moves the parts added since the last call into each request's `taken`,
  // waiting while a stream of `group` may still add one. True when it took
  // a part; false when every request is sealed and taken; fails when a
  // stream was abandoned (abandoned_in_group_) or the ledger is closing.
  Result<bool> TakeParts(const std::vector<Request*>& group);
  void WriterLoop();
  // Handles one drained queue: the appends as one group, then each prune.
  // Returns the prunes that have more chunks to delete.
  std::vector<Request*> HandleBatch(const std::vector<Request*>& batch);
  // Commits `group` in one transaction; if that fails, each request alone
  // (CommitAlone).
  void CommitAppendGroup(const std::vector<Request*>& group);
  // Commits one request, leaving out its entries of full buckets; sets
  // its status when the store fails.
  void CommitAlone(Request& request);
  // One transaction for `group`. On failure nothing was committed, every
  // claim was undone and `full` names the buckets (if any) that would have
  // passed kMaxBucketCost.
  Status TryCommit(const std::vector<Request*>& group, std::vector<store_detail::BucketLabels>& full);
  // The body of the group transaction. `claimed` collects the keys claimed
  // in the index, to be unclaimed if the transaction fails.
  Status WriteAppendGroup(const std::vector<Request*>& group, std::vector<std::string_view>& claimed,
                          std::vector<store_detail::BucketLabels>& full);
  Status ClaimKeys(Request& request, const Request::TakenPart& part, SpendAggregate& aggregate,
                   std::vector<std::string_view>& claimed);
  Status UpsertBuckets(const SpendAggregate& aggregate, std::vector<store_detail::BucketLabels>& full);
  // Plans and (unless a dry run) writes one re-pricing in one transaction.
  Result<RepriceReport> RepriceOnWriter(const RepriceRequest& request);
  Status WriteRepricing(RepriceReport& report);
  // One prune step: the in-memory rotation (first step only), then one chunk
  // of old rows. Returns true when rows older than the cutoff may remain.
  Result<bool> PruneStep(Request& request);
  Result<std::optional<KeyRow>> RowAtOrAfter(std::int64_t rowid);
  Result<std::optional<KeyRow>> LastRow();
  // The largest rowid received before `cutoff_s`, if any.
  Result<std::optional<std::int64_t>> LastRowidBefore(std::int64_t cutoff_s);
  void PublishKeyCount();
  // BEGIN IMMEDIATE, `body`, COMMIT; ROLLBACK on any error.
  template <typename Body>
  Status InTransaction(Body&& body);

  const std::string db_path_;
  const std::string snapshot_path_;
  const std::uint64_t snapshot_every_keys_;
  const std::int64_t retention_ns_;
  DirectoryLock lock_;

  // Writer-thread state (also used by Initialize before the thread starts).
  Connection write_;
  Statement begin_, commit_, rollback_, upsert_bucket_, upsert_unit_;
  store_detail::KeyRowWriter key_rows_;
  Statement select_spend_write_, select_units_write_, update_repriced_, insert_repricing_;
  Statement row_at_or_after_, last_row_, delete_through_, row_by_id_;
  store_detail::KeyIndex index_;
  std::vector<store_detail::KeyDigest> claim_digests_;  // ClaimKeys' scratch, kept for its capacity
  bool loaded_ = false;                                 // the index holds every stored key: only then may it be saved
  bool abandoned_in_group_ = false;                     // TakeParts failed the transaction for an abandoned stream
  std::int64_t last_received_s_ = std::numeric_limits<std::int64_t>::min();
  std::uint64_t keys_since_snapshot_ = 0;  // new keys committed since the last snapshot was asked for
  // Snapshots while running (null when key_snapshot_every_keys is 0); reset
  // by the destructor, which waits for a write under way, before the last.
  std::unique_ptr<store_detail::KeySnapshotWriter> snapshots_;

  // Spend reads.
  mutable std::mutex read_mutex_;
  mutable Connection read_;
  mutable Statement select_spend_, select_units_, select_repricings_;

  // The queue between callers and the writer.
  mutable std::mutex queue_mutex_;
  std::condition_variable queue_cv_;  // writer waits for work
  std::condition_variable done_cv_;   // callers wait for their request
  std::vector<Request*> queue_;
  std::uint64_t pending_appends_ = 0;  // submitted, not yet answered
  bool stopping_ = false;
  std::thread writer_;

  mutable std::mutex stats_mutex_;
  LedgerStats stats_;  // size_bytes is computed per Stats call
};

Result<std::unique_ptr<Ledger>> SqliteLedger::Open(const LedgerOptions& options) {
  if (options.directory.empty()) return Status::InvalidArgument("ledger directory is empty");
  std::error_code ec;
  std::filesystem::create_directories(options.directory, ec);
  if (ec) return Status::IoError("cannot create ledger directory " + options.directory + ": " + ec.message());
  Result<DirectoryLock> lock = DirectoryLock::Acquire(options.directory + "/ledger.lock");
  if (!lock.ok()) return lock.status();
  const std::string path = options.directory + "/ledger.db";
  Result<Connection> write = Connection::Open(path, false);
  if (!write.ok()) return write.status();
  Status configured = ConfigureWriter(*write, options.fsync_every_commit);
  if (configured.ok()) configured = EnsureSchema(*write);
  if (!configured.ok()) return configured.WithContext("ledger " + path);
  Result<Connection> read = Connection::Open(path, true);
  if (!read.ok()) return read.status();
  read->SetBusyTimeout(kBusyTimeoutMs);
  std::unique_ptr<SqliteLedger> ledger(
      new SqliteLedger(options, std::move(lock).value(), std::move(write).value(), std::move(read).value()));
  if (Status init = ledger->Initialize(); !init.ok()) return init.WithContext("ledger " + path);
  ledger->writer_ = std::thread([raw = ledger.get()] { raw->WriterLoop(); });
  return std::unique_ptr<Ledger>(std::move(ledger));
}

Status SqliteLedger::Initialize() {
  if (Status prepared = PrepareStatements(); !prepared.ok()) return prepared;
  return LoadKeys();
}

Status SqliteLedger::PrepareStatements() {
  const std::string upsert_bucket_sql = UpsertBucketSql();
  const std::string select_spend_sql = SelectSpendSql();
  struct Target {
    Statement* stmt;
    std::string_view sql;
  };
  const Target targets[] = {
      {&begin_, "BEGIN IMMEDIATE"},
      {&commit_, "COMMIT"},
      {&rollback_, "ROLLBACK"},
      {&upsert_bucket_, upsert_bucket_sql},
      {&upsert_unit_, kUpsertUnit},
      {&select_spend_write_, select_spend_sql},
      {&select_units_write_, kSelectUnits},
      {&update_repriced_, kUpdateRepriced},
      {&insert_repricing_, kInsertRepricing},
      {&row_at_or_after_,
       "SELECT rowid, received_unix_s FROM idempotency_keys WHERE rowid >= ?1 ORDER BY rowid LIMIT 1"},
      {&last_row_, "SELECT rowid, received_unix_s FROM idempotency_keys ORDER BY rowid DESC LIMIT 1"},
      {&delete_through_, "DELETE FROM idempotency_keys WHERE rowid <= ?1"},
      {&row_by_id_, "SELECT key, fingerprint, received_unix_s FROM idempotency_keys WHERE rowid = ?1"},
  };
  for (const Target& target : targets) {
    Result<Statement> stmt = write_.Prepare(target.sql);
    if (!stmt.ok()) return stmt.status();
    *target.stmt = std::move(stmt).value();
  }
  if (Status prepared = key_rows_.Prepare(write_); !prepared.ok()) return prepared;
  const Target reads[] = {
      {&select_spend_, select_spend_sql},
      {&select_units_, kSelectUnits},
      {&select_repricings_, kSelectRepricings},
  };
  for (const Target& target : reads) {
    Result<Statement> stmt = read_.Prepare(target.sql);
    if (!stmt.ok()) return stmt.status();
    *target.stmt = std::move(stmt).value();
  }
  return Status::Ok();
}

// Claims every key row after the snapshot's, in arrival order: one
// sequential scan. A full load first sizes the index for the rows stored
// (rowids are contiguous: rows are deleted from the left edge only).
Status SqliteLedger::LoadKeys() {
  Result<std::int64_t> after = RestoreSnapshot();
  if (!after.ok()) return after.status();
  const std::uint64_t snapshot_keys = index_.size();
  Result<Statement> scan =
      write_.Prepare("SELECT key, fingerprint FROM idempotency_keys WHERE rowid > ?1 ORDER BY rowid");
  if (!scan.ok()) return scan.status();
  scan->BindInt(1, *after);
  Result<std::optional<KeyRow>> first =
      RowAtOrAfter(*after == std::numeric_limits<std::int64_t>::min() ? *after : *after + 1);
  if (!first.ok()) return first.status();
  Result<std::optional<KeyRow>> last = LastRow();
  if (!last.ok()) return last.status();
  std::uint64_t replayed = 0;
  try {
    if (*first) index_.Reserve(static_cast<std::size_t>((*last)->rowid - (*first)->rowid + 1));
    // Claims in batches: each batch's digests are computed and their slots
    // prefetched first, so the cache misses of one batch overlap (a claim
    // is mostly a miss in a table of hundreds of MB).
    constexpr std::size_t kBatch = 32;
    std::array<store_detail::KeyDigest, kBatch> digests;
    std::array<std::uint32_t, kBatch> folds;
    for (bool more = true; more;) {
      std::size_t n = 0;
      for (; n < kBatch; ++n) {
        Result<bool> row = scan->Step();
        if (!row.ok()) return row.status();
        if (!*row) {
          more = false;
          break;
        }
        digests[n] = store_detail::KeyIndex::Digest(scan->ColumnText(0));
        folds[n] = store_detail::KeyIndex::Fold(static_cast<std::uint64_t>(scan->ColumnInt(1)));
        index_.Prefetch(digests[n]);
      }
      for (std::size_t i = 0; i < n; ++i) (void)index_.ClaimDigest(digests[i], folds[i]);
      replayed += n;
    }
  } catch (const std::bad_alloc&) {
    return Status::Internal("out of memory while loading idempotency keys");
  }
  if (*last) last_received_s_ = (*last)->received_unix_s;
  // The scan filled the page cache with key rows, which appends never read:
  // give them back (up to 64 MiB; about 50 bytes a key at 1M keys).
  if (replayed > 0) (void)write_.Exec("PRAGMA shrink_memory");
  loaded_ = true;
  {
    std::lock_guard lock(stats_mutex_);
    stats_.open_snapshot_keys = snapshot_keys;
    stats_.open_replayed_keys = replayed;
  }
  PublishKeyCount();
  return Status::Ok();
}

Result<std::int64_t> SqliteLedger::RestoreSnapshot() {
  constexpr std::int64_t kEveryRow = std::numeric_limits<std::int64_t>::min();
  Result<store_detail::SnapshotMark> mark = store_detail::ReadKeySnapshot(snapshot_path_, index_);
  if (!mark.ok()) return kEveryRow;  // missing or unusable: a full load
  row_by_id_.BindInt(1, mark->last_rowid);
  Result<bool> row = row_by_id_.Step();
  std::optional<std::uint64_t> check;
  if (row.ok() && *row) {
    check = store_detail::KeyRowCheck(row_by_id_.ColumnText(0), row_by_id_.ColumnInt(1), row_by_id_.ColumnInt(2));
  }
  row_by_id_.Reset();
  if (!row.ok()) return row.status();
  if (check == mark->last_row_check) return mark->last_rowid;
  if (!check) {
    // Its last row is gone: pruned (every row left is newer, claim them all)
    // unless an older row is still there (the table was replaced).
    Result<std::optional<KeyRow>> first = RowAtOrAfter(kEveryRow);
    if (!first.ok()) return first.status();
    if (!*first || (*first)->rowid > mark->last_rowid) return kEveryRow;
  }
  index_ = store_detail::KeyIndex();  // a snapshot of other rows
  return kEveryRow;
}

Result<store_detail::SnapshotMark> SqliteLedger::CurrentMark() {
  Result<std::optional<KeyRow>> last = LastRow();
  if (!last.ok()) return last.status();
  if (!*last) return store_detail::SnapshotMark{};
  row_by_id_.BindInt(1, (*last)->rowid);
  Result<bool> row = row_by_id_.Step();
  store_detail::SnapshotMark mark{(*last)->rowid, 0};
  if (row.ok() && *row) {
    mark.last_row_check =
        store_detail::KeyRowCheck(row_by_id_.ColumnText(0), row_by_id_.ColumnInt(1), row_by_id_.ColumnInt(2));
  }
  row_by_id_.Reset();
  if (!row.ok()) return row.status();
  return mark;
}

void SqliteLedger::SaveSnapshot() noexcept {
  try {
    Result<store_detail::SnapshotMark> mark = CurrentMark();
    if (mark.ok()) (void)store_detail::WriteKeySnapshot(snapshot_path_, index_, *mark);
  } catch (const std::bad_alloc&) {
    // No snapshot: the next open loads every key.
  }
}

void SqliteLedger::SnapshotBetweenGroups() noexcept {
  if (!snapshots_ || !loaded_) return;
  try {
    const auto captured = snapshots_->TryCapture(index_, [this] { return CurrentMark(); });
    if (captured == store_detail::KeySnapshotWriter::Capture::kNotReady &&
        keys_since_snapshot_ >= snapshot_every_keys_ && !snapshots_->Busy()) {
      keys_since_snapshot_ = 0;  // a failure waits as many keys again before the next try
      snapshots_->Prepare(index_.current().capacity(), index_.older().capacity());
    }
  } catch (const std::exception&) {
    // No snapshot this time (the mark's read ran out of memory): the last
    // one stays valid.
  }
}

SqliteLedger::~SqliteLedger() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_one();
  if (writer_.joinable()) writer_.join();
  snapshots_.reset();
  if (loaded_) SaveSnapshot();
}

Result<std::vector<EntryOutcome>> SqliteLedger::Append(std::span<const LedgerEntry> entries,
                                                       std::int64_t receive_unix_ns) {
  if (entries.empty()) return std::vector<EntryOutcome>();
  if (Status valid = store_detail::ValidateEntries(entries); !valid.ok()) return valid;
  Request request;
  request.kind = Request::Kind::kAppend;
  request.parts.push_back(entries);
  request.time_unix_ns = receive_unix_ns;
  Submit(request);
  if (!request.status.ok()) return request.status;
  return std::move(request.outcomes);
}

Status SqliteLedger::Prune(std::int64_t now_unix_ns) {
  Request request;
  request.kind = Request::Kind::kPrune;
  request.time_unix_ns = now_unix_ns;
  Submit(request);
  return request.status;
}

void SqliteLedger::Submit(Request& request) {
  std::unique_lock lock(queue_mutex_);
  if (stopping_) {
    request.status = Status::Internal("ledger is closing");
    return;
  }
  queue_.push_back(&request);
  if (request.kind == Request::Kind::kAppend) ++pending_appends_;
  if (queue_.size() == 1) queue_cv_.notify_one();
  done_cv_.wait(lock, [&] { return request.done; });
  if (request.kind == Request::Kind::kAppend) --pending_appends_;
}

// The SQLite stream: its request is queued with the first part, so the
// writer opens the transaction and claims keys and inserts rows while the
// caller prepares the next part; Finish seals it and waits for the commit.
class SqliteAppendStream final : public AppendStream {
 public:
  SqliteAppendStream(SqliteLedger& ledger, std::int64_t receive_unix_ns) : ledger_(ledger) {
    request_.kind = Request::Kind::kAppend;
    request_.time_unix_ns = receive_unix_ns;
    request_.sealed = false;
  }
  ~SqliteAppendStream() override {
    if (queued_ && !finished_) ledger_.EndStream(request_, true);
  }

  Status Add(std::span<const LedgerEntry> entries) override {
    if (Status valid = validation_.Check(entries); !valid.ok() || entries.empty()) return valid;
    Status queued = ledger_.AddPart(request_, entries, !queued_);
    if (!queued.ok()) {
      validation_.Fail(queued);
      return queued;
    }
    queued_ = true;
    return queued;
  }

  void Seal() override {
    if (queued_ && validation_.status().ok()) ledger_.SealStream(request_);
  }

  Result<std::vector<EntryOutcome>> Finish() override {
    // On a failure the destructor abandons what was queued.
    if (!validation_.status().ok()) return validation_.status();
    if (!queued_) return std::vector<EntryOutcome>();
    finished_ = true;
    ledger_.EndStream(request_, false);
    if (!request_.status.ok()) return request_.status;
    return std::move(request_.outcomes);
  }

 private:
  SqliteLedger& ledger_;
  Request request_;
  store_detail::StreamValidation validation_;
  bool queued_ = false;
  bool finished_ = false;
};

std::unique_ptr<AppendStream> SqliteLedger::OpenAppend(std::int64_t receive_unix_ns) {
  return std::make_unique<SqliteAppendStream>(*this, receive_unix_ns);
}

Status SqliteLedger::AddPart(Request& request, std::span<const LedgerEntry> entries, bool first) {
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_) return Status::Internal("ledger is closing");
    request.parts.push_back(entries);
    if (first) {
      queue_.push_back(&request);
      ++pending_appends_;
    }
  }
  queue_cv_.notify_one();  // the writer waits for work, or for this stream's next part
  return Status::Ok();
}

void SqliteLedger::SealStream(Request& request) {
  {
    std::lock_guard lock(queue_mutex_);
    request.sealed = true;
  }
  queue_cv_.notify_one();  // the writer may be waiting for this stream's next part
}

void SqliteLedger::EndStream(Request& request, bool abandon) {
  std::unique_lock lock(queue_mutex_);
  request.sealed = true;
  request.abandoned = abandon;
  queue_cv_.notify_one();
  done_cv_.wait(lock, [&] { return request.done; });
  --pending_appends_;
}

Result<bool> SqliteLedger::TakeParts(const std::vector<Request*>& group) {
  std::unique_lock lock(queue_mutex_);
  for (;;) {
    bool took = false;
    bool open = false;
    for (Request* request : group) {
      if (request->abandoned) {
        abandoned_in_group_ = true;
        return Status::Internal("an append stream was abandoned before it was finished");
      }
      while (request->taken.size() < request->parts.size()) {
        const std::span<const LedgerEntry> part = request->parts[request->taken.size()];
        request->taken.push_back(Request::TakenPart{part, request->outcomes.size()});
        request->outcomes.resize(request->outcomes.size() + part.size(), EntryOutcome::kNew);
        took = true;
      }
      open = open || !request->sealed;
    }
    if (took) return true;
    if (!open) return false;
    if (stopping_) return Status::Internal("ledger is closing");
    queue_cv_.wait(lock);
  }
}

// How often an idle writer looks whether a prepared snapshot is ready.
constexpr std::chrono::milliseconds kSnapshotPoll{20};

void SqliteLedger::WriterLoop() {
  std::vector<Request*> batch;
  for (;;) {
    {
      std::unique_lock lock(queue_mutex_);
      const auto has_work = [&] { return stopping_ || !queue_.empty(); };
      if (snapshots_ && snapshots_->Busy()) {
        // A snapshot being prepared is captured even if no append comes.
        if (!queue_cv_.wait_for(lock, kSnapshotPoll, has_work)) {
          lock.unlock();
          SnapshotBetweenGroups();
          continue;
        }
      } else {
        queue_cv_.wait(lock, has_work);
      }
      if (queue_.empty()) return;  // stopping, and everything queued was handled
      batch.swap(queue_);
    }
    const std::vector<Request*> unfinished = HandleBatch(batch);
    {
      std::lock_guard lock(queue_mutex_);
      for (Request* request : batch) {
        if (std::find(unfinished.begin(), unfinished.end(), request) == unfinished.end()) request->done = true;
      }
      // Unfinished prunes go behind the appends queued meanwhile.
      queue_.insert(queue_.end(), unfinished.begin(), unfinished.end());
    }
    done_cv_.notify_all();
    batch.clear();
  }
}

std::vector<Request*> SqliteLedger::HandleBatch(const std::vector<Request*>& batch) {
  std::vector<Request*> appends;
  std::vector<Request*> unfinished;
  appends.reserve(batch.size());
  for (Request* request : batch) {
    if (request->kind == Request::Kind::kAppend) appends.push_back(request);
  }
  if (!appends.empty()) CommitAppendGroup(appends);
  for (Request* request : batch) {
    if (request->kind == Request::Kind::kReprice) {
      try {
        request->report = RepriceOnWriter(*request->reprice);
      } catch (const std::bad_alloc&) {
        request->report = Result<RepriceReport>(Status::Internal("ledger: out of memory while re-pricing"));
      }
      continue;
    }
    if (request->kind != Request::Kind::kPrune) continue;
    Result<bool> more = PruneStep(*request);
    if (!more.ok()) {
      request->status = more.status();
    } else if (*more) {
      unfinished.push_back(request);
    }
  }
  SnapshotBetweenGroups();
  return unfinished;
}

template <typename Body>
Status SqliteLedger::InTransaction(Body&& body) {
  Status status = begin_.Run();
  begin_.Reset();
  if (!status.ok()) return status;
  status = body();
  if (status.ok()) {
    status = commit_.Run();
    commit_.Reset();
  }
  if (!status.ok()) {
    (void)rollback_.Run();  // fails only when SQLite already rolled back
    rollback_.Reset();
  }
  return status;
}

void SqliteLedger::CommitAppendGroup(const std::vector<Request*>& group) {
  if (group.size() == 1) {
    CommitAlone(*group.front());
    return;
  }
  std::vector<store_detail::BucketLabels> full;
  if (TryCommit(group, full).ok()) return;
  for (Request* request : group) CommitAlone(*request);
  std::lock_guard lock(stats_mutex_);
  stats_.isolated_appends += group.size();
}

void SqliteLedger::CommitAlone(Request& request) {
  {
    std::lock_guard lock(queue_mutex_);
    if (request.abandoned) {
      request.status = Status::Internal("an append stream was abandoned before it was finished");
      request.outcomes.clear();
      return;
    }
  }
  const std::vector<Request*> alone = {&request};
  std::vector<store_detail::BucketLabels> full;
  // Each failed round with full buckets leaves those buckets' entries out,
  // so this ends within (buckets of the request) + 1 rounds.
  for (;;) {
    full.clear();
    const Status status = TryCommit(alone, full);
    if (status.ok()) return;
    if (full.empty()) {
      request.status = status;
      request.outcomes.clear();
      return;
    }
    for (const Request::TakenPart& part : request.taken) {
      store_detail::MarkFullBuckets(part.entries, full,
                                    std::span(request.outcomes).subspan(part.first, part.entries.size()));
    }
  }
}

Status SqliteLedger::TryCommit(const std::vector<Request*>& group, std::vector<store_detail::BucketLabels>& full) {
  const auto started = std::chrono::steady_clock::now();
  abandoned_in_group_ = false;
  std::vector<std::string_view> claimed;
  Status status = InTransaction([&] {
    try {
      return WriteAppendGroup(group, claimed, full);
    } catch (const std::bad_alloc&) {
      return Status::Internal("out of memory while appending to the ledger");
    }
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!status.ok()) {
    for (std::string_view key : claimed) index_.Unclaim(key);
    status = status.WithContext("ledger " + db_path_);
  }
  std::uint64_t entries = 0;
  for (const Request* request : group) entries += request->outcomes.size();
  std::lock_guard lock(stats_mutex_);
  if (status.ok()) {
    keys_since_snapshot_ += claimed.size();
    ++stats_.commits;
    stats_.committed_entries += entries;
  } else if (full.empty() && !abandoned_in_group_) {
    ++stats_.commit_errors;  // a full bucket is about content, an abandoned stream about its caller
  }
  stats_.commit_seconds_sum += seconds;
  stats_.idempotency_keys = index_.size();
  stats_.idempotency_index_bytes = index_.bytes();
  return status;
}

Status SqliteLedger::WriteAppendGroup(const std::vector<Request*>& group, std::vector<std::string_view>& claimed,
                                      std::vector<store_detail::BucketLabels>& full) {
  SpendAggregate aggregate;
  key_rows_.Discard();  // rows an earlier, failed attempt queued were rolled back with it
  std::vector<std::size_t> next_part(group.size(), 0);  // per request, the first part not yet claimed
  for (;;) {
    for (std::size_t g = 0; g < group.size(); ++g) {
      Request& request = *group[g];
      for (; next_part[g] < request.taken.size(); ++next_part[g]) {
        const Status status = ClaimKeys(request, request.taken[next_part[g]], aggregate, claimed);
        if (!status.ok()) return status;
      }
    }
    const Result<bool> took = TakeParts(group);
    if (!took.ok()) return took.status();
    if (!*took) break;
  }
  if (Status written = key_rows_.Flush(); !written.ok()) return written;
  return UpsertBuckets(aggregate, full);
}

Status SqliteLedger::ClaimKeys(Request& request, const Request::TakenPart& part, SpendAggregate& aggregate,
                               std::vector<std::string_view>& claimed) {
  // Receive times never decrease along rowid: Prune relies on it.
  last_received_s_ = std::max(last_received_s_, FloorDiv(request.time_unix_ns, kNanosPerSecond));
  index_.PrepareClaims(part.entries, claim_digests_);
  for (std::size_t i = 0; i < part.entries.size(); ++i) {
    index_.PrefetchClaim(part.entries, claim_digests_, i);
    EntryOutcome& outcome = request.outcomes[part.first + i];
    if (outcome == EntryOutcome::kOutOfRange) continue;
    outcome = EntryOutcome::kNew;
    const LedgerEntry& entry = part.entries[i];
    const std::string_view key = entry.idempotency_key;
    if (!key.empty()) {
      switch (index_.ClaimDigest(claim_digests_[i], store_detail::KeyIndex::Fold(entry.fingerprint))) {
        case store_detail::KeyIndex::Claimed::kNew: break;
        case store_detail::KeyIndex::Claimed::kDuplicate: outcome = EntryOutcome::kDuplicate; continue;
        case store_detail::KeyIndex::Claimed::kConflict: outcome = EntryOutcome::kConflict; continue;
      }
      claimed.push_back(key);
      const Status status = key_rows_.Add(key, last_received_s_, static_cast<std::int64_t>(entry.fingerprint));
      if (!status.ok()) return status;
    }
    aggregate.Add(entry);
  }
  return Status::Ok();
}

Status SqliteLedger::UpsertBuckets(const SpendAggregate& aggregate, std::vector<store_detail::BucketLabels>& full) {
  for (const auto& [labels, sums] : aggregate.buckets()) {
    if (!store_detail::BucketHasRoom(Money(), sums.cost)) {  // a new row would already be out of range
      full.push_back(labels);
      continue;
    }
    const store_detail::SplitMoney cost = store_detail::Split(sums.cost);
    const store_detail::SplitMoney retry = store_detail::Split(sums.retry_cost);
    BindBucketKey(upsert_bucket_, labels);
    upsert_bucket_.BindInt(kBucketKeyCount + 1, cost.whole);
    upsert_bucket_.BindInt(kBucketKeyCount + 2, cost.frac);
    upsert_bucket_.BindInt(kBucketKeyCount + 3, retry.whole);
    upsert_bucket_.BindInt(kBucketKeyCount + 4, retry.frac);
    upsert_bucket_.BindInt(kBucketKeyCount + 5, static_cast<std::int64_t>(sums.records));
    upsert_bucket_.BindInt(kBucketKeyCount + 6, static_cast<std::int64_t>(sums.unpriced_records));
    for (std::size_t kind = 0; kind < kTokenTypeCount; ++kind) {
      upsert_bucket_.BindInt(kBucketKeyCount + 7 + static_cast<int>(kind),
                             static_cast<std::int64_t>(sums.tokens.count[kind]));
    }
    const Status upserted = upsert_bucket_.Run();
    upsert_bucket_.Reset();
    if (!upserted.ok()) return upserted;
    if (write_.Changes() != 1) full.push_back(labels);  // the WHERE clause refused the update
    for (const store_detail::UnitSum& unit : sums.units) {
      BindBucketKey(upsert_unit_, labels);
      upsert_unit_.BindText(kBucketKeyCount + 1, unit.unit);
      upsert_unit_.BindInt(kBucketKeyCount + 2, static_cast<std::int64_t>(unit.count));
      const Status status = upsert_unit_.Run();
      upsert_unit_.Reset();
      if (!status.ok()) return status;
    }
  }
  if (!full.empty()) {
    return Status::InvalidArgument(std::to_string(full.size()) + " spend bucket(s) would pass " +
                                   kMaxBucketCost.ToDecimalString() + " USD");
  }
  return Status::Ok();
}

Result<RepriceReport> SqliteLedger::Reprice(const RepriceRequest& request) {
  Request work;
  work.kind = Request::Kind::kReprice;
  work.reprice = &request;
  Submit(work);
  if (!work.status.ok()) return work.status;
  return std::move(*work.report);
}

Result<RepriceReport> SqliteLedger::RepriceOnWriter(const RepriceRequest& request) {
  std::optional<Result<RepriceReport>> planned;
  const Status status = InTransaction([&]() -> Status {
    std::vector<SpendBucket> buckets;
    Status read = ReadSpend(select_spend_write_, select_units_write_, SpendBucket::StartOf(request.from_unix_ns),
                            request.to_unix_ns, buckets);
    if (!read.ok()) return read;
    planned = store_detail::PlanRepricing(request, buckets);
    if (!planned->ok()) return planned->status();
    if (request.dry_run) return Status::Ok();  // committing an unchanged transaction writes nothing
    return WriteRepricing(**planned);
  });
  if (!status.ok()) return status.WithContext("ledger " + db_path_);
  return std::move(*planned);
}

Status SqliteLedger::WriteRepricing(RepriceReport& report) {
  for (const RepricedBucket& change : report.changed) {
    const store_detail::SplitMoney cost = store_detail::Split(change.cost);
    const store_detail::SplitMoney retry = store_detail::Split(change.retry_cost);
    BindBucketKey(update_repriced_, store_detail::LabelsOf(change.before));
    update_repriced_.BindInt(9, cost.whole);
    update_repriced_.BindInt(10, cost.frac);
    update_repriced_.BindInt(11, retry.whole);
    update_repriced_.BindInt(12, retry.frac);
    const Status status = update_repriced_.Run();
    update_repriced_.Reset();
    if (!status.ok()) return status;
  }
  RepricingAudit& audit = report.audit;
  const std::string tables = store_detail::JoinLines(audit.tables);
  const std::string refused = store_detail::JoinLines(audit.refused);
  const store_detail::SplitMoney old_total = store_detail::Split(audit.old_total);
  const store_detail::SplitMoney new_total = store_detail::Split(audit.new_total);
  Statement& insert = insert_repricing_;
  insert.BindText(1, audit.who);
  insert.BindInt(2, audit.at_unix_ns);
  insert.BindInt(3, audit.from_unix_ns);
  insert.BindInt(4, audit.to_unix_ns);
  insert.BindText(5, tables);
  insert.BindInt(6, old_total.whole);
  insert.BindInt(7, old_total.frac);
  insert.BindInt(8, new_total.whole);
  insert.BindInt(9, new_total.frac);
  insert.BindInt(10, static_cast<std::int64_t>(audit.buckets));
  insert.BindInt(11, static_cast<std::int64_t>(audit.buckets_changed));
  insert.BindInt(12, static_cast<std::int64_t>(audit.buckets_refused));
  insert.BindText(13, refused);
  const Result<bool> row = insert.Step();
  if (row.ok() && *row) audit.id = insert.ColumnInt(0);
  insert.Reset();
  if (!row.ok()) return row.status();
  return Status::Ok();
}

Result<std::vector<RepricingAudit>> SqliteLedger::Repricings() const {
  std::vector<RepricingAudit> out;
  std::lock_guard lock(read_mutex_);
  Statement& select = select_repricings_;
  for (;;) {
    Result<bool> row = select.Step();
    if (!row.ok()) return row.status().WithContext("ledger " + db_path_);
    if (!*row) break;
    RepricingAudit& audit = out.emplace_back();
    audit.id = select.ColumnInt(0);
    audit.who = select.ColumnText(1);
    audit.at_unix_ns = select.ColumnInt(2);
    audit.from_unix_ns = select.ColumnInt(3);
    audit.to_unix_ns = select.ColumnInt(4);
    audit.tables = store_detail::SplitLines(select.ColumnText(5));
    audit.old_total = store_detail::Join(select.ColumnInt(6), select.ColumnInt(7));
    audit.new_total = store_detail::Join(select.ColumnInt(8), select.ColumnInt(9));
    audit.buckets = static_cast<std::uint64_t>(select.ColumnInt(10));
    audit.buckets_changed = static_cast<std::uint64_t>(select.ColumnInt(11));
    audit.buckets_refused = static_cast<std::uint64_t>(select.ColumnInt(12));
    audit.refused = store_detail::SplitLines(select.ColumnText(13));
  }
  select.Reset();
  return out;
}

Result<bool> SqliteLedger::PruneStep(Request& request) {
  if (!request.prune_started) {
    index_.Prune(request.time_unix_ns, retention_ns_);
    request.prune_started = true;
    PublishKeyCount();
  }
  const int128 cutoff_ns = static_cast<int128>(request.time_unix_ns) - retention_ns_;
  if (cutoff_ns <= std::numeric_limits<std::int64_t>::min()) return false;
  // Whole seconds only: a key received in the cutoff's own second stays.
  const std::int64_t cutoff_s = FloorDiv(static_cast<std::int64_t>(cutoff_ns), kNanosPerSecond);
  bool more = false;
  const Status status = InTransaction([&]() -> Status {
    Result<std::optional<std::int64_t>> last = LastRowidBefore(cutoff_s);
    if (!last.ok()) return last.status();
    if (!*last) return Status::Ok();
    Result<std::optional<KeyRow>> first = RowAtOrAfter(std::numeric_limits<std::int64_t>::min());
    if (!first.ok()) return first.status();
    std::int64_t through = **last;
    if (*first && through - (*first)->rowid >= kPruneChunkRows) {
      through = (*first)->rowid + kPruneChunkRows - 1;
      more = true;
    }
    delete_through_.BindInt(1, through);
    const Status deleted = delete_through_.Run();
    delete_through_.Reset();
    return deleted;
  });
  if (!status.ok()) return status.WithContext("ledger " + db_path_);
  return more;
}

Result<std::optional<KeyRow>> SqliteLedger::RowAtOrAfter(std::int64_t rowid) {
  row_at_or_after_.BindInt(1, rowid);
  Result<bool> row = row_at_or_after_.Step();
  std::optional<KeyRow> found;
  if (row.ok() && *row) found = KeyRow{row_at_or_after_.ColumnInt(0), row_at_or_after_.ColumnInt(1)};
  row_at_or_after_.Reset();
  if (!row.ok()) return row.status();
  return found;
}

Result<std::optional<KeyRow>> SqliteLedger::LastRow() {
  Result<bool> row = last_row_.Step();
  std::optional<KeyRow> found;
  if (row.ok() && *row) found = KeyRow{last_row_.ColumnInt(0), last_row_.ColumnInt(1)};
  last_row_.Reset();
  if (!row.ok()) return row.status();
  return found;
}

// Binary search over rowid (received_unix_s never decreases along it), with
// gaps allowed: O(log n) point reads.
Result<std::optional<std::int64_t>> SqliteLedger::LastRowidBefore(std::int64_t cutoff_s) {
  Result<std::optional<KeyRow>> first = RowAtOrAfter(std::numeric_limits<std::int64_t>::min());
  if (!first.ok()) return first.status();
  if (!*first || (*first)->received_unix_s >= cutoff_s) return std::optional<std::int64_t>();
  Result<std::optional<KeyRow>> last = LastRow();
  if (!last.ok()) return last.status();
  if ((*last)->received_unix_s < cutoff_s) return std::optional<std::int64_t>((*last)->rowid);
  // Invariant: row `low` is before the cutoff; no row at or after `high` is.
  std::int64_t low = (*first)->rowid;
  std::int64_t high = (*last)->rowid;
  while (high - low > 1) {
    const std::int64_t mid = low + (high - low) / 2;
    Result<std::optional<KeyRow>> row = RowAtOrAfter(mid);
    if (!row.ok()) return row.status();
    if (!*row || (*row)->rowid >= high) {
      high = mid;
    } else if ((*row)->received_unix_s < cutoff_s) {
      low = (*row)->rowid;
    } else {
      high = (*row)->rowid;
    }
  }
  return std::optional<std::int64_t>(low);
}

void SqliteLedger::PublishKeyCount() {
  std::lock_guard lock(stats_mutex_);
  stats_.idempotency_keys = index_.size();
  stats_.idempotency_index_bytes = index_.bytes();
}

Result<std::vector<SpendBucket>> SqliteLedger::Spend(std::int64_t from_unix_ns, std::int64_t to_unix_ns) const {
  std::vector<SpendBucket> out;
  std::lock_guard lock(read_mutex_);
  // One read transaction for both statements, so units match their buckets.
  Status status = read_.Exec("BEGIN");
  if (status.ok()) {
    try {
      status = ReadSpend(select_spend_, select_units_, SpendBucket::StartOf(from_unix_ns), to_unix_ns, out);
    } catch (const std::bad_alloc&) {
      status = Status::Internal("out of memory while reading spend");
    }
    select_spend_.Reset();
    select_units_.Reset();
    const Status ended = read_.Exec("COMMIT");
    if (status.ok()) status = ended;
  }
  if (!status.ok()) return status.WithContext("ledger " + db_path_);
  return out;
}

LedgerStats SqliteLedger::Stats() const {
  LedgerStats stats;
  {
    std::lock_guard lock(stats_mutex_);
    stats = stats_;
  }
  stats.size_bytes = FileSize(db_path_) + FileSize(db_path_ + "-wal");
  std::lock_guard lock(queue_mutex_);
  stats.queued_appends = static_cast<std::uint64_t>(
      std::count_if(queue_.begin(), queue_.end(), [](const Request* r) { return r->kind == Request::Kind::kAppend; }));
  stats.pending_appends = pending_appends_;
  if (snapshots_) {
    const store_detail::KeySnapshotWriter::Counters snapshots = snapshots_->counters();
    stats.key_snapshots = snapshots.written;
    stats.key_snapshot_errors = snapshots.errors;
    stats.key_snapshot_copy_seconds = snapshots.last_copy_seconds;
  }
  return stats;
}

}  // namespace

Result<std::unique_ptr<Ledger>> OpenSqliteLedger(const LedgerOptions& options) { return SqliteLedger::Open(options); }

}  // namespace lce
