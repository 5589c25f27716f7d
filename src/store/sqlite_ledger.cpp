// The SQLite Ledger: <directory>/ledger.db in WAL mode.
//
// Writes: one writer thread owns the write connection. Append enqueues its
// request and blocks; the writer takes everything queued at once and commits
// it in ONE transaction (group commit), then wakes each caller with its own
// result. An SQLite error rolls the whole group back (see Isolation for what
// happens then). Prune runs on the writer too, in its own transaction.
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
// rewrites about one 4 KiB page per key: 9x slower in ledger_bench.) Open
// loads the table into memory; Prune deletes its oldest rows by rowid range
// (receive times never decrease along rowid), in chunks.
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
#include <cerrno>
#include <limits>
#include <new>
#include <optional>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "key_index.h"
#include "ledger_common.h"
#include "llm_cost_exporter/ledger.h"
#include "sqlite_util.h"

namespace lce {
namespace {

using store_detail::Connection;
using store_detail::SpendAggregate;
using store_detail::Statement;

// 1: keys without fingerprints; 2: idempotency_keys.fingerprint (0 for keys
// written by version 1: unknown, never a conflict).
constexpr std::int64_t kSchemaVersion = 2;
constexpr int kBusyTimeoutMs = 5000;
constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

// idempotency_keys: arrival order (rowid), received_unix_s never decreasing
// along rowid. Money is split into whole dollars and an attodollar fraction
// in [0, 1e18).
constexpr const char* kSchema = R"sql(
CREATE TABLE idempotency_keys(key TEXT NOT NULL, received_unix_s INTEGER NOT NULL,
                              fingerprint INTEGER NOT NULL DEFAULT 0);
CREATE TABLE spend_buckets(
  bucket_start_unix_ns INTEGER NOT NULL,
  service TEXT NOT NULL,
  campaign_id TEXT NOT NULL,
  vendor TEXT NOT NULL,
  model TEXT NOT NULL,
  cost_whole INTEGER NOT NULL,
  cost_frac INTEGER NOT NULL,
  retry_cost_whole INTEGER NOT NULL,
  retry_cost_frac INTEGER NOT NULL,
  records INTEGER NOT NULL,
  unpriced_records INTEGER NOT NULL,
  PRIMARY KEY (bucket_start_unix_ns, service, campaign_id, vendor, model)) WITHOUT ROWID;
)sql";

constexpr const char* kMigrateV1ToV2 = R"sql(
ALTER TABLE idempotency_keys ADD COLUMN fingerprint INTEGER NOT NULL DEFAULT 0;
)sql";

// Rows of idempotency_keys deleted per Prune transaction, so appends queued
// meanwhile wait for one chunk at most.
constexpr std::int64_t kPruneChunkRows = 100'000;

// Adds the excluded row's sums with the fraction carry done in SQL: both
// fractions are < 1e18, so their sum (< 2e18) fits an int64. Returns 1 when
// the bucket is still within kMaxBucketCost (whole dollars <= 1e18, which
// leaves int64 room for any group: SQLite would turn an overflow into a
// REAL, caught by the typeof test too), else 0.
constexpr std::string_view kUpsertBucket = R"sql(
INSERT INTO spend_buckets VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
ON CONFLICT DO UPDATE SET
  cost_whole = cost_whole + excluded.cost_whole + (cost_frac + excluded.cost_frac) / 1000000000000000000,
  cost_frac = (cost_frac + excluded.cost_frac) % 1000000000000000000,
  retry_cost_whole = retry_cost_whole + excluded.retry_cost_whole
                     + (retry_cost_frac + excluded.retry_cost_frac) / 1000000000000000000,
  retry_cost_frac = (retry_cost_frac + excluded.retry_cost_frac) % 1000000000000000000,
  records = records + excluded.records,
  unpriced_records = unpriced_records + excluded.unpriced_records
RETURNING typeof(cost_whole) = 'integer' AND (cost_whole < 1000000000000000000
                                              OR (cost_whole = 1000000000000000000 AND cost_frac = 0))
)sql";
static_assert(kMaxBucketCost.atto() == Money::kOneDollar * 1'000'000'000'000'000'000LL,
              "kUpsertBucket's RETURNING clause spells kMaxBucketCost out");

