// LoadYamlDocument: the one way the exporter reads YAML (the config, the API
// keys and web config documents, every price table), so the same guards hold
// everywhere:
//   - exactly one document (an empty text may be allowed: the config's
//     defaults), counted with yaml-cpp's event parser first, because on some
//     malformed texts (a "," outside any flow collection) yaml-cpp 0.7's
//     LoadAll yields empty documents forever without consuming input;
//   - no mapping anywhere in the document repeats a key (yaml-cpp keeps both
//     and lookups see the first, so a repeated key would be silently lost);
//   - every yaml-cpp exception stops here, as a Status naming the source and
//     line ("t.yaml:11: invalid YAML: ...").
// The node it returns is then read by the caller; yaml-cpp stays private to
// the modules that read YAML (this header is not public). Thread-safe: no
// shared state.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

#include "llm_cost_exporter/status.h"

namespace lce::yaml {

enum class Empty { kAllowed, kRefused };

// On success the document's root (a Null node for an allowed empty text).
Result<YAML::Node> LoadYamlDocument(const std::string& text, const std::string& source, Empty empty);

}  // namespace lce::yaml
