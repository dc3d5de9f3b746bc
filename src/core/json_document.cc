#include "core/json_document.h"

#include <string>
#include <utility>
#include <vector>

#include "core/credential.h"

namespace coffer {
namespace {

using json = nlohmann::json;

// Builds the DOM as nlohmann's own builder does, but counts depth and checks each key against
// its object, stopping the parse (return false) at the first violation.
class BoundedDomBuilder : public nlohmann::json_sax<json> {
 public:
  enum class Violation { kNone, kSyntax, kDepth, kDuplicateKey };

  explicit BoundedDomBuilder(int max_depth) : max_depth_(max_depth) {}

  bool null() override { return Put(nullptr) != nullptr; }
  bool boolean(bool value) override { return Put(value) != nullptr; }
  bool number_integer(number_integer_t value) override { return Put(value) != nullptr; }
  bool number_unsigned(number_unsigned_t value) override { return Put(value) != nullptr; }
  bool number_float(number_float_t value, const string_t&) override { return Put(value) != nullptr; }
  bool string(string_t& value) override { return Put(std::move(value)) != nullptr; }
  bool binary(binary_t& value) override { return Put(json::binary(std::move(value))) != nullptr; }

  bool start_object(std::size_t) override { return Open(json::object()); }
  bool start_array(std::size_t) override { return Open(json::array()); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }

  bool key(string_t& key) override {
    if (open_.back()->contains(key)) {
      violation_ = Violation::kDuplicateKey;
      return false;
    }
    key_ = std::move(key);
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) override {
    violation_ = Violation::kSyntax;
    error_byte_ = position;
    return false;
  }

  json& root() { return root_; }
  Violation violation() const { return violation_; }
  std::size_t error_byte() const { return error_byte_; }

 private:
  // Places a value where the parse stands: the root, the end of the open array, or under the
  // pending key of the open object. A container's address stays valid while it is open, since
  // nothing is added to its parent until it closes.
  json* Put(json value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    json& parent = *open_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    return &(parent[std::move(key_)] = std::move(value));
  }

  bool Open(json container) {
    if (static_cast<int>(open_.size()) >= max_depth_) {
      violation_ = Violation::kDepth;
      return false;
    }
    open_.push_back(Put(std::move(container)));
    return true;
  }

  bool Close() {
    open_.pop_back();
    return true;
  }

  const int max_depth_;
  json root_;
  std::vector<json*> open_;
  std::string key_;
  Violation violation_ = Violation::kNone;
  std::size_t error_byte_ = 0;
};

}  // namespace

Result<json> ParseUntrustedJson(std::string_view text, JsonLimits limits) {
  BoundedDomBuilder builder(limits.max_depth);
  const bool parsed = json::sax_parse(text, &builder, json::input_format_t::json, /*strict=*/true);
  if (parsed) return std::move(builder.root());
  WipeJson(builder.root());  // bounded by max_depth, so this walk is safe
  switch (builder.violation()) {
    case BoundedDomBuilder::Violation::kDepth:
      return MakeError(ErrorCode::kInvalidArgument,
                       "nests deeper than " + std::to_string(limits.max_depth) +
                           " levels of objects and arrays: flatten it");
    case BoundedDomBuilder::Violation::kDuplicateKey:
      return MakeError(ErrorCode::kInvalidArgument,
                       "has the same key twice in one object: send each field once");
    case BoundedDomBuilder::Violation::kSyntax:
    case BoundedDomBuilder::Violation::kNone:
      break;
  }
  // The byte position, never the parser's own text, which can quote the input.
  return MakeError(ErrorCode::kInvalidArgument,
                   "is not valid JSON (error at byte " + std::to_string(builder.error_byte()) + ")");
}

}  // namespace coffer
