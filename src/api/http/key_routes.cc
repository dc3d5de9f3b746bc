#include "api/http/key_routes.h"

#include <set>

#include "api/http/authentication.h"
#include "api/http/body_fields.h"
#include "api/http/json_io.h"
#include "api/http/query_params.h"
#include "api/http/vault_routes.h"

namespace coffer::api {
namespace {

nlohmann::json RewrapJson(const vault::RewrapProgress& r) {
  nlohmann::json out = {{"state", r.state},
                        {"targetVersion", r.target_version},
                        {"rewrapped", r.rewrapped},
                        {"remaining", r.remaining},
                        {"startedAt", TimestampOrNull(r.started_at)},
                        {"finishedAt", TimestampOrNull(r.finished_at)}};
  if (!r.error.empty()) out["error"] = r.error;
  return out;
}

// The newest event of each kind, keyed by a camelCase name. `with_detail` adds the reason or the
// credential id, for key administrators only.
nlohmann::json LastRotationsJson(const std::vector<store::KeyEventRecord>& events, bool with_detail) {
  static const std::vector<std::pair<std::string, std::string>> kKinds = {
      {"kek_rotated", "kekRotated"},           {"rewrap_started", "rewrapStarted"},
      {"rewrap_finished", "rewrapFinished"},   {"kek_retired", "kekRetired"},
      {"root_rotated", "rootRotated"},         {"credential_rotated", "credentialRotated"}};
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [kind, key] : kKinds) out[key] = nullptr;
  for (const auto& e : events) {
    for (const auto& [kind, key] : kKinds) {
      if (kind != e.kind) continue;
      nlohmann::json item = {{"at", FormatIso8601(e.at)},
                             {"kekVersion", e.kek_version ? nlohmann::json(*e.kek_version) : nlohmann::json(nullptr)}};
      if (with_detail) item["detail"] = e.detail;
      out[key] = item;
    }
  }
  return out;
}

nlohmann::json KekListJson(const vault::KeyStatus& s) {
  nlohmann::json keks = nlohmann::json::array();
  for (const auto& k : s.keks) {
    keks.push_back({{"version", k.version},
                    {"createdAt", FormatIso8601(k.created_at)},
                    {"encryptions", k.encryptions},
                    {"deks", k.deks},
                    {"current", k.current},
                    {"retirable", !k.current && k.deks == 0}});
  }
  return keks;
}

nlohmann::json KeyStatusJson(const vault::KeyStatus& s) {
  return {{"currentKekVersion", s.current_version},
          {"keks", KekListJson(s)},
          {"unreadableDeks", s.unreadable_deks},
          {"rewrap", RewrapJson(s.rewrap)},
          {"lastRotations", LastRotationsJson(s.last_events, /*with_detail=*/true)},
          {"rootKeyProvider", s.root_provider},
          {"policy",
           {{"rotateAfterEncryptions", s.policy.rotate_after_encryptions},
            {"rotateAfterDays", s.policy.rotate_after_days},
            {"rewrapBatchSize", s.policy.rewrap_batch_size}}}};
}

nlohmann::json SystemStatusJson(const vault::SystemStatus& s) {
  nlohmann::json by_type = nlohmann::json::object();
  for (const auto& [type, count] : s.credentials_by_type) by_type[std::string(CredentialTypeName(type))] = count;
  nlohmann::json storage = {{"engine", s.storage_engine}};
  if (s.writes) {
    // Group commit at work: how many writes each fsync'd commit carried.
    storage["writes"] = s.writes->writes;
    storage["commits"] = s.writes->commits;
    storage["node"] = s.node_id;
    // Expiry is by the database's clock; "held" compares it with this node's, near enough to read.
    nlohmann::json leases = nlohmann::json::array();
    const UnixMicros now = NowMicros();
    for (const auto& lease : s.leases) {
      leases.push_back({{"name", lease.name},
                        {"holder", lease.holder},
                        {"fencingToken", lease.token},
                        {"expiresAt", FormatIso8601(lease.expires_at)},
                        {"held", lease.expires_at > now}});
    }
    storage["leases"] = leases;
  }
  return {{"credentials", {{"total", s.credentials_total}, {"byType", by_type}}},
          {"keys",
           {{"currentKekVersion", s.keys.current_version},
            {"keks", KekListJson(s.keys)},
            {"rewrap", {{"state", s.keys.rewrap.state}, {"remaining", s.keys.rewrap.remaining}}},
            {"lastRotations", LastRotationsJson(s.keys.last_events, /*with_detail=*/false)},
            {"rootKeyProvider", s.keys.root_provider}}},
          {"sealed", s.sealed},
          {"storage", storage},
          {"startedAt", FormatIso8601(s.started_at)},
          {"uptimeSeconds", s.uptime_seconds}};
}

}  // namespace

