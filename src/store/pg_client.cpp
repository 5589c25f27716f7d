#include "pg_client.h"

#include <libpq-fe.h>

#include <charconv>
#include <utility>

namespace lce::store_detail {
namespace {

// SQLSTATE class 08 (connection exception) and the shutdown codes of 57P.
bool IsConnectionState(std::string_view state) {
  return state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03";
}

PgFailure Classify(pg_conn* conn, pg_result* result) {
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) return PgFailure::kConnection;
  const char* state = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  if (state == nullptr) return result == nullptr ? PgFailure::kConnection : PgFailure::kOther;
  const std::string_view code(state);
  if (code == "40001" || code == "40P01") return PgFailure::kRetryable;
  if (code == "23505") return PgFailure::kUniqueViolation;
  if (IsConnectionState(code)) return PgFailure::kConnection;
  return PgFailure::kOther;
}

// libpq's messages end with a newline; a status line is one line.
std::string OneLine(const char* message) {
  std::string text = message == nullptr ? "" : message;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text;
}

}  // namespace

// ---- PgResult ---------------------------------------------------------------

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

PgResult::~PgResult() { PQclear(result_); }

int PgResult::rows() const { return result_ == nullptr ? 0 : PQntuples(result_); }

bool PgResult::IsNull(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

std::string_view PgResult::Text(int row, int column) const {
  return {PQgetvalue(result_, row, column), static_cast<std::size_t>(PQgetlength(result_, row, column))};
}

std::string_view PgResult::ColumnName(int column) const { return PQfname(result_, column); }

Result<std::int64_t> PgResult::Int(int row, int column) const {
  const std::string_view text = Text(row, column);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || IsNull(row, column)) {
    return Status::Internal("postgres: column " + std::string(ColumnName(column)) + " is not an int64: \"" +
                            std::string(text) + "\"");
  }
  return value;
}

// ---- PgConnection -----------------------------------------------------------

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const PgConnectOptions& options) {
  const std::string timeout_options = "-c statement_timeout=" + std::to_string(options.statement_timeout.count());
  const std::string connect_timeout = std::to_string(options.connect_timeout.count());
  // The DSN is expanded first; the keywords after it override what it says.
  std::vector<const char*> keys = {"dbname", "options", "connect_timeout", "application_name"};
  std::vector<const char*> values = {options.dsn.c_str(), timeout_options.c_str(), connect_timeout.c_str(),
                                     "llm_cost_exporter"};
  if (!options.password.empty()) {
    keys.push_back("password");
    values.push_back(options.password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  pg_conn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) return Status::IoError("postgres: out of memory while connecting");
  if (PQstatus(conn) != CONNECTION_OK) {
    Status failed = Status::IoError("postgres: cannot connect: " + OneLine(PQerrorMessage(conn)));
    PQfinish(conn);
    return failed;
  }
  // Notices ("relation already exists, skipping") are not errors: not printed.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(conn));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

Status PgConnection::Failure(std::string_view what, pg_result* result) {
  last_failure_ = Classify(conn_, result);
  const char* state = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  std::string message = "postgres: " + std::string(what) + " failed";
  if (state != nullptr) message += " (SQLSTATE " + std::string(state) + ")";
  message += ": " + OneLine(result == nullptr ? PQerrorMessage(conn_) : PQresultErrorMessage(result));
  PQclear(result);
  return Status::IoError(std::move(message));
}

Result<PgResult> PgConnection::Exec(std::string_view sql, std::span<const std::string> params) {
  last_failure_ = PgFailure::kNone;
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& param : params) values.push_back(param.c_str());
  const std::string text(sql);
  pg_result* result = PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                                   nullptr, nullptr, /*resultFormat=*/0);
  const ExecStatusType status = result == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Failure("statement", result);
  return PgResult(result);
}

Status PgConnection::Run(std::string_view sql) {
  last_failure_ = PgFailure::kNone;
  const std::string text(sql);
  pg_result* result = PQexec(conn_, text.c_str());
  const ExecStatusType status = result == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Failure("statement", result);
  PQclear(result);
  return Status::Ok();
}

void PgConnection::Rollback() noexcept {
  if (PQstatus(conn_) != CONNECTION_OK) return;
  PQclear(PQexec(conn_, "ROLLBACK"));
}

bool PgConnection::EnsureOpen() {
  if (PQstatus(conn_) == CONNECTION_OK) return true;
  PQreset(conn_);
  return PQstatus(conn_) == CONNECTION_OK;
}

// ---- PgPool -----------------------------------------------------------------

PgPool::Lease::~Lease() {
  if (conn_ != nullptr) pool_->Release(std::move(conn_));
}

Result<PgPool::Lease> PgPool::Acquire(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  if (!freed_.wait_for(lock, wait, [this] { return !idle_.empty() || opened_ < size_; })) {
    return Status::ResourceExhausted("postgres: all " + std::to_string(size_) + " pool connections stayed busy for " +
                                     std::to_string(wait.count()) + " ms");
  }
  if (!idle_.empty()) {
    std::unique_ptr<PgConnection> conn = std::move(idle_.back());
    idle_.pop_back();
    lock.unlock();
    if (!conn->EnsureOpen()) {
      Release(nullptr);  // gone for good: its place may be opened again
      return Status::IoError("postgres: lost the connection and could not reconnect");
    }
    return Lease(*this, std::move(conn));
  }
  ++opened_;
  lock.unlock();
  Result<std::unique_ptr<PgConnection>> conn = PgConnection::Connect(options_);
  if (!conn.ok()) {
    Release(nullptr);
    return conn.status();
  }
  return Lease(*this, std::move(conn).value());
}

void PgPool::Release(std::unique_ptr<PgConnection> conn) {
  {
    std::lock_guard lock(mutex_);
    if (conn != nullptr) {
      idle_.push_back(std::move(conn));
    } else {
      --opened_;
    }
  }
  freed_.notify_one();
}

// ---- DSN ------------------------------------------------------------------------

std::string DescribeDsn(const std::string& dsn) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);
    return "(invalid DSN)";
  }
  std::string out;
  for (const std::string_view shown : {"host", "hostaddr", "port", "dbname", "user"}) {
    for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
      if (option->val == nullptr || shown != option->keyword) continue;
      if (!out.empty()) out += ' ';
      out += std::string(shown) + "=" + option->val;
    }
  }
  PQconninfoFree(options);
  return out.empty() ? "(libpq defaults)" : out;
}

// ---- PgArray ----------------------------------------------------------------

void PgArray::Separate() {
  if (text_.size() > 1) text_ += ',';
}

void PgArray::Add(std::string_view text) {
  Separate();
  text_ += '"';
  for (const char c : text) {
    if (c == '"' || c == '\\') text_ += '\\';
    text_ += c;
  }
  text_ += '"';
}

void PgArray::AddInt(std::int64_t value) {
  Separate();
  text_ += std::to_string(value);
}

void PgArray::AddNull() {
  Separate();
  text_ += "NULL";
}

std::string PgArray::Take() {
  text_.push_back('}');
  std::string out;
  out.swap(text_);
  text_.push_back('{');
  return out;
}

}  // namespace lce::store_detail
