// Rows as the store hands them to the vault layer. Plain values, no behaviour, no SQL.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/credential.h"
#include "core/time.h"

namespace coffer::store {

struct OrgRecord {
  std::string id;
  std::string name;
  UnixMicros created_at = 0;
};

struct KekRecord {
  std::string org_id;
  uint32_t version = 0;
  std::vector<uint8_t> wrapped;
  UnixMicros created_at = 0;
};

struct IdentityRecord {
  std::string id;
  std::string org_id;
  std::optional<std::string> parent_id;  // empty for identities created by a human
  std::string name;
  std::string kind;  // "human" or "agent"
  std::string role;  // humans: "owner" | "admin" | "member"; agents: empty
  UnixMicros created_at = 0;
  std::optional<UnixMicros> revoked_at;
};

using TokenHash = std::array<uint8_t, 32>;  // SHA-256 of the whole token string

struct TokenRecord {
  std::string id;  // "tok_...": safe to show and audit, unlike the token itself
  std::string org_id;
  std::string identity_id;
  TokenHash hash{};
  std::string name;
  std::vector<std::string> scopes;
  UnixMicros created_at = 0;
  std::optional<UnixMicros> expires_at;
  std::optional<UnixMicros> revoked_at;
};

// One stored version of a credential: its description and its sealed blob.
struct CredentialRecord {
  CredentialInfo info;
  std::vector<uint8_t> blob;
};

struct CredentialListQuery {
  std::string org_id;
  std::string identity_id;
  std::optional<CredentialType> type;
  std::string name_prefix;
  std::string after_name;  // pagination: names strictly greater than this
  int limit = 100;
};

}  // namespace coffer::store
