// RecordFingerprint: XXH3-64 over a canonical encoding of the fields that
// change what a record counts (see ingest.h and docs/usage-record.md).
//
// The value is stored with each idempotency key in the ledger, so the
// encoding is an on-disk format: changing a field, its tag or its order
// changes every fingerprint and needs a ledger schema version of its own.
// Each field is a tag byte followed by its value: strings as a 4-byte
// little-endian length and their bytes, integers as 8 little-endian bytes; absent
// optional values are left out (their tag too), so "absent" and "empty"
// or "zero" differ only where the schema lets them differ.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <vector>

#include "llm_cost_exporter/ingest.h"
#include "llm_cost_exporter/small_bytes.h"

namespace lce {
namespace {

enum Tag : char {
  kEvent = 'e',
  kTimestamp = 't',
  kService = 's',
  kOperation = 'o',
  kCampaign = 'c',
  kAudience = 'a',
  kVendor = 'v',
  kModel = 'm',
  kServiceTier = 'r',
  kPromptVersion = 'p',
  kReservation = 'h',
  kTokens = 'k',
  kUnit = 'u',
  kAttempt = 'n',
  kLatency = 'l',
  kStatus = 'x',
  kFailed = 'f',
};

// Accumulates the encoding in a stack buffer large enough for typical
// records; when it fills, the bytes so far are hashed and that hash seeds
// the rest (a chain), so a record of any size is hashed without allocating.
// The chain points depend only on the encoded sizes, so equal records give
// equal fingerprints. An unchained record is XXH3_64bits of its encoding
// (seed 0 is the unseeded hash by XXH3's definition).
class Encoder {
 public:
  void String(Tag tag, std::string_view text) {
    if (text.empty()) return;
    const auto size = static_cast<std::uint32_t>(text.size());
    Reserve(1 + sizeof size);
    *cursor_++ = tag;
    std::memcpy(cursor_, &size, sizeof size);
    cursor_ += sizeof size;
    if (text.size() > kCapacity) {  // longer than the buffer: hashed on its own
      Flush();
      seed_ = XXH3_64bits_withSeed(text.data(), text.size(), seed_);
      return;
    }
    Reserve(text.size());
    CopySmall(cursor_, text.data(), text.size());
    cursor_ += text.size();
  }
  void Number(Tag tag, std::uint64_t value) {
    Reserve(1 + sizeof value);
    *cursor_++ = tag;
    std::memcpy(cursor_, &value, sizeof value);
    cursor_ += sizeof value;
  }
  std::uint64_t Finish() {
    Flush();
    return seed_ == 0 ? 1 : seed_;  // 0 means "unknown" in the ledger
  }

 private:
  // The stored encoding is little-endian (numbers are copied as they are).
  static_assert(std::endian::native == std::endian::little, "the fingerprint encoding is little-endian");
  static constexpr std::size_t kCapacity = 1024;

  void Reserve(std::size_t bytes) {
    if (static_cast<std::size_t>(buffer_.data() + kCapacity - cursor_) < bytes) Flush();
  }
  void Flush() {
    const auto used = static_cast<std::size_t>(cursor_ - buffer_.data());
    if (used == 0) return;
    seed_ = XXH3_64bits_withSeed(buffer_.data(), used, seed_);
    cursor_ = buffer_.data();
  }

  std::array<char, kCapacity> buffer_;
  char* cursor_ = buffer_.data();
  std::uint64_t seed_ = 0;
};

void EncodeUnits(const std::vector<UnitCount>& units, Encoder& out) {
  auto encode = [&out](const UnitCount& unit) {
    out.String(kUnit, unit.unit);
    out.Number(kUnit, unit.count);
  };
  if (units.size() <= 1) {
    for (const UnitCount& unit : units) encode(unit);
    return;
  }
  // Unit names are unique within a record; their order in the body is not content.
  std::vector<const UnitCount*> sorted;
  sorted.reserve(units.size());
  for (const UnitCount& unit : units) sorted.push_back(&unit);
  std::sort(sorted.begin(), sorted.end(), [](const UnitCount* a, const UnitCount* b) { return a->unit < b->unit; });
  for (const UnitCount* unit : sorted) encode(*unit);
}

}  // namespace

std::uint64_t RecordFingerprint(const UsageRecord& record) {
  Encoder out;
  out.String(kEvent, record.event);
  // A timestamp the client left out is the receive time, which differs on a
  // retry: only a given timestamp is content.
  if (record.timestamp_given) out.Number(kTimestamp, static_cast<std::uint64_t>(record.timestamp_unix_ns));
  out.String(kService, record.service);
  out.String(kOperation, record.operation);
  out.String(kCampaign, record.campaign_id);
  out.String(kAudience, record.audience_id);
  out.String(kVendor, record.vendor);
  out.String(kModel, record.model);
  out.String(kServiceTier, record.service_tier);
  out.String(kPromptVersion, record.prompt_version);
  out.String(kReservation, record.reservation_id);
  if (record.has_token_usage) {
    for (std::uint64_t count : record.tokens.count) out.Number(kTokens, count);
  }
  EncodeUnits(record.units, out);
  out.Number(kAttempt, record.attempt);
  if (record.has_latency) out.Number(kLatency, static_cast<std::uint64_t>(record.latency_us));
  out.Number(kStatus, record.vendor_status);
  out.Number(kFailed, record.failed ? 1 : 0);
  return out.Finish();
}

}  // namespace lce
