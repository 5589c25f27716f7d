#include "snapshot_writer.h"

#include <chrono>
#include <new>
#include <utility>

namespace lce::store_detail {

KeySnapshotWriter::~KeySnapshotWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool KeySnapshotWriter::Busy() const {
  std::lock_guard lock(mutex_);
  return state_ != State::kIdle;
}

void KeySnapshotWriter::Prepare(std::size_t current_capacity, std::size_t older_capacity) {
  {
    std::lock_guard lock(mutex_);
    if (state_ != State::kIdle || stopping_) return;
    want_current_ = current_capacity;
    want_older_ = older_capacity;
    state_ = State::kPreparing;
  }
  if (!thread_.joinable()) {
    try {
      thread_ = std::thread([this] { Run(); });
    } catch (const std::exception&) {  // no thread: no snapshot while running
      std::lock_guard lock(mutex_);
      state_ = State::kIdle;
      errors_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  cv_.notify_all();
}

KeySnapshotWriter::Capture KeySnapshotWriter::TryCapture(const KeyIndex& index,
                                                         const std::function<Result<SnapshotMark>()>& mark) {
  std::unique_lock lock(mutex_);
  if (state_ != State::kReady) return Capture::kNotReady;
  const auto started = std::chrono::steady_clock::now();
  if (!buffers_.CopyFrom(index)) {  // the index grew since Prepare
    buffers_ = KeyIndex();
    want_current_ = index.current().capacity();
    want_older_ = index.older().capacity();
    state_ = State::kPreparing;
    lock.unlock();
    cv_.notify_all();
    return Capture::kResized;
  }
  Result<SnapshotMark> last = mark();
  if (!last.ok()) {
    buffers_ = KeyIndex();
    state_ = State::kIdle;
    errors_.fetch_add(1, std::memory_order_relaxed);
    return Capture::kFailed;
  }
  mark_ = *last;
  state_ = State::kWriting;
  const auto copy_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - started);
  last_copy_ns_.store(static_cast<std::uint64_t>(copy_ns.count()), std::memory_order_relaxed);
  lock.unlock();
  cv_.notify_all();
  return Capture::kCaptured;
}

KeySnapshotWriter::Counters KeySnapshotWriter::counters() const {
  Counters counters;
  counters.written = written_.load(std::memory_order_relaxed);
  counters.errors = errors_.load(std::memory_order_relaxed);
  counters.last_copy_seconds = static_cast<double>(last_copy_ns_.load(std::memory_order_relaxed)) / 1e9;
  return counters;
}

void KeySnapshotWriter::Run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || state_ == State::kPreparing || state_ == State::kWriting; });
    if (state_ == State::kWriting) {
      WriteCaptured(lock);  // a captured snapshot is written even when stopping
    } else if (state_ == State::kPreparing && !stopping_) {
      PrepareBuffers(lock);
    } else {
      buffers_ = KeyIndex();
      state_ = State::kIdle;
      return;  // stopping
    }
  }
}

// Called and returning with `lock` held; allocates without it. The wanted
// sizes cannot change meanwhile: only Prepare (when idle) and TryCapture
// (when ready) set them.
void KeySnapshotWriter::PrepareBuffers(std::unique_lock<std::mutex>& lock) {
  const std::size_t current = want_current_;
  const std::size_t older = want_older_;
  lock.unlock();
  KeyIndex blank;
  bool allocated = true;
  try {
    blank = KeyIndex::Prefaulted(current, older);
  } catch (const std::bad_alloc&) {
    allocated = false;
  }
  lock.lock();
  if (allocated) {
    buffers_ = std::move(blank);
    state_ = State::kReady;
  } else {
    errors_.fetch_add(1, std::memory_order_relaxed);
    state_ = State::kIdle;
  }
}

// Called and returning with `lock` held; writes without it.
void KeySnapshotWriter::WriteCaptured(std::unique_lock<std::mutex>& lock) {
  KeyIndex index = std::move(buffers_);
  const SnapshotMark mark = mark_;
  lock.unlock();
  const Status written = WriteKeySnapshot(path_, index, mark);
  index = KeyIndex();  // the doubled memory goes before the next request
  (written.ok() ? written_ : errors_).fetch_add(1, std::memory_order_relaxed);
  lock.lock();
  state_ = State::kIdle;
}

}  // namespace lce::store_detail
