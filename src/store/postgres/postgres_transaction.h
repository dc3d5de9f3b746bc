// The SQL behind the store interfaces, on PostgreSQL. The caller (PostgresStore) owns BEGIN and
// COMMIT; this class only reads and writes rows on the connection it is given. The queries are
// split by domain: identities, tokens, grants and people here; credentials, key management and
// the audit trail in postgres_{credential,key,audit}_queries.cc.
//
// What is serialised how, now that several nodes write at once (SQLite's single writer gave all
// of this for free; here each node has its own writer, all on READ COMMITTED):
//  - The audit chain: every write group locks the one-row audit_tip (SELECT ... FOR UPDATE) as
//    its first statement (PostgresStore::WriteSession::Begin) and holds it to COMMIT, so the
//    nodes' groups take turns, number records into one gapless chain, and never deadlock on rows
//    they lock in different orders. AppendAudit and PruneAudit keep the row current.
//    Outside a write transaction the tip is read without locking.
//  - PutCredentialVersion: a new credential relies on UNIQUE (org, identity, name), a new version
//    on a conditional UPDATE of current_version (re-checked by PostgreSQL after waiting for the
//    other writer's row lock): the loser of two writes to one credential gets kConflict, "retry".
//    ReplaceVersionBlob compares and sets the blob the same way.
//  - Identities, tokens, grants, people, KEKs: inserts rely on primary and unique keys
//    (kConflict); revocations are idempotent updates.
//  - A person's TOTP step: FindHumanByIdentity in a write transaction locks the row, so the
//    vault's read-check-write (a code works once) holds across nodes.
//  - A KEK's re-wrap job: FindRewrapJob in a write transaction locks its row likewise.
// Errors: kConflict for integrity violations and lost races, kUnavailable for a database that is
// down, slow or refusing (see connection.h). "No such row" is as store.h says per method.
#pragma once

#include <optional>

#include "store/postgres/connection.h"
#include "store/store.h"

namespace coffer::store::postgres {

class PostgresTransaction : public WriteTransaction {
 public:
  // `writing`: inside the writer's transaction, where reads that guard a write lock their rows.
  PostgresTransaction(Connection& conn, bool writing) : conn_(conn), writing_(writing) {}

  Result<std::vector<OrgRecord>> ListOrgs() override;
  Result<std::vector<KekRecord>> ListKeks() override;
  Result<std::optional<IdentityRecord>> FindIdentity(const std::string& id) override;
  Result<std::optional<TokenRecord>> FindTokenByHash(const TokenHash& hash) override;
  Result<std::vector<IdentityRecord>> ListIdentities(const std::string& org_id) override;
  Result<std::optional<TokenRecord>> FindToken(const std::string& id) override;
  Result<std::vector<TokenRecord>> ListTokens(const std::string& identity_id) override;
  Result<std::optional<GrantRecord>> FindGrant(const std::string& id) override;
  Result<std::vector<GrantRecord>> ListGrantsTo(const std::string& grantee_id) override;
  Result<std::vector<GrantRecord>> ListGrantsFrom(const std::string& granter_id) override;
  Result<std::optional<HumanRecord>> FindHumanByUsername(const std::string& username) override;
  Result<std::optional<HumanRecord>> FindHumanByIdentity(const std::string& identity_id) override;
  Result<std::vector<HumanRecord>> ListHumansWithTotp() override;

  Status InsertOrg(const OrgRecord& org) override;
  Status InsertKek(const KekRecord& kek) override;
  Status InsertIdentity(const IdentityRecord& identity) override;
  Status InsertToken(const TokenRecord& token) override;
  Status InsertHuman(const HumanRecord& human) override;
  Status InsertGrant(const GrantRecord& grant) override;
  Result<bool> SetIdentityRevoked(const std::string& id, std::optional<UnixMicros> at) override;
  Result<bool> RevokeToken(const std::string& id, UnixMicros at) override;
  Result<bool> RevokeGrant(const std::string& id, UnixMicros at) override;
  Status SetHumanPassword(const std::string& identity_id, const std::string& password_hash) override;
  Status SetHumanTotp(const std::string& identity_id, const std::vector<uint8_t>& wrapped, bool confirmed) override;
  Status SetHumanTotpLastStep(const std::string& identity_id, int64_t step) override;
  Status ReplaceHumanTotpWrap(const std::string& identity_id, const std::vector<uint8_t>& wrapped) override;

  // ---- Credentials, in postgres_credential_queries.cc ----
  Result<std::optional<CredentialRecord>> FindCredential(const std::string& org_id,
                                                         const std::string& identity_id,
                                                         const std::string& name,
                                                         std::optional<int> version) override;
  Result<std::vector<CredentialInfo>> ListCredentials(const CredentialListQuery& query) override;
  Result<int64_t> PurgeCredentials(const std::string& org_id, const std::string& identity_id) override;
  Status PutCredentialVersion(const CredentialRecord& record) override;
  Result<bool> DeleteCredential(const std::string& org_id, const std::string& identity_id,
                                const std::string& name) override;

