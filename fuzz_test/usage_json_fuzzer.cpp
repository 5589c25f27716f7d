// Fuzz target: ParseBatch on a JSON body (BodyFormat::kJson), one record or
// an array of records. Checks the invariants of usage_checks.h and the body
// layout rules: a body nlohmann::json accepts (object or array root, within
// the nesting limit) is read, one is refused only when it is malformed, an
// object is record 0, and an array's elements are its records, with
// non-objects rejected as not_an_object.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "usage_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lce;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const IngestOptions options;
  const Result<Batch> result = fuzz::ParseAndCheck(body, BodyFormat::kJson, options);

  if (!fuzz::ComparableWithNlohmann(body)) return 0;
  const fuzz::JsonShape shape = fuzz::InspectJson(body);
  if (shape.stricter) return 0;
  const bool readable = shape.valid && (shape.root == '{' || shape.root == '[');
  if (result.ok()) LCE_FUZZ_CHECK(readable);
  if (readable && shape.max_depth <= fuzz::kSafeDepth) LCE_FUZZ_CHECK(result.ok());
  if (!result.ok()) return 0;

  const std::vector<int> outcomes = fuzz::Outcomes(*result);
  const auto not_an_object = static_cast<int>(RejectReason::kNotAnObject);
  const auto malformed = static_cast<int>(RejectReason::kMalformedJson);
  if (shape.root == '{') {
    LCE_FUZZ_CHECK(outcomes.size() == 1);
    LCE_FUZZ_CHECK(outcomes[0] != not_an_object && outcomes[0] != malformed);
    return 0;
  }
  LCE_FUZZ_CHECK(outcomes.size() == shape.element_is_object.size());
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    LCE_FUZZ_CHECK(outcomes[i] != malformed);
    LCE_FUZZ_CHECK((outcomes[i] == not_an_object) == !shape.element_is_object[i]);
  }
  return 0;
}
