// Key management: KEK bookkeeping, DEK usage per KEK, re-wrap batches and progress, root
// rotation's pending wraps, key events. Kept apart so the key lifecycle reads as one unit.
#include "store/blob_kek_version.h"
#include "store/postgres/postgres_queries.h"
#include "store/postgres/postgres_transaction.h"
#include "store/postgres/row_readers.h"
#include "store/record_readers.h"

namespace coffer::store::postgres {

Result<std::vector<KekStateRecord>> PostgresTransaction::ListKekStates() {
  return AllRows<KekStateRecord>(
      conn_.Query("list KEK states",
                  "SELECT org_id, version, created_at, encryptions FROM keks ORDER BY org_id, version"),
      [](const Row& row) {
        KekStateRecord r;
        r.org_id = row.Text(0);
        r.version = static_cast<uint32_t>(row.Int(1));
        r.created_at = row.Int(2);
        r.encryptions = static_cast<uint64_t>(row.Int(3));
        return r;
      });
}

Result<std::vector<DekUsageRecord>> PostgresTransaction::CountDeksByKek(const std::string& org_id) {
  // NULLS FIRST: SQLite sorts the unreadable blobs' NULL before every version too.
  return AllRows<DekUsageRecord>(
      conn_.Query("count DEKs by KEK",
                  "SELECT v.kek_version, COUNT(*) FROM credential_versions v JOIN credentials c "
                  "ON c.id = v.credential_id WHERE c.org_id = $1 GROUP BY v.kek_version "
                  "ORDER BY v.kek_version NULLS FIRST",
                  Params().Text(org_id)),
      [](const Row& row) { return DekUsageRecord{ReadOptionalKekVersion(row, 0), row.Int(1)}; });
}

Result<std::vector<SealedVersionRecord>> PostgresTransaction::ListVersionsBelowKek(const std::string& org_id,
                                                                                   uint32_t kek_version, int limit) {
  return AllRows<SealedVersionRecord>(
      conn_.Query("list versions to re-wrap",
                  "SELECT c.org_id, c.id, c.name, v.version, v.type, v.blob "
                  "FROM credential_versions v JOIN credentials c ON c.id = v.credential_id "
                  "WHERE v.kek_version < $2 AND c.org_id = $1 ORDER BY v.kek_version, c.id, v.version LIMIT $3",
                  Params().Text(org_id).Int(kek_version).Int(limit)),
      [](const Row& row) {
        SealedVersionRecord r;
        r.org_id = row.Text(0);
        r.credential_id = row.Text(1);
        r.name = row.Text(2);
        r.version = static_cast<int>(row.Int(3));
        r.type = ParseCredentialType(row.Text(4)).value_or(CredentialType::kCustom);
        r.blob = row.Blob(5);
        return r;
      });
}

Result<std::optional<RewrapJobRecord>> PostgresTransaction::FindRewrapJob(const std::string& org_id) {
  return FirstRow<RewrapJobRecord>(
      conn_.Query("find a re-wrap job",
                  std::string("SELECT org_id, target_version, started_at, finished_at, rewrapped FROM kek_rewrap_jobs "
                              "WHERE org_id = $1") + LockInWrites(),
                  Params().Text(org_id)),
      [](const Row& row) {
        RewrapJobRecord r;
        r.org_id = row.Text(0);
        r.target_version = static_cast<uint32_t>(row.Int(1));
        r.started_at = row.Int(2);
        r.finished_at = row.OptionalInt(3);
        r.rewrapped = row.Int(4);
        return r;
      });
}

Result<std::vector<KeyEventRecord>> PostgresTransaction::LatestKeyEvents(const std::string& org_id) {
  return AllRows<KeyEventRecord>(
      conn_.Query("list key events",
                  "SELECT org_id, kind, kek_version, detail, at FROM key_events "
                  "WHERE id IN (SELECT MAX(id) FROM key_events WHERE org_id = $1 GROUP BY kind) ORDER BY id",
                  Params().Text(org_id)),
      ReadKeyEvent<Row>);
}

Result<std::vector<TypeCountRecord>> PostgresTransaction::CountCredentialsByType(const std::string& org_id) {
  return AllRows<TypeCountRecord>(
      conn_.Query("count credentials by type",
                  "SELECT v.type, COUNT(*) FROM credentials c JOIN credential_versions v "
                  "ON v.credential_id = c.id AND v.version = c.current_version WHERE c.org_id = $1 "
                  "GROUP BY v.type ORDER BY v.type",
                  Params().Text(org_id)),
      [](const Row& row) {
        return TypeCountRecord{ParseCredentialType(row.Text(0)).value_or(CredentialType::kCustom), row.Int(1)};
      });
}

Result<bool> PostgresTransaction::ReplaceVersionBlob(const std::string& credential_id, int version,
                                                     const std::vector<uint8_t>& expected,
                                                     const std::vector<uint8_t>& blob) {
  // The KEK version moves with the blob: the column is always the new header's.
  auto version_column = BlobKekVersion(blob);
  auto replaced = conn_.Exec(
      "replace a version's blob",
      "UPDATE credential_versions SET blob = $4, kek_version = $5 "
      "WHERE credential_id = $1 AND version = $2 AND blob = $3",
      Params().Text(credential_id).Int(version).Bytes(expected).Bytes(blob)
          .OptionalInt(version_column ? std::optional<int64_t>(*version_column) : std::nullopt));
  if (!replaced.ok()) return replaced.error();
  return *replaced == 1;
}

Status PostgresTransaction::SetKekEncryptions(const std::string& org_id, uint32_t version, uint64_t encryptions) {
  // GREATEST: a count never goes down, whatever order two nodes' flushes land in.
  return Done(conn_.Exec("count KEK encryptions",
                         "UPDATE keks SET encryptions = GREATEST(encryptions, $3) WHERE org_id = $1 AND version = $2",
                         Params().Text(org_id).Int(version).Int(static_cast<int64_t>(encryptions))));
}

Status PostgresTransaction::AddKekEncryptions(const std::string& org_id, uint32_t version, uint64_t count) {
  return Done(conn_.Exec("count KEK encryptions",
                         "UPDATE keks SET encryptions = encryptions + $3 WHERE org_id = $1 AND version = $2",
                         Params().Text(org_id).Int(version).Int(static_cast<int64_t>(count))));
}

Result<std::vector<PendingRootWrapRecord>> PostgresTransaction::ListPendingRootWraps() {
  return AllRows<PendingRootWrapRecord>(
      conn_.Query("list pending root wraps",
                  "SELECT kind, org_id, version, wrapped FROM root_rewrap_pending ORDER BY kind, org_id, version"),
      [](const Row& row) {
        return PendingRootWrapRecord{row.Text(0), row.Text(1), static_cast<uint32_t>(row.Int(2)), row.Blob(3)};
      });
}

Status PostgresTransaction::PutPendingRootWrap(const PendingRootWrapRecord& p) {
  return Done(conn_.Exec("store a pending root wrap",
                         "INSERT INTO root_rewrap_pending (kind, org_id, version, wrapped) VALUES ($1, $2, $3, $4) "
                         "ON CONFLICT (kind, org_id, version) DO UPDATE SET wrapped = EXCLUDED.wrapped",
                         Params().Text(p.kind).Text(p.org_id).Int(p.version).Bytes(p.wrapped)));
}

Status PostgresTransaction::ClearPendingRootWraps() {
  return Done(conn_.Exec("clear pending root wraps", "DELETE FROM root_rewrap_pending"));
}

Status PostgresTransaction::ReplaceKekWrap(const std::string& org_id, uint32_t version,
                                           const std::vector<uint8_t>& wrapped) {
  auto replaced = conn_.Exec("replace a KEK's wrap", "UPDATE keks SET wrapped = $3 WHERE org_id = $1 AND version = $2",
                             Params().Text(org_id).Int(version).Bytes(wrapped));
  if (!replaced.ok()) return replaced.error();
  if (*replaced != 1) {
    return MakeError(ErrorCode::kConflict, "KEK version " + std::to_string(version) + " of org " + org_id +
                                               " disappeared during the root key rotation");
  }
  return Status::Ok();
}

Result<bool> PostgresTransaction::DeleteKek(const std::string& org_id, uint32_t version) {
  return TouchedAny(conn_.Exec("delete a KEK", "DELETE FROM keks WHERE org_id = $1 AND version = $2",
                               Params().Text(org_id).Int(version)));
}

Status PostgresTransaction::PutRewrapJob(const RewrapJobRecord& job) {
  return Done(conn_.Exec(
      "store a re-wrap job",
      "INSERT INTO kek_rewrap_jobs (org_id, target_version, started_at, finished_at, rewrapped) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_id) DO UPDATE SET target_version = EXCLUDED.target_version, "
      "started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at, rewrapped = EXCLUDED.rewrapped",
      Params().Text(job.org_id).Int(job.target_version).Int(job.started_at).OptionalInt(job.finished_at)
          .Int(job.rewrapped)));
}

Status PostgresTransaction::InsertKeyEvent(const KeyEventRecord& e) {
  return Done(conn_.Exec(
      "record a key event", "INSERT INTO key_events (org_id, kind, kek_version, detail, at) VALUES ($1, $2, $3, $4, $5)",
      Params().Text(e.org_id).Text(e.kind)
          .OptionalInt(e.kek_version ? std::optional<int64_t>(*e.kek_version) : std::nullopt)
          .Text(e.detail).Int(e.at)));
}

}  // namespace coffer::store::postgres
