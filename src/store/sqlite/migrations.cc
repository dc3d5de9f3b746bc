#include "store/sqlite/migrations.h"

#include <string>
#include <vector>

namespace coffer::store::sqlite {
namespace {

// Append only: a released migration is never edited, so every database walks the same path.
const std::vector<std::string>& Migrations() {
  static const std::vector<std::string> kMigrations = {
      // 1: orgs, key hierarchy, identities, tokens, credentials with retained versions.
      R"sql(
CREATE TABLE orgs (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);
CREATE TABLE keks (
  org_id     TEXT NOT NULL REFERENCES orgs(id),
  version    INTEGER NOT NULL,
  wrapped    BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (org_id, version)
);
CREATE TABLE identities (
  id         TEXT PRIMARY KEY,
  org_id     TEXT NOT NULL REFERENCES orgs(id),
  parent_id  TEXT REFERENCES identities(id),
  name       TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('human', 'agent')),
  role       TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE TABLE tokens (
  id          TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL REFERENCES orgs(id),
  identity_id TEXT NOT NULL REFERENCES identities(id),
  token_hash  BLOB NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  scopes      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER,
  revoked_at  INTEGER
);
CREATE TABLE credentials (
  id              TEXT PRIMARY KEY,
  org_id          TEXT NOT NULL REFERENCES orgs(id),
  identity_id     TEXT NOT NULL REFERENCES identities(id),
  name            TEXT NOT NULL,
  current_version INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  UNIQUE (org_id, identity_id, name)
);
CREATE TABLE credential_versions (
  credential_id TEXT NOT NULL REFERENCES credentials(id) ON DELETE CASCADE,
  version       INTEGER NOT NULL,
  type          TEXT NOT NULL,
  metadata      TEXT NOT NULL,
  expires_at    INTEGER,
  created_at    INTEGER NOT NULL,
  blob          BLOB NOT NULL,
  PRIMARY KEY (credential_id, version)
);
)sql",
      // 2: the delegation chain. Identities get a scope ceiling and a creator; tokens a CIDR
      // allow-list; grants share credentials down the chain; humans log in with a password.
      // Identities that existed before are humans (the bootstrap owner): they keep every scope.
      R"sql(
ALTER TABLE identities ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
ALTER TABLE identities ADD COLUMN created_by TEXT REFERENCES identities(id);
UPDATE identities SET scopes =
  'vault:read vault:write vault:delete vault:list vault:use identities:write audit:read keys:admin'
  WHERE kind = 'human';
CREATE INDEX identities_by_parent ON identities(parent_id);
ALTER TABLE tokens ADD COLUMN cidrs TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN reveal INTEGER NOT NULL DEFAULT 1;
CREATE INDEX tokens_by_identity ON tokens(identity_id);
CREATE TABLE humans (
  identity_id   TEXT PRIMARY KEY REFERENCES identities(id),
  username      TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL
);
CREATE TABLE grants (
  id         TEXT PRIMARY KEY,
  org_id     TEXT NOT NULL REFERENCES orgs(id),
  granter_id TEXT NOT NULL REFERENCES identities(id),
  grantee_id TEXT NOT NULL REFERENCES identities(id),
  pattern    TEXT NOT NULL,
  scopes     TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX grants_by_grantee ON grants(grantee_id);
CREATE INDEX grants_by_granter ON grants(granter_id);
)sql",
      // ---- 3: key management (issue 7): KEK rotation, re-wrap progress, root rotation. ----
      // kek_version is read from each blob's own header (format 1: byte 0 is 1, bytes 1-4 the KEK
      // version, big-endian), so it can never disagree with the blob and no writer has to set it;
      // its index lets re-wrap find the DEKs under old KEKs, and status count them, without
      // decoding every blob. Existing KEKs start their encryption count at the DEKs they wrap.
      // root_rewrap_pending holds, during a root key rotation, every root-wrapped key (KEKs, the
      // audit chain key) wrapped under the new root, beside the old wraps.
      R"sql(
ALTER TABLE credential_versions ADD COLUMN kek_version INTEGER GENERATED ALWAYS AS (
  CASE WHEN length(blob) >= 5 AND substr(blob, 1, 1) = X'01' THEN
    (instr('0123456789ABCDEF', substr(hex(substr(blob, 2, 4)), 1, 1)) - 1) * 268435456 +
    (instr('0123456789ABCDEF', substr(hex(substr(blob, 2, 4)), 2, 1)) - 1) * 16777216 +
    (instr('0123456789ABCDEF', substr(hex(substr(blob, 2, 4)), 3, 1)) - 1) * 1048576 +
    (instr('0123456789ABCDEF', substr(hex(substr(blob, 2, 4)), 4, 1)) - 1) * 65536 +
    (instr('0123456789ABCDEF', substr(hex(substr(blob, 2, 4)), 5, 1)) - 1) * 4096 +
    (instr('0123456789ABCDEF', substr(hex(substr(blob, 2, 4)), 6, 1)) - 1) * 256 +
    (instr('0123456789ABCDEF', substr(hex(substr(blob, 2, 4)), 7, 1)) - 1) * 16 +
    (instr('0123456789ABCDEF', substr(hex(substr(blob, 2, 4)), 8, 1)) - 1) * 1
  END) VIRTUAL;
CREATE INDEX credential_versions_by_kek ON credential_versions(kek_version);
ALTER TABLE keks ADD COLUMN encryptions INTEGER NOT NULL DEFAULT 0;
UPDATE keks SET encryptions = (
  SELECT COUNT(*) FROM credential_versions v JOIN credentials c ON c.id = v.credential_id
  WHERE c.org_id = keks.org_id AND v.kek_version = keks.version);
CREATE TABLE kek_rewrap_jobs (
  org_id         TEXT PRIMARY KEY REFERENCES orgs(id),
  target_version INTEGER NOT NULL,
  started_at     INTEGER NOT NULL,
  finished_at    INTEGER,
  rewrapped      INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE key_events (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id      TEXT NOT NULL REFERENCES orgs(id),
  kind        TEXT NOT NULL,
  kek_version INTEGER,
  detail      TEXT NOT NULL DEFAULT '',
  at          INTEGER NOT NULL
);
CREATE INDEX key_events_by_kind ON key_events(org_id, kind, id);
CREATE TABLE root_rewrap_pending (
  kind    TEXT NOT NULL,
  org_id  TEXT NOT NULL,
  version INTEGER NOT NULL,
  wrapped BLOB NOT NULL,
  PRIMARY KEY (kind, org_id, version)
);
)sql",
      // ---- end of migration 3 (key management) ----
      // 4: the audit trail, append-only and hash-chained, and the key that chains it.
      R"sql(
CREATE TABLE audit_events (
  seq            INTEGER PRIMARY KEY,
  id             TEXT NOT NULL UNIQUE,
  at             INTEGER NOT NULL,
  org_id         TEXT NOT NULL,
  actor_id       TEXT NOT NULL,
  actor_name     TEXT NOT NULL,
  actor_kind     TEXT NOT NULL,
  chain_ids      TEXT NOT NULL,
  token_id       TEXT NOT NULL,
  source_ip      TEXT NOT NULL,
  user_agent     TEXT NOT NULL,
  request_id     TEXT NOT NULL,
  action         TEXT NOT NULL,
  target         TEXT NOT NULL,
  target_version INTEGER,
  outcome        TEXT NOT NULL,
  reason         TEXT NOT NULL,
  hash           BLOB NOT NULL
);
CREATE INDEX audit_by_org ON audit_events(org_id, seq);
CREATE TABLE audit_keys (
  version    INTEGER PRIMARY KEY,
  wrapped    BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
)sql",
      // 5: signed checkpoints of the audit chain, which verify starts from once retention prunes.
      R"sql(
CREATE TABLE audit_checkpoints (
  seq       INTEGER PRIMARY KEY,
  hash      BLOB NOT NULL,
  at        INTEGER NOT NULL,
  signature BLOB NOT NULL
);
)sql",
      // 6: a TOTP second factor for people, its key wrapped under the root key like the audit key.
      R"sql(
ALTER TABLE humans ADD COLUMN totp_wrapped BLOB;
ALTER TABLE humans ADD COLUMN totp_confirmed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE humans ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
)sql",
      // 7: identities that see values only masked (reveal: false), whatever their tokens say.
      R"sql(
ALTER TABLE identities ADD COLUMN reveal INTEGER NOT NULL DEFAULT 1;
)sql",
      // 8: leases on background work, so that on a shared database each job runs on one node.
      R"sql(
