// A realistic usage-record workload shared by the benchmarks: a mix of LLM
// calls (several vendors, models, campaigns, cache and reasoning tokens,
// retries) and business events, as NDJSON with unique event ids.
#pragma once

#include <cstddef>
#include <string>

namespace lce::bench {

// `count` records as NDJSON; `id_prefix` keeps event ids unique across bodies.
std::string MakeNdjson(std::size_t count, const std::string& id_prefix);

}  // namespace lce::bench
