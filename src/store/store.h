// The storage seam. The vault layer sees only these interfaces; each engine (SQLite now,
// PostgreSQL later) implements them. No SQL, no engine detail leaks upward.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/records.h"

namespace coffer::store {

// A consistent snapshot for reading.
class ReadTransaction {
 public:
  virtual ~ReadTransaction() = default;

  virtual Result<std::vector<OrgRecord>> ListOrgs() = 0;
  virtual Result<std::vector<KekRecord>> ListKeks() = 0;
  virtual Result<std::optional<IdentityRecord>> FindIdentity(const std::string& id) = 0;
  virtual Result<std::optional<TokenRecord>> FindTokenByHash(const TokenHash& hash) = 0;

  // Identities, tokens, grants and logins (the delegation chain).
  virtual Result<std::vector<IdentityRecord>> ListIdentities(const std::string& org_id) = 0;
  virtual Result<std::optional<TokenRecord>> FindToken(const std::string& id) = 0;
  virtual Result<std::vector<TokenRecord>> ListTokens(const std::string& identity_id) = 0;
  virtual Result<std::optional<GrantRecord>> FindGrant(const std::string& id) = 0;
  virtual Result<std::vector<GrantRecord>> ListGrantsTo(const std::string& grantee_id) = 0;
  virtual Result<std::vector<GrantRecord>> ListGrantsFrom(const std::string& granter_id) = 0;
  virtual Result<std::optional<HumanRecord>> FindHumanByUsername(const std::string& username) = 0;
  virtual Result<std::optional<HumanRecord>> FindHumanByIdentity(const std::string& identity_id) = 0;
  virtual Result<std::vector<HumanRecord>> ListHumansWithTotp() = 0;

  // The newest version when `version` is empty. Versions that were pruned are not found.
  virtual Result<std::optional<CredentialRecord>> FindCredential(const std::string& org_id,
                                                                 const std::string& identity_id,
                                                                 const std::string& name,
                                                                 std::optional<int> version) = 0;
  // The current version of each credential, ordered by name. Never loads blobs.
  virtual Result<std::vector<CredentialInfo>> ListCredentials(const CredentialListQuery& query) = 0;

  // ---- Key management (issue 7) ----
  virtual Result<std::vector<KekStateRecord>> ListKekStates() = 0;
  // DEKs per KEK version among all stored versions (history included) of an org's credentials.
  virtual Result<std::vector<DekUsageRecord>> CountDeksByKek(const std::string& org_id) = 0;
  // Up to `limit` stored versions of an org's credentials whose DEK is wrapped by a KEK version
  // below `kek_version`: the next batch for the background re-wrap.
  virtual Result<std::vector<SealedVersionRecord>> ListVersionsBelowKek(const std::string& org_id,
                                                                        uint32_t kek_version, int limit) = 0;
  virtual Result<std::optional<RewrapJobRecord>> FindRewrapJob(const std::string& org_id) = 0;
  // The newest event of each kind for an org.
  virtual Result<std::vector<KeyEventRecord>> LatestKeyEvents(const std::string& org_id) = 0;
  // Current versions of an org's credentials (all partitions), counted by type.
  virtual Result<std::vector<TypeCountRecord>> CountCredentialsByType(const std::string& org_id) = 0;
  virtual Result<std::vector<PendingRootWrapRecord>> ListPendingRootWraps() = 0;
  // ---- end of key management reads ----

  // ---- Audit trail ----
  virtual Result<AuditChainTip> ReadAuditChainTip() = 0;
  // Newest first, filtered.
  virtual Result<std::vector<AuditRecord>> QueryAudit(const AuditQuery& query) = 0;
  // Oldest first, seq > after_seq: for walking the chain.
  virtual Result<std::vector<AuditRecord>> ScanAudit(int64_t after_seq, int limit) = 0;
  virtual Result<std::vector<AuditKeyRecord>> ListAuditKeys() = 0;
  virtual Result<std::vector<AuditCheckpointRecord>> ListAuditCheckpoints() = 0;  // oldest first
  // The newest record written before `cutoff`, if any.
  virtual Result<std::optional<int64_t>> LastAuditSeqBefore(UnixMicros cutoff) = 0;
};

// A write transaction. Its changes become visible and durable together when the store commits it.
class WriteTransaction : public ReadTransaction {
 public:
  virtual Status InsertOrg(const OrgRecord& org) = 0;
  virtual Status InsertKek(const KekRecord& kek) = 0;
  virtual Status InsertIdentity(const IdentityRecord& identity) = 0;
  virtual Status InsertToken(const TokenRecord& token) = 0;
  virtual Status InsertHuman(const HumanRecord& human) = 0;
  virtual Status InsertGrant(const GrantRecord& grant) = 0;
  // Sets or clears (restore) revoked_at. False when there is no such row.
  virtual Result<bool> SetIdentityRevoked(const std::string& id, std::optional<UnixMicros> at) = 0;
  virtual Result<bool> RevokeToken(const std::string& id, UnixMicros at) = 0;
  virtual Result<bool> RevokeGrant(const std::string& id, UnixMicros at) = 0;
  virtual Status SetHumanPassword(const std::string& identity_id, const std::string& password_hash) = 0;
  // Empty `wrapped` removes the second factor.
  virtual Status SetHumanTotp(const std::string& identity_id, const std::vector<uint8_t>& wrapped, bool confirmed) = 0;
  virtual Status SetHumanTotpLastStep(const std::string& identity_id, int64_t step) = 0;
  // Root rotation: the same key, wrapped under the new root.
  virtual Status ReplaceHumanTotpWrap(const std::string& identity_id, const std::vector<uint8_t>& wrapped) = 0;
  // Deletes every credential (all versions) in one identity's partition; returns how many.
  virtual Result<int64_t> PurgeCredentials(const std::string& org_id, const std::string& identity_id) = 0;

