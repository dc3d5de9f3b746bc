// Leases on PostgreSQL, timed by the database's clock (statement_timestamp(), the same for every
// node whatever their own clocks say), so two nodes never both believe they hold one.
//
// Fencing: CheckLease reads the lease row FOR SHARE, and AcquireLease must update that row, so a
// takeover waits until the checked write has committed or rolled back, and a write checked after
// a takeover sees the new token and fails. A node paused inside such a write holds the row, not
// the lease: the takeover waits for it (idle_in_transaction_session_timeout ends a session paused
// that long), so the write either lands before the next holder starts or not at all.
#include "store/lease_lost.h"
#include "store/postgres/postgres_queries.h"
#include "store/postgres/postgres_transaction.h"
#include "store/postgres/row_readers.h"

namespace coffer::store::postgres {
namespace {

// Microseconds since the epoch by the database's clock, as the lease columns keep time.
#define COFFER_DB_NOW "(EXTRACT(EPOCH FROM statement_timestamp()) * 1000000)::BIGINT"

LeaseRecord ReadLease(const Row& row) { return LeaseRecord{row.Text(0), row.Text(1), row.Int(2), row.Int(3)}; }

}  // namespace

Result<std::vector<LeaseRecord>> PostgresTransaction::ListLeases() {
  return AllRows<LeaseRecord>(
      conn_.Query("list leases", "SELECT name, holder, token, expires_at FROM leases ORDER BY name"), ReadLease);
}

Result<std::optional<LeaseRecord>> PostgresTransaction::AcquireLease(const std::string& name,
                                                                     const std::string& holder, int64_t ttl_micros) {
  auto rows = conn_.Query(
      "take a lease",
      "INSERT INTO leases AS l (name, holder, token, expires_at) VALUES ($1, $2, 1, " COFFER_DB_NOW " + $3) "
      "ON CONFLICT (name) DO UPDATE SET "
      "  token = CASE WHEN l.holder = EXCLUDED.holder AND l.expires_at > " COFFER_DB_NOW
      "               THEN l.token ELSE l.token + 1 END, "
      "  holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at "
      "WHERE l.holder = EXCLUDED.holder OR l.expires_at <= " COFFER_DB_NOW " "
      "RETURNING name, holder, token, expires_at",
      Params().Text(name).Text(holder).Int(ttl_micros));
  if (!rows.ok()) return rows.error();
  if (rows->size() == 0) return std::optional<LeaseRecord>();  // another node's lease runs
  return std::optional<LeaseRecord>(ReadLease((*rows)[0]));
}

Status PostgresTransaction::CheckLease(const LeaseRecord& lease) {
  auto rows = conn_.Query("check a lease",
                          "SELECT 1 FROM leases WHERE name = $1 AND holder = $2 AND token = $3 "
                          "AND expires_at > " COFFER_DB_NOW " FOR SHARE",
                          Params().Text(lease.name).Text(lease.holder).Int(lease.token));
  if (!rows.ok()) return rows.error();
  if (rows->size() == 0) return LeaseLost(lease);
  return Status::Ok();
}

Status PostgresTransaction::ReleaseLease(const LeaseRecord& lease) {
  return Done(conn_.Exec("release a lease",
                         "UPDATE leases SET expires_at = " COFFER_DB_NOW
                         " WHERE name = $1 AND holder = $2 AND token = $3",
                         Params().Text(lease.name).Text(lease.holder).Int(lease.token)));
}

#undef COFFER_DB_NOW

}  // namespace coffer::store::postgres
