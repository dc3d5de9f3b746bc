// Failed-login counts on PostgreSQL. FindLoginFailures inside a write locks the row (FOR UPDATE),
// so two nodes counting failures of one account take turns and neither count is lost.
#include "store/postgres/postgres_queries.h"
#include "store/postgres/postgres_transaction.h"

namespace coffer::store::postgres {

Result<std::optional<LoginFailureRecord>> PostgresTransaction::FindLoginFailures(const std::string& key) {
  auto rows = conn_.Query("read failed logins",
                          std::string("SELECT key, failures, blocked_until, last_failure_at FROM login_failures "
                                      "WHERE key = $1") + LockInWrites(),
                          Params().Text(key));
  if (!rows.ok()) return rows.error();
  if (rows->size() == 0) return std::optional<LoginFailureRecord>();
  const Row row = (*rows)[0];
  return std::optional<LoginFailureRecord>(
      LoginFailureRecord{row.Text(0), static_cast<int>(row.Int(1)), row.Int(2), row.Int(3)});
}

Status PostgresTransaction::PutLoginFailures(const LoginFailureRecord& r) {
  return Done(conn_.Exec("count a failed login",
                         "INSERT INTO login_failures (key, failures, blocked_until, last_failure_at) "
                         "VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET failures = EXCLUDED.failures, "
                         "blocked_until = EXCLUDED.blocked_until, last_failure_at = EXCLUDED.last_failure_at",
                         Params().Text(r.key).Int(r.failures).Int(r.blocked_until).Int(r.last_failure_at)));
}

Status PostgresTransaction::DeleteLoginFailures(const std::string& key) {
  return Done(conn_.Exec("forget failed logins", "DELETE FROM login_failures WHERE key = $1", Params().Text(key)));
}

Status PostgresTransaction::PruneLoginFailures(UnixMicros before) {
  return Done(conn_.Exec("prune failed logins", "DELETE FROM login_failures WHERE last_failure_at < $1",
                         Params().Int(before)));
}

}  // namespace coffer::store::postgres
