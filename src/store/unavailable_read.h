// Stands in for a read transaction when the engine could not start one (no connection, the
// database down): every call fails closed with the same error. Shared by every engine, since
// Store::BeginRead cannot return an error itself.
#pragma once

#include <string>
#include <utility>

#include "store/store.h"

namespace coffer::store {

class UnavailableRead : public ReadTransaction {
 public:
  explicit UnavailableRead(Error error) : error_(std::move(error)) {}

  Result<std::vector<OrgRecord>> ListOrgs() override { return Fail(); }
  Result<std::vector<KekRecord>> ListKeks() override { return Fail(); }
  Result<std::optional<IdentityRecord>> FindIdentity(const std::string&) override { return Fail(); }
  Result<std::optional<TokenRecord>> FindTokenByHash(const TokenHash&) override { return Fail(); }
  Result<std::vector<IdentityRecord>> ListIdentities(const std::string&) override { return Fail(); }
  Result<std::optional<TokenRecord>> FindToken(const std::string&) override { return Fail(); }
  Result<std::vector<TokenRecord>> ListTokens(const std::string&) override { return Fail(); }
  Result<std::optional<GrantRecord>> FindGrant(const std::string&) override { return Fail(); }
  Result<std::vector<GrantRecord>> ListGrantsTo(const std::string&) override { return Fail(); }
  Result<std::vector<GrantRecord>> ListGrantsFrom(const std::string&) override { return Fail(); }
  Result<std::optional<HumanRecord>> FindHumanByUsername(const std::string&) override { return Fail(); }
  Result<std::optional<HumanRecord>> FindHumanByIdentity(const std::string&) override { return Fail(); }
  Result<std::vector<HumanRecord>> ListHumansWithTotp() override { return Fail(); }
  Result<std::vector<CredentialRecord>> ScanCredentialVersions(const std::string&, int, int) override { return Fail(); }
  Result<std::vector<KeyEventRecord>> ListKeyEvents(const std::string&) override { return Fail(); }
  Result<StoreRowCounts> CountRows() override { return Fail(); }
  Result<AuditChainTip> ReadAuditChainTip() override { return Fail(); }
  Result<std::vector<AuditRecord>> QueryAudit(const AuditQuery&) override { return Fail(); }
  Result<std::vector<AuditRecord>> ScanAudit(int64_t, int) override { return Fail(); }
  Result<std::vector<AuditKeyRecord>> ListAuditKeys() override { return Fail(); }
  Result<std::vector<AuditCheckpointRecord>> ListAuditCheckpoints() override { return Fail(); }
  Result<std::optional<int64_t>> LastAuditSeqBefore(UnixMicros) override { return Fail(); }
  Result<std::optional<CredentialRecord>> FindCredential(const std::string&, const std::string&,
                                                         const std::string&, std::optional<int>) override {
    return Fail();
  }
  Result<std::vector<CredentialInfo>> ListCredentials(const CredentialListQuery&) override { return Fail(); }
  // ---- Key management ----
  Result<std::vector<KekStateRecord>> ListKekStates() override { return Fail(); }
  Result<std::vector<DekUsageRecord>> CountDeksByKek(const std::string&) override { return Fail(); }
  Result<std::vector<SealedVersionRecord>> ListVersionsBelowKek(const std::string&, uint32_t, int) override {
    return Fail();
  }
  Result<std::optional<RewrapJobRecord>> FindRewrapJob(const std::string&) override { return Fail(); }
  Result<std::vector<KeyEventRecord>> LatestKeyEvents(const std::string&) override { return Fail(); }
  Result<std::vector<TypeCountRecord>> CountCredentialsByType(const std::string&) override { return Fail(); }
  Result<std::vector<PendingRootWrapRecord>> ListPendingRootWraps() override { return Fail(); }
  // ---- end of key management ----
  Result<std::vector<LeaseRecord>> ListLeases() override { return Fail(); }
  Result<std::optional<LoginFailureRecord>> FindLoginFailures(const std::string&) override { return Fail(); }

 private:
  Error Fail() const { return error_; }
  Error error_;
};

}  // namespace coffer::store
