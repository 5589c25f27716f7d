// Thin RAII wrappers over libpq for the store module: a connection, a
// result, a fixed-size pool, and Status conversion of errors. Parameters
// and results use libpq's text format. No exceptions; every failure is a
// Status naming the SQLSTATE and PostgreSQL's message (never the password).
//
// Thread safety: a PgConnection belongs to one thread at a time; the pool
// hands each connection to one caller until it is returned, and is itself
// thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "llm_cost_exporter/status.h"

struct pg_conn;
struct pg_result;

namespace lce::store_detail {

// How to reach the server. `dsn` is a libpq connection string or URI; the
// password, when not empty, overrides any in the DSN and is never logged.
struct PgConnectOptions {
  std::string dsn;
  std::string password;
  std::chrono::milliseconds statement_timeout{5000};
  std::chrono::seconds connect_timeout{5};
};

// The SQLSTATE classes the ledger acts on.
enum class PgFailure : std::uint8_t {
  kNone,
  kRetryable,        // 40001 serialization failure, 40P01 deadlock: the transaction was rolled back
  kUniqueViolation,  // 23505: a row with the same key exists (the transaction is aborted)
  kConnection,       // the connection is gone (class 08, admin shutdown 57P01-03): its outcome may be unknown
  kOther,
};

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(pg_result* result) : result_(result) {}
  PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult();

  int rows() const;
  bool IsNull(int row, int column) const;
  // The value's text (valid while this result lives); "" when NULL.
  std::string_view Text(int row, int column) const;
  // The value as an int64; fails naming the column when it is not one.
  Result<std::int64_t> Int(int row, int column) const;
  std::string_view ColumnName(int column) const;

 private:
  pg_result* result_ = nullptr;
};

class PgConnection {
 public:
  static Result<std::unique_ptr<PgConnection>> Connect(const PgConnectOptions& options);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs `sql` with text parameters $1.. (none may contain a NUL byte).
  Result<PgResult> Exec(std::string_view sql, std::span<const std::string> params = {});
  // Runs statements without parameters, expecting no rows (DDL, BEGIN, COMMIT).
  Status Run(std::string_view sql);
  // ROLLBACK, ignoring its failure (the connection may be gone).
  void Rollback() noexcept;
  // Whether the connection is usable; a broken one is reset (reconnected) here.
  bool EnsureOpen();
  // What the last failed call of this connection was.
  PgFailure last_failure() const { return last_failure_; }

 private:
  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  Status Failure(std::string_view what, pg_result* result);

  pg_conn* conn_;
  PgFailure last_failure_ = PgFailure::kNone;
};

// A fixed number of connections, opened on first need. Acquire waits for a
// free one (at most `wait`), so at most `size` statements run at once.
class PgPool {
 public:
  PgPool(PgConnectOptions options, std::size_t size) : options_(std::move(options)), size_(size) {}

  class Lease {
   public:
    Lease(PgPool& pool, std::unique_ptr<PgConnection> conn) : pool_(&pool), conn_(std::move(conn)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    PgConnection& operator*() const { return *conn_; }
    PgConnection* operator->() const { return conn_.get(); }

   private:
    PgPool* pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  Result<Lease> Acquire(std::chrono::milliseconds wait);

 private:
  void Release(std::unique_ptr<PgConnection> conn);

  const PgConnectOptions options_;
  const std::size_t size_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  std::size_t opened_ = 0;  // connections in existence (idle or leased)
};

// The DSN's host, port, database and user (see DescribePostgresDsn).
std::string DescribeDsn(const std::string& dsn);

// Builds a PostgreSQL array literal ({"a","b\"c",NULL}) for an array
// parameter: every element quoted, quotes and backslashes escaped.
class PgArray {
 public:
  void Add(std::string_view text);
  void AddInt(std::int64_t value);
  void AddNull();
  // The literal; the builder is empty again afterwards.
  std::string Take();

 private:
  void Separate();
  std::string text_ = "{";
};

}  // namespace lce::store_detail