constexpr std::string_view kSelectSpend = R"sql(
SELECT bucket_start_unix_ns, service, campaign_id, vendor, model,
       cost_whole, cost_frac, retry_cost_whole, retry_cost_frac, records, unpriced_records
FROM spend_buckets WHERE bucket_start_unix_ns >= ?1 AND bucket_start_unix_ns < ?2
)sql";

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

// Creates the schema in a fresh database or checks an existing one's version.
Status EnsureSchema(Connection& db) {
  Result<std::int64_t> version = QueryInt(db, "PRAGMA user_version");
  if (!version.ok()) return version.status();
  if (*version == kSchemaVersion) return Status::Ok();
  if (*version == 1) {
    return db.Exec("BEGIN IMMEDIATE;" + std::string(kMigrateV1ToV2) + "PRAGMA user_version=2; COMMIT;");
  }
  if (*version > kSchemaVersion) {
    return Status::InvalidArgument("schema version " + std::to_string(*version) +
                                   " is newer than this exporter supports (" + std::to_string(kSchemaVersion) +
                                   "); run a newer exporter or use another --storage.path");
  }
  if (*version != 0) return Status::InvalidArgument("unknown schema version " + std::to_string(*version));
  return db.Exec("BEGIN IMMEDIATE;" + std::string(kSchema) + "PRAGMA user_version=" + std::to_string(kSchemaVersion) +
                 "; COMMIT;");
}

// A caller's unit of work for the writer thread.
struct Request {
  enum class Kind { kAppend, kPrune };
  Kind kind = Kind::kAppend;
  std::span<const LedgerEntry> entries;
  std::int64_t time_unix_ns = 0;  // receive time (append) or now (prune)
  // Set by Append (all kNew), then by the writer; kOutOfRange entries are
  // left out of every later attempt.
  std::vector<EntryOutcome> outcomes;
  Status status;
  bool prune_started = false;  // the in-memory generations were pruned
  bool done = false;           // guarded by the queue mutex
};

// One row of idempotency_keys.
struct KeyRow {
  std::int64_t rowid = 0;
  std::int64_t received_unix_s = 0;
};

class SqliteLedger final : public Ledger {
 public:
  static Result<std::unique_ptr<Ledger>> Open(const LedgerOptions& options);
  ~SqliteLedger() override;

  Result<std::vector<EntryOutcome>> Append(std::span<const LedgerEntry> entries, std::int64_t receive_unix_ns) override;
  Result<std::vector<SpendBucket>> Spend(std::int64_t from_unix_ns, std::int64_t to_unix_ns) const override;
  Status Prune(std::int64_t now_unix_ns) override;
  LedgerStats Stats() const override;

 private:
  SqliteLedger(const LedgerOptions& options, DirectoryLock lock, Connection write, Connection read)
      : db_path_(options.directory + "/ledger.db"),
        retention_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(options.idempotency_retention).count()),
        lock_(std::move(lock)),
        write_(std::move(write)),
        read_(std::move(read)) {}

  Status Initialize();  // prepares statements, loads the keys
  Status PrepareStatements();
  Status LoadKeys();

  // Enqueues `request` and blocks until the writer has handled it.
  void Submit(Request& request);
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
  Status ClaimKeys(Request& request, SpendAggregate& aggregate, std::vector<std::string_view>& claimed);
  Status UpsertBuckets(const SpendAggregate& aggregate, std::vector<store_detail::BucketLabels>& full);
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
  const std::int64_t retention_ns_;
  DirectoryLock lock_;

  // Writer-thread state (also used by Initialize before the thread starts).
  Connection write_;
  Statement begin_, commit_, rollback_, upsert_bucket_, insert_key_;
  Statement row_at_or_after_, last_row_, delete_through_;
  store_detail::KeyIndex index_;
  std::int64_t last_received_s_ = std::numeric_limits<std::int64_t>::min();

  // Spend reads.
  mutable std::mutex read_mutex_;
  Connection read_;
  mutable Statement select_spend_;

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
  struct Target {
    Statement* stmt;
    std::string_view sql;
  };
  const Target targets[] = {
      {&begin_, "BEGIN IMMEDIATE"},
      {&commit_, "COMMIT"},
      {&rollback_, "ROLLBACK"},
      {&upsert_bucket_, kUpsertBucket},
      {&insert_key_, "INSERT INTO idempotency_keys(key, received_unix_s, fingerprint) VALUES (?1, ?2, ?3)"},
      {&row_at_or_after_,
       "SELECT rowid, received_unix_s FROM idempotency_keys WHERE rowid >= ?1 ORDER BY rowid LIMIT 1"},
      {&last_row_, "SELECT rowid, received_unix_s FROM idempotency_keys ORDER BY rowid DESC LIMIT 1"},
      {&delete_through_, "DELETE FROM idempotency_keys WHERE rowid <= ?1"},
  };
  for (const Target& target : targets) {
    Result<Statement> stmt = write_.Prepare(target.sql);
    if (!stmt.ok()) return stmt.status();
    *target.stmt = std::move(stmt).value();
  }
  Result<Statement> select = read_.Prepare(kSelectSpend);
  if (!select.ok()) return select.status();
  select_spend_ = std::move(select).value();
  return Status::Ok();
}

