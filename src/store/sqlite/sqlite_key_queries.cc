// The SQL behind key management (issue 7): KEK bookkeeping, DEK usage per KEK, re-wrap batches and
// progress, key events. Kept apart from sqlite_transaction.cc so the key lifecycle reads as one unit.
#include "store/sqlite/sqlite_transaction.h"

#include "store/sqlite/row_readers.h"
#include "store/record_readers.h"

namespace coffer::store::sqlite {

Result<std::vector<KekStateRecord>> SqliteTransaction::ListKekStates() {
  auto stmt = conn_.Prepare("SELECT org_id, version, created_at, encryptions FROM keks ORDER BY org_id, version");
  if (!stmt.ok()) return stmt.error();
  return AllRows<KekStateRecord>(*stmt, [](const Statement& row) {
    KekStateRecord r;
    r.org_id = row.Text(0);
    r.version = static_cast<uint32_t>(row.Int(1));
    r.created_at = row.Int(2);
    r.encryptions = static_cast<uint64_t>(row.Int(3));
    return r;
  });
}

Result<std::vector<DekUsageRecord>> SqliteTransaction::CountDeksByKek(const std::string& org_id) {
  auto stmt = conn_.Prepare(
      "SELECT v.kek_version, COUNT(*) FROM credential_versions v JOIN credentials c ON c.id = v.credential_id "
      "WHERE c.org_id = ? GROUP BY v.kek_version ORDER BY v.kek_version");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, org_id);
  return AllRows<DekUsageRecord>(*stmt, [](const Statement& row) {
    return DekUsageRecord{ReadOptionalKekVersion(row, 0), row.Int(1)};
  });
}

Result<std::vector<SealedVersionRecord>> SqliteTransaction::ListVersionsBelowKek(const std::string& org_id,
                                                                                 uint32_t kek_version, int limit) {
  auto stmt = conn_.Prepare(
      "SELECT c.org_id, c.id, c.name, v.version, v.type, v.blob "
      "FROM credential_versions v JOIN credentials c ON c.id = v.credential_id "
      "WHERE v.kek_version < ?2 AND c.org_id = ?1 ORDER BY v.kek_version LIMIT ?3");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, org_id).Bind(2, int64_t{kek_version}).Bind(3, int64_t{limit});
  return AllRows<SealedVersionRecord>(*stmt, [](const Statement& row) {
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

Result<std::optional<RewrapJobRecord>> SqliteTransaction::FindRewrapJob(const std::string& org_id) {
  auto stmt = conn_.Prepare(
      "SELECT org_id, target_version, started_at, finished_at, rewrapped FROM kek_rewrap_jobs WHERE org_id = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, org_id);
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<RewrapJobRecord>();
  RewrapJobRecord r;
  r.org_id = stmt->Text(0);
  r.target_version = static_cast<uint32_t>(stmt->Int(1));
  r.started_at = stmt->Int(2);
  r.finished_at = stmt->OptionalInt(3);
  r.rewrapped = stmt->Int(4);
  return std::optional<RewrapJobRecord>(std::move(r));
}

Result<std::vector<KeyEventRecord>> SqliteTransaction::LatestKeyEvents(const std::string& org_id) {
  auto stmt = conn_.Prepare(
      "SELECT org_id, kind, kek_version, detail, at FROM key_events "
      "WHERE id IN (SELECT MAX(id) FROM key_events WHERE org_id = ? GROUP BY kind) ORDER BY id");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, org_id);
  return AllRows<KeyEventRecord>(*stmt, ReadKeyEvent<Statement>);
}

Result<std::vector<TypeCountRecord>> SqliteTransaction::CountCredentialsByType(const std::string& org_id) {
  auto stmt = conn_.Prepare(
      "SELECT v.type, COUNT(*) FROM credentials c JOIN credential_versions v "
      "ON v.credential_id = c.id AND v.version = c.current_version WHERE c.org_id = ? GROUP BY v.type");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, org_id);
  return AllRows<TypeCountRecord>(*stmt, [](const Statement& row) {
    return TypeCountRecord{ParseCredentialType(row.Text(0)).value_or(CredentialType::kCustom), row.Int(1)};
  });
}

Result<bool> SqliteTransaction::ReplaceVersionBlob(const std::string& credential_id, int version,
                                                   const std::vector<uint8_t>& expected,
                                                   const std::vector<uint8_t>& blob) {
  auto stmt = conn_.Prepare(
      "UPDATE credential_versions SET blob = ?4 WHERE credential_id = ?1 AND version = ?2 AND blob = ?3");
  if (!stmt.ok()) return stmt.error();
  COFFER_TRY(stmt->Bind(1, credential_id).Bind(2, int64_t{version}).Bind(3, expected).Bind(4, blob).Run());
  return conn_.Changes() == 1;
}

Status SqliteTransaction::SetKekEncryptions(const std::string& org_id, uint32_t version, uint64_t encryptions) {
  // MAX: a count never goes down, whatever order two flushes land in.
  auto stmt = conn_.Prepare(
      "UPDATE keks SET encryptions = MAX(encryptions, ?3) WHERE org_id = ?1 AND version = ?2");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, org_id).Bind(2, int64_t{version}).Bind(3, static_cast<int64_t>(encryptions)).Run();
}

