// Moving between engines: whole-table walks and import-style writes for a faithful copy of a
// store (store/store_copy.h). Never on the request path.
#include "core/json_document.h"
#include "store/blob_kek_version.h"
#include "store/postgres/postgres_queries.h"
#include "store/postgres/postgres_transaction.h"
#include "store/postgres/row_readers.h"
#include "store/record_readers.h"

namespace coffer::store::postgres {

Result<std::vector<CredentialRecord>> PostgresTransaction::ScanCredentialVersions(
    const std::string& after_credential_id, int after_version, int limit) {
  // The primary key (credential_id, version) walks in this order; ids compare as bytes
  // (COLLATE "C"), so the order is SQLite's too.
  return AllRows<CredentialRecord>(
      conn_.Query("scan credential versions",
                  "SELECT c.id, c.org_id, c.identity_id, c.name, v.version, v.type, v.metadata, v.expires_at, "
                  "c.created_at, v.created_at, v.blob FROM credential_versions v JOIN credentials c "
                  "ON c.id = v.credential_id WHERE (v.credential_id, v.version) > ($1, $2) "
                  "ORDER BY v.credential_id, v.version LIMIT $3",
                  Params().Text(after_credential_id).Int(after_version).Int(limit)),
      [](const Row& row) -> Result<CredentialRecord> {
        auto info = ReadCredentialInfo(row);
        if (!info.ok()) return info.error();
        return CredentialRecord{std::move(*info), row.Blob(10)};
      });
}

Result<std::vector<KeyEventRecord>> PostgresTransaction::ListKeyEvents(const std::string& org_id) {
  return AllRows<KeyEventRecord>(
      conn_.Query("list key events",
                  "SELECT org_id, kind, kek_version, detail, at FROM key_events WHERE org_id = $1 ORDER BY id",
                  Params().Text(org_id)),
      ReadKeyEvent<Row>);
}

Result<StoreRowCounts> PostgresTransaction::CountRows() {
  // One statement, one snapshot, one round trip.
  auto rows = conn_.Query(
      "count rows",
      "SELECT (SELECT COUNT(*) FROM orgs), (SELECT COUNT(*) FROM keks), (SELECT COUNT(*) FROM identities), "
      "(SELECT COUNT(*) FROM humans), (SELECT COUNT(*) FROM tokens), (SELECT COUNT(*) FROM grants), "
      "(SELECT COUNT(*) FROM credentials), (SELECT COUNT(*) FROM credential_versions), "
      "(SELECT COUNT(*) FROM kek_rewrap_jobs), (SELECT COUNT(*) FROM key_events), "
      "(SELECT COUNT(*) FROM root_rewrap_pending), (SELECT COUNT(*) FROM audit_events), "
      "(SELECT COUNT(*) FROM audit_keys), (SELECT COUNT(*) FROM audit_checkpoints)");
  if (!rows.ok()) return rows.error();
  if (rows->size() != 1) return MakeError(ErrorCode::kInternal, "counting rows returned no row");
  const Row& r = (*rows)[0];
  StoreRowCounts c;
  c.orgs = r.Int(0);
  c.keks = r.Int(1);
  c.identities = r.Int(2);
  c.humans = r.Int(3);
  c.tokens = r.Int(4);
  c.grants = r.Int(5);
  c.credentials = r.Int(6);
  c.credential_versions = r.Int(7);
  c.rewrap_jobs = r.Int(8);
  c.key_events = r.Int(9);
  c.pending_root_wraps = r.Int(10);
  c.audit_records = r.Int(11);
  c.audit_keys = r.Int(12);
  c.audit_checkpoints = r.Int(13);
  return c;
}

Status PostgresTransaction::ImportCredentialVersion(const CredentialRecord& record) {
  const CredentialInfo& info = record.info;
  // The first version imported creates the row; later ones only raise current_version, and only
  // on the same credential: an id reused for another partition or name updates nothing.
  auto upserted = conn_.Exec(
      "import a credential",
      "INSERT INTO credentials (id, org_id, identity_id, name, current_version, created_at) "
      "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET "
      "current_version = GREATEST(credentials.current_version, EXCLUDED.current_version) "
      "WHERE credentials.org_id = EXCLUDED.org_id AND credentials.identity_id = EXCLUDED.identity_id "
      "AND credentials.name = EXCLUDED.name",
      Params().Text(info.id).Text(info.org_id).Text(info.identity_id).Text(info.name).Int(info.version)
          .Int(info.created_at));
  if (!upserted.ok()) return upserted.error();
  if (*upserted != 1) {
    return MakeError(ErrorCode::kConflict, "credential id " + info.id + " belongs to another credential");
  }
  auto kek_version = BlobKekVersion(record.blob);
  return Done(conn_.Exec(
      "import a credential version",
      "INSERT INTO credential_versions (credential_id, version, type, metadata, expires_at, created_at, blob, "
      "kek_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      Params().Text(info.id).Int(info.version).Text(CredentialTypeName(info.type)).Text(info.metadata.dump())
          .OptionalInt(info.expires_at).Int(info.updated_at).Bytes(record.blob)
          .OptionalInt(kek_version ? std::optional<int64_t>(*kek_version) : std::nullopt)));
}

}  // namespace coffer::store::postgres
