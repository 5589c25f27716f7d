// A value is scanned in blocks of 16 bytes; each block yields one 16-bit mask
// per character class (bit i: byte i of the block is in the class). The
// vector and the portable path differ only in how a block's masks are made.
#include "text_scan.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace lce::ingest_detail {
namespace {

constexpr std::size_t kBlock = 16;

// The block helpers are small and called once per block: inlined, so their
// masks stay in registers (returned through memory, they stalled on store
// forwarding).
#define LCE_ALWAYS_INLINE [[gnu::always_inline]] inline

// The masks of one block, one per class: bit i set when byte i of the
// block is in the class; bits past the block's size are 0.
template <std::size_t K>
using Masks = std::array<std::uint32_t, K>;

constexpr std::uint32_t FullMask(std::size_t size) { return (std::uint32_t{1} << size) - 1; }

// ---- portable ----------------------------------------------------------------

constexpr bool InRange(char c, char lo, char hi) { return c >= lo && c <= hi; }
constexpr bool IsLetter(char c) { return InRange(c, 'a', 'z') || InRange(c, 'A', 'Z'); }
constexpr bool IsDigit(char c) { return InRange(c, '0', '9'); }
constexpr bool IsLabelChar(char c) { return IsLetter(c) || InRange(c, '-', ':') || c == '_'; }  // - . / 0-9 :
constexpr bool IsPhoneLabelChar(char c) { return IsDigit(c) || c == '-' || c == '.'; }
constexpr bool IsHexChar(char c) { return IsDigit(c) || InRange(c, 'a', 'f') || InRange(c, 'A', 'F'); }
constexpr bool IsRecordIdChar(char c) {
  return IsLetter(c) || InRange(c, '0', ':') || c == '-' || c == '.' || c == '_';
}

// Calls on_block(masks, size) for each block of `text`, in order; `classify`
// gives the masks of one character (bit 0 set or not).
template <std::size_t K, typename Classify, typename OnBlock>
void PortableBlocks(std::string_view text, Classify classify, OnBlock on_block) {
  for (std::size_t at = 0; at < text.size(); at += kBlock) {
    const std::size_t size = std::min(kBlock, text.size() - at);
    Masks<K> masks{};
    for (std::size_t i = 0; i < size; ++i) {
      const Masks<K> one = classify(text[at + i]);
      for (std::size_t k = 0; k < K; ++k) masks[k] |= one[k] << i;
    }
    on_block(masks, size);
  }
}

Masks<3> PortableLabelClasses(char c) {
  return {IsLabelChar(c) ? 1u : 0u, IsPhoneLabelChar(c) ? 1u : 0u, IsLetter(c) || IsDigit(c) ? 1u : 0u};
}

// ---- SSE2 --------------------------------------------------------------------

#if defined(__SSE2__)

// Bytes in [lo, hi] (ASCII, hi < 0x7f). Compares are signed, so bytes of
// 0x80 and above are negative and in no range.
LCE_ALWAYS_INLINE __m128i InRange(__m128i v, char lo, char hi) {
  return _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(static_cast<char>(lo - 1))),
                       _mm_cmplt_epi8(v, _mm_set1_epi8(static_cast<char>(hi + 1))));
}

// ASCII letters: setting bit 5 maps 'A'-'Z' onto 'a'-'z', and no byte
// outside either range onto 'a'-'z'.
LCE_ALWAYS_INLINE __m128i Letters(__m128i v) { return InRange(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z'); }

LCE_ALWAYS_INLINE std::uint32_t Bits(__m128i v) { return static_cast<std::uint32_t>(_mm_movemask_epi8(v)); }

template <typename T>
T LoadUnaligned(const char* data) {
  T value;
  std::memcpy(&value, data, sizeof value);
  return value;
}

// The last bytes of a text, read without leaving it: a short text or a
// last partial block is loaded as overlapping pieces (Load), whose mask
// bits Place then puts back at their positions.
class Tail {
 public:
  Tail(const char* data, std::size_t n, std::size_t rest) : data_(data), n_(n), rest_(rest) {}

  __m128i Load() const {
    if (n_ >= kBlock) return _mm_loadu_si128(reinterpret_cast<const __m128i*>(data_ + n_ - kBlock));
    if (n_ >= 8) return _mm_set_epi64x(LoadUnaligned<long long>(data_ + n_ - 8), LoadUnaligned<long long>(data_));
    if (n_ >= 4) return _mm_set_epi32(0, 0, LoadUnaligned<int>(data_ + n_ - 4), LoadUnaligned<int>(data_));
    return _mm_set_epi8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, data_[n_ - 1], data_[n_ / 2], data_[0]);
  }

  std::uint32_t Place(std::uint32_t m) const {
    if (n_ >= kBlock) return m >> (kBlock - rest_);                    // the last 16 bytes: keep the new ones
    if (n_ >= 8) return (m & 0xffu) | ((m >> 8) << (n_ - 8));          // bytes 0-7 and n-8..n-1
    if (n_ >= 4) return (m & 0xfu) | (((m >> 4) & 0xfu) << (n_ - 4));  // bytes 0-3 and n-4..n-1
    return (m & 1u) | (((m >> 1) & 1u) << (n_ / 2)) | (((m >> 2) & 1u) << (n_ - 1));  // bytes 0, n/2, n-1
  }

 private:
  const char* data_;
  std::size_t n_;
  std::size_t rest_;
};

// Calls on_block(masks, size) for each block of `text`, in order, with
// `classify` (a vector of 16 bytes -> its masks). Every load stays inside
// `text`.
template <std::size_t K, typename Classify, typename OnBlock>
LCE_ALWAYS_INLINE void VectorBlocks(std::string_view text, Classify classify, OnBlock on_block) {
  const char* data = text.data();
  const std::size_t n = text.size();
  std::size_t at = 0;
  for (; at + kBlock <= n; at += kBlock) {
    on_block(classify(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data + at))), kBlock);
  }
  const std::size_t rest = n - at;
  if (rest == 0) return;
  const Tail tail(data, n, rest);
  Masks<K> masks = classify(tail.Load());
  for (std::uint32_t& mask : masks) mask = tail.Place(mask);
  on_block(masks, rest);
}

