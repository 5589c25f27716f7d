#include "llm_cost_exporter/string_hash.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace lce {

std::size_t HashString(std::string_view bytes) noexcept {
  return static_cast<std::size_t>(XXH3_64bits(bytes.data(), bytes.size()));
}

}  // namespace lce
