// Moving between engines: whole-table walks and import-style writes for a faithful copy of a
// store (store/store_copy.h). Never on the request path.
#include "core/json_document.h"
#include "store/record_readers.h"
#include "store/sqlite/row_readers.h"
#include "store/sqlite/sqlite_transaction.h"

namespace coffer::store::sqlite {
namespace {

Result<int64_t> CountOf(Connection& conn, const char* table) {
  auto stmt = conn.Prepare(std::string("SELECT COUNT(*) FROM ") + table);
  if (!stmt.ok()) return stmt.error();
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return MakeError(ErrorCode::kInternal, std::string("cannot count the rows of ") + table);
  return stmt->Int(0);
}

}  // namespace

Result<std::vector<CredentialRecord>> SqliteTransaction::ScanCredentialVersions(const std::string& after_credential_id,
                                                                                int after_version, int limit) {
  // The primary key (credential_id, version) walks in exactly this order; the row-value
  // comparison lets SQLite seek to the cursor instead of scanning from the start.
  auto stmt = conn_.Prepare(
      "SELECT c.id, c.org_id, c.identity_id, c.name, v.version, v.type, v.metadata, v.expires_at, "
      "c.created_at, v.created_at, v.blob FROM credential_versions v JOIN credentials c ON c.id = v.credential_id "
      "WHERE (v.credential_id, v.version) > (?1, ?2) ORDER BY v.credential_id, v.version LIMIT ?3");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, after_credential_id).Bind(2, int64_t{after_version}).Bind(3, int64_t{limit});
  return AllRows<CredentialRecord>(*stmt, [](const Statement& row) -> Result<CredentialRecord> {
    auto info = ReadCredentialInfo(row);
    if (!info.ok()) return info.error();
    return CredentialRecord{std::move(*info), row.Blob(10)};
  });
}

Result<std::vector<KeyEventRecord>> SqliteTransaction::ListKeyEvents(const std::string& org_id) {
  auto stmt = conn_.Prepare("SELECT org_id, kind, kek_version, detail, at FROM key_events WHERE org_id = ? ORDER BY id");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, org_id);
  return AllRows<KeyEventRecord>(*stmt, ReadKeyEvent<Statement>);
}

Result<StoreRowCounts> SqliteTransaction::CountRows() {
  StoreRowCounts counts;
  const std::pair<const char*, int64_t*> tables[] = {
      {"orgs", &counts.orgs},
      {"keks", &counts.keks},
      {"identities", &counts.identities},
      {"humans", &counts.humans},
      {"tokens", &counts.tokens},
      {"grants", &counts.grants},
      {"credentials", &counts.credentials},
      {"credential_versions", &counts.credential_versions},
      {"kek_rewrap_jobs", &counts.rewrap_jobs},
      {"key_events", &counts.key_events},
      {"root_rewrap_pending", &counts.pending_root_wraps},
      {"audit_events", &counts.audit_records},
      {"audit_keys", &counts.audit_keys},
      {"audit_checkpoints", &counts.audit_checkpoints},
  };
  for (const auto& [table, count] : tables) {
    auto n = CountOf(conn_, table);
    if (!n.ok()) return n.error();
    *count = *n;
  }
  return counts;
}

Status SqliteTransaction::ImportCredentialVersion(const CredentialRecord& record) {
  const CredentialInfo& info = record.info;
  // The first version imported creates the row; later ones only raise current_version, and only
  // on the same credential: an id reused for another partition or name updates nothing.
  auto upsert = conn_.Prepare(
      "INSERT INTO credentials (id, org_id, identity_id, name, current_version, created_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE SET "
      "current_version = max(current_version, excluded.current_version) "
      "WHERE org_id = excluded.org_id AND identity_id = excluded.identity_id AND name = excluded.name");
  if (!upsert.ok()) return upsert.error();
  COFFER_TRY(upsert->Bind(1, info.id).Bind(2, info.org_id).Bind(3, info.identity_id).Bind(4, info.name)
                 .Bind(5, int64_t{info.version}).Bind(6, info.created_at).Run());
  if (conn_.Changes() != 1) {
    return MakeError(ErrorCode::kConflict, "credential id " + info.id + " belongs to another credential");
  }
  auto version = conn_.Prepare(
      "INSERT INTO credential_versions (credential_id, version, type, metadata, expires_at, created_at, blob) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!version.ok()) return version.error();
  return version->Bind(1, info.id).Bind(2, int64_t{info.version}).Bind(3, CredentialTypeName(info.type))
      .Bind(4, info.metadata.dump()).Bind(5, info.expires_at).Bind(6, info.updated_at).Bind(7, record.blob).Run();
}

}  // namespace coffer::store::sqlite
