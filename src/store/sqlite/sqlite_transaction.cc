#include "store/sqlite/sqlite_transaction.h"

#include <algorithm>
#include <string_view>

#include "core/json_document.h"
#include "store/record_readers.h"
#include "store/sqlite/row_readers.h"
#include "store/word_list.h"

namespace coffer::store::sqlite {
namespace {

// Columns: c.id, c.org_id, c.identity_id, c.name, v.version, v.type, v.metadata, v.expires_at,
// c.created_at, v.created_at
constexpr const char* kCredentialColumns =
    "c.id, c.org_id, c.identity_id, c.name, v.version, v.type, v.metadata, v.expires_at, "
    "c.created_at, v.created_at";

constexpr const char* kIdentityColumns =
    "id, org_id, parent_id, name, kind, role, scopes, created_by, created_at, revoked_at, reveal";


constexpr const char* kTokenColumns =
    "id, org_id, identity_id, token_hash, name, scopes, cidrs, created_at, expires_at, revoked_at, reveal";


constexpr const char* kGrantColumns =
    "id, org_id, granter_id, grantee_id, pattern, scopes, created_by, created_at, expires_at, revoked_at";


void BindOptionalText(Statement& stmt, int index, const std::optional<std::string>& value) {
  if (value) {
    stmt.Bind(index, *value);
  } else {
    stmt.BindNull(index);
  }
}


}  // namespace

Result<std::vector<OrgRecord>> SqliteTransaction::ListOrgs() {
  auto stmt = conn_.Prepare("SELECT id, name, created_at FROM orgs ORDER BY created_at");
  if (!stmt.ok()) return stmt.error();
  std::vector<OrgRecord> out;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back(OrgRecord{stmt->Text(0), stmt->Text(1), stmt->Int(2)});
  }
  return out;
}

Result<std::vector<KekRecord>> SqliteTransaction::ListKeks() {
  auto stmt = conn_.Prepare("SELECT org_id, version, wrapped, created_at FROM keks ORDER BY org_id, version");
  if (!stmt.ok()) return stmt.error();
  std::vector<KekRecord> out;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back(KekRecord{stmt->Text(0), static_cast<uint32_t>(stmt->Int(1)), stmt->Blob(2), stmt->Int(3)});
  }
  return out;
}

Result<std::optional<IdentityRecord>> SqliteTransaction::FindIdentity(const std::string& id) {
  auto stmt = conn_.Prepare(std::string("SELECT ") + kIdentityColumns + " FROM identities WHERE id = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, id);
  return FirstRow<IdentityRecord>(*stmt, ReadIdentity<Statement>);
}

Result<std::vector<IdentityRecord>> SqliteTransaction::ListIdentities(const std::string& org_id) {
  auto stmt = conn_.Prepare(std::string("SELECT ") + kIdentityColumns +
                            " FROM identities WHERE org_id = ? ORDER BY created_at, id");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, org_id);
  return AllRows<IdentityRecord>(*stmt, ReadIdentity<Statement>);
}

