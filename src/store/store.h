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

  // The newest version when `version` is empty. Versions that were pruned are not found.
  virtual Result<std::optional<CredentialRecord>> FindCredential(const std::string& org_id,
                                                                 const std::string& identity_id,
                                                                 const std::string& name,
                                                                 std::optional<int> version) = 0;
  // The current version of each credential, ordered by name. Never loads blobs.
  virtual Result<std::vector<CredentialInfo>> ListCredentials(const CredentialListQuery& query) = 0;
};

// A write transaction. Its changes become visible and durable together when the store commits it.
class WriteTransaction : public ReadTransaction {
 public:
  virtual Status InsertOrg(const OrgRecord& org) = 0;
  virtual Status InsertKek(const KekRecord& kek) = 0;
  virtual Status InsertIdentity(const IdentityRecord& identity) = 0;
  virtual Status InsertToken(const TokenRecord& token) = 0;

  // Appends a version (record.info.version must be the current version + 1, or 1 for a new
  // credential), makes it current, and prunes versions older than the retention window.
  virtual Status PutCredentialVersion(const CredentialRecord& record) = 0;
  // Removes a credential and all its versions. False when there was none.
  virtual Result<bool> DeleteCredential(const std::string& org_id, const std::string& identity_id,
                                        const std::string& name) = 0;
};

using WriteWork = std::function<Status(WriteTransaction&)>;

class Store {
 public:
  virtual ~Store() = default;

  virtual std::string_view engine() const = 0;  // "sqlite", ...

  virtual std::unique_ptr<ReadTransaction> BeginRead() = 0;

  // Runs `work` in a write transaction and returns once its outcome is durable. The store may
  // commit several callers' work together (group commit); each caller's work is isolated, so a
  // failing one rolls back alone. When `work` fails, nothing it wrote is kept.
  virtual Status Write(WriteWork work) = 0;
};

}  // namespace coffer::store
