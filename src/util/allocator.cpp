#include "llm_cost_exporter/allocator.h"

#include <malloc.h>

namespace lce {

void ConfigureAllocatorForBatches() {
  constexpr int kMmapThreshold = 64 << 20;
  constexpr int kTrimThreshold = 256 << 20;
  mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
  mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
}

}  // namespace lce
