// CopySmall and EqualSmall: memcpy and memcmp-for-equality for the short
// strings of the per-record paths (label values, ids), without a library
// call.
//
// The hot paths lay a record's short strings end to end (hash keys, the
// content fingerprint) and compare them with stored keys a dozen times per
// record. A memcpy or memcmp of a run-time length is a call into libc that
// dispatches on the length; for the typical 4 to 32 bytes that dispatch
// costs more than the work. These handle such lengths as two overlapping
// fixed-size moves or compares (the compiler emits plain loads and stores)
// and hand longer ones to libc. They read and write exactly the n bytes of
// their ranges, nothing past them.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace lce {

// The sizeof(Word) bytes at p as a Word, in the machine's byte order (a
// memcpy the compiler makes one load).
template <typename Word>
inline Word LoadWord(const char* p) {
  Word word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

namespace small_bytes_detail {

// Copies n bytes, kWidth <= n <= 2 * kWidth, as the first and the last
// kWidth bytes (overlapping when n < 2 * kWidth).
template <std::size_t kWidth>
inline void CopyTwoMoves(char* dst, const char* src, std::size_t n) {
  char head[kWidth];
  char tail[kWidth];
  std::memcpy(head, src, kWidth);
  std::memcpy(tail, src + n - kWidth, kWidth);
  std::memcpy(dst, head, kWidth);
  std::memcpy(dst + n - kWidth, tail, kWidth);
}

// Whether n bytes are equal, sizeof(Word) <= n <= 2 * sizeof(Word): the
// first and the last sizeof(Word) bytes of each.
template <typename Word>
inline bool EqualTwoWords(const char* a, const char* b, std::size_t n) {
  const std::size_t last = n - sizeof(Word);
  return ((LoadWord<Word>(a) ^ LoadWord<Word>(b)) | (LoadWord<Word>(a + last) ^ LoadWord<Word>(b + last))) == 0;
}

}  // namespace small_bytes_detail

// Copies n bytes from src to dst (ranges must not overlap).
inline void CopySmall(char* dst, const char* src, std::size_t n) {
  using small_bytes_detail::CopyTwoMoves;
  if (n >= 16) {
    if (n <= 32) return CopyTwoMoves<16>(dst, src, n);
    std::memcpy(dst, src, n);
    return;
  }
  if (n >= 8) return CopyTwoMoves<8>(dst, src, n);
  if (n >= 4) return CopyTwoMoves<4>(dst, src, n);
  if (n == 0) return;
  // 1 to 3 bytes: the first, the middle and the last cover them all.
  const char first = src[0];
  const char middle = src[n / 2];
  const char last = src[n - 1];
  dst[0] = first;
  dst[n / 2] = middle;
  dst[n - 1] = last;
}

// Whether the n bytes at a and at b are equal.
inline bool EqualSmall(const char* a, const char* b, std::size_t n) {
  using small_bytes_detail::EqualTwoWords;
  if (n >= 8) {
    if (n <= 16) return EqualTwoWords<std::uint64_t>(a, b, n);
    if (n <= 32) {  // the first and the last 16 bytes
      return EqualTwoWords<std::uint64_t>(a, b, 16) && EqualTwoWords<std::uint64_t>(a + n - 16, b + n - 16, 16);
    }
    return std::memcmp(a, b, n) == 0;
  }
  if (n >= 4) return EqualTwoWords<std::uint32_t>(a, b, n);
  if (n == 0) return true;
  return a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1];
}

// Whether two strings are equal (their sizes, then EqualSmall of their bytes).
template <typename A, typename B>
inline bool EqualStrings(const A& a, const B& b) {
  return a.size() == b.size() && EqualSmall(a.data(), b.data(), a.size());
}

}  // namespace lce
