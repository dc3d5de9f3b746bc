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
