#include "vault/status_service.h"

namespace coffer::vault {

Result<SystemStatus> StatusService::Describe(const Principal& principal) {
  SystemStatus status;
  auto counts = store_.BeginRead()->CountCredentialsByType(principal.org_id);
  if (!counts.ok()) return counts.error();
  for (CredentialType type : kAllCredentialTypes) status.credentials_by_type[type] = 0;
  for (const auto& c : *counts) {
    status.credentials_by_type[c.type] += c.count;
    status.credentials_total += c.count;
  }
  auto keys = keys_.DescribeKeys(principal.org_id);
  if (!keys.ok()) return keys.error();
  status.keys = std::move(keys).value();
  status.storage_engine = std::string(store_.engine());
  if (principal.IsOrgAdmin()) {
    status.writes = store_.Stats();
    status.node_id = leases_.node_id();
    auto leases = store_.BeginRead()->ListLeases();
    if (!leases.ok()) return leases.error();
    status.leases = std::move(leases).value();
  }
  status.started_at = started_at_;
  status.uptime_seconds = (NowMicros() - started_at_) / 1000000;
  return status;
}

}  // namespace coffer::vault
