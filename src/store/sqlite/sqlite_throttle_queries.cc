// Failed-login counts on SQLite: one writer, so a read-then-write inside a write is never raced.
#include "store/sqlite/sqlite_transaction.h"

namespace coffer::store::sqlite {

Result<std::optional<LoginFailureRecord>> SqliteTransaction::FindLoginFailures(const std::string& key) {
  auto stmt = conn_.Prepare("SELECT key, failures, blocked_until, last_failure_at FROM login_failures WHERE key = ?1");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, key);
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<LoginFailureRecord>();
  return std::optional<LoginFailureRecord>(LoginFailureRecord{
      stmt->Text(0), static_cast<int>(stmt->Int(1)), stmt->Int(2), stmt->Int(3)});
}

Status SqliteTransaction::PutLoginFailures(const LoginFailureRecord& r) {
  auto stmt = conn_.Prepare(
      "INSERT INTO login_failures (key, failures, blocked_until, last_failure_at) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, blocked_until = excluded.blocked_until, "
      "last_failure_at = excluded.last_failure_at");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, r.key).Bind(2, int64_t{r.failures}).Bind(3, r.blocked_until).Bind(4, r.last_failure_at).Run();
}

Status SqliteTransaction::DeleteLoginFailures(const std::string& key) {
  auto stmt = conn_.Prepare("DELETE FROM login_failures WHERE key = ?1");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, key).Run();
}

Status SqliteTransaction::PruneLoginFailures(UnixMicros before) {
  auto stmt = conn_.Prepare("DELETE FROM login_failures WHERE last_failure_at < ?1");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, before).Run();
}

}  // namespace coffer::store::sqlite
