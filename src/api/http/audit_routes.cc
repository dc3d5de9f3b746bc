#include "api/http/audit_routes.h"

#include <algorithm>

#include "api/http/authentication.h"
#include "api/http/json_io.h"
#include "api/http/query_params.h"
#include "crypto/encoding.h"

namespace coffer::api {
namespace {

constexpr int kMaxPage = 1000;
constexpr int kMaxExport = 100000;

nlohmann::json AuditJson(const store::AuditRecord& r) {
  return {{"seq", r.seq},
          {"id", r.id},
          {"at", FormatIso8601(r.at)},
          {"orgId", r.org_id},
          {"actor", {{"id", r.actor_id}, {"name", r.actor_name}, {"kind", r.actor_kind}}},
          {"chain", r.chain_ids},
          {"tokenId", r.token_id},
          {"sourceIp", r.source_ip},
          {"userAgent", r.user_agent},
          {"requestId", r.request_id},
          {"action", r.action},
          {"target", r.target},
          {"targetVersion", r.target_version ? nlohmann::json(*r.target_version) : nlohmann::json(nullptr)},
          {"outcome", r.outcome},
          {"reason", r.reason}};
}

// Filters shared by the list and the export.
Result<store::AuditQuery> ParseFilters(const ApiRequest& request) {
  store::AuditQuery q;
  q.actor_id = StringParam(request, "actor");
  q.action = StringParam(request, "action");
  q.target = StringParam(request, "name");
  q.outcome = StringParam(request, "outcome");
  q.text = StringParam(request, "q");
  if (!q.outcome.empty() && q.outcome != "ok" && q.outcome != "denied" && q.outcome != "not_found" && q.outcome != "error") {
    return MakeError(ErrorCode::kInvalidArgument, "outcome must be ok, denied, not_found or error");
  }
  if (std::string subtree = StringParam(request, "identity"); !subtree.empty()) q.subtree_of = subtree;
  auto since = ParseTimeParam(request, "since");
  if (!since.ok()) return since.error();
  auto until = ParseTimeParam(request, "until");
  if (!until.ok()) return until.error();
  q.since = *since;
  q.until = *until;
  return q;
}

const std::set<std::string> kFilterParams = {"actor", "action", "name", "outcome", "q", "identity", "since", "until"};

}  // namespace

void AddAuditRoutes(Router& router, vault::Vault& vault, vault::AuditLog& audit) {
  router.Add("GET", "/v0/audit", [&](const ApiRequest& r, const PathParams&) {
    return WithPrincipal(vault, r, [&](const Principal& caller) {
      auto allowed = kFilterParams;
      allowed.insert({"limit", "cursor"});
      if (Status s = CheckQuery(r, allowed); !s.ok()) return ErrorResponse(s.error());
      auto query = ParseFilters(r);
      if (!query.ok()) return ErrorResponse(query.error());
      auto limit = ParsePositiveIntParam(r, "limit");
      if (!limit.ok()) return ErrorResponse(limit.error());
      auto cursor = ParsePositiveIntParam(r, "cursor");
      if (!cursor.ok()) return ErrorResponse(cursor.error());
      const int page = static_cast<int>(std::min<int64_t>(limit->value_or(100), kMaxPage));
      query->limit = page + 1;
      query->before_seq = *cursor;
      auto records = audit.Query(caller, *query);
      if (!records.ok()) return ErrorResponse(records.error());
      nlohmann::json events = nlohmann::json::array();
      nlohmann::json next = nullptr;
      for (size_t i = 0; i < records->size(); ++i) {
        if (static_cast<int>(i) == page) {
          next = std::to_string((*records)[i - 1].seq);
          break;
        }
        events.push_back(AuditJson((*records)[i]));
      }
      return JsonResponse(200, {{"events", events}, {"nextCursor", next}});
    });
  });
  router.Add("GET", "/v0/audit/export", [&](const ApiRequest& r, const PathParams&) {
    return WithPrincipal(vault, r, [&](const Principal& caller) {
      if (Status s = CheckQuery(r, kFilterParams); !s.ok()) return ErrorResponse(s.error());
      auto query = ParseFilters(r);
      if (!query.ok()) return ErrorResponse(query.error());
      query->limit = kMaxExport;
      auto records = audit.Query(caller, *query);
      if (!records.ok()) return ErrorResponse(records.error());
      ApiResponse response;
      response.status = 200;
      response.content_type = "application/x-ndjson";
      for (auto it = records->rbegin(); it != records->rend(); ++it) {  // oldest first, like a log
        response.body += AuditJson(*it).dump() + "\n";
      }
      return response;
    });
  });
  router.Add("GET", "/v0/audit/verify", [&](const ApiRequest& r, const PathParams&) {
    return WithPrincipal(vault, r, [&](const Principal& caller) {
      if (Status s = CheckQuery(r, {}); !s.ok()) return ErrorResponse(s.error());
      auto report = audit.Verify(caller);
      if (!report.ok()) return ErrorResponse(report.error());
      return JsonResponse(200, {{"ok", !report->first_bad_seq.has_value()},
                                {"checked", report->checked},
                                {"firstSeq", report->first_seq},
                                {"checkpoints", report->checkpoints},
                                {"firstBadSeq", report->first_bad_seq ? nlohmann::json(*report->first_bad_seq) : nlohmann::json(nullptr)},
                                {"problem", report->problem}});
    });
  });
  router.Add("GET", "/v0/audit/checkpoints", [&](const ApiRequest& r, const PathParams&) {
    return WithPrincipal(vault, r, [&](const Principal& caller) {
      if (Status s = CheckQuery(r, {}); !s.ok()) return ErrorResponse(s.error());
      auto checkpoints = audit.Checkpoints(caller);
      if (!checkpoints.ok()) return ErrorResponse(checkpoints.error());
      nlohmann::json listed = nlohmann::json::array();
      for (const auto& c : *checkpoints) {
        listed.push_back({{"seq", c.seq},
                          {"at", FormatIso8601(c.at)},
                          {"hash", crypto::HexEncode(c.hash)},
                          {"signature", crypto::Base64Encode(c.signature)}});
      }
      return JsonResponse(200, {{"algorithm", "Ed25519"},
                                {"publicKey", crypto::Base64Encode(audit.checkpoint_public_key())},
                                {"checkpoints", listed}});
    });
  });
}

}  // namespace coffer::api
