// Masking for callers that may use a credential but must not hold it (a token with reveal: false).
// The vault masks what it hands such callers; the MCP tools mask again whatever their backend
// returns, which changes nothing for values already masked.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/credential.h"

namespace coffer {

// "••••" followed by the last 4 characters of `value`, or 8 bullets when `value` is shorter than
// 8 characters (then the tail would be half the secret). Characters are UTF-8 code points.
std::string MaskSecretValue(std::string_view value);

// A copy of `data` in which every string and number, at any depth, is masked with
// MaskSecretValue; keys, booleans and nulls are kept so the shape still tells what the credential
// holds. Every field of `data` is treated as secret for every type: the seeds put non-secret
// fields (usernames, URLs, issuers) in metadata. `type` is there for per-type exceptions.
nlohmann::json MaskSecretFields(CredentialType type, const nlohmann::json& data);

}  // namespace coffer
