// KeyRowWriter (key_rows.h): rows land in the order they were added, across
// full statements and the one-by-one tail; Discard forgets queued rows; a
// failed statement empties the queue and reports the SQLite error.
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "key_rows.h"
#include "sqlite_util.h"

namespace lce::store_detail {
namespace {

struct KeyRow {
  std::string key;
  std::int64_t received_unix_s = 0;
  std::int64_t fingerprint = 0;
  bool operator==(const KeyRow&) const = default;
};

// An in-memory database with the ledger's idempotency_keys columns; `check`
// is an extra column constraint on received_unix_s, to make a row fail.
Connection OpenKeysDb(const std::string& check = "") {
  Result<Connection> db = Connection::Open(":memory:", false);
  REQUIRE(db.ok());
  REQUIRE(db->Exec("CREATE TABLE idempotency_keys(key TEXT NOT NULL, received_unix_s INTEGER NOT NULL " + check +
                   ", fingerprint INTEGER NOT NULL DEFAULT 0)")
              .ok());
  return std::move(db).value();
}

std::vector<KeyRow> RowsInRowidOrder(Connection& db) {
  Result<Statement> select =
      db.Prepare("SELECT key, received_unix_s, fingerprint FROM idempotency_keys ORDER BY rowid");
  REQUIRE(select.ok());
  std::vector<KeyRow> rows;
  for (;;) {
    Result<bool> row = select->Step();
    REQUIRE(row.ok());
    if (!*row) break;
    rows.push_back({select->ColumnText(0), select->ColumnInt(1), select->ColumnInt(2)});
  }
  return rows;
}

// `count` rows "k0", "k1", ... received at 100 + i / 10 with fingerprint i + 1.
std::vector<KeyRow> NumberedRows(std::size_t count) {
  std::vector<KeyRow> rows;
  for (std::size_t i = 0; i < count; ++i) {
    rows.push_back(
        {"k" + std::to_string(i), 100 + static_cast<std::int64_t>(i / 10), static_cast<std::int64_t>(i + 1)});
  }
  return rows;
}

TEST_CASE("KeyRowWriter writes rows in the order added, full statements and the tail", "[store][key_rows]") {
  // Two full statements and a tail of 6, a single full statement, a tail only, nothing.
  const std::size_t per = KeyRowWriter::kRowsPerStatement;
  for (const std::size_t count : {2 * per + 6, per, std::size_t{5}, std::size_t{0}}) {
    CAPTURE(count);
    Connection db = OpenKeysDb();
    KeyRowWriter writer;
    REQUIRE(writer.Prepare(db).ok());
    const std::vector<KeyRow> rows = NumberedRows(count);
    for (const KeyRow& row : rows) REQUIRE(writer.Add(row.key, row.received_unix_s, row.fingerprint).ok());
    REQUIRE(writer.Flush().ok());
    CHECK(RowsInRowidOrder(db) == rows);
    REQUIRE(writer.Flush().ok());  // nothing queued: writes nothing more
    CHECK(RowsInRowidOrder(db).size() == count);
  }
}

TEST_CASE("KeyRowWriter: Discard forgets the queued rows, not the written ones", "[store][key_rows]") {
  Connection db = OpenKeysDb();
  KeyRowWriter writer;
  REQUIRE(writer.Prepare(db).ok());
  const std::vector<KeyRow> rows = NumberedRows(KeyRowWriter::kRowsPerStatement + 3);
  for (const KeyRow& row : rows) REQUIRE(writer.Add(row.key, row.received_unix_s, row.fingerprint).ok());
  writer.Discard();
  REQUIRE(writer.Flush().ok());
  const std::vector<KeyRow> written(rows.begin(), rows.begin() + KeyRowWriter::kRowsPerStatement);
  CHECK(RowsInRowidOrder(db) == written);
}

TEST_CASE("KeyRowWriter: a failing row fails its statement and empties the queue", "[store][key_rows]") {
  Connection db = OpenKeysDb("CHECK (received_unix_s >= 0)");
  KeyRowWriter writer;
  REQUIRE(writer.Prepare(db).ok());
  SECTION("in a full statement") {
    for (std::size_t i = 0; i + 1 < KeyRowWriter::kRowsPerStatement; ++i) {
      REQUIRE(writer.Add("k" + std::to_string(i), 1, 1).ok());
    }
    const Status failed = writer.Add("bad", -1, 1);  // the 32nd row: the statement runs
    CHECK(failed.code() == Status::Code::kIoError);
    CHECK(failed.message().find("CHECK constraint failed") != std::string::npos);
    CHECK(RowsInRowidOrder(db).empty());  // the statement wrote none of its rows
  }
  SECTION("in the tail") {
    REQUIRE(writer.Add("good", 1, 1).ok());
    REQUIRE(writer.Add("bad", -1, 1).ok());
    REQUIRE(writer.Add("after", 1, 1).ok());
    CHECK_FALSE(writer.Flush().ok());
    CHECK(RowsInRowidOrder(db) == std::vector<KeyRow>{{"good", 1, 1}});  // the caller rolls back
  }
  REQUIRE(writer.Flush().ok());  // the queue was emptied by the failure
}

}  // namespace
}  // namespace lce::store_detail