  // Appends a version (record.info.version must be the current version + 1, or 1 for a new
  // credential), makes it current, and prunes versions older than the retention window.
  virtual Status PutCredentialVersion(const CredentialRecord& record) = 0;
  // Removes a credential and all its versions. False when there was none.
  virtual Result<bool> DeleteCredential(const std::string& org_id, const std::string& identity_id,
                                        const std::string& name) = 0;

  // ---- Key management (issue 7) ----
  // Replaces one stored version's blob if it still equals `expected` (false otherwise): re-wrap and
  // re-encryption change key material in place and leave versions and history alone.
  virtual Result<bool> ReplaceVersionBlob(const std::string& credential_id, int version,
                                          const std::vector<uint8_t>& expected,
                                          const std::vector<uint8_t>& blob) = 0;
  virtual Status SetKekEncryptions(const std::string& org_id, uint32_t version, uint64_t encryptions) = 0;
  // Root rotation, phase one: a key wrapped under the new root, kept beside its current wrap.
  virtual Status PutPendingRootWrap(const PendingRootWrapRecord& pending) = 0;
  virtual Status ClearPendingRootWraps() = 0;
  // Root rotation, last phase: the new wrap replaces the old one.
  virtual Status ReplaceKekWrap(const std::string& org_id, uint32_t version,
                                const std::vector<uint8_t>& wrapped) = 0;
  // Destroys a KEK for good (retirement). False when there was none.
  virtual Result<bool> DeleteKek(const std::string& org_id, uint32_t version) = 0;
  virtual Status PutRewrapJob(const RewrapJobRecord& job) = 0;
  virtual Status InsertKeyEvent(const KeyEventRecord& event) = 0;
  // ---- end of key management writes ----

  // ---- Audit trail ----
  virtual Status AppendAudit(const AuditRecord& record) = 0;
  virtual Status PutAuditKey(const AuditKeyRecord& key) = 0;
  // Keeps an existing checkpoint for the same record: one that verified is never replaced.
  virtual Status PutAuditCheckpoint(const AuditCheckpointRecord& checkpoint) = 0;
  // Deletes the records numbered up to `through_seq`: retention, behind a checkpoint.
  virtual Status PruneAudit(int64_t through_seq) = 0;
};

using WriteWork = std::function<Status(WriteTransaction&)>;

// How well group commit is sharing fsyncs, since the store opened.
struct WriteStats {
  int64_t writes = 0;   // pieces of work committed or rolled back
  int64_t commits = 0;  // durable commits (one fsync each) that carried them
};

class Store {
 public:
  virtual ~Store() = default;

  virtual std::string_view engine() const = 0;  // "sqlite", ...

  virtual std::unique_ptr<ReadTransaction> BeginRead() = 0;

  // Runs `work` in a write transaction and returns once its outcome is durable. The store may
  // commit several callers' work together (group commit); each caller's work is isolated, so a
  // failing one rolls back alone. When `work` fails, nothing it wrote is kept.
  virtual Status Write(WriteWork work) = 0;

  // Queues `work` like Write, and returns at once. `on_done` gets its outcome once that is
  // durable (or has failed), on the store's writer thread: it must be quick and must not call
  // Write, which would wait for the very thread it runs on. (When the store is shutting down,
  // `on_done` gets the refusal at once, on the caller's thread.)
  virtual void Submit(WriteWork work, std::function<void(Status)> on_done) = 0;

  virtual WriteStats Stats() const = 0;
};

}  // namespace coffer::store
