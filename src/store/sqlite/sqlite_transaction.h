// The SQL behind the store interfaces. The caller (SqliteStore) owns BEGIN/COMMIT; this class only
// reads and writes rows on the connection it is given.
#pragma once

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
  Result<std::optional<CredentialRecord>> FindCredential(const std::string& org_id,
                                                         const std::string& identity_id,
                                                         const std::string& name,
                                                         std::optional<int> version) override;
  Result<std::vector<CredentialInfo>> ListCredentials(const CredentialListQuery& query) override;

  Status InsertOrg(const OrgRecord& org) override;
  Status InsertKek(const KekRecord& kek) override;
  Status InsertIdentity(const IdentityRecord& identity) override;
  Status InsertToken(const TokenRecord& token) override;
  Status PutCredentialVersion(const CredentialRecord& record) override;
  Result<bool> DeleteCredential(const std::string& org_id, const std::string& identity_id,
                                const std::string& name) override;

 protected:
  Connection& conn_;
};

}  // namespace coffer::store::sqlite
