#include "yaml_document.h"

#include <yaml-cpp/eventhandler.h>

#include <set>
#include <sstream>
#include <utility>
#include <vector>

namespace lce::yaml {
namespace {

// Sees a document's events and ignores them: only documents are counted.
class IgnoreEvents final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// The number of YAML documents in `text`, counting no further than `limit`.
std::size_t CountDocuments(const std::string& text, std::size_t limit) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  IgnoreEvents events;
  std::size_t count = 0;
  while (count < limit && parser.HandleNextDocument(events)) ++count;
  return count;
}

std::string At(const std::string& source, const YAML::Mark& mark) {
  return mark.is_null() ? source : source + ":" + std::to_string(mark.line + 1);
}

// The first repeated key of any mapping in the tree, walked with an explicit
// stack (a document may nest deeply); ok when there is none. Aliases point
// at nodes already visited, so each node is checked once.
Status CheckNoDuplicateKeys(const YAML::Node& root, const std::string& source) {
  std::vector<std::pair<YAML::Node, std::string>> pending = {{root, ""}};
  while (!pending.empty()) {
    auto [node, path] = std::move(pending.back());
    pending.pop_back();
    if (node.IsSequence()) {
      for (std::size_t i = 0; i < node.size(); ++i) pending.emplace_back(node[i], path + "[" + std::to_string(i) + "]");
      continue;
    }
    if (!node.IsMap()) continue;
    std::set<std::string> seen;
    for (const auto& entry : node) {
      const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : std::string();
      const std::string key_path = path.empty() ? key : path + "." + key;
      if (entry.first.IsScalar() && !seen.insert(key).second) {
        return Status::InvalidArgument(At(source, entry.first.Mark()) + ": " + key_path + ": duplicate key");
      }
      pending.emplace_back(entry.second, key_path);
    }
  }
  return Status::Ok();
}

}  // namespace

Result<YAML::Node> LoadYamlDocument(const std::string& text, const std::string& source, Empty empty) {
  try {
    const std::size_t documents = CountDocuments(text, 2);
    if (documents == 0 && empty == Empty::kAllowed) return YAML::Node();
    if (documents != 1) {
      return Status::InvalidArgument(source + ": expected exactly one YAML document, found " +
                                     (documents == 0 ? "0" : "2 or more"));
    }
    YAML::Node root = YAML::Load(text);
    if (Status unique = CheckNoDuplicateKeys(root, source); !unique.ok()) return unique;
    return root;
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(At(source, e.mark) + ": invalid YAML: " + e.msg);
  }
}

}  // namespace lce::yaml
