// Thin RAII wrappers over the SQLite C API for the store module: a
// connection, a prepared statement, and Status conversion of result codes.
// No exceptions; every failure is a Status naming the SQLite error.
//
// Thread safety: a Connection and its Statements belong to one thread at a
// time (the owner serializes use); SQLite is built threadsafe on Debian.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "llm_cost_exporter/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace lce::store_detail {

class Statement {
 public:
  Statement() = default;
  Statement(Statement&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binds by 1-based index. Text is bound without a copy: it must stay valid
  // until the statement is stepped to completion and Reset.
  void BindInt(int index, std::int64_t value);
  void BindText(int index, std::string_view value);

  // Runs one step: true when a row is available, false when done; an error
  // leaves the statement reset.
  Result<bool> Step();
  // Steps to completion, expecting no row.
  Status Run();
  std::int64_t ColumnInt(int index) const;
  std::string ColumnText(int index) const;
  // Ends the current execution and clears bindings so the next one starts
  // fresh. Never fails (an earlier step already reported any error).
  void Reset();

 private:
  friend class Connection;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Status Error(int rc) const;
  sqlite3_stmt* stmt_ = nullptr;
};

class Connection {
 public:
  Connection() = default;
  Connection(Connection&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Connection& operator=(Connection&&) = delete;
  Connection(const Connection&) = delete;
  ~Connection();

  // Opens `path` read-write (creating it) or read-only.
  static Result<Connection> Open(const std::string& path, bool read_only);
  // Runs one or more statements with no result rows.
  Status Exec(const std::string& sql);
  Result<Statement> Prepare(std::string_view sql);
  // How long a statement waits for another connection's lock before failing
  // with SQLITE_BUSY.
  void SetBusyTimeout(int milliseconds);
  // Rows changed by the last INSERT/UPDATE/DELETE on this connection.
  int Changes() const;
  Status Error(int rc, std::string_view what) const;
  // Finalizes nothing: every Statement must be destroyed before this.
  void Close();

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

}  // namespace lce::store_detail
