// GET /v0/status: what an operator glances at (seed 003's Status tab). Counts and key facts only:
// no names, no values, no key material, so any valid token may see it.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/credential.h"
#include "core/principal.h"
#include "core/result.h"
#include "store/store.h"
#include "vault/key_manager.h"
#include "vault/leases.h"

namespace coffer::vault {

struct SystemStatus {
  std::map<CredentialType, int64_t> credentials_by_type;  // current versions, every partition of the org
  int64_t credentials_total = 0;
  KeyStatus keys;
  std::string storage_engine;
  // Since the server started, across every org: for the owners and admins who run it.
  std::optional<store::WriteStats> writes;
  // For the same readers: which node answered, and which node holds each lease on background work.
  std::string node_id;
  std::vector<store::LeaseRecord> leases;
  bool sealed = false;  // Coffer has no sealed state yet: a running server is always unsealed
  UnixMicros started_at = 0;
  int64_t uptime_seconds = 0;
};

class StatusService {
 public:
  StatusService(store::Store& store, KeyManager& keys, const Leases& leases, UnixMicros started_at)
      : store_(store), keys_(keys), leases_(leases), started_at_(started_at) {}

  // Any authenticated principal: the caller's org.
  Result<SystemStatus> Describe(const Principal& principal);

 private:
  store::Store& store_;
  KeyManager& keys_;
  const Leases& leases_;
  const UnixMicros started_at_;
};

}  // namespace coffer::vault