CREATE TABLE leases (
  name       TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  token      INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
)sql",
      // 9: failed logins per account and per source address, counted in the store like the rest.
      R"sql(
CREATE TABLE login_failures (
  key             TEXT PRIMARY KEY,
  failures        INTEGER NOT NULL,
  blocked_until   INTEGER NOT NULL,
  last_failure_at INTEGER NOT NULL
);
CREATE INDEX login_failures_by_last ON login_failures(last_failure_at);
)sql",
  };
  return kMigrations;
}

}  // namespace

Status ApplyMigrations(Connection& conn) {
  COFFER_TRY(conn.Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"));
  auto stmt = conn.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!stmt.ok()) return stmt.error();
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  const int64_t current = stmt->Int(0);
  const auto& migrations = Migrations();
  if (current > static_cast<int64_t>(migrations.size())) {
    return MakeError(ErrorCode::kUnavailable,
                     "the database schema is version " + std::to_string(current) +
                         ", newer than this Coffer understands (" + std::to_string(migrations.size()) +
                         "): upgrade Coffer");
  }
  for (size_t i = static_cast<size_t>(current); i < migrations.size(); ++i) {
    COFFER_TRY(conn.Exec("BEGIN IMMEDIATE"));
    Status applied = conn.Exec(migrations[i]);
    if (applied.ok()) {
      applied = conn.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (" +
                          std::to_string(i + 1) + ", strftime('%s','now') * 1000000)");
    }
    if (!applied.ok()) {
      (void)conn.Exec("ROLLBACK");
      return MakeError(ErrorCode::kUnavailable, "schema migration " + std::to_string(i + 1) +
                                                    " failed: " + applied.error().message);
    }
    COFFER_TRY(conn.Exec("COMMIT"));
  }
  return Status::Ok();
}

}  // namespace coffer::store::sqlite
