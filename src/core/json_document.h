// Reading JSON that came from outside: request bodies, MCP messages, stored metadata, replies.
// nlohmann::json's own walks (dump, copy, compare, our WipeJson) recurse once per level, so a
// document 50,000 levels deep overflows the stack of whoever walks it next. Every document from
// outside is therefore read here, refused at parse time beyond a fixed depth, before anything can
// walk it; and a key given twice in one object is refused instead of silently keeping the last.
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace coffer {

// The deepest document any part of Coffer accepts. `{}` is depth 1, `{"a":[1]}` depth 2.
inline constexpr int kMaxJsonDepth = 64;

struct JsonLimits {
  int max_depth = kMaxJsonDepth;
};

// Parses one complete JSON document. On failure returns kInvalidArgument with a message that
// continues "the <thing> ..." ("is not valid JSON (error at byte 12)", "nests deeper than 64
// levels: ..."), so the caller names what it read; the message never quotes the input, which may
// hold a secret. What was parsed before the failure is wiped. Thread-safe: no shared state.
Result<nlohmann::json> ParseUntrustedJson(std::string_view text, JsonLimits limits = {});

}  // namespace coffer
