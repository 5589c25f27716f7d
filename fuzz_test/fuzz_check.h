// LCE_FUZZ_CHECK: an invariant of a fuzz target. Unlike assert() it is never
// compiled out (the fuzz build is RelWithDebInfo, so NDEBUG is set); a
// failure prints the condition and aborts, which libFuzzer reports as a crash
// and saves the input as a reproducer.
#pragma once

#include <cstdio>
#include <cstdlib>

#define LCE_FUZZ_CHECK(condition)                                                            \
  do {                                                                                       \
    if (!(condition)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)
