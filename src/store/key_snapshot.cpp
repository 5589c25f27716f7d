#include "key_snapshot.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <new>
#include <utility>

namespace lce::store_detail {
namespace {

constexpr std::uint64_t kMagic = 0x31535945'4b45434cULL;  // "LCEKEYS1" in little-endian byte order
constexpr std::uint32_t kFormat = 1;
constexpr std::size_t kChunkBytes = std::size_t{8} << 20;  // hashed while still in cache

struct Header {
  std::uint64_t magic = kMagic;
  std::uint32_t format = kFormat;
  std::uint32_t slot_bytes = sizeof(DigestSet::Slot);
  std::int64_t last_rowid = 0;
  std::uint64_t last_row_check = 0;
  std::uint64_t has_generation = 0;
  std::int64_t generation_start_unix_ns = 0;
  std::uint64_t current_capacity = 0;
  std::uint64_t current_size = 0;
  std::uint64_t older_capacity = 0;
  std::uint64_t older_size = 0;
  std::uint64_t body_checksum = 0;
  std::uint64_t header_checksum = 0;  // of every byte before it
};
static_assert(sizeof(Header) == 96, "the header is the snapshot format");

std::uint64_t HeaderChecksum(const Header& header) { return XXH3_64bits(&header, offsetof(Header, header_checksum)); }

// A file descriptor closed on destruction.
class File {
 public:
  explicit File(int fd) : fd_(fd) {}
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }
  // Closes now, reporting the error close gives.
  bool Close() { return ::close(std::exchange(fd_, -1)) == 0; }

 private:
  int fd_;
};

Status Errno(const std::string& what, const std::string& path) {
  return Status::IoError(what + " " + path + ": " + std::strerror(errno));
}

bool WriteAll(int fd, const void* data, std::size_t size) {
  const char* next = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t written = ::write(fd, next, std::min(size, kChunkBytes));
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    next += written;
    size -= static_cast<std::size_t>(written);
  }
  return true;
}

bool ReadAll(int fd, void* data, std::size_t size) {
  char* next = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t got = ::read(fd, next, size);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    next += got;
    size -= static_cast<std::size_t>(got);
  }
  return true;
}

std::span<const char> BytesOf(const DigestSet& set) {
  return {reinterpret_cast<const char*>(set.slots().data()), set.bytes()};
}

Header MakeHeader(const KeyIndex& index, const SnapshotMark& mark) {
  Header header;
  header.last_rowid = mark.last_rowid;
  header.last_row_check = mark.last_row_check;
  if (index.generations().start_unix_ns) {
    header.has_generation = 1;
    header.generation_start_unix_ns = *index.generations().start_unix_ns;
  }
  header.current_capacity = index.current().capacity();
  header.current_size = index.current().size();
  header.older_capacity = index.older().capacity();
  header.older_size = index.older().size();
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  for (const DigestSet* set : {&index.current(), &index.older()}) {
    const std::span<const char> bytes = BytesOf(*set);
    if (!bytes.empty()) XXH3_64bits_update(&state, bytes.data(), bytes.size());
  }
  header.body_checksum = XXH3_64bits_digest(&state);
  header.header_checksum = HeaderChecksum(header);
  return header;
}

Status SyncDirectoryOf(const std::string& path) {
  const std::string directory = std::filesystem::path(path).parent_path().string();
  File dir(::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.fd() < 0 || ::fsync(dir.fd()) != 0) return Errno("cannot fsync directory of", path);
  return Status::Ok();
}

// The header's sizes agree with each other and with the file's size.
bool Consistent(const Header& header, std::uint64_t file_size) {
  if (header.magic != kMagic || header.format != kFormat || header.slot_bytes != sizeof(DigestSet::Slot)) return false;
  if (header.header_checksum != HeaderChecksum(header) || header.has_generation > 1) return false;
  const std::uint64_t slots = (file_size - sizeof(Header)) / sizeof(DigestSet::Slot);
  if (header.current_capacity > slots || header.older_capacity > slots - header.current_capacity) return false;
  return sizeof(Header) + (header.current_capacity + header.older_capacity) * sizeof(DigestSet::Slot) == file_size;
}

}  // namespace

std::uint64_t KeyRowCheck(std::string_view key, std::int64_t fingerprint, std::int64_t received_unix_s) {
  const std::int64_t numbers[2] = {fingerprint, received_unix_s};
  return XXH3_64bits_withSeed(key.data(), key.size(), XXH3_64bits(numbers, sizeof numbers));
}

Status WriteKeySnapshot(const std::string& path, const KeyIndex& index, const SnapshotMark& mark) {
  const std::string temporary = path + ".tmp";
  const Header header = MakeHeader(index, mark);
  File file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (file.fd() < 0) return Errno("cannot create", temporary);
  bool written = WriteAll(file.fd(), &header, sizeof header);
  for (const DigestSet* set : {&index.current(), &index.older()}) {
    const std::span<const char> bytes = BytesOf(*set);
    written = written && WriteAll(file.fd(), bytes.data(), bytes.size());
  }
  written = written && ::fsync(file.fd()) == 0;
  if (!file.Close() || !written) {
    const Status error = Errno("cannot write", temporary);
    ::unlink(temporary.c_str());
    return error;
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const Status error = Errno("cannot rename " + temporary + " to", path);
    ::unlink(temporary.c_str());
    return error;
  }
  return SyncDirectoryOf(path);
}

Result<SnapshotMark> ReadKeySnapshot(const std::string& path, KeyIndex& index) {
  File file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.fd() < 0) {
    if (errno == ENOENT) return Status::NotFound("no key snapshot " + path);
    return Errno("cannot open", path);
  }
  struct stat info {};
  if (::fstat(file.fd(), &info) != 0) return Errno("cannot stat", path);
  const auto file_size = static_cast<std::uint64_t>(info.st_size);
  Header header;
  if (file_size < sizeof header || !ReadAll(file.fd(), &header, sizeof header) || !Consistent(header, file_size)) {
    return Status::InvalidArgument("key snapshot " + path + " has a bad header or size");
  }
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  const auto fill = [&](std::span<DigestSet::Slot> slots) {
    char* bytes = reinterpret_cast<char*>(slots.data());
    for (std::size_t done = 0; done < slots.size_bytes();) {
      const std::size_t chunk = std::min(kChunkBytes, slots.size_bytes() - done);
      if (!ReadAll(file.fd(), bytes + done, chunk)) return false;
      XXH3_64bits_update(&state, bytes + done, chunk);
      done += chunk;
    }
    return true;
  };
  DigestSet current;
  DigestSet older;
  bool read = false;
  try {
    read = current.Adopt(header.current_capacity, fill) && older.Adopt(header.older_capacity, fill);
  } catch (const std::bad_alloc&) {
    return Status::Internal("out of memory while reading key snapshot " + path);
  }
  if (!read || XXH3_64bits_digest(&state) != header.body_checksum || current.size() != header.current_size ||
      older.size() != header.older_size) {
    return Status::InvalidArgument("key snapshot " + path + " is corrupt (short, checksum or counts)");
  }
  KeyGenerations generations;
  if (header.has_generation == 1) generations.start_unix_ns = header.generation_start_unix_ns;
  index.Restore(std::move(current), std::move(older), generations);
  return SnapshotMark{header.last_rowid, header.last_row_check};
}

}  // namespace lce::store_detail