// Reads every remembered key, in arrival order, into the index: one
// sequential scan (a few million keys per second).
Status SqliteLedger::LoadKeys() {
  Result<Statement> scan = write_.Prepare("SELECT key, fingerprint FROM idempotency_keys ORDER BY rowid");
  if (!scan.ok()) return scan.status();
  try {
    for (;;) {
      Result<bool> row = scan->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      (void)index_.Claim(scan->ColumnText(0), static_cast<std::uint64_t>(scan->ColumnInt(1)));
    }
  } catch (const std::bad_alloc&) {
    return Status::Internal("out of memory while loading idempotency keys");
  }
  Result<std::optional<KeyRow>> last = LastRow();
  if (!last.ok()) return last.status();
  if (*last) last_received_s_ = (*last)->received_unix_s;
  PublishKeyCount();
  return Status::Ok();
}

SqliteLedger::~SqliteLedger() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_one();
  if (writer_.joinable()) writer_.join();
}

Result<std::vector<EntryOutcome>> SqliteLedger::Append(std::span<const LedgerEntry> entries,
                                                       std::int64_t receive_unix_ns) {
  if (entries.empty()) return std::vector<EntryOutcome>();
  if (Status valid = store_detail::ValidateEntries(entries); !valid.ok()) return valid;
  Request request;
  request.kind = Request::Kind::kAppend;
  request.entries = entries;
  request.time_unix_ns = receive_unix_ns;
  request.outcomes.assign(entries.size(), EntryOutcome::kNew);
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

void SqliteLedger::WriterLoop() {
  std::vector<Request*> batch;
  for (;;) {
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
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
    if (request->kind != Request::Kind::kPrune) continue;
    Result<bool> more = PruneStep(*request);
    if (!more.ok()) {
      request->status = more.status();
    } else if (*more) {
      unfinished.push_back(request);
    }
  }
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
    store_detail::MarkFullBuckets(request.entries, full, request.outcomes);
  }
}

Status SqliteLedger::TryCommit(const std::vector<Request*>& group, std::vector<store_detail::BucketLabels>& full) {
  const auto started = std::chrono::steady_clock::now();
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
  for (const Request* request : group) entries += request->entries.size();
  std::lock_guard lock(stats_mutex_);
  if (status.ok()) {
    ++stats_.commits;
    stats_.committed_entries += entries;
  } else if (full.empty()) {
    ++stats_.commit_errors;  // a full bucket is about content, not the store
  }
  stats_.commit_seconds_sum += seconds;
  stats_.idempotency_keys = index_.size();
  return status;
}

Status SqliteLedger::WriteAppendGroup(const std::vector<Request*>& group, std::vector<std::string_view>& claimed,
                                      std::vector<store_detail::BucketLabels>& full) {
  SpendAggregate aggregate;
  for (Request* request : group) {
    if (Status status = ClaimKeys(*request, aggregate, claimed); !status.ok()) return status;
  }
  return UpsertBuckets(aggregate, full);
}

