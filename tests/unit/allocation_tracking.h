// Replaces global operator new for the test binary whose one source file
// includes this header (never include it twice in one binary): every
// allocation is counted per thread, and the largest single one is kept, so
// a test can check that a path allocates nothing, or how much memory it may
// cost.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace lce::test {

// Allocations made by this thread so far.
inline thread_local std::size_t g_allocations = 0;
// The largest single allocation (any thread) since it was last set to 0.
inline std::atomic<std::size_t> g_largest_allocation{0};

inline void* Allocate(std::size_t size) noexcept {
  ++g_allocations;
  std::size_t seen = g_largest_allocation.load(std::memory_order_relaxed);
  while (size > seen && !g_largest_allocation.compare_exchange_weak(seen, size, std::memory_order_relaxed)) {
  }
  return std::malloc(size == 0 ? 1 : size);
}

}  // namespace lce::test

// Every unaligned form is replaced, so each pair allocates and frees alike.
void* operator new(std::size_t size) {
  if (void* p = lce::test::Allocate(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return lce::test::Allocate(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return lce::test::Allocate(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