LCE_ALWAYS_INLINE Masks<3> VectorLabelClasses(__m128i v) {
  const __m128i letters = Letters(v);
  const __m128i digits = InRange(v, '0', '9');
  const __m128i dash_dot = InRange(v, '-', '.');
  const __m128i slash_colon =
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('/')), _mm_cmpeq_epi8(v, _mm_set1_epi8(':')));
  const __m128i underscore = _mm_cmpeq_epi8(v, _mm_set1_epi8('_'));
  const __m128i alnum = _mm_or_si128(letters, digits);
  const __m128i phone = _mm_or_si128(digits, dash_dot);
  const __m128i label = _mm_or_si128(_mm_or_si128(alnum, dash_dot), _mm_or_si128(slash_colon, underscore));
  return {Bits(label), Bits(phone), Bits(alnum)};
}

LCE_ALWAYS_INLINE Masks<1> VectorCharsetClass(__m128i v, IdCharset charset) {
  if (charset == IdCharset::kHex) {
    const __m128i hex_letters = InRange(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'f');
    return {Bits(_mm_or_si128(InRange(v, '0', '9'), hex_letters))};
  }
  const __m128i punct = _mm_or_si128(InRange(v, '-', '.'), _mm_cmpeq_epi8(v, _mm_set1_epi8('_')));
  return {Bits(_mm_or_si128(_mm_or_si128(Letters(v), InRange(v, '0', ':')), punct))};
}

#endif

// ---- shared ----------------------------------------------------------------------

// Follows runs of letters and digits across blocks. A run that touches no
// block edge is at most 14 < kSecretRunLength long, so only the runs at
// the edges are followed.
class RunTracker {
 public:
  void Add(std::uint32_t alnum, std::size_t size) {
    if (alnum == FullMask(size)) {
      run_ += size;
      return;
    }
    const auto leading = static_cast<std::size_t>(std::countr_one(alnum));
    long_run_ |= run_ + leading >= kSecretRunLength;
    run_ = static_cast<std::size_t>(std::countl_one(alnum << (32 - size)));
  }
  bool LongRun() const { return long_run_ || run_ >= kSecretRunLength; }

 private:
  std::size_t run_ = 0;  // letters and digits at the end of what was added
  bool long_run_ = false;
};

// The label scan over blocks made by `blocks(text, on_block)`.
template <typename Blocks>
LCE_ALWAYS_INLINE LabelTextScan ScanLabelBlocks(std::string_view text, Blocks blocks) {
  bool all_label = true;
  bool all_phone = true;
  RunTracker runs;
  blocks(text, [&](const Masks<3>& masks, std::size_t size) {
    const std::uint32_t full = FullMask(size);
    all_label &= masks[0] == full;
    all_phone &= masks[1] == full;
    runs.Add(masks[2], size);
  });
  return LabelTextScan(all_label, all_phone, runs.LongRun());
}

template <typename Blocks>
LCE_ALWAYS_INLINE bool AllInBlocks(std::string_view text, Blocks blocks) {
  bool all = true;
  blocks(text, [&all](const Masks<1>& masks, std::size_t size) { all &= masks[0] == FullMask(size); });
  return all;
}

}  // namespace

LabelTextScan ScanLabelTextPortable(std::string_view text) noexcept {
  return ScanLabelBlocks(
      text, [](std::string_view t, auto on_block) { PortableBlocks<3>(t, PortableLabelClasses, on_block); });
}

bool AllInCharsetPortable(std::string_view text, IdCharset charset) noexcept {
  return AllInBlocks(text, [charset](std::string_view t, auto on_block) {
    PortableBlocks<1>(
        t,
        [charset](char c) {
          return Masks<1>{(charset == IdCharset::kHex ? IsHexChar(c) : IsRecordIdChar(c)) ? 1u : 0u};
        },
        on_block);
  });
}

#if defined(__SSE2__)
LabelTextScan ScanLabelText(std::string_view text) noexcept {
  return ScanLabelBlocks(text,
                         [](std::string_view t, auto on_block) { VectorBlocks<3>(t, VectorLabelClasses, on_block); });
}

bool AllInCharset(std::string_view text, IdCharset charset) noexcept {
  return AllInBlocks(text, [charset](std::string_view t, auto on_block) {
    VectorBlocks<1>(
        t, [charset](__m128i v) { return VectorCharsetClass(v, charset); }, on_block);
  });
}
#else
LabelTextScan ScanLabelText(std::string_view text) noexcept { return ScanLabelTextPortable(text); }
bool AllInCharset(std::string_view text, IdCharset charset) noexcept { return AllInCharsetPortable(text, charset); }
#endif

#undef LCE_ALWAYS_INLINE

}  // namespace lce::ingest_detail
