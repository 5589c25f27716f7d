// The key snapshot: a KeyIndex saved to a file (both generations' slot
// arrays as they are in memory, and the generation start), so that a
// restart reads a few hundred MB sequentially instead of hashing every key
// of the ledger again (docs/ledger.md "Restart").
//
// The file says which rows of idempotency_keys it covers: every row up to
// `last_rowid`, whose content it also records (`last_row_check`) so that a
// ledger whose rows were replaced is told apart. It is written whole to a
// temporary file, fsynced and renamed over the old one, so a crash leaves the
// old snapshot or the new one, never a mix. On read, anything unexpected (no
// file, short file, other format, other sizes, a checksum mismatch, a table
// past the maximum load) is an error and the index is left as it was: the
// caller then loads every key from the ledger.
//
// Layout (native byte order, little-endian hosts): a 96-byte header (magic
// "LCEKEYS1", format 1, slot size 16, last_rowid, last_row_check, generation
// start, both tables' capacity and size, an XXH3-64 of the slot bytes, an
// XXH3-64 of the header before it), then the current generation's slots, then
// the older generation's. The slots are read back where they were, so the
// digest (KeyIndex::Digest), the fold and the home slot rule
// (DigestSet::Home) are part of the format: changing any needs format 2.
//
// Thread safety: plain functions; the caller serializes access to the index.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "key_index.h"
#include "llm_cost_exporter/status.h"

namespace lce::store_detail {

struct SnapshotMark {
  std::int64_t last_rowid = 0;  // 0: the ledger had no key rows
  std::uint64_t last_row_check = 0;
  bool operator==(const SnapshotMark&) const = default;
};

// The check of one idempotency_keys row's content, as stored in a mark.
std::uint64_t KeyRowCheck(std::string_view key, std::int64_t fingerprint, std::int64_t received_unix_s);

// Writes `index` and `mark` to `path` (via `path`.tmp, fsync, rename, fsync
// of the directory). On error nothing replaced the previous file.
Status WriteKeySnapshot(const std::string& path, const KeyIndex& index, const SnapshotMark& mark);

// Reads `path` into `index` (replacing its contents) and returns its mark.
// kNotFound when there is no file; on any error `index` is unchanged.
Result<SnapshotMark> ReadKeySnapshot(const std::string& path, KeyIndex& index);

}  // namespace lce::store_detail
