#include "api/http/identity_routes.h"

#include <set>

#include "api/http/authentication.h"
#include "api/http/body_fields.h"
#include "api/http/json_io.h"
#include "api/http/query_params.h"
#include "core/secure_wipe.h"

namespace coffer::api {
namespace {

using vault::IdentityService;

nlohmann::json IdentityJson(const store::IdentityRecord& i) {
  nlohmann::json out = {{"id", i.id},
                        {"name", i.name},
                        {"kind", i.kind},
                        {"parentId", i.parent_id ? nlohmann::json(*i.parent_id) : nlohmann::json(nullptr)},
                        {"scopes", i.scopes},
                        {"createdBy", i.created_by ? nlohmann::json(*i.created_by) : nlohmann::json(nullptr)},
                        {"createdAt", FormatIso8601(i.created_at)},
                        {"revokedAt", TimestampOrNull(i.revoked_at)},
                        {"reveal", i.reveal}};
  if (i.kind == "human") out["role"] = i.role;
  return out;
}

nlohmann::json TokenJson(const store::TokenRecord& t) {
  return {{"id", t.id},
          {"identityId", t.identity_id},
          {"name", t.name},
          {"scopes", t.scopes},
          {"cidrs", t.cidrs},
          {"reveal", t.reveal},
          {"createdAt", FormatIso8601(t.created_at)},
          {"expiresAt", TimestampOrNull(t.expires_at)},
          {"revokedAt", TimestampOrNull(t.revoked_at)}};
}

nlohmann::json GrantJson(const store::GrantRecord& g) {
  return {{"id", g.id},
          {"granterId", g.granter_id},
          {"granteeId", g.grantee_id},
          {"pattern", g.pattern},
          {"scopes", g.scopes},
          {"createdBy", g.created_by},
          {"createdAt", FormatIso8601(g.created_at)},
          {"expiresAt", TimestampOrNull(g.expires_at)},
          {"revokedAt", TimestampOrNull(g.revoked_at)}};
}

// The token itself appears here, once, and never again.
ApiResponse IssuedTokenResponse(int status, const vault::IssuedToken& issued) {
  nlohmann::json body = TokenJson(issued.record);
  body["token"] = issued.token;
  return SecretJsonResponse(status, std::move(body));
}

void AddIdentityManagement(Router& router, vault::Vault& vault, IdentityService& ids) {
  router.Add("POST", "/v0/identities", [&](const ApiRequest& r, const PathParams&) {
    return WithPrincipal(vault, r, [&](const Principal& caller) {
      return WithCallerBody(vault, caller, "identity.create", "", r, {"name", "parentId", "scopes", "reveal"}, [&](const BodyFields& f) {
        vault::CreateIdentityRequest req;
        COFFER_FIELD(name, f.RequiredString("name"));
        COFFER_FIELD(parent, f.OptionalString("parentId"));
        COFFER_FIELD(scopes, f.OptionalStrings("scopes"));
        COFFER_FIELD(reveal, f.OptionalBool("reveal"));
        req.name = *name;
        req.parent_id = *parent;
        req.scopes = *scopes;
        req.reveal = *reveal;
        auto created = ids.CreateIdentity(caller, req);
        if (!created.ok()) return ErrorResponse(created.error());
        return JsonResponse(201, IdentityJson(*created));
      });
    });
  });
  router.Add("GET", "/v0/identities", [&](const ApiRequest& r, const PathParams&) {
    return WithPrincipal(vault, r, [&](const Principal& caller) {
      if (Status s = CheckQuery(r, {}); !s.ok()) return ErrorResponse(s.error());
      auto list = ids.ListIdentities(caller);
      if (!list.ok()) return ErrorResponse(list.error());
      nlohmann::json items = nlohmann::json::array();
      for (const auto& i : *list) items.push_back(IdentityJson(i));
      return JsonResponse(200, {{"identities", items}});
    });
  });
  router.Add("GET", "/v0/identities/:id", [&](const ApiRequest& r, const PathParams& p) {
    return WithPrincipal(vault, r, [&](const Principal& caller) {
      if (Status s = CheckQuery(r, {}); !s.ok()) return ErrorResponse(s.error());
      auto identity = ids.GetIdentity(caller, p.at("id"));
      if (!identity.ok()) return ErrorResponse(identity.error());
      return JsonResponse(200, IdentityJson(*identity));
    });
  });
  router.Add("POST", "/v0/identities/:id/revoke", [&](const ApiRequest& r, const PathParams& p) {
    return WithPrincipal(vault, r, [&](const Principal& caller) {
      if (Status s = CheckQuery(r, {}); !s.ok()) return ErrorResponse(s.error());
      auto identity = ids.RevokeIdentity(caller, p.at("id"));
      if (!identity.ok()) return ErrorResponse(identity.error());
      return JsonResponse(200, IdentityJson(*identity));
    });
  });
  router.Add("POST", "/v0/identities/:id/restore", [&](const ApiRequest& r, const PathParams& p) {
    return WithPrincipal(vault, r, [&](const Principal& caller) {
      if (Status s = CheckQuery(r, {}); !s.ok()) return ErrorResponse(s.error());
      auto identity = ids.RestoreIdentity(caller, p.at("id"));
      if (!identity.ok()) return ErrorResponse(identity.error());
      return JsonResponse(200, IdentityJson(*identity));
    });
  });
  router.Add("DELETE", "/v0/identities/:id/credentials", [&](const ApiRequest& r, const PathParams& p) {
    return WithPrincipal(vault, r, [&](const Principal& caller) {
      if (Status s = CheckQuery(r, {}); !s.ok()) return ErrorResponse(s.error());
      auto purged = ids.PurgeCredentials(caller, p.at("id"));
      if (!purged.ok()) return ErrorResponse(purged.error());
      return JsonResponse(200, {{"purged", *purged}});
    });
  });
}

void AddTokenRoutes(Router& router, vault::Vault& vault, IdentityService& ids) {
  router.Add("POST", "/v0/identities/:id/tokens", [&](const ApiRequest& r, const PathParams& p) {
    return WithPrincipal(vault, r, [&](const Principal& caller) {
      return WithCallerBody(vault, caller, "token.create", p.at("id"), r, {"name", "scopes", "expiresAt", "cidrs", "reveal"}, [&](const BodyFields& f) {
        vault::CreateTokenRequest req;
        COFFER_FIELD(name, f.RequiredString("name"));
        COFFER_FIELD(scopes, f.OptionalStrings("scopes"));
        COFFER_FIELD(expires, f.OptionalTime("expiresAt"));
        COFFER_FIELD(cidrs, f.OptionalStrings("cidrs"));
        req.name = *name;
        req.scopes = *scopes;
        req.expires_at = *expires;
        req.cidrs = cidrs->value_or(std::vector<std::string>{});
        COFFER_FIELD(reveal, f.OptionalBool("reveal"));
        req.reveal = reveal->value_or(true);
        auto issued = ids.CreateToken(caller, p.at("id"), req);
        if (!issued.ok()) return ErrorResponse(issued.error());
        ApiResponse response = IssuedTokenResponse(201, *issued);
        SecureWipe(issued->token);
        return response;
      });
    });
  });
  router.Add("GET", "/v0/identities/:id/tokens", [&](const ApiRequest& r, const PathParams& p) {
    return WithPrincipal(vault, r, [&](const Principal& caller) {
      if (Status s = CheckQuery(r, {}); !s.ok()) return ErrorResponse(s.error());
      auto tokens = ids.ListTokens(caller, p.at("id"));
      if (!tokens.ok()) return ErrorResponse(tokens.error());
      nlohmann::json items = nlohmann::json::array();
      for (const auto& t : *tokens) items.push_back(TokenJson(t));
      return JsonResponse(200, {{"tokens", items}});
    });
  });
  router.Add("DELETE", "/v0/identities/:id/tokens/:token", [&](const ApiRequest& r, const PathParams& p) {
    return WithPrincipal(vault, r, [&](const Principal& caller) {
      if (Status s = CheckQuery(r, {}); !s.ok()) return ErrorResponse(s.error());
      if (Status s = ids.RevokeToken(caller, p.at("id"), p.at("token")); !s.ok()) return ErrorResponse(s.error());
      return JsonResponse(200, {{"revoked", true}, {"id", p.at("token")}});
    });
  });
}

void AddGrantRoutes(Router& router, vault::Vault& vault, IdentityService& ids) {
  router.Add("POST", "/v0/identities/:id/grants", [&](const ApiRequest& r, const PathParams& p) {
    return WithPrincipal(vault, r, [&](const Principal& caller) {
      return WithCallerBody(vault, caller, "grant.create", p.at("id"), r, {"granteeId", "pattern", "scopes", "expiresAt"}, [&](const BodyFields& f) {
        vault::CreateGrantRequest req;
        COFFER_FIELD(grantee, f.RequiredString("granteeId"));
        COFFER_FIELD(pattern, f.RequiredString("pattern"));
        COFFER_FIELD(scopes, f.OptionalStrings("scopes"));
        COFFER_FIELD(expires, f.OptionalTime("expiresAt"));
        req.grantee_id = *grantee;
        req.pattern = *pattern;
        req.scopes = scopes->value_or(std::vector<std::string>{});
        req.expires_at = *expires;
        auto grant = ids.CreateGrant(caller, p.at("id"), req);
        if (!grant.ok()) return ErrorResponse(grant.error());
        return JsonResponse(201, GrantJson(*grant));
      });
    });
  });
  router.Add("GET", "/v0/identities/:id/grants", [&](const ApiRequest& r, const PathParams& p) {
    return WithPrincipal(vault, r, [&](const Principal& caller) {
      if (Status s = CheckQuery(r, {}); !s.ok()) return ErrorResponse(s.error());
      auto grants = ids.ListGrants(caller, p.at("id"));
      if (!grants.ok()) return ErrorResponse(grants.error());
      nlohmann::json items = nlohmann::json::array();
      for (const auto& g : *grants) items.push_back(GrantJson(g));
      return JsonResponse(200, {{"grants", items}});
    });
  });
  router.Add("DELETE", "/v0/identities/:id/grants/:grant", [&](const ApiRequest& r, const PathParams& p) {
    return WithPrincipal(vault, r, [&](const Principal& caller) {
      if (Status s = CheckQuery(r, {}); !s.ok()) return ErrorResponse(s.error());
      if (Status s = ids.RevokeGrant(caller, p.at("id"), p.at("grant")); !s.ok()) return ErrorResponse(s.error());
      return JsonResponse(200, {{"revoked", true}, {"id", p.at("grant")}});
    });
  });
}

void AddPeopleRoutes(Router& router, vault::Vault& vault, IdentityService& ids) {
  router.Add("POST", "/v0/humans", [&](const ApiRequest& r, const PathParams&) {
    return WithPrincipal(vault, r, [&](const Principal& caller) {
      return WithCallerBody(vault, caller, "human.create", "", r, {"username", "password", "role"}, [&](const BodyFields& f) {
        vault::CreateHumanRequest req;
        COFFER_FIELD(username, f.RequiredString("username"));
        COFFER_FIELD(password, f.RequiredString("password"));
        COFFER_FIELD(role, f.OptionalString("role"));
        req.username = *username;
        req.password = std::move(*password);
        SecureWipe(*password);  // a short password stays in the moved-from string's own buffer
        req.role = role->value_or(std::string(roles::kMember));
        auto human = ids.CreateHuman(caller, req);
        SecureWipe(req.password);
        if (!human.ok()) return ErrorResponse(human.error());
        return JsonResponse(201, IdentityJson(*human));
      });
    });
  });
  router.Add("POST", "/v0/auth/login", [&](const ApiRequest& r, const PathParams&) {
    return WithBody(r, {"username", "password", "totp"}, [&](const BodyFields& f) {
      COFFER_FIELD(username, f.RequiredString("username"));
      COFFER_FIELD(password, f.RequiredString("password"));
      COFFER_FIELD(totp, f.OptionalString("totp"));
      auto issued = ids.Login(*username, *password, *totp, ContextOf(r));
      SecureWipe(*password);
      if (!issued.ok()) {
        ApiResponse response = ErrorResponse(issued.error());
        if (issued.error().code == ErrorCode::kRateLimited) response.headers.emplace_back("Retry-After", "60");
        return response;
      }
      ApiResponse response = IssuedTokenResponse(200, *issued);
      SecureWipe(issued->token);
      return response;
    });
  });
  router.Add("GET", "/v0/me", [&](const ApiRequest& r, const PathParams&) {
    return WithPrincipal(vault, r, [&](const Principal& caller) {
      if (Status s = CheckQuery(r, {}); !s.ok()) return ErrorResponse(s.error());
      nlohmann::json chain = nlohmann::json::array();
      for (const auto& link : caller.chain) chain.push_back({{"id", link.id}, {"name", link.name}, {"kind", link.kind}});
      nlohmann::json identity = {{"id", caller.identity_id}, {"name", caller.identity_name}, {"kind", caller.kind}};
      if (caller.kind == "human") identity["role"] = caller.role;
      return JsonResponse(200, {{"orgId", caller.org_id},
                                {"identity", identity},
                                {"tokenId", caller.token_id},
                                {"scopes", caller.scopes},
                                {"identityScopes", caller.identity_scopes},
                                {"reveal", caller.reveal},
                                {"chain", chain}});
    });
  });
  router.Add("PUT", "/v0/me/password", [&](const ApiRequest& r, const PathParams&) {
    return WithPrincipal(vault, r, [&](const Principal& caller) {
      return WithCallerBody(vault, caller, "human.password", caller.identity_id, r, {"currentPassword", "newPassword"}, [&](const BodyFields& f) {
        COFFER_FIELD(current, f.OptionalString("currentPassword"));
        COFFER_FIELD(next, f.RequiredString("newPassword"));
        std::string current_text = current->value_or("");
        Status changed = ids.SetPassword(caller, current_text, *next);
        SecureWipe(current_text);
        SecureWipe(*next);
        if (current->has_value()) SecureWipe(**current);
        if (!changed.ok()) return ErrorResponse(changed.error());
        return JsonResponse(200, {{"changed", true}, {"username", caller.identity_name}});
      });
    });
  });
}

void AddOrgRoutes(Router& router, vault::Vault& vault, vault::OrgService& orgs) {
  router.Add("POST", "/v0/orgs", [&](const ApiRequest& r, const PathParams&) {
    return WithPrincipal(vault, r, [&](const Principal& caller) {
      return WithCallerBody(vault, caller, "org.create", "", r, {"name"}, [&](const BodyFields& f) {
        COFFER_FIELD(name, f.RequiredString("name"));
        auto created = orgs.Create(caller, *name);
        if (!created.ok()) return ErrorResponse(created.error());
        auto response = SecretJsonResponse(201, {{"orgId", created->org_id},
                                                 {"name", *name},
                                                 {"ownerId", created->owner_identity_id},
                                                 {"ownerToken", created->owner_token},
                                                 {"note", "the owner token is shown once: store it now"}});
        SecureWipe(created->owner_token);
        return response;
      });
    });
  });
}

void AddSecondFactorRoutes(Router& router, vault::Vault& vault, vault::SecondFactor& second_factor) {
  router.Add("POST", "/v0/me/2fa", [&](const ApiRequest& r, const PathParams&) {
    return WithPrincipal(vault, r, [&](const Principal& caller) {
      // No body to read: whatever was sent is ignored.
      if (Status s = CheckQuery(r, {}); !s.ok()) return ErrorResponse(s.error());
      auto enrollment = second_factor.Enroll(caller);
      if (!enrollment.ok()) return ErrorResponse(enrollment.error());
      return SecretJsonResponse(201, {{"secret", enrollment->secret},
                                      {"otpauthUri", enrollment->uri},
                                      {"confirmed", false},
                                      {"note", "add it to your authenticator app, then confirm with a code: "
                                               "POST /v0/me/2fa/confirm {\"code\": \"123456\"}"}});
    });
  });
  for (const std::string step : {"confirm", "disable"}) {
    router.Add("POST", "/v0/me/2fa/" + step, [&, step](const ApiRequest& r, const PathParams&) {
      return WithPrincipal(vault, r, [&](const Principal& caller) {
        return WithCallerBody(vault, caller, "human.2fa." + step, caller.identity_id, r, {"code"}, [&](const BodyFields& f) {
          COFFER_FIELD(code, f.RequiredString("code"));
          Status done = step == "confirm" ? second_factor.Confirm(caller, *code) : second_factor.Disable(caller, *code);
          if (!done.ok()) return ErrorResponse(done.error());
          return JsonResponse(200, {{"twoFactor", step == "confirm"}});
        });
      });
    });
  }
}

}  // namespace

void AddIdentityRoutes(Router& router, vault::Vault& vault, IdentityService& identities, vault::OrgService& orgs,
                       vault::SecondFactor& second_factor) {
  AddOrgRoutes(router, vault, orgs);
  AddSecondFactorRoutes(router, vault, second_factor);
  AddIdentityManagement(router, vault, identities);
  AddTokenRoutes(router, vault, identities);
  AddGrantRoutes(router, vault, identities);
  AddPeopleRoutes(router, vault, identities);
}

}  // namespace coffer::api
