// REST routes for the audit trail: GET /v0/audit (filters, pages), /v0/audit/export (JSON Lines)
// and /v0/audit/verify (walk the hash chain).
#pragma once

#include "api/http/router.h"
#include "vault/audit_log.h"
#include "vault/vault.h"

namespace coffer::api {

void AddAuditRoutes(Router& router, vault::Vault& vault, vault::AuditLog& audit);

}  // namespace coffer::api
