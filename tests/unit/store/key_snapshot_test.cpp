// The key snapshot file (key_snapshot.h): what it restores, and that every
// kind of damage is refused with the index left as it was.
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "key_snapshot.h"
#include "ledger_test_util.h"

namespace lce::store_detail {
namespace {

using ledger_test::TempDir;

KeyIndex IndexWith(int current_keys, int older_keys) {
  KeyIndex index;
  for (int k = 0; k < older_keys; ++k)
    REQUIRE(index.Claim("old_" + std::to_string(k), static_cast<std::uint64_t>(1000 + k)) == KeyIndex::Claimed::kNew);
  index.Prune(100, 50);  // starts a generation
  index.Prune(200, 50);  // rotates: the keys so far are the older generation
  for (int k = 0; k < current_keys; ++k)
    REQUIRE(index.Claim("new_" + std::to_string(k), static_cast<std::uint64_t>(2000 + k)) == KeyIndex::Claimed::kNew);
  return index;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST_CASE("Key snapshot restores both generations, their fingerprints and the generation start",
          "[store][key_snapshot]") {
  TempDir dir;
  const std::string path = dir.path() + "/ledger.keys";
  const KeyIndex saved = IndexWith(3000, 2000);
  const SnapshotMark mark{5000, KeyRowCheck("new_2999", 4999, 1775124900)};
  REQUIRE(WriteKeySnapshot(path, saved, mark).ok());
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));

  KeyIndex index;
  Result<SnapshotMark> read = ReadKeySnapshot(path, index);
  REQUIRE(read.ok());
  CHECK(*read == mark);
  CHECK(index.current().size() == 3000);
  CHECK(index.older().size() == 2000);
  CHECK(index.bytes() == saved.bytes());
  CHECK(index.generations().start_unix_ns == std::optional<std::int64_t>(200));
  using C = KeyIndex::Claimed;
  CHECK(index.Claim("old_5", 1005) == C::kDuplicate);
  CHECK(index.Claim("old_5", 1) == C::kConflict);
  CHECK(index.Claim("new_7", 2007) == C::kDuplicate);
  CHECK(index.Claim("new_7", 1) == C::kConflict);
  CHECK(index.Claim("other", 1) == C::kNew);
  index.Prune(250, 50);  // the restored start decides the next rotation: old_* go
  CHECK(index.Claim("old_6", 1006) == C::kNew);
}

TEST_CASE("Key snapshot of an empty index", "[store][key_snapshot]") {
  TempDir dir;
  const std::string path = dir.path() + "/ledger.keys";
  REQUIRE(WriteKeySnapshot(path, KeyIndex(), SnapshotMark{}).ok());
  KeyIndex index;
  Result<SnapshotMark> read = ReadKeySnapshot(path, index);
  REQUIRE(read.ok());
  CHECK(*read == SnapshotMark{});
  CHECK(index.size() == 0);
  CHECK_FALSE(index.generations().start_unix_ns.has_value());
}

TEST_CASE("Key snapshot: a missing file is kNotFound, a damaged one an error, the index unchanged",
          "[store][key_snapshot]") {
  TempDir dir;
  const std::string path = dir.path() + "/ledger.keys";
  KeyIndex index;
  REQUIRE(index.Claim("mine", 1) == KeyIndex::Claimed::kNew);
  Result<SnapshotMark> missing = ReadKeySnapshot(path, index);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == Status::Code::kNotFound);

  REQUIRE(WriteKeySnapshot(path, IndexWith(500, 100), SnapshotMark{600, 42}).ok());
  const std::string good = ReadBytes(path);
  REQUIRE(good.size() > 200);
  std::string bad = good;
  SECTION("a flipped bit in a slot") { bad[good.size() - 40] ^= 0x04; }
  SECTION("a flipped bit in the header") { bad[20] ^= 0x01; }
  SECTION("truncated") { bad.resize(good.size() - 16); }
  SECTION("shorter than the header") { bad.resize(50); }
  SECTION("empty") { bad.clear(); }
  SECTION("a slot more") { bad += std::string(16, '\0'); }
  SECTION("another format") { bad[8] = 2; }
  WriteBytes(path, bad);
  Result<SnapshotMark> read = ReadKeySnapshot(path, index);
  REQUIRE_FALSE(read.ok());
  CHECK(read.status().code() != Status::Code::kNotFound);
  CHECK(index.size() == 1);
  CHECK(index.Claim("mine", 1) == KeyIndex::Claimed::kDuplicate);
  CHECK(index.Claim("new_1", 2001) == KeyIndex::Claimed::kNew);
}

TEST_CASE("Key snapshot write replaces the old file whole, and fails cleanly", "[store][key_snapshot]") {
  TempDir dir;
  const std::string path = dir.path() + "/ledger.keys";
  REQUIRE(WriteKeySnapshot(path, IndexWith(10, 0), SnapshotMark{10, 1}).ok());
  REQUIRE(WriteKeySnapshot(path, IndexWith(20, 0), SnapshotMark{20, 2}).ok());
  KeyIndex index;
  Result<SnapshotMark> read = ReadKeySnapshot(path, index);
  REQUIRE(read.ok());
  CHECK(read->last_rowid == 20);
  CHECK(index.size() == 20);
  Status failed = WriteKeySnapshot(dir.path() + "/missing/ledger.keys", index, *read);
  CHECK_FALSE(failed.ok());
  CHECK(failed.message().find("missing/ledger.keys.tmp") != std::string::npos);
}

TEST_CASE("KeyRowCheck depends on every field of the row", "[store][key_snapshot]") {
  const std::uint64_t check = KeyRowCheck("evt_1", 5, 100);
  CHECK(check == KeyRowCheck("evt_1", 5, 100));
  CHECK(check != KeyRowCheck("evt_2", 5, 100));
  CHECK(check != KeyRowCheck("evt_1", 6, 100));
  CHECK(check != KeyRowCheck("evt_1", 5, 101));
}

}  // namespace
}  // namespace lce::store_detail