  // ---- Key management, in postgres_key_queries.cc ----
  Result<std::vector<KekStateRecord>> ListKekStates() override;
  Result<std::vector<DekUsageRecord>> CountDeksByKek(const std::string& org_id) override;
  Result<std::vector<SealedVersionRecord>> ListVersionsBelowKek(const std::string& org_id, uint32_t kek_version,
                                                                int limit) override;
  Result<std::optional<RewrapJobRecord>> FindRewrapJob(const std::string& org_id) override;
  Result<std::vector<KeyEventRecord>> LatestKeyEvents(const std::string& org_id) override;
  Result<std::vector<TypeCountRecord>> CountCredentialsByType(const std::string& org_id) override;
  Result<std::vector<PendingRootWrapRecord>> ListPendingRootWraps() override;
  Result<bool> ReplaceVersionBlob(const std::string& credential_id, int version,
                                  const std::vector<uint8_t>& expected, const std::vector<uint8_t>& blob) override;
  Status SetKekEncryptions(const std::string& org_id, uint32_t version, uint64_t encryptions) override;
  Status AddKekEncryptions(const std::string& org_id, uint32_t version, uint64_t count) override;
  Status PutPendingRootWrap(const PendingRootWrapRecord& pending) override;
  Status ClearPendingRootWraps() override;
  Status ReplaceKekWrap(const std::string& org_id, uint32_t version, const std::vector<uint8_t>& wrapped) override;
  Result<bool> DeleteKek(const std::string& org_id, uint32_t version) override;
  Status PutRewrapJob(const RewrapJobRecord& job) override;
  Status InsertKeyEvent(const KeyEventRecord& event) override;

  // ---- Moving between engines, in postgres_move_queries.cc ----
  Result<std::vector<CredentialRecord>> ScanCredentialVersions(const std::string& after_credential_id,
                                                               int after_version, int limit) override;
  Result<std::vector<KeyEventRecord>> ListKeyEvents(const std::string& org_id) override;
  Result<StoreRowCounts> CountRows() override;
  Status ImportCredentialVersion(const CredentialRecord& record) override;

  // ---- Audit trail, in postgres_audit_queries.cc ----
  Result<AuditChainTip> ReadAuditChainTip() override;
  Result<std::vector<AuditRecord>> QueryAudit(const AuditQuery& query) override;
  Result<std::vector<AuditRecord>> ScanAudit(int64_t after_seq, int limit) override;
  Result<std::vector<AuditKeyRecord>> ListAuditKeys() override;
  Result<std::vector<AuditCheckpointRecord>> ListAuditCheckpoints() override;
  Result<std::optional<int64_t>> LastAuditSeqBefore(UnixMicros cutoff) override;
  Status AppendAudit(const AuditRecord& record) override;
  Status PutAuditKey(const AuditKeyRecord& key) override;
  Status PutAuditCheckpoint(const AuditCheckpointRecord& checkpoint) override;
  Status PruneAudit(int64_t through_seq) override;

  // ---- Leases on background work, in postgres_lease_queries.cc ----
  Result<std::vector<LeaseRecord>> ListLeases() override;
  Result<std::optional<LeaseRecord>> AcquireLease(const std::string& name, const std::string& holder,
                                                  int64_t ttl_micros) override;
  Status CheckLease(const LeaseRecord& lease) override;
  Status ReleaseLease(const LeaseRecord& lease) override;
  // ---- Login throttling, in postgres_throttle_queries.cc ----
  Result<std::optional<LoginFailureRecord>> FindLoginFailures(const std::string& key) override;
  Status PutLoginFailures(const LoginFailureRecord& record) override;
  Status DeleteLoginFailures(const std::string& key) override;
  Status PruneLoginFailures(UnixMicros before) override;

  // After a rollback (to a savepoint or of everything) what this transaction remembers of the
  // rows it wrote may be undone, and a lock taken since the savepoint is released: forget it.
  void ForgetWrittenState() { audit_tip_.reset(); }

 private:
  // " FOR UPDATE" inside the writer's transaction, nothing in a read.
  const char* LockInWrites() const { return writing_ ? " FOR UPDATE" : ""; }

  Connection& conn_;
  const bool writing_;
  // The audit chain's tip as this transaction last read (and locked) or moved it, so that the
  // records of one group commit are chained without reading the tip back for each.
  std::optional<AuditChainTip> audit_tip_;
};

}  // namespace coffer::store::postgres
