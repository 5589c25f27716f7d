// CopySmall: memcpy for the short strings of the per-record paths (label
// values, ids), without a library call.
//
// The hot paths lay a record's short strings end to end (hash keys, the
// content fingerprint) a dozen times per record. A memcpy of a run-time
// length is a call into libc that dispatches on the length; for the typical
// 4 to 32 bytes that dispatch costs more than the copy. CopySmall copies such
// lengths as two overlapping fixed-size moves (the compiler emits plain loads
// and stores) and hands longer ones to memcpy. It reads and writes exactly
// the n bytes of its ranges, nothing past them.
//
// Thread safety: a pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace lce {

namespace small_copy_detail {

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

}  // namespace small_copy_detail

// Copies n bytes from src to dst (ranges must not overlap).
inline void CopySmall(char* dst, const char* src, std::size_t n) {
  using small_copy_detail::CopyTwoMoves;
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

}  // namespace lce
