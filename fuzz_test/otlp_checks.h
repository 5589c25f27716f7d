// Invariants of the OTLP trace decoders shared by the otlp_json and
// otlp_protobuf fuzz targets (include/otlp/llm_cost_exporter/otlp.h and
// docs/otlp.md are the contract they check):
//   - ParseOtlpTraces agrees with its decoder: it fails exactly when the
//     decoder does, with the decoder's message, an InvalidArgument (never an
//     Internal error: only memory exhaustion may be one) that is printable
//     ASCII and quotes nothing of the input; a refused protobuf body passed
//     no span on;
//   - otherwise every span the decoder reported is one item of the batch, in
//     order: an accepted record or exactly one error, and
//     records + errors == spans reported;
//   - every error names a field (printable ASCII, non-empty) and its message
//     is "span <index>: <kind> \"<field>\": ...";
//   - every accepted record passes the usage record's own checks
//     (CheckRecord of usage_checks.h: labels, ids, parts, idempotency key),
//     carries its span's ids, timestamp, latency, event and failure flag,
//     and its strings are copies owned by the batch (never views into the
//     body), still readable after the body is freed and the batch moved;
//   - parsing is deterministic;
//   - the other encoding agrees: the spans a body decoded to, written again
//     as the other encoding (JSON <-> protobuf), decode to the same spans and
//     map to the same batch.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "llm_cost_exporter/otlp.h"

namespace lce::fuzz {

// Runs every check above on `body` in `encoding`.
void CheckOtlpBody(std::string_view body, OtlpEncoding encoding);

}  // namespace lce::fuzz
