// Credentials and their retained versions.
#include "store/postgres/postgres_transaction.h"

#include "core/json_document.h"
#include "store/blob_kek_version.h"
#include "store/postgres/postgres_queries.h"
#include "store/postgres/row_readers.h"
#include "store/record_readers.h"

namespace coffer::store::postgres {
namespace {

// Columns 0-9 of every credential query.
const std::string kCredentialColumns =
    "c.id, c.org_id, c.identity_id, c.name, v.version, v.type, v.metadata, v.expires_at, "
    "c.created_at, v.created_at";


std::optional<int64_t> KekVersionColumn(std::span<const uint8_t> blob) {
  auto version = BlobKekVersion(blob);
  if (!version) return std::nullopt;
  return int64_t{*version};
}

}  // namespace

Result<std::optional<CredentialRecord>> PostgresTransaction::FindCredential(const std::string& org_id,
                                                                           const std::string& identity_id,
                                                                           const std::string& name,
                                                                           std::optional<int> version) {
  return FirstRow<CredentialRecord>(
      conn_.Query("find a credential",
                  "SELECT " + kCredentialColumns +
                      ", v.blob FROM credentials c JOIN credential_versions v ON v.credential_id = c.id "
                      "AND v.version = COALESCE($4, c.current_version) "
                      "WHERE c.org_id = $1 AND c.identity_id = $2 AND c.name = $3",
                  Params().Text(org_id).Text(identity_id).Text(name).OptionalInt(
                      version ? std::optional<int64_t>(*version) : std::nullopt)),
      [](const Row& row) -> Result<CredentialRecord> {
        auto info = ReadCredentialInfo(row);
        if (!info.ok()) return info.error();
        return CredentialRecord{std::move(*info), row.Blob(10)};
      });
}

Result<std::vector<CredentialInfo>> PostgresTransaction::ListCredentials(const CredentialListQuery& q) {
  // Names compare as bytes (COLLATE "C"), so the cursor and the order are SQLite's.
  return AllRows<CredentialInfo>(
      conn_.Query("list credentials",
                  "SELECT " + kCredentialColumns +
                      " FROM credentials c JOIN credential_versions v ON v.credential_id = c.id "
                      "AND v.version = c.current_version "
                      "WHERE c.org_id = $1 AND c.identity_id = $2 AND c.name > $3 "
                      "AND ($4::text IS NULL OR v.type = $4) AND starts_with(c.name, $5) "
                      "ORDER BY c.name LIMIT $6",
                  Params().Text(q.org_id).Text(q.identity_id).Text(q.after_name)
                      .OptionalText(q.type ? std::optional<std::string>(CredentialTypeName(*q.type)) : std::nullopt)
                      .Text(q.name_prefix).Int(q.limit)),
      ReadCredentialInfo<Row>);
}

Result<int64_t> PostgresTransaction::PurgeCredentials(const std::string& org_id, const std::string& identity_id) {
  return conn_.Exec("purge credentials", "DELETE FROM credentials WHERE org_id = $1 AND identity_id = $2",
                    Params().Text(org_id).Text(identity_id));
}

Status PostgresTransaction::PutCredentialVersion(const CredentialRecord& record) {
  const CredentialInfo& info = record.info;
  if (info.version == 1) {
    // Two nodes creating one name: the second waits on the unique index, then conflicts.
    COFFER_TRY(conn_.Exec("store a credential",
                          "INSERT INTO credentials (id, org_id, identity_id, name, current_version, created_at) "
                          "VALUES ($1, $2, $3, $4, 1, $5)",
                          Params().Text(info.id).Text(info.org_id).Text(info.identity_id).Text(info.name)
                              .Int(info.created_at)));
  } else {
    // Two nodes writing the next version: the second waits for the first's row lock, and
    // PostgreSQL re-checks the condition against the committed row, which no longer matches.
    auto bumped = conn_.Exec("store a credential version",
                             "UPDATE credentials SET current_version = $1 WHERE id = $2 AND current_version = $1 - 1",
                             Params().Int(info.version).Text(info.id));
    if (!bumped.ok()) return bumped.error();
    if (*bumped != 1) {
      return MakeError(ErrorCode::kConflict, "credential '" + info.name + "' changed during the write: retry");
    }
  }
  COFFER_TRY(conn_.Exec(
      "store a credential version",
      "INSERT INTO credential_versions (credential_id, version, type, metadata, expires_at, created_at, blob, "
      "kek_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      Params().Text(info.id).Int(info.version).Text(CredentialTypeName(info.type)).Text(info.metadata.dump())
          .OptionalInt(info.expires_at).Int(info.updated_at).Bytes(record.blob)
          .OptionalInt(KekVersionColumn(record.blob))));
  return Done(conn_.Exec("prune old credential versions",
                         "DELETE FROM credential_versions WHERE credential_id = $1 AND version <= $2",
                         Params().Text(info.id).Int(info.version - kRetainedVersions)));
}

Result<bool> PostgresTransaction::DeleteCredential(const std::string& org_id, const std::string& identity_id,
                                                   const std::string& name) {
  return TouchedAny(conn_.Exec("delete a credential",
                               "DELETE FROM credentials WHERE org_id = $1 AND identity_id = $2 AND name = $3",
                               Params().Text(org_id).Text(identity_id).Text(name)));
}

}  // namespace coffer::store::postgres
