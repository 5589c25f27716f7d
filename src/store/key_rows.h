// KeyRowWriter: appends rows to idempotency_keys on the writer's connection,
// kRowsPerStatement rows per INSERT, so one statement's fixed cost (start,
// halt, reset) is spread over many rows. Rows keep the order they are added
// in (rowid is arrival order). The rows of a transaction's last, partial
// statement go one by one at Flush.
//
// Keys are bound without a copy: each must stay valid until Flush returns.
// Not thread-safe: it belongs to the ledger's writer thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sqlite_util.h"

namespace lce::store_detail {

class KeyRowWriter {
 public:
  static constexpr std::size_t kRowsPerStatement = 32;

  // Prepares both statements on `db`.
  Status Prepare(Connection& db);
  // Queues one row; writes the queue once it holds kRowsPerStatement rows.
  // On failure the queue is empty and the transaction must be rolled back.
  Status Add(std::string_view key, std::int64_t received_unix_s, std::int64_t fingerprint);
  // Writes the queued rows. On failure the queue is empty, as above.
  Status Flush();
  // Forgets the queued rows (the start of a transaction after a failed one).
  void Discard() { queued_ = 0; }

 private:
  struct Row {
    std::string_view key;
    std::int64_t received_unix_s = 0;
    std::int64_t fingerprint = 0;
  };
  static void Bind(Statement& stmt, int first_parameter, const Row& row);
  Status WriteFullStatement();

  Statement many_;  // kRowsPerStatement rows
  Statement one_;
  std::array<Row, kRowsPerStatement> rows_{};
  std::size_t queued_ = 0;
};

}  // namespace lce::store_detail