Status SqliteTransaction::AddKekEncryptions(const std::string& org_id, uint32_t version, uint64_t count) {
  auto stmt = conn_.Prepare("UPDATE keks SET encryptions = encryptions + ?3 WHERE org_id = ?1 AND version = ?2");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, org_id).Bind(2, int64_t{version}).Bind(3, static_cast<int64_t>(count)).Run();
}

Result<std::vector<PendingRootWrapRecord>> SqliteTransaction::ListPendingRootWraps() {
  auto stmt = conn_.Prepare("SELECT kind, org_id, version, wrapped FROM root_rewrap_pending ORDER BY kind, org_id, version");
  if (!stmt.ok()) return stmt.error();
  return AllRows<PendingRootWrapRecord>(*stmt, [](const Statement& row) {
    return PendingRootWrapRecord{row.Text(0), row.Text(1), static_cast<uint32_t>(row.Int(2)), row.Blob(3)};
  });
}

Status SqliteTransaction::PutPendingRootWrap(const PendingRootWrapRecord& p) {
  auto stmt = conn_.Prepare(
      "INSERT OR REPLACE INTO root_rewrap_pending (kind, org_id, version, wrapped) VALUES (?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, p.kind).Bind(2, p.org_id).Bind(3, int64_t{p.version}).Bind(4, p.wrapped).Run();
}

Status SqliteTransaction::ClearPendingRootWraps() {
  return conn_.Exec("DELETE FROM root_rewrap_pending");
}

Status SqliteTransaction::ReplaceKekWrap(const std::string& org_id, uint32_t version,
                                         const std::vector<uint8_t>& wrapped) {
  auto stmt = conn_.Prepare(
      "UPDATE keks SET wrapped = ?3 WHERE org_id = ?1 AND version = ?2");
  if (!stmt.ok()) return stmt.error();
  COFFER_TRY(stmt->Bind(1, org_id).Bind(2, int64_t{version}).Bind(3, wrapped).Run());
  if (conn_.Changes() != 1) {
    return MakeError(ErrorCode::kConflict, "KEK version " + std::to_string(version) + " of org " + org_id +
                                               " disappeared during the root key rotation");
  }
  return Status::Ok();
}

Result<bool> SqliteTransaction::DeleteKek(const std::string& org_id, uint32_t version) {
  auto stmt = conn_.Prepare("DELETE FROM keks WHERE org_id = ? AND version = ?");
  if (!stmt.ok()) return stmt.error();
  COFFER_TRY(stmt->Bind(1, org_id).Bind(2, int64_t{version}).Run());
  return conn_.Changes() > 0;
}

Status SqliteTransaction::PutRewrapJob(const RewrapJobRecord& job) {
  auto stmt = conn_.Prepare(
      "INSERT INTO kek_rewrap_jobs (org_id, target_version, started_at, finished_at, rewrapped) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (org_id) DO UPDATE SET target_version = ?2, "
      "started_at = ?3, finished_at = ?4, rewrapped = ?5");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, job.org_id).Bind(2, int64_t{job.target_version}).Bind(3, job.started_at)
      .Bind(4, job.finished_at).Bind(5, job.rewrapped).Run();
}

Status SqliteTransaction::InsertKeyEvent(const KeyEventRecord& e) {
  auto stmt = conn_.Prepare(
      "INSERT INTO key_events (org_id, kind, kek_version, detail, at) VALUES (?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, e.org_id).Bind(2, e.kind);
  stmt->Bind(3, e.kek_version ? std::optional<int64_t>(*e.kek_version) : std::nullopt);
  return stmt->Bind(4, e.detail).Bind(5, e.at).Run();
}

}  // namespace coffer::store::sqlite
