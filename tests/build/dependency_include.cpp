// Compiled as a pricing source: ingest is a dependency of pricing.
#include "llm_cost_exporter/ingest.h"

int ProbeDependencyInclude() { return static_cast<int>(lce::kTokenTypeCount); }
