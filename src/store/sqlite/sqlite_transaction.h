// The SQL behind the store interfaces. The caller (SqliteStore) owns BEGIN/COMMIT; this class only
// reads and writes rows on the connection it is given.
#pragma once

#include <optional>

#include "store/sqlite/connection.h"
#include "store/store.h"

namespace coffer::store::sqlite {

class SqliteTransaction : public WriteTransaction {
 public:
  explicit SqliteTransaction(Connection& conn) : conn_(conn) {}

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
  Result<std::optional<CredentialRecord>> FindCredential(const std::string& org_id,
                                                         const std::string& identity_id,
                                                         const std::string& name,
                                                         std::optional<int> version) override;
  Result<std::vector<CredentialInfo>> ListCredentials(const CredentialListQuery& query) override;

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
  Result<int64_t> PurgeCredentials(const std::string& org_id, const std::string& identity_id) override;
  Status PutCredentialVersion(const CredentialRecord& record) override;
  Result<bool> DeleteCredential(const std::string& org_id, const std::string& identity_id,
                                const std::string& name) override;

  // ---- Key management (issue 7), in sqlite_key_queries.cc ----
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
  // ---- end of key management ----

  // ---- Moving between engines, in sqlite_move_queries.cc ----
  Result<std::vector<CredentialRecord>> ScanCredentialVersions(const std::string& after_credential_id,
                                                               int after_version, int limit) override;
  Result<std::vector<KeyEventRecord>> ListKeyEvents(const std::string& org_id) override;
  Result<StoreRowCounts> CountRows() override;
  Status ImportCredentialVersion(const CredentialRecord& record) override;

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

  // ---- Leases on background work, in sqlite_lease_queries.cc ----
  Result<std::vector<LeaseRecord>> ListLeases() override;
  Result<std::optional<LeaseRecord>> AcquireLease(const std::string& name, const std::string& holder,
                                                  int64_t ttl_micros) override;
  Status CheckLease(const LeaseRecord& lease) override;
  Status ReleaseLease(const LeaseRecord& lease) override;
  // ---- Login throttling, in sqlite_throttle_queries.cc ----
  Result<std::optional<LoginFailureRecord>> FindLoginFailures(const std::string& key) override;
  Status PutLoginFailures(const LoginFailureRecord& record) override;
  Status DeleteLoginFailures(const std::string& key) override;
  Status PruneLoginFailures(UnixMicros before) override;

  // After a rollback (to a savepoint or of everything) what this transaction remembers of the
  // rows it wrote may be undone: forget it.
  void ForgetWrittenState() { audit_tip_.reset(); }

 protected:
  Connection& conn_;

 private:
  // The audit chain's tip as this transaction last read or moved it, so that the records of one
  // group commit are chained without reading the tip back for each (a quarter of an append).
  std::optional<AuditChainTip> audit_tip_;
};

}  // namespace coffer::store::sqlite
