// KeySnapshotWriter (snapshot_writer.h): a prepared snapshot captures the
// index as it is at the capture, is written whole in the background, and is
// prepared again when the index grew between the request and the capture.
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "ledger_test_util.h"
#include "snapshot_writer.h"

namespace lce::store_detail {
namespace {

using ledger_test::TempDir;
using Capture = KeySnapshotWriter::Capture;

void ClaimKeys(KeyIndex& index, const std::string& prefix, int count) {
  for (int k = 0; k < count; ++k) {
    REQUIRE(index.Claim(prefix + std::to_string(k), static_cast<std::uint64_t>(k + 1)) == KeyIndex::Claimed::kNew);
  }
}

using MarkSource = std::function<Result<SnapshotMark>()>;

MarkSource MarkOf(SnapshotMark mark) {
  return [mark] { return Result<SnapshotMark>(mark); };
}

// Polls TryCapture (bounded: 10 s) until it returns something but kNotReady.
Capture CaptureWhenReady(KeySnapshotWriter& writer, const KeyIndex& index, const MarkSource& mark) {
  for (int poll = 0; poll < 10'000; ++poll) {
    const Capture capture = writer.TryCapture(index, mark);
    if (capture != Capture::kNotReady) return capture;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return Capture::kNotReady;
}

// A writer for a temporary file, and an index of `keys` keys "a_<k>".
struct Setup {
  explicit Setup(int keys) { ClaimKeys(index, "a_", keys); }
  TempDir dir;
  std::string path = dir.path() + "/ledger.keys";
  KeyIndex index;
  KeySnapshotWriter writer{path};
  void Prepare() { writer.Prepare(index.current().capacity(), index.older().capacity()); }
};

// Polls until nothing is prepared or being written (bounded: 10 s).
bool WaitIdle(const KeySnapshotWriter& writer) {
  for (int poll = 0; poll < 10'000 && writer.Busy(); ++poll) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return !writer.Busy();
}

TEST_CASE("KeySnapshotWriter writes the index as it was at the capture", "[store][key_snapshot]") {
  Setup setup(500);
  auto& [dir, path, index, writer] = setup;
  CHECK_FALSE(writer.Busy());
  CHECK(writer.TryCapture(index, MarkOf({})) == Capture::kNotReady);
  setup.Prepare();
  CHECK(writer.Busy());
  const SnapshotMark mark{500, 77};
  REQUIRE(CaptureWhenReady(writer, index, MarkOf(mark)) == Capture::kCaptured);
  ClaimKeys(index, "after_", 3);  // after the capture: not in the file
  REQUIRE(WaitIdle(writer));
  CHECK(writer.counters().written == 1);
  CHECK(writer.counters().errors == 0);
  CHECK(writer.counters().last_copy_seconds > 0);

  KeyIndex read;
  Result<SnapshotMark> restored = ReadKeySnapshot(path, read);
  REQUIRE(restored.ok());
  CHECK(*restored == mark);
  CHECK(read.size() == 500);
  CHECK(read.Claim("a_42", 43) == KeyIndex::Claimed::kDuplicate);
  CHECK(read.Claim("after_1", 2) == KeyIndex::Claimed::kNew);
}

TEST_CASE("KeySnapshotWriter prepares again when the index grew before the capture", "[store][key_snapshot]") {
  Setup setup(100);
  auto& [dir, path, index, writer] = setup;
  setup.Prepare();
  const std::size_t before = index.current().capacity();
  ClaimKeys(index, "b_", 1000);  // grows the table
  REQUIRE(index.current().capacity() != before);
  CHECK(CaptureWhenReady(writer, index, MarkOf({1100, 5})) == Capture::kResized);
  REQUIRE(CaptureWhenReady(writer, index, MarkOf({1100, 5})) == Capture::kCaptured);
  REQUIRE(WaitIdle(writer));
  KeyIndex read;
  REQUIRE(ReadKeySnapshot(path, read).ok());
  CHECK(read.size() == 1100);
  CHECK(read.Claim("b_999", 1000) == KeyIndex::Claimed::kDuplicate);
}

TEST_CASE("KeySnapshotWriter gives up a snapshot whose mark cannot be read", "[store][key_snapshot]") {
  Setup setup(10);
  auto& [dir, path, index, writer] = setup;
  setup.Prepare();
  const MarkSource failing = [] { return Result<SnapshotMark>(Status::IoError("disk gone")); };
  CHECK(CaptureWhenReady(writer, index, failing) == Capture::kFailed);
  CHECK_FALSE(writer.Busy());
  CHECK(writer.counters().errors == 1);
  CHECK(writer.counters().written == 0);
  CHECK_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace lce::store_detail
