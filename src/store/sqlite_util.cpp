#include "sqlite_util.h"

#include <sqlite3.h>

#include <utility>

namespace lce::store_detail {

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::BindInt(int index, std::int64_t value) { sqlite3_bind_int64(stmt_, index, value); }

void Statement::BindText(int index, std::string_view value) {
  // An empty view may have a null data(): bind "" so the value is TEXT, not NULL.
  const char* data = value.empty() ? "" : value.data();
  sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_STATIC, SQLITE_UTF8);
}

Result<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status error = Error(rc);
  sqlite3_reset(stmt_);
  return error;
}

Status Statement::Run() {
  Result<bool> row = Step();
  if (!row.ok()) return row.status();
  if (*row) {
    Reset();
    return Status::Internal("sqlite: statement returned a row where none was expected");
  }
  return Status::Ok();
}

std::int64_t Statement::ColumnInt(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string Statement::ColumnText(int index) const {
  const unsigned char* text = sqlite3_column_text(stmt_, index);
  const int size = sqlite3_column_bytes(stmt_, index);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Status Statement::Error(int rc) const {
  sqlite3* db = sqlite3_db_handle(stmt_);
  return Status::IoError(std::string("sqlite: ") + sqlite3_errstr(rc) + ": " + sqlite3_errmsg(db) +
                         " (in: " + sqlite3_sql(stmt_) + ")");
}

Connection::~Connection() { Close(); }

Result<Connection> Connection::Open(const std::string& path, bool read_only) {
  sqlite3* db = nullptr;
  const int flags =
      (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = std::string("cannot open ") + path + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return Status::IoError(std::move(message));
  }
  sqlite3_extended_result_codes(db, 1);
  return Connection(db);
}

Status Connection::Exec(const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return Status::Ok();
  Status error = Status::IoError(std::string("sqlite: ") + sqlite3_errstr(rc) + ": " + (message ? message : "") +
                                 " (in: " + sql + ")");
  sqlite3_free(message);
  return error;
}

Result<Statement> Connection::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc =
      sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, sql);
  return Statement(stmt);
}

void Connection::SetBusyTimeout(int milliseconds) { sqlite3_busy_timeout(db_, milliseconds); }

int Connection::Changes() const { return sqlite3_changes(db_); }

Status Connection::Error(int rc, std::string_view what) const {
  return Status::IoError(std::string("sqlite: ") + sqlite3_errstr(rc) + ": " + sqlite3_errmsg(db_) +
                         " (in: " + std::string(what) + ")");
}

void Connection::Close() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
  db_ = nullptr;
}

}  // namespace lce::store_detail
