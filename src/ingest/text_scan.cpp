// A value is scanned in blocks of 16 bytes; each block yields one 16-bit mask
// per character class (bit i: byte i of the block is in the class). The
// portable path walks the blocks of the text; the vector path reads a short
// text as overlapping pieces and a long one's last partial block as its last
// 16 bytes, so no load leaves the text and no byte is copied.
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

// A text of fewer than 16 bytes in one vector, read as overlapping pieces
// without leaving it: every lane in `lanes` holds a byte of the text (some
// bytes twice), the other lanes 0. Enough for "every byte is in the class".
struct ShortText {
  __m128i bytes;
  std::uint32_t lanes;
};

LCE_ALWAYS_INLINE ShortText LoadShort(const char* data, std::size_t n) {
  if (n >= 8) return {_mm_set_epi64x(LoadUnaligned<long long>(data + n - 8), LoadUnaligned<long long>(data)), 0xffff};
  if (n >= 4) return {_mm_set_epi32(0, 0, LoadUnaligned<int>(data + n - 4), LoadUnaligned<int>(data)), 0xff};
  if (n != 0) return {_mm_set_epi8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, data[n - 1], data[n / 2], data[0]), 0x7};
  return {_mm_setzero_si128(), 0};
}

LCE_ALWAYS_INLINE __m128i LoadBlock(const char* data) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(data));
}

// Calls on_block(masks, new_bytes) for each block of a text of 16 bytes or
// more: the whole blocks, then the last 16 bytes (overlapping the block
// before) with the count of bytes not seen before. Every lane is a byte of
// the text.
template <std::size_t K, typename Classify, typename OnBlock>
LCE_ALWAYS_INLINE void LongTextBlocks(std::string_view text, Classify classify, OnBlock on_block) {
  const std::size_t n = text.size();
  std::size_t at = 0;
  for (; at + kBlock <= n; at += kBlock) on_block(classify(LoadBlock(text.data() + at)), kBlock);
  if (at != n) on_block(classify(LoadBlock(text.data() + n - kBlock)), n - at);
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

}  // namespace

LabelTextScan ScanLabelTextPortable(std::string_view text) noexcept {
  bool all_label = true;
  bool all_phone = true;
  RunTracker runs;
  PortableBlocks<3>(text, PortableLabelClasses, [&](const Masks<3>& masks, std::size_t size) {
    const std::uint32_t full = FullMask(size);
    all_label &= masks[0] == full;
    all_phone &= masks[1] == full;
    runs.Add(masks[2], size);
  });
  return LabelTextScan(all_label, all_phone, runs.LongRun());
}

bool AllInCharsetPortable(std::string_view text, IdCharset charset) noexcept {
  const auto classify = [charset](char c) {
    return Masks<1>{(charset == IdCharset::kHex ? IsHexChar(c) : IsRecordIdChar(c)) ? 1u : 0u};
  };
  bool all = true;
  PortableBlocks<1>(text, classify,
                    [&all](const Masks<1>& masks, std::size_t size) { all &= masks[0] == FullMask(size); });
  return all;
}

#if defined(__SSE2__)
LabelTextScan ScanLabelText(std::string_view text) noexcept {
  if (text.size() < kBlock) {  // no run of kSecretRunLength fits
    const ShortText s = LoadShort(text.data(), text.size());
    const Masks<3> masks = VectorLabelClasses(s.bytes);
    return LabelTextScan((masks[0] & s.lanes) == s.lanes, (masks[1] & s.lanes) == s.lanes, false);
  }
  std::uint32_t label = 0xffff;
  std::uint32_t phone = 0xffff;
  RunTracker runs;
  LongTextBlocks<3>(text, VectorLabelClasses, [&](const Masks<3>& masks, std::size_t new_bytes) {
    label &= masks[0];
    phone &= masks[1];
    runs.Add(masks[2] >> (kBlock - new_bytes), new_bytes);  // the runs see each byte once
  });
  return LabelTextScan(label == 0xffff, phone == 0xffff, runs.LongRun());
}

bool AllInCharset(std::string_view text, IdCharset charset) noexcept {
  const auto classify = [charset](__m128i v) { return VectorCharsetClass(v, charset); };
  if (text.size() < kBlock) {
    const ShortText s = LoadShort(text.data(), text.size());
    return (classify(s.bytes)[0] & s.lanes) == s.lanes;
  }
  std::uint32_t all = 0xffff;
  LongTextBlocks<1>(text, classify, [&all](const Masks<1>& masks, std::size_t) { all &= masks[0]; });
  return all == 0xffff;
}
#else
LabelTextScan ScanLabelText(std::string_view text) noexcept { return ScanLabelTextPortable(text); }
bool AllInCharset(std::string_view text, IdCharset charset) noexcept { return AllInCharsetPortable(text, charset); }
#endif

#undef LCE_ALWAYS_INLINE

}  // namespace lce::ingest_detail
