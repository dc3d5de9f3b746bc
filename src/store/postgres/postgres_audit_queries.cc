// The audit trail: one hash chain across every node. Its tip lives in the one-row audit_tip
// table, which a write transaction locks before numbering a record (see postgres_transaction.h).
#include <algorithm>

#include "store/postgres/postgres_queries.h"
#include "store/postgres/postgres_transaction.h"
#include "store/postgres/row_readers.h"
#include "store/record_readers.h"
#include "store/word_list.h"

namespace coffer::store::postgres {
namespace {

const std::string kAuditColumns =
    "seq, id, at, org_id, actor_id, actor_name, actor_kind, chain_ids, token_id, source_ip, user_agent, "
    "request_id, action, target, target_version, outcome, reason, hash";


}  // namespace

Result<AuditChainTip> PostgresTransaction::ReadAuditChainTip() {
  if (audit_tip_) return *audit_tip_;
  // In a write, the lock waits for any other node's transaction that moved the tip, then reads
  // the row as that one committed it. Checkpoints are read by a second statement, after the
  // lock, so that under READ COMMITTED it sees what that transaction committed too.
  auto tip = conn_.Query("read the audit chain's tip",
                         std::string("SELECT last_seq, last_hash FROM audit_tip") + LockInWrites());
  if (!tip.ok()) return tip.error();
  if (tip->size() != 1) return MakeError(ErrorCode::kInternal, "the audit chain's tip could not be read");
  auto checkpoint = conn_.Query("read the audit chain's last checkpoint",
                                "SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoints");
  if (!checkpoint.ok()) return checkpoint.error();
  AuditChainTip read{(*tip)[0].Int(0), (*tip)[0].Blob(1), (*checkpoint)[0].Int(0)};
  if (!writing_) return read;  // unlocked: another node may move it at once, so nothing is kept
  audit_tip_ = std::move(read);
  return *audit_tip_;
}

Result<std::vector<AuditRecord>> PostgresTransaction::QueryAudit(const AuditQuery& q) {
  // Empty filters match everything; the free text searches actor, action, target, reason and
  // address. LIKE and lower() as SQLite has them: ASCII case folded (ILIKE, and lower() under
  // COLLATE "C").
  return AllRows<AuditRecord>(
      conn_.Query(
          "query the audit trail",
          "SELECT " + kAuditColumns +
              " FROM audit_events WHERE (org_id = $1 OR ($12 AND org_id = ''))"
              " AND ($2::text IS NULL OR strpos(' ' || chain_ids || ' ', ' ' || $2 || ' ') > 0)"
              " AND ($14::text IS NULL OR strpos(' ' || chain_ids || ' ', ' ' || $14 || ' ') > 0)"
              " AND ($3 = '' OR actor_id = $3) AND ($4 = '' OR action = $4 OR action ILIKE $4 || '.%')"
              " AND ($5 = '' OR target = $5 OR target = $13) AND ($6 = '' OR outcome = $6)"
              " AND ($7::bigint IS NULL OR at >= $7) AND ($8::bigint IS NULL OR at < $8)"
              " AND ($9::bigint IS NULL OR seq < $9)"
              " AND ($10 = '' OR strpos(lower(actor_name || ' ' || action || ' ' || target || ' ' || reason || ' ' ||"
              " source_ip), lower($10)) > 0)"
              " ORDER BY seq DESC LIMIT $11",
          Params().Text(q.org_id).OptionalText(q.within_chain_of).Text(q.actor_id).Text(q.action).Text(q.target)
              .Text(q.outcome).OptionalInt(q.since).OptionalInt(q.until).OptionalInt(q.before_seq).Text(q.text)
              .Int(q.limit).Bool(q.include_server_records).Text(q.target_digest).OptionalText(q.subtree_of)),
      ReadAudit<Row>);
}

Result<std::vector<AuditRecord>> PostgresTransaction::ScanAudit(int64_t after_seq, int limit) {
  return AllRows<AuditRecord>(
      conn_.Query("scan the audit trail",
                  "SELECT " + kAuditColumns + " FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2",
                  Params().Int(after_seq).Int(limit)),
      ReadAudit<Row>);
}

Result<std::vector<AuditKeyRecord>> PostgresTransaction::ListAuditKeys() {
  return AllRows<AuditKeyRecord>(
      conn_.Query("list audit keys", "SELECT version, wrapped, created_at FROM audit_keys ORDER BY version"),
      [](const Row& row) { return AuditKeyRecord{static_cast<uint32_t>(row.Int(0)), row.Blob(1), row.Int(2)}; });
}

Status PostgresTransaction::AppendAudit(const AuditRecord& r) {
  auto inserted = conn_.Exec(
      "append an audit record",
      "INSERT INTO audit_events (" + kAuditColumns +
          ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
      Params().Int(r.seq).Text(r.id).Int(r.at).Text(r.org_id).Text(r.actor_id).Text(r.actor_name).Text(r.actor_kind)
          .Text(JoinWords(r.chain_ids)).Text(r.token_id).Text(r.source_ip).Text(r.user_agent).Text(r.request_id)
          .Text(r.action).Text(r.target)
          .OptionalInt(r.target_version ? std::optional<int64_t>(*r.target_version) : std::nullopt)
          .Text(r.outcome).Text(r.reason).Bytes(r.hash));
  // The tip only ever moves forward: a record numbered at or below it was numbered from a stale
  // tip, which the lock is there to prevent.
  Result<int64_t> moved = inserted.ok()
                              ? conn_.Exec("move the audit chain's tip",
                                           "UPDATE audit_tip SET last_seq = $1, last_hash = $2 WHERE last_seq < $1",
                                           Params().Int(r.seq).Bytes(r.hash))
                              : Result<int64_t>(inserted.error());
  if (moved.ok() && *moved != 1) {
    moved = MakeError(ErrorCode::kConflict, "audit record " + std::to_string(r.seq) +
                                                " is not after the chain's tip: another node appended first, retry");
  }
  if (!moved.ok()) {
    audit_tip_.reset();
    return moved.error();
  }
  if (audit_tip_) {
    audit_tip_->last_seq = r.seq;
    audit_tip_->last_hash = r.hash;
  }
  return Status::Ok();
}

Status PostgresTransaction::PutAuditKey(const AuditKeyRecord& key) {
  return Done(conn_.Exec("store an audit key",
                         "INSERT INTO audit_keys (version, wrapped, created_at) VALUES ($1, $2, $3) "
                         "ON CONFLICT (version) DO UPDATE SET wrapped = EXCLUDED.wrapped, created_at = EXCLUDED.created_at",
                         Params().Int(key.version).Bytes(key.wrapped).Int(key.created_at)));
}

Result<std::vector<AuditCheckpointRecord>> PostgresTransaction::ListAuditCheckpoints() {
  return AllRows<AuditCheckpointRecord>(
      conn_.Query("list audit checkpoints", "SELECT seq, hash, at, signature FROM audit_checkpoints ORDER BY seq"),
      [](const Row& row) { return AuditCheckpointRecord{row.Int(0), row.Blob(1), row.Int(2), row.Blob(3)}; });
}

Result<std::optional<int64_t>> PostgresTransaction::LastAuditSeqBefore(UnixMicros cutoff) {
  auto rows = conn_.Query("find the last audit record before a time",
                          "SELECT MAX(seq) FROM audit_events WHERE at < $1", Params().Int(cutoff));
  if (!rows.ok()) return rows.error();
  if (rows->size() == 0) return std::optional<int64_t>();
  return (*rows)[0].OptionalInt(0);
}

Status PostgresTransaction::PutAuditCheckpoint(const AuditCheckpointRecord& c) {
  // An existing checkpoint for the same record stays: one that verified is never replaced.
  auto inserted = conn_.Exec("store an audit checkpoint",
                             "INSERT INTO audit_checkpoints (seq, hash, at, signature) VALUES ($1, $2, $3, $4) "
                             "ON CONFLICT (seq) DO NOTHING",
                             Params().Int(c.seq).Bytes(c.hash).Int(c.at).Bytes(c.signature));
  if (!inserted.ok()) {
    audit_tip_.reset();
    return inserted.error();
  }
  if (audit_tip_) audit_tip_->last_checkpoint_seq = std::max(audit_tip_->last_checkpoint_seq, c.seq);
  return Status::Ok();
}

Status PostgresTransaction::PruneAudit(int64_t through_seq) {
  audit_tip_.reset();  // pruning everything moves the tip back to nothing
  COFFER_TRY(conn_.Exec("prune the audit trail", "DELETE FROM audit_events WHERE seq <= $1",
                        Params().Int(through_seq)));
  // As SQLite reads its tip from the newest remaining record: none left, no tip (checkpoints
  // keep the numbering going).
  return Done(conn_.Exec("move the audit chain's tip",
                         "UPDATE audit_tip SET last_seq = 0, last_hash = ''::bytea WHERE last_seq <= $1",
                         Params().Int(through_seq)));
}

}  // namespace coffer::store::postgres
