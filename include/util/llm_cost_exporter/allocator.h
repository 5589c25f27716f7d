// Process-wide allocator settings for a batch workload.
#pragma once

namespace lce {

// Keeps glibc malloc from returning freed memory to the kernel between
// requests: an ingest request allocates and frees a few MB (records, priced
// results, ledger entries), and with the default heap trimming and dynamic
// mmap threshold those pages were unmapped and faulted in again for every
// batch (docs/benchmarks.md: 238,000 page faults per benchmark run, half the
// time). Sets M_MMAP_THRESHOLD to 64 MiB and M_TRIM_THRESHOLD to 256 MiB, so
// up to 256 MiB of freed heap stays mapped for the next request. Call once,
// early in main, before threads start. Not thread-safe.
void ConfigureAllocatorForBatches();

}  // namespace lce
