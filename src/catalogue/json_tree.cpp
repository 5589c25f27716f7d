#include "json_tree.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace lce::catalogue {
namespace {

// Builds a JsonNode tree; containers under construction are on `stack_`.
class TreeBuilder : public nlohmann::json::json_sax_t {
 public:
  bool null() override { return Add(JsonNode{}); }
  bool boolean(bool val) override { return Add(Leaf(JsonNode::Kind::kBool, val ? "true" : "false")); }
  bool number_integer(number_integer_t val) override { return Add(Leaf(JsonNode::Kind::kNumber, std::to_string(val))); }
  bool number_unsigned(number_unsigned_t val) override {
    return Add(Leaf(JsonNode::Kind::kNumber, std::to_string(val)));
  }
  bool number_float(number_float_t, const string_t& literal) override {
    return Add(Leaf(JsonNode::Kind::kNumber, literal));
  }
  bool string(string_t& val) override { return Add(Leaf(JsonNode::Kind::kString, val)); }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override { return Open(JsonNode::Kind::kObject); }
  bool key(string_t& val) override {
    keys_.push_back(val);
    return true;
  }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(JsonNode::Kind::kArray); }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    error_ = "invalid JSON at byte " + std::to_string(position) + ": " + e.what();
    return false;
  }

  JsonNode& root() { return root_; }
  const std::string& error() const { return error_; }

 private:
  static JsonNode Leaf(JsonNode::Kind kind, std::string text) {
    JsonNode node;
    node.kind = kind;
    node.text = std::move(text);
    return node;
  }
  bool Add(JsonNode node) {
    if (stack_.empty()) {
      root_ = std::move(node);
    } else if (stack_.back().is_object()) {
      stack_.back().members.emplace_back(std::move(keys_.back()), std::move(node));
      keys_.pop_back();
    } else {
      stack_.back().items.push_back(std::move(node));
    }
    return true;
  }
  bool Open(JsonNode::Kind kind) {
    JsonNode node;
    node.kind = kind;
    stack_.push_back(std::move(node));
    return true;
  }
  bool Close() {
    JsonNode done = std::move(stack_.back());
    stack_.pop_back();
    return Add(std::move(done));
  }

  JsonNode root_;
  std::vector<JsonNode> stack_;
  std::vector<std::string> keys_;
  std::string error_;
};

}  // namespace

const JsonNode* JsonNode::Find(std::string_view key) const {
  for (const auto& [name, value] : members) {
    if (name == key) return &value;
  }
  return nullptr;
}

Result<JsonNode> ParseJsonTree(const std::string& text, const std::string& source) {
  TreeBuilder builder;
  try {
    if (!nlohmann::json::sax_parse(text, &builder)) {
      return Status::InvalidArgument(source + ": " + (builder.error().empty() ? "invalid JSON" : builder.error()));
    }
  } catch (const std::exception& e) {
    return Status::InvalidArgument(source + ": invalid JSON: " + e.what());
  }
  return std::move(builder.root());
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IoError("cannot read " + path);
  return text.str();
}

}  // namespace lce::catalogue
