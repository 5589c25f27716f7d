#include "key_rows.h"

#include <string>

namespace lce::store_detail {
namespace {

constexpr std::string_view kInsertKeys = "INSERT INTO idempotency_keys(key, received_unix_s, fingerprint) VALUES ";

std::string InsertSql(std::size_t rows) {
  std::string sql(kInsertKeys);
  for (std::size_t i = 0; i < rows; ++i) sql += i == 0 ? "(?, ?, ?)" : ", (?, ?, ?)";
  return sql;
}

}  // namespace

Status KeyRowWriter::Prepare(Connection& db) {
  Result<Statement> many = db.Prepare(InsertSql(kRowsPerStatement));
  if (!many.ok()) return many.status();
  Result<Statement> one = db.Prepare(InsertSql(1));
  if (!one.ok()) return one.status();
  many_ = std::move(many).value();
  one_ = std::move(one).value();
  queued_ = 0;
  return Status::Ok();
}

void KeyRowWriter::Bind(Statement& stmt, int first_parameter, const Row& row) {
  stmt.BindText(first_parameter, row.key);
  stmt.BindInt(first_parameter + 1, row.received_unix_s);
  stmt.BindInt(first_parameter + 2, row.fingerprint);
}

Status KeyRowWriter::Add(std::string_view key, std::int64_t received_unix_s, std::int64_t fingerprint) {
  rows_[queued_++] = Row{key, received_unix_s, fingerprint};
  return queued_ == kRowsPerStatement ? WriteFullStatement() : Status::Ok();
}

Status KeyRowWriter::WriteFullStatement() {
  for (std::size_t i = 0; i < kRowsPerStatement; ++i) Bind(many_, static_cast<int>(3 * i + 1), rows_[i]);
  queued_ = 0;
  const Status status = many_.Run();
  many_.Reset();
  return status;
}

Status KeyRowWriter::Flush() {
  const std::size_t queued = queued_;
  queued_ = 0;
  for (std::size_t i = 0; i < queued; ++i) {
    Bind(one_, 1, rows_[i]);
    const Status status = one_.Run();
    one_.Reset();
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

}  // namespace lce::store_detail
