// Leases on SQLite. One process has the database to itself (the data directory's lock sees to
// that), so its one node holds every lease: AcquireLease always grants, and raises the token when
// the holder changes or the lease had expired, exactly as on a shared engine, so the fencing code
// above runs unchanged and a stale token still fails its check.
#include "core/time.h"
#include "store/lease_lost.h"
#include "store/sqlite/row_readers.h"
#include "store/sqlite/sqlite_transaction.h"

namespace coffer::store::sqlite {
namespace {

LeaseRecord ReadLease(const Statement& row) {
  return LeaseRecord{row.Text(0), row.Text(1), row.Int(2), row.Int(3)};
}

}  // namespace

Result<std::vector<LeaseRecord>> SqliteTransaction::ListLeases() {
  auto stmt = conn_.Prepare("SELECT name, holder, token, expires_at FROM leases ORDER BY name");
  if (!stmt.ok()) return stmt.error();
  return AllRows<LeaseRecord>(*stmt, ReadLease);
}

Result<std::optional<LeaseRecord>> SqliteTransaction::AcquireLease(const std::string& name, const std::string& holder,
                                                                   int64_t ttl_micros) {
  const UnixMicros now = NowMicros();
  auto stmt = conn_.Prepare(
      "INSERT INTO leases (name, holder, token, expires_at) VALUES (?1, ?2, 1, ?3 + ?4) "
      "ON CONFLICT (name) DO UPDATE SET "
      "  token = CASE WHEN holder = excluded.holder AND expires_at > ?3 THEN token ELSE token + 1 END, "
      "  holder = excluded.holder, expires_at = excluded.expires_at "
      "RETURNING name, holder, token, expires_at");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, name).Bind(2, holder).Bind(3, now).Bind(4, ttl_micros);
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return MakeError(ErrorCode::kInternal, "taking a lease returned no row");
  LeaseRecord lease = ReadLease(*stmt);
  return std::optional<LeaseRecord>(std::move(lease));
}

Status SqliteTransaction::CheckLease(const LeaseRecord& lease) {
  auto stmt = conn_.Prepare("SELECT 1 FROM leases WHERE name = ?1 AND holder = ?2 AND token = ?3 AND expires_at > ?4");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, lease.name).Bind(2, lease.holder).Bind(3, lease.token).Bind(4, NowMicros());
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return LeaseLost(lease);
  return Status::Ok();
}

Status SqliteTransaction::ReleaseLease(const LeaseRecord& lease) {
  auto stmt = conn_.Prepare("UPDATE leases SET expires_at = ?4 WHERE name = ?1 AND holder = ?2 AND token = ?3");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, lease.name).Bind(2, lease.holder).Bind(3, lease.token).Bind(4, NowMicros()).Run();
}

}  // namespace coffer::store::sqlite