Result<std::optional<TokenRecord>> SqliteTransaction::FindTokenByHash(const TokenHash& hash) {
  auto stmt = conn_.Prepare(std::string("SELECT ") + kTokenColumns + " FROM tokens WHERE token_hash = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, std::span<const uint8_t>(hash));
  return FirstRow<TokenRecord>(*stmt, ReadToken<Statement>);
}

Result<std::optional<TokenRecord>> SqliteTransaction::FindToken(const std::string& id) {
  auto stmt = conn_.Prepare(std::string("SELECT ") + kTokenColumns + " FROM tokens WHERE id = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, id);
  return FirstRow<TokenRecord>(*stmt, ReadToken<Statement>);
}

Result<std::vector<TokenRecord>> SqliteTransaction::ListTokens(const std::string& identity_id) {
  auto stmt = conn_.Prepare(std::string("SELECT ") + kTokenColumns +
                            " FROM tokens WHERE identity_id = ? ORDER BY created_at, id");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, identity_id);
  return AllRows<TokenRecord>(*stmt, ReadToken<Statement>);
}

Result<std::optional<GrantRecord>> SqliteTransaction::FindGrant(const std::string& id) {
  auto stmt = conn_.Prepare(std::string("SELECT ") + kGrantColumns + " FROM grants WHERE id = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, id);
  return FirstRow<GrantRecord>(*stmt, ReadGrant<Statement>);
}

Result<std::vector<GrantRecord>> SqliteTransaction::ListGrantsTo(const std::string& grantee_id) {
  auto stmt = conn_.Prepare(std::string("SELECT ") + kGrantColumns +
                            " FROM grants WHERE grantee_id = ? ORDER BY created_at, id");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, grantee_id);
  return AllRows<GrantRecord>(*stmt, ReadGrant<Statement>);
}

Result<std::vector<GrantRecord>> SqliteTransaction::ListGrantsFrom(const std::string& granter_id) {
  auto stmt = conn_.Prepare(std::string("SELECT ") + kGrantColumns +
                            " FROM grants WHERE granter_id = ? ORDER BY created_at, id");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, granter_id);
  return AllRows<GrantRecord>(*stmt, ReadGrant<Statement>);
}

namespace {

constexpr const char* kHumanColumns =
    "identity_id, username, password_hash, coalesce(totp_wrapped, x''), totp_confirmed, totp_last_step";


}  // namespace

Result<std::optional<HumanRecord>> SqliteTransaction::FindHumanByUsername(const std::string& username) {
  auto stmt = conn_.Prepare(std::string("SELECT ") + kHumanColumns + " FROM humans WHERE username = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, username);
  return FirstRow<HumanRecord>(*stmt, ReadHuman<Statement>);
}

Result<std::optional<HumanRecord>> SqliteTransaction::FindHumanByIdentity(const std::string& identity_id) {
  auto stmt = conn_.Prepare(std::string("SELECT ") + kHumanColumns + " FROM humans WHERE identity_id = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, identity_id);
  return FirstRow<HumanRecord>(*stmt, ReadHuman<Statement>);
}

Result<std::vector<HumanRecord>> SqliteTransaction::ListHumansWithTotp() {
  auto stmt = conn_.Prepare(std::string("SELECT ") + kHumanColumns + " FROM humans WHERE totp_wrapped IS NOT NULL");
  if (!stmt.ok()) return stmt.error();
  return AllRows<HumanRecord>(*stmt, ReadHuman<Statement>);
}

Result<std::optional<CredentialRecord>> SqliteTransaction::FindCredential(
    const std::string& org_id, const std::string& identity_id, const std::string& name,
    std::optional<int> version) {
  auto stmt = conn_.Prepare(
      std::string("SELECT ") + kCredentialColumns +
      ", v.blob FROM credentials c JOIN credential_versions v ON v.credential_id = c.id "
      "AND v.version = COALESCE(?4, c.current_version) "
      "WHERE c.org_id = ?1 AND c.identity_id = ?2 AND c.name = ?3");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, org_id).Bind(2, identity_id).Bind(3, name);
  stmt->Bind(4, version ? std::optional<int64_t>(*version) : std::nullopt);
  return FirstRow<CredentialRecord>(*stmt, [](const Statement& row) -> Result<CredentialRecord> {
    auto info = ReadCredentialInfo(row);
    if (!info.ok()) return info.error();
    return CredentialRecord{std::move(*info), row.Blob(10)};
  });
}

Result<std::vector<CredentialInfo>> SqliteTransaction::ListCredentials(const CredentialListQuery& q) {
  auto stmt = conn_.Prepare(
      std::string("SELECT ") + kCredentialColumns +
      " FROM credentials c JOIN credential_versions v ON v.credential_id = c.id "
      "AND v.version = c.current_version "
      "WHERE c.org_id = ?1 AND c.identity_id = ?2 AND c.name > ?3 "
      "AND (?4 IS NULL OR v.type = ?4) "
      "AND substr(c.name, 1, length(?5)) = ?5 "
      "ORDER BY c.name LIMIT ?6");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, q.org_id).Bind(2, q.identity_id).Bind(3, q.after_name);
  if (q.type) {
    stmt->Bind(4, CredentialTypeName(*q.type));
  } else {
    stmt->BindNull(4);
  }
  stmt->Bind(5, q.name_prefix).Bind(6, int64_t{q.limit});
  return AllRows<CredentialInfo>(*stmt, ReadCredentialInfo<Statement>);
}