Status SqliteLedger::ClaimKeys(Request& request, SpendAggregate& aggregate, std::vector<std::string_view>& claimed) {
  // Receive times never decrease along rowid: Prune relies on it.
  last_received_s_ = std::max(last_received_s_, FloorDiv(request.time_unix_ns, kNanosPerSecond));
  for (std::size_t i = 0; i < request.entries.size(); ++i) {
    EntryOutcome& outcome = request.outcomes[i];
    if (outcome == EntryOutcome::kOutOfRange) continue;
    outcome = EntryOutcome::kNew;
    const LedgerEntry& entry = request.entries[i];
    const std::string_view key = entry.idempotency_key;
    if (!key.empty()) {
      switch (index_.Claim(key, entry.fingerprint)) {
        case store_detail::KeyIndex::Claimed::kNew: break;
        case store_detail::KeyIndex::Claimed::kDuplicate: outcome = EntryOutcome::kDuplicate; continue;
        case store_detail::KeyIndex::Claimed::kConflict: outcome = EntryOutcome::kConflict; continue;
      }
      claimed.push_back(key);
      insert_key_.BindText(1, key);
      insert_key_.BindInt(2, last_received_s_);
      insert_key_.BindInt(3, static_cast<std::int64_t>(entry.fingerprint));
      const Status status = insert_key_.Run();
      insert_key_.Reset();
      if (!status.ok()) return status;
    }
    aggregate.Add(entry);
  }
  return Status::Ok();
}

Status SqliteLedger::UpsertBuckets(const SpendAggregate& aggregate, std::vector<store_detail::BucketLabels>& full) {
  for (const auto& [labels, sums] : aggregate.buckets()) {
    const store_detail::SplitMoney cost = store_detail::Split(sums.cost);
    const store_detail::SplitMoney retry = store_detail::Split(sums.retry_cost);
    upsert_bucket_.BindInt(1, labels.start_unix_ns);
    upsert_bucket_.BindText(2, labels.service);
    upsert_bucket_.BindText(3, labels.campaign_id);
    upsert_bucket_.BindText(4, labels.vendor);
    upsert_bucket_.BindText(5, labels.model);
    upsert_bucket_.BindInt(6, cost.whole);
    upsert_bucket_.BindInt(7, cost.frac);
    upsert_bucket_.BindInt(8, retry.whole);
    upsert_bucket_.BindInt(9, retry.frac);
    upsert_bucket_.BindInt(10, static_cast<std::int64_t>(sums.records));
    upsert_bucket_.BindInt(11, static_cast<std::int64_t>(sums.unpriced_records));
    const Result<bool> row = upsert_bucket_.Step();
    const bool within_range = row.ok() && *row && upsert_bucket_.ColumnInt(0) == 1;
    upsert_bucket_.Reset();
    if (!row.ok()) return row.status();
    if (!within_range) full.push_back(labels);
  }
  if (!full.empty()) {
    return Status::InvalidArgument(std::to_string(full.size()) + " spend bucket(s) would pass " +
                                   kMaxBucketCost.ToDecimalString() + " USD");
  }
  return Status::Ok();
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
}

Result<std::vector<SpendBucket>> SqliteLedger::Spend(std::int64_t from_unix_ns, std::int64_t to_unix_ns) const {
  std::vector<SpendBucket> out;
  std::lock_guard lock(read_mutex_);
  select_spend_.BindInt(1, SpendBucket::StartOf(from_unix_ns));
  select_spend_.BindInt(2, to_unix_ns);
  for (;;) {
    Result<bool> row = select_spend_.Step();
    if (!row.ok()) return row.status().WithContext("ledger " + db_path_);
    if (!*row) break;
    SpendBucket bucket;
    bucket.start_unix_ns = select_spend_.ColumnInt(0);
    bucket.service = select_spend_.ColumnText(1);
    bucket.campaign_id = select_spend_.ColumnText(2);
    bucket.vendor = select_spend_.ColumnText(3);
    bucket.model = select_spend_.ColumnText(4);
    bucket.cost = store_detail::Join(select_spend_.ColumnInt(5), select_spend_.ColumnInt(6));
    bucket.retry_cost = store_detail::Join(select_spend_.ColumnInt(7), select_spend_.ColumnInt(8));
    bucket.records = static_cast<std::uint64_t>(select_spend_.ColumnInt(9));
    bucket.unpriced_records = static_cast<std::uint64_t>(select_spend_.ColumnInt(10));
    out.push_back(std::move(bucket));
  }
  select_spend_.Reset();
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
  return stats;
}

}  // namespace

Result<std::unique_ptr<Ledger>> OpenSqliteLedger(const LedgerOptions& options) { return SqliteLedger::Open(options); }

}  // namespace lce
