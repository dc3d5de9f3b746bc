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
  // The most this identity may ever do: its tokens and grants carry subsets of these.
  std::vector<std::string> scopes;
  std::optional<std::string> created_by;  // identity id of the creator; empty for the bootstrap owner
  UnixMicros created_at = 0;
  std::optional<UnixMicros> revoked_at;
  // false: whoever acts as this identity, or as any identity below it, sees values only masked.
  bool reveal = true;
};

// A person who administers an org: the identity (kind "human") plus the login.
struct HumanRecord {
  std::string identity_id;
  std::string username;
  std::string password_hash;  // Argon2id, libsodium's encoded string (algorithm, parameters, salt)
  // The second factor: a TOTP key wrapped under the root key, in use once confirmed with a code.
  std::vector<uint8_t> totp_wrapped;  // empty: none
  bool totp_confirmed = false;
  int64_t totp_last_step = 0;  // the newest time step a code was accepted for: no replays
};

// Attenuated sharing: `grantee` may act on the granter's credentials whose names match `pattern`
// (exact, or a prefix ending in '*') with at most `scopes`.
struct GrantRecord {
  std::string id;  // "grt_..."
  std::string org_id;
  std::string granter_id;
  std::string grantee_id;
  std::string pattern;
  std::vector<std::string> scopes;
  std::string created_by;
  UnixMicros created_at = 0;
  std::optional<UnixMicros> expires_at;
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
  std::vector<std::string> cidrs;  // allowed source networks; empty: anywhere
  bool reveal = true;              // false: values reach this token's holder only masked
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

// ---- Key management (issue 7): KEK state, DEK usage, re-wrap progress, key events. ----

// A KEK's bookkeeping beside its wrapped form (KekRecord).
struct KekStateRecord {
  std::string org_id;
  uint32_t version = 0;
  UnixMicros created_at = 0;
  uint64_t encryptions = 0;  // AES-GCM encryptions performed under it, for the NIST limit
};

// A root-wrapped key wrapped under the new root while a root key rotation is under way.
struct PendingRootWrapRecord {
  std::string kind;    // "kek" (org_id, version) or "audit" (version; org_id empty)
  std::string org_id;
  uint32_t version = 0;
  std::vector<uint8_t> wrapped;
};

// How many stored credential versions (one DEK each) one KEK version wraps. kek_version is empty
// for blobs whose header this Coffer cannot read.
struct DekUsageRecord {
  std::optional<uint32_t> kek_version;
  int64_t deks = 0;
};

// One stored credential version with what its blob is bound to: enough to re-wrap its DEK.
struct SealedVersionRecord {
  std::string org_id;
  std::string credential_id;
  std::string name;
  int version = 0;
  CredentialType type = CredentialType::kCustom;
  std::vector<uint8_t> blob;
};

// The background re-wrap of one org's DEKs; a row without finished_at is resumed at start-up.
struct RewrapJobRecord {
  std::string org_id;
  uint32_t target_version = 0;
  UnixMicros started_at = 0;
  std::optional<UnixMicros> finished_at;
  int64_t rewrapped = 0;
};

// Key lifecycle history: "kek_rotated", "rewrap_started", "rewrap_finished", "kek_retired",
// "root_rotated", "credential_rotated". Never holds key material.
struct KeyEventRecord {
  std::string org_id;
  std::string kind;
  std::optional<uint32_t> kek_version;
  std::string detail;  // non-secret: a reason, a count, a credential id
  UnixMicros at = 0;
};

struct TypeCountRecord {
  CredentialType type = CredentialType::kCustom;
  int64_t count = 0;
};

// ---- end of key management records ----

// One audit record. Never holds a secret value, a token or key material. `hash` chains it to the
// record before it (HMAC under the audit key), so an edit, removal, insertion or reordering shows.
struct AuditRecord {
  int64_t seq = 0;  // 1, 2, 3, ... in commit order, with no gaps
  std::string id;   // "aud_..."
  UnixMicros at = 0;
  std::string org_id;
  std::string actor_id;    // identity id; empty for unauthenticated requests and the server itself
  std::string actor_name;
  std::string actor_kind;  // "human" | "agent" | "" (anonymous) | "server"
  std::vector<std::string> chain_ids;  // the actor's delegation chain, root first
  std::string token_id;
  std::string source_ip;
  std::string user_agent;
  std::string request_id;
  std::string action;   // "credential.read", "identity.revoke", "auth.failure", ...
  std::string target;   // a credential name, an identity id, ...
  std::optional<int> target_version;
  std::string outcome;  // "ok" | "denied" | "not_found" | "error"
  std::string reason;
  std::vector<uint8_t> hash;
};

struct AuditQuery {
  std::string org_id;
  // Only records whose actor chain holds this identity: the caller's own reach, set by the audit
  // log, and a subtree the caller asked for. A record must satisfy both.
  std::optional<std::string> within_chain_of, subtree_of;
  std::string actor_id, action, target, outcome, text;
  std::string target_digest;  // failed requests keep their target as this digest; matched too
  std::optional<UnixMicros> since, until;
  std::optional<int64_t> before_seq;  // pagination: records older than this
  bool include_server_records = false;  // server events and anonymous failures (org_id "")
  int limit = 100;
};

// A signed statement that the chain's record `seq` has hash `hash`: lets verify start from a pruned
// prefix, and lets anyone holding the public key check a copy kept outside the server.
struct AuditCheckpointRecord {
  int64_t seq = 0;
  std::vector<uint8_t> hash;
  UnixMicros at = 0;
  std::vector<uint8_t> signature;  // Ed25519
};

// Where the next audit record goes: after the last record and after the last checkpoint.
struct AuditChainTip {
  int64_t last_seq = 0;                  // 0: no record yet
  std::vector<uint8_t> last_hash;        // empty: no record yet
  int64_t last_checkpoint_seq = 0;       // 0: no checkpoint yet
};

struct AuditKeyRecord {
  uint32_t version = 0;
  std::vector<uint8_t> wrapped;  // under the root key
  UnixMicros created_at = 0;
};

// Failed logins for one account ("a:" + username) or one source address ("i:" + ip), counted in
// the store so that every node sees the same count.
struct LoginFailureRecord {
  std::string key;
  int failures = 0;
  UnixMicros blocked_until = 0;  // 0: not blocked yet
  UnixMicros last_failure_at = 0;
};

// A lease on one piece of background work (the KEK re-wrap, automatic rotation, audit retention):
// the node that holds it, until when, and the fencing token that each of that work's writes is
// checked against (WriteTransaction::CheckLease), so a node that lost the lease writes nothing.
struct LeaseRecord {
  std::string name;
  std::string holder;         // the node's id
  int64_t token = 0;          // 1 for the first holder, raised each time the lease is taken anew
  UnixMicros expires_at = 0;  // by the database's clock, which every node shares
};

// ---- Moving between engines ----

// Rows per kind in one store: a copy is whole when the target's equal the source's.
struct StoreRowCounts {
  int64_t orgs = 0;
  int64_t keks = 0;
  int64_t identities = 0;
  int64_t humans = 0;
  int64_t tokens = 0;
  int64_t grants = 0;
  int64_t credentials = 0;
  int64_t credential_versions = 0;
  int64_t rewrap_jobs = 0;
  int64_t key_events = 0;
  int64_t pending_root_wraps = 0;
  int64_t audit_records = 0;
  int64_t audit_keys = 0;
  int64_t audit_checkpoints = 0;

  bool operator==(const StoreRowCounts&) const = default;
};

}  // namespace coffer::store
