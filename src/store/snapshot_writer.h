// KeySnapshotWriter: key snapshots written while the ledger runs, costing its
// writer thread no more than a memcpy of the index. In three steps:
//  1. Prepare: the writer asks for buffers of the index's capacities; this
//     object's thread allocates them and faults their pages in (writing
//     hundreds of MB of fresh memory is most of a copy's cost).
//  2. TryCapture: the writer, between two groups (when the index holds
//     exactly the committed keys), copies the index and the mark of the last
//     key row into the buffers once they are ready, or asks for new ones
//     when the index has grown meanwhile.
//  3. The thread writes them as the snapshot (WriteKeySnapshot: a temporary
//     file, fsync, rename) and frees them: the memory is doubled only from
//     Prepare to the end of the write.
//
// Thread safety: Busy, Prepare and TryCapture are called from one thread
// (the ledger's writer); counters() from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "key_index.h"
#include "key_snapshot.h"

namespace lce::store_detail {

class KeySnapshotWriter {
 public:
  explicit KeySnapshotWriter(std::string path) : path_(std::move(path)) {}
  // Waits for a write under way (a prepared or captured-but-unwritten
  // snapshot is dropped only if its write has not begun), then stops.
  ~KeySnapshotWriter();
  KeySnapshotWriter(const KeySnapshotWriter&) = delete;
  KeySnapshotWriter& operator=(const KeySnapshotWriter&) = delete;

  // True from Prepare until that snapshot is written or given up.
  bool Busy() const;
  // Starts allocating buffers for an index of these capacities.
  void Prepare(std::size_t current_capacity, std::size_t older_capacity);

  enum class Capture : std::uint8_t {
    kNotReady,  // nothing prepared, or the buffers are not ready yet
    kCaptured,  // copied: the thread writes it now
    kResized,   // the index's capacities changed: new buffers are being prepared
    kFailed,    // `mark` failed: given up (counted as an error)
  };
  // Copies `index` and `mark()` into the prepared buffers, if ready.
  Capture TryCapture(const KeyIndex& index, const std::function<Result<SnapshotMark>()>& mark);

  struct Counters {
    std::uint64_t written = 0;
    std::uint64_t errors = 0;      // failed allocations, marks and writes
    double last_copy_seconds = 0;  // the writer's pause in the last capture
  };
  Counters counters() const;

 private:
  enum class State : std::uint8_t { kIdle, kPreparing, kReady, kWriting };

  void Run();
  void PrepareBuffers(std::unique_lock<std::mutex>& lock);
  void WriteCaptured(std::unique_lock<std::mutex>& lock);

  const std::string path_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  State state_ = State::kIdle;
  bool stopping_ = false;
  std::size_t want_current_ = 0;
  std::size_t want_older_ = 0;
  KeyIndex buffers_;
  SnapshotMark mark_;
  std::thread thread_;  // started by the first Prepare

  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::uint64_t> last_copy_ns_{0};
};

}  // namespace lce::store_detail
