// Compiled as a pricing source: the store is not a dependency of pricing, so
// its header is not on the include path and this must not compile.
#include "llm_cost_exporter/ledger.h"

int ProbeNonDependencyInclude() { return 0; }