void AddKeyRoutes(Router& router, vault::Vault& vault, vault::KeyManager& keys, vault::StatusService& status) {
  router.Add("POST", "/v0/vault/:name/rotate", [&vault, &keys](const ApiRequest& request, const PathParams& params) {
    return WithPrincipal(vault, request, [&](const Principal& principal) {
      return WithCallerBody(vault, principal, "credential.rotate", params.at("name"), request, {}, [&](const BodyFields&) {
        auto rotated = keys.RotateCredential(principal, params.at("name"));
        if (!rotated.ok()) return ErrorResponse(rotated.error());
        nlohmann::json out = CredentialInfoJson(*rotated);
        out["rotated"] = true;
        return JsonResponse(200, out);
      }, EmptyBody::kAllowed);
    });
  });

  router.Add("POST", "/v0/keys/rotate", [&vault, &keys](const ApiRequest& request, const PathParams&) {
    return WithPrincipal(vault, request, [&](const Principal& principal) {
      return WithCallerBody(vault, principal, "keys.rotate", "", request, {}, [&](const BodyFields&) {
        auto rotation = keys.RotateKek(principal);
        if (!rotation.ok()) return ErrorResponse(rotation.error());
        return JsonResponse(200, {{"previousKekVersion", rotation->previous_version},
                                  {"kekVersion", rotation->new_version},
                                  {"rewrap", RewrapJson(rotation->rewrap)}});
      }, EmptyBody::kAllowed);
    });
  });

  router.Add("POST", "/v0/keys/rotate-all", [&vault, &keys](const ApiRequest& request, const PathParams&) {
    return WithPrincipal(vault, request, [&](const Principal& principal) {
      return WithCallerBody(vault, principal, "keys.rotate_all", "", request, {}, [&](const BodyFields&) {
        auto progress = keys.StartRewrap(principal);
        if (!progress.ok()) return ErrorResponse(progress.error());
        // 202: the re-wrap runs on in the background; GET /v0/keys/status follows it.
        return JsonResponse(202, {{"rewrap", RewrapJson(*progress)}});
      }, EmptyBody::kAllowed);
    });
  });

  router.Add("POST", "/v0/keys/retire", [&vault, &keys](const ApiRequest& request, const PathParams&) {
    return WithPrincipal(vault, request, [&](const Principal& principal) {
      return WithCallerBody(vault, principal, "keys.retire", "", request, {"version"}, [&](const BodyFields& f) {
        COFFER_FIELD(version, f.OptionalPositiveInt("version", UINT32_MAX));
        std::optional<uint32_t> kek_version;
        if (*version) kek_version = static_cast<uint32_t>(**version);
        auto retired = keys.RetireKeks(principal, kek_version);
        if (!retired.ok()) return ErrorResponse(retired.error());
        return JsonResponse(200, {{"retired", *retired}});
      }, EmptyBody::kAllowed);
    });
  });

  router.Add("GET", "/v0/keys/status", [&vault, &keys](const ApiRequest& request, const PathParams&) {
    return WithPrincipal(vault, request, [&](const Principal& principal) {
      if (Status s = CheckQuery(request, {}); !s.ok()) return ErrorResponse(s.error());
      auto key_status = keys.GetKeyStatus(principal);
      if (!key_status.ok()) return ErrorResponse(key_status.error());
      return JsonResponse(200, KeyStatusJson(*key_status));
    });
  });

  router.Add("GET", "/v0/status", [&vault, &status](const ApiRequest& request, const PathParams&) {
    return WithPrincipal(vault, request, [&](const Principal& principal) {
      if (Status s = CheckQuery(request, {}); !s.ok()) return ErrorResponse(s.error());
      auto described = status.Describe(principal);
      if (!described.ok()) return ErrorResponse(described.error());
      return JsonResponse(200, SystemStatusJson(*described));
    });
  });
}

}  // namespace coffer::api
