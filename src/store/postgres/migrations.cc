#include "store/postgres/migrations.h"

#include <string>
#include <vector>

#include "core/time.h"

namespace coffer::store::postgres {
namespace {

// Append only: a released migration is never edited, so every database walks the same path.
//
// Conventions: times are BIGINT microseconds since the epoch, blobs BYTEA, flags BOOLEAN, and
// every text column COLLATE "C", so ordering and the list cursor (names strictly greater than the
// last one) compare bytes exactly as SQLite does, whatever the database's locale.
const std::vector<std::string>& Migrations() {
  static const std::vector<std::string> kMigrations = {
      // 1: everything SQLite's migrations 1-7 built: orgs, the key hierarchy, the delegation chain
      // (identities, tokens, grants, people with passwords and a TOTP second factor), credentials
      // with retained versions, key management bookkeeping, and the hash-chained audit trail.
      // credential_versions.kek_version is written by the engine from the blob's header
      // (store/blob_kek_version.h): no SQL here decodes blob bytes.
      // audit_tip is the chain's tip, one row: a write transaction locks it (SELECT ... FOR
      // UPDATE) before it numbers a record, so the nodes' appends form one chain.
      R"sql(
CREATE TABLE orgs (
  id         TEXT COLLATE "C" PRIMARY KEY,
  name       TEXT COLLATE "C" NOT NULL UNIQUE,
  created_at BIGINT NOT NULL
);
CREATE TABLE keks (
  org_id      TEXT COLLATE "C" NOT NULL REFERENCES orgs(id),
  version     BIGINT NOT NULL,
  wrapped     BYTEA NOT NULL,
  created_at  BIGINT NOT NULL,
  encryptions BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, version)
);
CREATE TABLE identities (
  id         TEXT COLLATE "C" PRIMARY KEY,
  org_id     TEXT COLLATE "C" NOT NULL REFERENCES orgs(id),
  parent_id  TEXT COLLATE "C" REFERENCES identities(id),
  name       TEXT COLLATE "C" NOT NULL,
  kind       TEXT COLLATE "C" NOT NULL CHECK (kind IN ('human', 'agent')),
  role       TEXT COLLATE "C" NOT NULL DEFAULT '',
  scopes     TEXT COLLATE "C" NOT NULL DEFAULT '',
  created_by TEXT COLLATE "C" REFERENCES identities(id),
  created_at BIGINT NOT NULL,
  revoked_at BIGINT,
  reveal     BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX identities_by_parent ON identities(parent_id);
CREATE INDEX identities_by_org ON identities(org_id, created_at, id);
CREATE TABLE tokens (
  id          TEXT COLLATE "C" PRIMARY KEY,
  org_id      TEXT COLLATE "C" NOT NULL REFERENCES orgs(id),
  identity_id TEXT COLLATE "C" NOT NULL REFERENCES identities(id),
  token_hash  BYTEA NOT NULL UNIQUE,
  name        TEXT COLLATE "C" NOT NULL,
  scopes      TEXT COLLATE "C" NOT NULL,
  cidrs       TEXT COLLATE "C" NOT NULL DEFAULT '',
  reveal      BOOLEAN NOT NULL DEFAULT TRUE,
  created_at  BIGINT NOT NULL,
  expires_at  BIGINT,
  revoked_at  BIGINT
);
CREATE INDEX tokens_by_identity ON tokens(identity_id);
CREATE TABLE humans (
  identity_id    TEXT COLLATE "C" PRIMARY KEY REFERENCES identities(id),
  username       TEXT COLLATE "C" NOT NULL UNIQUE,
  password_hash  TEXT COLLATE "C" NOT NULL,
  totp_wrapped   BYTEA,
  totp_confirmed BOOLEAN NOT NULL DEFAULT FALSE,
  totp_last_step BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE grants (
  id         TEXT COLLATE "C" PRIMARY KEY,
  org_id     TEXT COLLATE "C" NOT NULL REFERENCES orgs(id),
  granter_id TEXT COLLATE "C" NOT NULL REFERENCES identities(id),
  grantee_id TEXT COLLATE "C" NOT NULL REFERENCES identities(id),
  pattern    TEXT COLLATE "C" NOT NULL,
  scopes     TEXT COLLATE "C" NOT NULL,
  created_by TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  revoked_at BIGINT
);
CREATE INDEX grants_by_grantee ON grants(grantee_id);
CREATE INDEX grants_by_granter ON grants(granter_id);
CREATE TABLE credentials (
  id              TEXT COLLATE "C" PRIMARY KEY,
  org_id          TEXT COLLATE "C" NOT NULL REFERENCES orgs(id),
  identity_id     TEXT COLLATE "C" NOT NULL REFERENCES identities(id),
  name            TEXT COLLATE "C" NOT NULL,
  current_version BIGINT NOT NULL,
  created_at      BIGINT NOT NULL,
  UNIQUE (org_id, identity_id, name)
);
CREATE TABLE credential_versions (
  credential_id TEXT COLLATE "C" NOT NULL REFERENCES credentials(id) ON DELETE CASCADE,
  version       BIGINT NOT NULL,
  type          TEXT COLLATE "C" NOT NULL,
  metadata      TEXT COLLATE "C" NOT NULL,
  expires_at    BIGINT,
  created_at    BIGINT NOT NULL,
  blob          BYTEA NOT NULL,
  kek_version   BIGINT,
  PRIMARY KEY (credential_id, version)
);
CREATE INDEX credential_versions_by_kek ON credential_versions(kek_version);
CREATE TABLE kek_rewrap_jobs (
  org_id         TEXT COLLATE "C" PRIMARY KEY REFERENCES orgs(id),
  target_version BIGINT NOT NULL,
  started_at     BIGINT NOT NULL,
  finished_at    BIGINT,
  rewrapped      BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE key_events (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  org_id      TEXT COLLATE "C" NOT NULL REFERENCES orgs(id),
  kind        TEXT COLLATE "C" NOT NULL,
  kek_version BIGINT,
  detail      TEXT COLLATE "C" NOT NULL DEFAULT '',
  at          BIGINT NOT NULL
);
CREATE INDEX key_events_by_kind ON key_events(org_id, kind, id);
CREATE TABLE root_rewrap_pending (
  kind    TEXT COLLATE "C" NOT NULL,
  org_id  TEXT COLLATE "C" NOT NULL,
  version BIGINT NOT NULL,
  wrapped BYTEA NOT NULL,
  PRIMARY KEY (kind, org_id, version)
);
CREATE TABLE audit_events (
  seq            BIGINT PRIMARY KEY,
  id             TEXT COLLATE "C" NOT NULL UNIQUE,
  at             BIGINT NOT NULL,
  org_id         TEXT COLLATE "C" NOT NULL,
  actor_id       TEXT COLLATE "C" NOT NULL,
  actor_name     TEXT COLLATE "C" NOT NULL,
  actor_kind     TEXT COLLATE "C" NOT NULL,
  chain_ids      TEXT COLLATE "C" NOT NULL,
  token_id       TEXT COLLATE "C" NOT NULL,
  source_ip      TEXT COLLATE "C" NOT NULL,
  user_agent     TEXT COLLATE "C" NOT NULL,
  request_id     TEXT COLLATE "C" NOT NULL,
  action         TEXT COLLATE "C" NOT NULL,
  target         TEXT COLLATE "C" NOT NULL,
  target_version BIGINT,
  outcome        TEXT COLLATE "C" NOT NULL,
  reason         TEXT COLLATE "C" NOT NULL,
  hash           BYTEA NOT NULL
);
CREATE INDEX audit_by_org ON audit_events(org_id, seq);
CREATE INDEX audit_by_time ON audit_events(at);
CREATE TABLE audit_tip (
  only_row  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
  last_seq  BIGINT NOT NULL,
  last_hash BYTEA NOT NULL
);
INSERT INTO audit_tip (only_row, last_seq, last_hash) VALUES (TRUE, 0, '');
CREATE TABLE audit_keys (
  version    BIGINT PRIMARY KEY,
  wrapped    BYTEA NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE audit_checkpoints (
  seq       BIGINT PRIMARY KEY,
  hash      BYTEA NOT NULL,
  at        BIGINT NOT NULL,
  signature BYTEA NOT NULL
);
)sql",
      // 2: leases on background work: holder, fencing token and expiry by the database's clock,
      // so that each job (KEK re-wrap, automatic rotation, audit retention) runs on one node.
      R"sql(
CREATE TABLE leases (
  name       TEXT COLLATE "C" PRIMARY KEY,
  holder     TEXT COLLATE "C" NOT NULL,
  token      BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
)sql",
      // 3: failed logins per account and per source address, so every node throttles the same guesses.
      R"sql(
CREATE TABLE login_failures (
  key             TEXT COLLATE "C" PRIMARY KEY,
  failures        INTEGER NOT NULL,
  blocked_until   BIGINT NOT NULL,
  last_failure_at BIGINT NOT NULL
);
CREATE INDEX login_failures_by_last ON login_failures(last_failure_at);
)sql",
  };
  return kMigrations;
}

// Held for the length of each migration's transaction: nodes starting together take turns, and
// the second finds the migration applied. ("coffer" in ASCII.)
constexpr int64_t kMigrationLockKey = 0x636f66666572;

Error MigrationFailed(int version, const Error& cause) {
  return MakeError(ErrorCode::kUnavailable,
                   "schema migration " + std::to_string(version) + " failed: " + cause.message);
}

}  // namespace

int KnownSchemaVersion() { return static_cast<int>(Migrations().size()); }

Status ApplyMigrations(Connection& conn) {
  const auto& migrations = Migrations();
  while (true) {
    COFFER_TRY(conn.Command("begin a migration", "BEGIN ISOLATION LEVEL READ COMMITTED"));
    auto rollback = [&conn](Error e) -> Status {
      (void)conn.Command("roll back a migration", "ROLLBACK");
      return e;
    };
    if (auto locked = conn.Query("lock the schema", "SELECT pg_advisory_xact_lock($1)", Params().Int(kMigrationLockKey));
        !locked.ok()) {
      return rollback(locked.error());
    }
    // Under the lock, so two nodes never race to create it.
    if (auto created = conn.Command("create schema_migrations",
                                    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, "
                                    "applied_at BIGINT NOT NULL)");
        !created.ok()) {
      return rollback(created.error());
    }
    auto rows = conn.Query("read the schema version", "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (!rows.ok()) return rollback(rows.error());
    const int64_t current = (*rows)[0].Int(0);
    if (current > static_cast<int64_t>(migrations.size())) {
      return rollback(MakeError(ErrorCode::kUnavailable,
                                "the database schema is version " + std::to_string(current) +
                                    ", newer than this Coffer understands (" + std::to_string(migrations.size()) +
                                    "): upgrade Coffer"));
    }
    if (current == static_cast<int64_t>(migrations.size())) {
      COFFER_TRY(conn.Command("finish the migrations", "COMMIT"));
      return Status::Ok();
    }
    const int next = static_cast<int>(current) + 1;
    if (auto applied = conn.Command("apply a migration", migrations[static_cast<size_t>(current)]); !applied.ok()) {
      return rollback(MigrationFailed(next, applied.error()));
    }
    if (auto noted = conn.Exec("record a migration",
                               "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                               Params().Int(next).Int(NowMicros()));
        !noted.ok()) {
      return rollback(MigrationFailed(next, noted.error()));
    }
    auto committed = conn.Command("commit a migration", "COMMIT");
    if (!committed.ok()) return MigrationFailed(next, committed.error());
    if (*committed != "COMMIT") {
      return MigrationFailed(next, MakeError(ErrorCode::kUnavailable, "the database rolled it back"));
    }
  }
}

}  // namespace coffer::store::postgres
