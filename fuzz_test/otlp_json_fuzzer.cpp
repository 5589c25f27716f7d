// Fuzz target: the OTLP/HTTP JSON trace decoder (DecodeOtlpJson) and the
// span mapping behind it (ParseOtlpTraces), with the invariants of
// otlp_checks.h; the spans a body decodes to are also written as protobuf
// and must decode and map the same.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "otlp_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  lce::fuzz::CheckOtlpBody(body, lce::OtlpEncoding::kJson);
  return 0;
}