Status SqliteTransaction::InsertOrg(const OrgRecord& org) {
  auto stmt = conn_.Prepare("INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, org.id).Bind(2, org.name).Bind(3, org.created_at).Run();
}

Status SqliteTransaction::InsertKek(const KekRecord& kek) {
  auto stmt = conn_.Prepare("INSERT INTO keks (org_id, version, wrapped, created_at) VALUES (?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, kek.org_id).Bind(2, int64_t{kek.version}).Bind(3, kek.wrapped).Bind(4, kek.created_at).Run();
}

Status SqliteTransaction::InsertIdentity(const IdentityRecord& r) {
  auto stmt = conn_.Prepare(
      "INSERT INTO identities (id, org_id, parent_id, name, kind, role, scopes, created_by, created_at, revoked_at, "
      "reveal) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, r.id).Bind(2, r.org_id);
  BindOptionalText(*stmt, 3, r.parent_id);
  stmt->Bind(4, r.name).Bind(5, r.kind).Bind(6, r.role).Bind(7, JoinWords(r.scopes));
  BindOptionalText(*stmt, 8, r.created_by);
  return stmt->Bind(9, r.created_at).Bind(10, r.revoked_at).Bind(11, int64_t{r.reveal ? 1 : 0}).Run();
}

Status SqliteTransaction::InsertToken(const TokenRecord& r) {
  auto stmt = conn_.Prepare(
      "INSERT INTO tokens (id, org_id, identity_id, token_hash, name, scopes, cidrs, created_at, expires_at, "
      "revoked_at, reveal) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, r.id).Bind(2, r.org_id).Bind(3, r.identity_id)
      .Bind(4, std::span<const uint8_t>(r.hash)).Bind(5, r.name).Bind(6, JoinWords(r.scopes))
      .Bind(7, JoinWords(r.cidrs)).Bind(8, r.created_at).Bind(9, r.expires_at).Bind(10, r.revoked_at)
      .Bind(11, int64_t{r.reveal ? 1 : 0}).Run();
}

Status SqliteTransaction::InsertHuman(const HumanRecord& r) {
  auto stmt = conn_.Prepare("INSERT INTO humans (identity_id, username, password_hash) VALUES (?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, r.identity_id).Bind(2, r.username).Bind(3, r.password_hash).Run();
}

Status SqliteTransaction::InsertGrant(const GrantRecord& r) {
  auto stmt = conn_.Prepare(
      "INSERT INTO grants (id, org_id, granter_id, grantee_id, pattern, scopes, created_by, created_at, "
      "expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, r.id).Bind(2, r.org_id).Bind(3, r.granter_id).Bind(4, r.grantee_id)
      .Bind(5, r.pattern).Bind(6, JoinWords(r.scopes)).Bind(7, r.created_by).Bind(8, r.created_at)
      .Bind(9, r.expires_at).Bind(10, r.revoked_at).Run();
}

Result<bool> SqliteTransaction::SetIdentityRevoked(const std::string& id, std::optional<UnixMicros> at) {
  auto stmt = conn_.Prepare("UPDATE identities SET revoked_at = ? WHERE id = ?");
  if (!stmt.ok()) return stmt.error();
  COFFER_TRY(stmt->Bind(1, at).Bind(2, id).Run());
  return conn_.Changes() > 0;
}

Result<bool> SqliteTransaction::RevokeToken(const std::string& id, UnixMicros at) {
  auto stmt = conn_.Prepare("UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?");
  if (!stmt.ok()) return stmt.error();
  COFFER_TRY(stmt->Bind(1, at).Bind(2, id).Run());
  return conn_.Changes() > 0;
}

Result<bool> SqliteTransaction::RevokeGrant(const std::string& id, UnixMicros at) {
  auto stmt = conn_.Prepare("UPDATE grants SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?");
  if (!stmt.ok()) return stmt.error();
  COFFER_TRY(stmt->Bind(1, at).Bind(2, id).Run());
  return conn_.Changes() > 0;
}

Status SqliteTransaction::SetHumanPassword(const std::string& identity_id, const std::string& password_hash) {
  auto stmt = conn_.Prepare("UPDATE humans SET password_hash = ? WHERE identity_id = ?");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, password_hash).Bind(2, identity_id).Run();
}

Status SqliteTransaction::SetHumanTotp(const std::string& identity_id, const std::vector<uint8_t>& wrapped,
                                       bool confirmed) {
  auto stmt = conn_.Prepare(
      "UPDATE humans SET totp_wrapped = ?, totp_confirmed = ?, totp_last_step = 0 WHERE identity_id = ?");
  if (!stmt.ok()) return stmt.error();
  if (wrapped.empty()) {
    stmt->BindNull(1);
  } else {
    stmt->Bind(1, std::span<const uint8_t>(wrapped));
  }
  return stmt->Bind(2, int64_t{confirmed ? 1 : 0}).Bind(3, identity_id).Run();
}

Status SqliteTransaction::ReplaceHumanTotpWrap(const std::string& identity_id, const std::vector<uint8_t>& wrapped) {
  auto stmt = conn_.Prepare("UPDATE humans SET totp_wrapped = ? WHERE identity_id = ? AND totp_wrapped IS NOT NULL");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, std::span<const uint8_t>(wrapped)).Bind(2, identity_id).Run();
}

Status SqliteTransaction::SetHumanTotpLastStep(const std::string& identity_id, int64_t step) {
  auto stmt = conn_.Prepare("UPDATE humans SET totp_last_step = ? WHERE identity_id = ?");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, step).Bind(2, identity_id).Run();
}

Result<int64_t> SqliteTransaction::PurgeCredentials(const std::string& org_id, const std::string& identity_id) {
  auto stmt = conn_.Prepare("DELETE FROM credentials WHERE org_id = ? AND identity_id = ?");
  if (!stmt.ok()) return stmt.error();
  COFFER_TRY(stmt->Bind(1, org_id).Bind(2, identity_id).Run());
  return static_cast<int64_t>(conn_.Changes());
}

Status SqliteTransaction::PutCredentialVersion(const CredentialRecord& record) {
  const CredentialInfo& info = record.info;
  if (info.version == 1) {
    auto insert = conn_.Prepare(
        "INSERT INTO credentials (id, org_id, identity_id, name, current_version, created_at) "
        "VALUES (?, ?, ?, ?, 1, ?)");
    if (!insert.ok()) return insert.error();
    COFFER_TRY(insert->Bind(1, info.id).Bind(2, info.org_id).Bind(3, info.identity_id)
                   .Bind(4, info.name).Bind(5, info.created_at).Run());
  } else {
    // The version check makes a lost update impossible even if two writers raced.
    auto bump = conn_.Prepare(
        "UPDATE credentials SET current_version = ?1 WHERE id = ?2 AND current_version = ?1 - 1");
    if (!bump.ok()) return bump.error();
    COFFER_TRY(bump->Bind(1, int64_t{info.version}).Bind(2, info.id).Run());
    if (conn_.Changes() != 1) {
      return MakeError(ErrorCode::kConflict, "credential '" + info.name + "' changed during the write: retry");
    }
  }
  auto version = conn_.Prepare(
      "INSERT INTO credential_versions (credential_id, version, type, metadata, expires_at, created_at, blob) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!version.ok()) return version.error();
  COFFER_TRY(version->Bind(1, info.id).Bind(2, int64_t{info.version}).Bind(3, CredentialTypeName(info.type))
                 .Bind(4, info.metadata.dump()).Bind(5, info.expires_at).Bind(6, info.updated_at)
                 .Bind(7, record.blob).Run());
  auto prune = conn_.Prepare("DELETE FROM credential_versions WHERE credential_id = ? AND version <= ?");
  if (!prune.ok()) return prune.error();
  return prune->Bind(1, info.id).Bind(2, int64_t{info.version - kRetainedVersions}).Run();
}

Result<bool> SqliteTransaction::DeleteCredential(const std::string& org_id,
                                                 const std::string& identity_id,
                                                 const std::string& name) {
  auto stmt = conn_.Prepare("DELETE FROM credentials WHERE org_id = ? AND identity_id = ? AND name = ?");
  if (!stmt.ok()) return stmt.error();
  COFFER_TRY(stmt->Bind(1, org_id).Bind(2, identity_id).Bind(3, name).Run());
  return conn_.Changes() > 0;
}

}  // namespace coffer::store::sqlite

// ---- Audit trail ----
namespace coffer::store::sqlite {
namespace {

constexpr const char* kAuditColumns =
    "seq, id, at, org_id, actor_id, actor_name, actor_kind, chain_ids, token_id, source_ip, user_agent, "
    "request_id, action, target, target_version, outcome, reason, hash";


Result<std::vector<AuditRecord>> AllAudit(Statement& stmt) { return AllRows<AuditRecord>(stmt, ReadAudit<Statement>); }

}  // namespace

Result<AuditChainTip> SqliteTransaction::ReadAuditChainTip() {
  if (audit_tip_) return *audit_tip_;
  // One statement, always one row: the ends of two indexes, no record decoded.
  auto stmt = conn_.Prepare(
      "SELECT coalesce(last.seq, 0), last.hash, (SELECT coalesce(max(seq), 0) FROM audit_checkpoints) "
      "FROM (SELECT 1) LEFT JOIN (SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1) AS last");
  if (!stmt.ok()) return stmt.error();
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return MakeError(ErrorCode::kInternal, "the audit chain's tip could not be read");
  audit_tip_ = AuditChainTip{stmt->Int(0), stmt->Blob(1), stmt->Int(2)};
  return *audit_tip_;
}

Result<std::vector<AuditRecord>> SqliteTransaction::QueryAudit(const AuditQuery& q) {
  // Empty filters match everything; the free text searches actor, action, target and reason.
  auto stmt = conn_.Prepare(
      std::string("SELECT ") + kAuditColumns +
      " FROM audit_events WHERE (org_id = ?1 OR (?12 = 1 AND org_id = ''))"
      " AND (?2 IS NULL OR instr(' ' || chain_ids || ' ', ' ' || ?2 || ' ') > 0)"
      " AND (?14 IS NULL OR instr(' ' || chain_ids || ' ', ' ' || ?14 || ' ') > 0)"
      " AND (?3 = '' OR actor_id = ?3) AND (?4 = '' OR action = ?4 OR action LIKE ?4 || '.%')"
      " AND (?5 = '' OR target = ?5 OR target = ?13) AND (?6 = '' OR outcome = ?6)"
      " AND (?7 IS NULL OR at >= ?7) AND (?8 IS NULL OR at < ?8) AND (?9 IS NULL OR seq < ?9)"
      " AND (?10 = '' OR instr(lower(actor_name || ' ' || action || ' ' || target || ' ' || reason || ' ' ||"
      " source_ip), lower(?10)) > 0)"
      " ORDER BY seq DESC LIMIT ?11");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, q.org_id);
  BindOptionalText(*stmt, 2, q.within_chain_of);
  BindOptionalText(*stmt, 14, q.subtree_of);
  stmt->Bind(3, q.actor_id).Bind(4, q.action).Bind(5, q.target).Bind(6, q.outcome);
  stmt->Bind(7, q.since).Bind(8, q.until).Bind(9, q.before_seq).Bind(10, q.text).Bind(11, int64_t{q.limit});
  stmt->Bind(12, int64_t{q.include_server_records ? 1 : 0}).Bind(13, q.target_digest);
  return AllAudit(*stmt);
}

Result<std::vector<AuditRecord>> SqliteTransaction::ScanAudit(int64_t after_seq, int limit) {
  auto stmt = conn_.Prepare(std::string("SELECT ") + kAuditColumns +
                            " FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, after_seq).Bind(2, int64_t{limit});
  return AllAudit(*stmt);
}

Result<std::vector<AuditKeyRecord>> SqliteTransaction::ListAuditKeys() {
  auto stmt = conn_.Prepare("SELECT version, wrapped, created_at FROM audit_keys ORDER BY version");
  if (!stmt.ok()) return stmt.error();
  return AllRows<AuditKeyRecord>(*stmt, [](const Statement& row) {
    return AuditKeyRecord{static_cast<uint32_t>(row.Int(0)), row.Blob(1), row.Int(2)};
  });
}

Status SqliteTransaction::AppendAudit(const AuditRecord& r) {
  auto stmt = conn_.Prepare(std::string("INSERT INTO audit_events (") + kAuditColumns +
                            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, r.seq).Bind(2, r.id).Bind(3, r.at).Bind(4, r.org_id).Bind(5, r.actor_id).Bind(6, r.actor_name)
      .Bind(7, r.actor_kind).Bind(8, JoinWords(r.chain_ids)).Bind(9, r.token_id).Bind(10, r.source_ip).Bind(11, r.user_agent)
      .Bind(12, r.request_id).Bind(13, r.action).Bind(14, r.target);
  stmt->Bind(15, r.target_version ? std::optional<int64_t>(*r.target_version) : std::nullopt);
  Status inserted = stmt->Bind(16, r.outcome).Bind(17, r.reason).Bind(18, std::span<const uint8_t>(r.hash)).Run();
  if (!inserted.ok()) {
    audit_tip_.reset();
  } else if (audit_tip_) {
    audit_tip_->last_seq = r.seq;
    audit_tip_->last_hash = r.hash;
  }
  return inserted;
}

Status SqliteTransaction::PutAuditKey(const AuditKeyRecord& key) {
  auto stmt = conn_.Prepare("INSERT OR REPLACE INTO audit_keys (version, wrapped, created_at) VALUES (?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, int64_t{key.version}).Bind(2, key.wrapped).Bind(3, key.created_at).Run();
}

Result<std::vector<AuditCheckpointRecord>> SqliteTransaction::ListAuditCheckpoints() {
  auto stmt = conn_.Prepare("SELECT seq, hash, at, signature FROM audit_checkpoints ORDER BY seq");
  if (!stmt.ok()) return stmt.error();
  return AllRows<AuditCheckpointRecord>(*stmt, [](const Statement& row) {
    return AuditCheckpointRecord{row.Int(0), row.Blob(1), row.Int(2), row.Blob(3)};
  });
}

Result<std::optional<int64_t>> SqliteTransaction::LastAuditSeqBefore(UnixMicros cutoff) {
  auto stmt = conn_.Prepare("SELECT max(seq) FROM audit_events WHERE at < ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, cutoff);
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  return *row ? stmt->OptionalInt(0) : std::nullopt;
}

Status SqliteTransaction::PutAuditCheckpoint(const AuditCheckpointRecord& c) {
  auto stmt = conn_.Prepare("INSERT OR IGNORE INTO audit_checkpoints (seq, hash, at, signature) VALUES (?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  Status inserted = stmt->Bind(1, c.seq).Bind(2, c.hash).Bind(3, c.at).Bind(4, c.signature).Run();
  if (!inserted.ok()) {
    audit_tip_.reset();
  } else if (audit_tip_) {
    audit_tip_->last_checkpoint_seq = std::max(audit_tip_->last_checkpoint_seq, c.seq);
  }
  return inserted;
}

Status SqliteTransaction::PruneAudit(int64_t through_seq) {
  audit_tip_.reset();  // pruning everything moves the tip back to nothing
  auto stmt = conn_.Prepare("DELETE FROM audit_events WHERE seq <= ?");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, through_seq).Run();
}

}  // namespace coffer::store::sqlite
