// Identities, tokens, grants and revocation, driven over HTTP against the real binary: the
// delegation chain human > agent > sub-agent > sub-sub-agent and the authorization matrix.
#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>
#include <thread>

#include "coffer_process.h"
#include "server_test.h"
#include "core/time.h"
#include "crypto/totp.h"

namespace coffer::testing {
namespace {

using nlohmann::json;

const std::vector<std::string> kVaultScopes = {"vault:read", "vault:write", "vault:delete", "vault:list", "vault:use"};

class DelegationTest : public ServerTest {
 protected:
  // Creates an identity (as `token`'s identity's child unless `parent` is given); returns its id.
  std::string CreateIdentity(const std::string& token, const std::string& name,
                             const std::optional<std::vector<std::string>>& scopes = std::nullopt) {
    json body = {{"name", name}};
    if (scopes) body["scopes"] = *scopes;
    auto reply = Call(token, "POST", "/v0/identities", body);
    EXPECT_EQ(reply.status, 201) << reply.body.dump();
    return reply.body.value("id", "");
  }

  std::string CreateToken(const std::string& token, const std::string& identity,
                          const std::optional<std::vector<std::string>>& scopes = std::nullopt,
                          const json& extra = json::object()) {
    json body = {{"name", "test"}};
    if (scopes) body["scopes"] = *scopes;
    body.update(extra);
    auto reply = Call(token, "POST", "/v0/identities/" + identity + "/tokens", body);
    EXPECT_EQ(reply.status, 201) << reply.body.dump();
    return reply.body.value("token", "");
  }

  long Status(const std::string& token, const std::string& method, const std::string& path,
              const std::optional<json>& body = std::nullopt) {
    return Call(token, method, path, body).status;
  }

  static json Secret(const std::string& value) { return {{"type", "API_KEY"}, {"data", {{"key", value}}}}; }
};

TEST_F(DelegationTest, ThreeLevelChainRevokingTheMiddleCutsEveryDescendantAtOnce) {
  // human (owner) > agent > sub > subsub, plus a sibling of sub.
  std::string agent = CreateIdentity(owner_, "agent");
  std::string agent_token = CreateToken(owner_, agent);
  std::string sub = CreateIdentity(agent_token, "sub");
  std::string sibling = CreateIdentity(agent_token, "sibling");
  std::string sub_token = CreateToken(agent_token, sub);
  std::string sibling_token = CreateToken(agent_token, sibling);
  std::string subsub = CreateIdentity(sub_token, "subsub");
  std::string subsub_token = CreateToken(sub_token, subsub);

  // The agent shares crm with sub, which passes it on to subsub: read-only at each step.
  ASSERT_EQ(Status(agent_token, "PUT", "/v0/vault/crm", Secret("crm-key-1")), 201);
  ASSERT_EQ(Status(agent_token, "POST", "/v0/identities/" + agent + "/grants",
                   json{{"granteeId", sub}, {"pattern", "crm"}, {"scopes", {"vault:read"}}}), 201);
  ASSERT_EQ(Status(sub_token, "POST", "/v0/identities/" + sub + "/grants",
                   json{{"granteeId", subsub}, {"pattern", "crm*"}, {"scopes", {"vault:read"}}}), 201);
  auto read = Call(subsub_token, "GET", "/v0/vault/crm");
  ASSERT_EQ(read.status, 200) << read.body.dump();
  EXPECT_EQ(read.body["data"]["key"], "crm-key-1");
  // Read-only: the grant does not let subsub overwrite the agent's credential (it gets its own).
  EXPECT_EQ(Status(subsub_token, "DELETE", "/v0/vault/crm"), 404);

  auto me = Call(subsub_token, "GET", "/v0/me");
  ASSERT_EQ(me.status, 200);
  ASSERT_EQ(me.body["chain"].size(), 4u) << me.body.dump();
  EXPECT_EQ(me.body["chain"][0]["kind"], "human");
  EXPECT_EQ(me.body["chain"][1]["name"], "agent");
  EXPECT_EQ(me.body["chain"][3]["id"], subsub);

  // Revoke the middle one: sub and subsub fail on their very next request; the rest carry on.
  ASSERT_EQ(Status(agent_token, "POST", "/v0/identities/" + sub + "/revoke"), 200);
  EXPECT_EQ(Status(sub_token, "GET", "/v0/vault"), 401);
  EXPECT_EQ(Status(subsub_token, "GET", "/v0/vault/crm"), 401);
  EXPECT_EQ(Status(subsub_token, "GET", "/v0/me"), 401);
  EXPECT_EQ(Status(sibling_token, "GET", "/v0/vault"), 200);
  EXPECT_EQ(Status(agent_token, "GET", "/v0/vault/crm"), 200);

  // Restoring is an explicit admin action: the agent cannot, the owner can.
  EXPECT_EQ(Status(agent_token, "POST", "/v0/identities/" + sub + "/restore"), 403);
  ASSERT_EQ(Status(owner_, "POST", "/v0/identities/" + sub + "/restore"), 200);
  EXPECT_EQ(Status(subsub_token, "GET", "/v0/vault/crm"), 200);
}

TEST_F(DelegationTest, AGrantNeverOutlivesTheGrantersAccess) {
  std::string agent = CreateIdentity(owner_, "agent");
  std::string agent_token = CreateToken(owner_, agent);
  std::string sub = CreateIdentity(agent_token, "sub");
  std::string sub_token = CreateToken(agent_token, sub);
  std::string subsub = CreateIdentity(sub_token, "subsub");
  std::string subsub_token = CreateToken(sub_token, subsub);
  ASSERT_EQ(Status(agent_token, "PUT", "/v0/vault/billing:stripe", Secret("sk_live_granted")), 201);
  auto first = Call(agent_token, "POST", "/v0/identities/" + agent + "/grants",
                    json{{"granteeId", sub}, {"pattern", "billing:*"}, {"scopes", {"vault:read", "vault:use"}}});
  ASSERT_EQ(first.status, 201);
  ASSERT_EQ(Status(sub_token, "POST", "/v0/identities/" + sub + "/grants",
                   json{{"granteeId", subsub}, {"pattern", "billing:stripe"}, {"scopes", {"vault:read"}}}), 201);
  ASSERT_EQ(Status(subsub_token, "GET", "/v0/vault/billing:stripe"), 200);

  // The parent's grant goes: the child's grant from it gives nothing any more.
  ASSERT_EQ(Status(agent_token, "DELETE", "/v0/identities/" + agent + "/grants/" + first.body["id"].get<std::string>()), 200);
  EXPECT_EQ(Status(sub_token, "GET", "/v0/vault/billing:stripe"), 404);
  EXPECT_EQ(Status(subsub_token, "GET", "/v0/vault/billing:stripe"), 404);
}

TEST_F(DelegationTest, NothingGivesMoreThanItHas) {
  std::string reader = CreateIdentity(owner_, "reader", std::vector<std::string>{"vault:read", "vault:list", "identities:write"});
  std::string reader_token = CreateToken(owner_, reader);
  // A sub-identity, token or grant with a scope the creator lacks is refused.
  EXPECT_EQ(Status(reader_token, "POST", "/v0/identities", json{{"name", "x"}, {"scopes", {"vault:write"}}}), 403);
  std::string child = CreateIdentity(reader_token, "child");
  auto child_info = Call(reader_token, "GET", "/v0/identities/" + child);
  EXPECT_EQ(child_info.body["scopes"], json({"vault:read", "vault:list", "identities:write"}));
  EXPECT_EQ(Status(reader_token, "POST", "/v0/identities/" + child + "/tokens",
                   json{{"name", "t"}, {"scopes", {"vault:delete"}}}), 403);
  EXPECT_EQ(Status(reader_token, "POST", "/v0/identities/" + reader + "/grants",
                   json{{"granteeId", child}, {"pattern", "*"}, {"scopes", {"vault:write"}}}), 403);
  // A token narrower than its identity cannot mint a wider one for itself.
  std::string narrow = CreateToken(owner_, reader, std::vector<std::string>{"vault:read", "identities:write"});
  EXPECT_EQ(Status(narrow, "POST", "/v0/identities/" + reader + "/tokens", json{{"name", "t"}, {"scopes", {"vault:list"}}}), 403);
  // A sub-identity cannot grant itself its parent's credentials, nor manage its parent.
  std::string child_token = CreateToken(reader_token, child);
  EXPECT_EQ(Status(child_token, "POST", "/v0/identities/" + reader + "/grants",
                   json{{"granteeId", child}, {"pattern", "*"}, {"scopes", {"vault:read"}}}), 404);
  EXPECT_EQ(Status(child_token, "POST", "/v0/identities/" + reader + "/revoke"), 404);
  EXPECT_EQ(Status(child_token, "GET", "/v0/identities/" + reader + "/tokens"), 404);
  // Grants go only down the chain: not to a sibling or stranger.
  std::string stranger = CreateIdentity(owner_, "stranger");
  EXPECT_EQ(Status(reader_token, "POST", "/v0/identities/" + reader + "/grants",
                   json{{"granteeId", stranger}, {"pattern", "*"}, {"scopes", {"vault:read"}}}), 422);
}

TEST_F(DelegationTest, TokensUnknownExpiredAndRevokedLookTheSame) {
  std::string agent = CreateIdentity(owner_, "agent");
  std::string token = CreateToken(owner_, agent);
  auto listed = Call(owner_, "GET", "/v0/identities/" + agent + "/tokens");
  ASSERT_EQ(listed.body["tokens"].size(), 1u);
  EXPECT_FALSE(listed.body["tokens"][0].contains("token")) << "the secret part is never listed";
  EXPECT_EQ(listed.body.dump().find(token), std::string::npos);
  std::string token_id = listed.body["tokens"][0]["id"];
  ASSERT_EQ(Status(token, "GET", "/v0/vault"), 200);
  ASSERT_EQ(Status(owner_, "DELETE", "/v0/identities/" + agent + "/tokens/" + token_id), 200);
  auto revoked = Call(token, "GET", "/v0/vault");
  auto unknown = Call("cof_" + std::string(43, 'A'), "GET", "/v0/vault");
  EXPECT_EQ(revoked.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(revoked.body["error"]["message"], unknown.body["error"]["message"]);

  std::string expiring = CreateToken(owner_, agent, std::nullopt,
                                     json{{"expiresAt", FormatIso8601(NowMicros() + 1500000)}});
  ASSERT_EQ(Status(expiring, "GET", "/v0/vault"), 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1700));
  auto expired = Call(expiring, "GET", "/v0/vault");
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.body["error"]["message"], unknown.body["error"]["message"]);
  EXPECT_EQ(Status(owner_, "POST", "/v0/identities/" + agent + "/tokens",
                   json{{"name", "t"}, {"expiresAt", "2001-01-01T00:00:00Z"}}), 422);
}

TEST_F(DelegationTest, TokensHonourTheirNetworkAllowList) {
  std::string agent = CreateIdentity(owner_, "agent");
  std::string outside = CreateToken(owner_, agent, std::nullopt, json{{"cidrs", {"10.0.0.0/8", "fd00::/8"}}});
  std::string inside = CreateToken(owner_, agent, std::nullopt, json{{"cidrs", {"127.0.0.0/8"}}});
  EXPECT_EQ(Status(outside, "GET", "/v0/vault"), 403);
  EXPECT_EQ(Status(inside, "GET", "/v0/vault"), 200);
  EXPECT_EQ(Status(owner_, "POST", "/v0/identities/" + agent + "/tokens",
                   json{{"name", "t"}, {"cidrs", {"10.0.0.0/33"}}}), 422);
}

TEST_F(DelegationTest, RevokedIdentitysCredentialsArePurgedOnlyByAnAdmin) {
  std::string agent = CreateIdentity(owner_, "agent");
  std::string token = CreateToken(owner_, agent);
  ASSERT_EQ(Status(token, "PUT", "/v0/vault/a", Secret("one")), 201);
  ASSERT_EQ(Status(token, "PUT", "/v0/vault/b", Secret("two")), 201);
  EXPECT_EQ(Status(owner_, "DELETE", "/v0/identities/" + agent + "/credentials"), 409) << "revoke first";
  ASSERT_EQ(Status(owner_, "POST", "/v0/identities/" + agent + "/revoke"), 200);
  auto purged = Call(owner_, "DELETE", "/v0/identities/" + agent + "/credentials");
  ASSERT_EQ(purged.status, 200);
  EXPECT_EQ(purged.body["purged"], 2);
  ASSERT_EQ(Status(owner_, "POST", "/v0/identities/" + agent + "/restore"), 200);
  auto list = Call(token, "GET", "/v0/vault");
  ASSERT_EQ(list.status, 200);
  EXPECT_TRUE(list.body["credentials"].empty());
  EXPECT_EQ(Status(owner_, "POST", "/v0/identities/" + agent + "/revoke"), 200);
  auto me = Call(owner_, "GET", "/v0/me");
  EXPECT_EQ(Status(owner_, "POST", "/v0/identities/" + me.body["identity"]["id"].get<std::string>() + "/revoke"), 409)
      << "the owner cannot lock everyone out";
}

TEST_F(DelegationTest, PeopleLogInWithPasswordsAndGuessingIsThrottled) {
  // The bootstrap owner sets its first password with its token, then logs in.
  ASSERT_EQ(Status(owner_, "PUT", "/v0/me/password", json{{"newPassword", "correct horse battery"}}), 200);
  auto login = Call("", "POST", "/v0/auth/login", json{{"username", "owner"}, {"password", "correct horse battery"}});
  ASSERT_EQ(login.status, 200) << login.body.dump();
  std::string session = login.body["token"];
  EXPECT_EQ(Status(session, "GET", "/v0/vault"), 200);
  EXPECT_EQ(Status(owner_, "PUT", "/v0/me/password", json{{"currentPassword", "wrong"}, {"newPassword", "another long one"}}), 403);

  // An admin adds a member; the member cannot manage people.
  ASSERT_EQ(Status(session, "POST", "/v0/humans",
                   json{{"username", "dana"}, {"password", "dana's long password"}, {"role", "member"}}), 201);
  EXPECT_EQ(Status(session, "POST", "/v0/humans", json{{"username", "dana"}, {"password", "another long password"}}), 409);
  EXPECT_EQ(Status(session, "POST", "/v0/humans", json{{"username", "eve"}, {"password", "short"}}), 422);
  auto dana = Call("", "POST", "/v0/auth/login", json{{"username", "dana"}, {"password", "dana's long password"}});
  ASSERT_EQ(dana.status, 200);
  EXPECT_EQ(Status(dana.body["token"], "POST", "/v0/humans", json{{"username", "mallory"}, {"password", "mallory's password!"}}), 403);

  // Wrong passwords and unknown users answer alike; after a few, the account must wait.
  auto wrong = Call("", "POST", "/v0/auth/login", json{{"username", "dana"}, {"password", "guess-0000"}});
  auto nobody = Call("", "POST", "/v0/auth/login", json{{"username", "nobody"}, {"password", "guess-0000"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(nobody.status, 401);
  EXPECT_EQ(wrong.body["error"]["message"], nobody.body["error"]["message"]);
  long last = 0;
  for (int i = 0; i < 6 && last != 429; ++i) {
    last = Status("", "POST", "/v0/auth/login", json{{"username", "dana"}, {"password", "guess-" + std::to_string(i)}});
  }
  EXPECT_EQ(last, 429);
  // Locked out even with the right password until the wait is over.
  EXPECT_EQ(Status("", "POST", "/v0/auth/login", json{{"username", "dana"}, {"password", "dana's long password"}}), 429);

  // Passwords and tokens reach neither the log nor the database file (hashes only).
  server_->Stop();
  std::string stored = ReadFile(dir_.path() + "/coffer.db") + ReadFile(dir_.path() + "/coffer.db-wal");
  for (const std::string& secret : {std::string("correct horse battery"), std::string("dana's long password"), session}) {
    EXPECT_EQ(server_->stderr_text().find(secret), std::string::npos);
    EXPECT_EQ(stored.find(secret), std::string::npos);
  }
}

// Every vault endpoint x every scope x (own, granted, another identity's, revoked) -> status.
// The code an authenticator app shows `offset_seconds` from now for a base32 `secret`.
std::string AppCode(const std::string& secret, int64_t offset_seconds) {
  auto code = crypto::TotpFromBase32(secret, std::time(nullptr) + offset_seconds, crypto::TotpParams{});
  EXPECT_TRUE(code.ok());
  return code.ok() ? code->code : "";
}

TEST_F(DelegationTest, TwoFactorLoginNeedsAFreshCodeOnceConfirmed) {
  ASSERT_EQ(Status(owner_, "POST", "/v0/humans",
                   json{{"username", "alice"}, {"password", "alice's long password"}, {"role", "member"}}), 201);
  const json credentials = {{"username", "alice"}, {"password", "alice's long password"}};
  auto login = Call("", "POST", "/v0/auth/login", credentials);
  ASSERT_EQ(login.status, 200) << login.body.dump();
  const std::string session = login.body["token"];

  auto enrolled = Call(session, "POST", "/v0/me/2fa");
  ASSERT_EQ(enrolled.status, 201) << enrolled.body.dump();
  const std::string secret = enrolled.body["secret"];
  EXPECT_NE(enrolled.body["otpauthUri"].get<std::string>().find("secret=" + secret), std::string::npos);
  EXPECT_EQ(Call("", "POST", "/v0/auth/login", credentials).status, 200) << "not in force until confirmed";
  EXPECT_EQ(Status(owner_, "POST", "/v0/me/2fa/confirm", json{{"code", AppCode(secret, 0)}}), 409)
      << "the owner has no password, so no second factor to confirm";
  EXPECT_EQ(Status(session, "POST", "/v0/me/2fa/confirm", json{{"code", AppCode(secret, 600)}}), 401);
  ASSERT_EQ(Status(session, "POST", "/v0/me/2fa/confirm", json{{"code", AppCode(secret, 0)}}), 200);

  auto without = Call("", "POST", "/v0/auth/login", credentials);
  EXPECT_EQ(without.status, 401);
  EXPECT_NE(without.body.dump().find("two-factor"), std::string::npos) << without.body.dump();
  json with = credentials;
  with["totp"] = AppCode(secret, -600);
  EXPECT_EQ(Call("", "POST", "/v0/auth/login", with).status, 401) << "a stale code";
  // The next window's code (clock drift allows one step either way) is fresh; it works once.
  with["totp"] = AppCode(secret, 30);
  auto second = Call("", "POST", "/v0/auth/login", with);
  EXPECT_EQ(second.status, 200) << second.body.dump();
  EXPECT_EQ(Call("", "POST", "/v0/auth/login", with).status, 401) << "a code works once";
  EXPECT_EQ(Status(session, "POST", "/v0/me/2fa/disable", json{{"code", AppCode(secret, 600)}}), 401);

  // After a root key rotation the key still opens: the replayed code is refused as replayed.
  server_->Stop();
  auto rotated = RunCoffer({"keys", "rotate-root", "--data-dir", dir_.path()});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.out << rotated.err;
  server_ = std::make_unique<CofferServer>(dir_.path());
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  auto replayed = Call("", "POST", "/v0/auth/login", with);
  EXPECT_EQ(replayed.status, 401);
  EXPECT_NE(replayed.body.dump().find("already used"), std::string::npos) << replayed.body.dump();
  // And the secret never reached the database or the logs.
  server_->Stop();
  EXPECT_EQ(server_->stderr_text().find(secret), std::string::npos);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path())) {
    if (!entry.is_regular_file()) continue;
    EXPECT_EQ(ReadFile(entry.path()).find(secret), std::string::npos) << entry.path();
  }
}

TEST_F(DelegationTest, NothingCrossesOrgs) {
  auto created = Call(owner_, "POST", "/v0/orgs", json{{"name", "tenant-b"}});
  ASSERT_EQ(created.status, 201) << created.body.dump();
  const std::string b_owner = created.body["ownerToken"];
  EXPECT_TRUE(b_owner.starts_with("cof_"));
  EXPECT_NE(created.body["orgId"], Call(owner_, "GET", "/v0/me").body["orgId"]);

  std::string a_agent = CreateIdentity(owner_, "a-agent");
  ASSERT_EQ(Status(owner_, "PUT", "/v0/vault/shared-name", Secret("from-a")), 201);
  ASSERT_EQ(Status(b_owner, "PUT", "/v0/vault/shared-name", Secret("from-b")), 201);
  // The same name in two orgs is two credentials.
  EXPECT_EQ(Call(owner_, "GET", "/v0/vault/shared-name").body["data"]["key"], "from-a");
  EXPECT_EQ(Call(b_owner, "GET", "/v0/vault/shared-name").body["data"]["key"], "from-b");

  // Org B's owner sees none of org A's identities, cannot give one a token or a grant, and its
  // audit trail holds none of org A's records.
  EXPECT_EQ(Status(b_owner, "GET", "/v0/identities/" + a_agent), 404);
  EXPECT_EQ(Status(b_owner, "POST", "/v0/identities/" + a_agent + "/tokens", json{{"name", "steal"}}), 404);
  std::string b_self = Call(b_owner, "GET", "/v0/me").body["identity"]["id"];
  // Grants go to strict descendants only: the same refusal whether or not the id exists elsewhere.
  EXPECT_EQ(Status(b_owner, "POST", "/v0/identities/" + b_self + "/grants",
                   json{{"granteeId", a_agent}, {"pattern", "*"}, {"scopes", {"vault:read"}}}),
            422);
  // Each reply is held in a variable: a range-for over a temporary's member would dangle.
  const auto b_identities = Call(b_owner, "GET", "/v0/identities");
  for (const auto& identity : b_identities.body["identities"]) {
    EXPECT_NE(identity["id"], a_agent);
  }
  const auto b_audit = Call(b_owner, "GET", "/v0/audit?limit=1000");
  ASSERT_EQ(b_audit.status, 200);
  for (const auto& event : b_audit.body["events"]) {
    EXPECT_EQ(event["orgId"], created.body["orgId"]) << event.dump();
  }
  // The chain spans every org: verifying it is the operator's, not a tenant's.
  EXPECT_EQ(Status(b_owner, "GET", "/v0/audit/verify"), 403);
  EXPECT_EQ(Status(owner_, "GET", "/v0/audit/verify"), 200);
  // Only the server's first owner creates orgs; org B's owner cannot, nor can an agent.
  EXPECT_EQ(Status(b_owner, "POST", "/v0/orgs", json{{"name", "tenant-c"}}), 403);
  EXPECT_EQ(Status(CreateToken(owner_, a_agent), "POST", "/v0/orgs", json{{"name", "tenant-c"}}), 403);
  EXPECT_EQ(Status(owner_, "POST", "/v0/orgs", json{{"name", "bad/name"}}), 400);
}

TEST_F(DelegationTest, AuthorizationMatrix) {
  std::string parent = CreateIdentity(owner_, "parent");
  std::string parent_token = CreateToken(owner_, parent);
  std::string caller = CreateIdentity(parent_token, "caller");
  std::string other = CreateIdentity(owner_, "other");
  std::string other_token = CreateToken(owner_, other);
  std::string caller_all = CreateToken(parent_token, caller);
  ASSERT_EQ(Status(parent_token, "POST", "/v0/identities/" + parent + "/grants",
                   json{{"granteeId", caller}, {"pattern", "granted-*"}, {"scopes", {"vault:read", "vault:write", "vault:delete", "vault:use"}}}), 201);
  std::string revoked = CreateIdentity(owner_, "revoked");
  std::string revoked_token = CreateToken(owner_, revoked);
  ASSERT_EQ(Status(revoked_token, "PUT", "/v0/vault/mine", Secret("r")), 201);
  ASSERT_EQ(Status(owner_, "POST", "/v0/identities/" + revoked + "/revoke"), 200);

  auto second_org = Call(owner_, "POST", "/v0/orgs", json{{"name", "tenant-b"}});
  ASSERT_EQ(second_org.status, 201) << second_org.body.dump();
  const std::string other_org_owner = second_org.body["ownerToken"];

  enum class Target { kOwn, kGranted, kOther, kOtherOrg, kRevoked };
  struct Endpoint { std::string method; std::string scope; };
  const std::vector<Endpoint> endpoints = {{"GET", "vault:read"}, {"PUT", "vault:write"}, {"DELETE", "vault:delete"}};
  int cell = 0;
  for (const std::string& scope : kVaultScopes) {
    std::string token = CreateToken(parent_token, caller, std::vector<std::string>{scope});
    for (const auto& endpoint : endpoints) {
      for (Target target : {Target::kOwn, Target::kGranted, Target::kOther, Target::kOtherOrg, Target::kRevoked}) {
        // A fresh credential per cell, so deletes and overwrites do not leak into other cells.
        std::string name = (target == Target::kGranted ? "granted-" : "cell-") + std::to_string(++cell);
        std::string use_token = token;
        if (target == Target::kOwn) {
          ASSERT_EQ(Status(caller_all, "PUT", "/v0/vault/" + name, Secret("v")), 201);
        }
        if (target == Target::kGranted) {
          ASSERT_EQ(Status(parent_token, "PUT", "/v0/vault/" + name, Secret("v")), 201);
        }
        if (target == Target::kOther) {
          ASSERT_EQ(Status(other_token, "PUT", "/v0/vault/" + name, Secret("v")), 201);
        }
        if (target == Target::kOtherOrg) {
          ASSERT_EQ(Status(other_org_owner, "PUT", "/v0/vault/" + name, Secret("v")), 201);
        }
        if (target == Target::kRevoked) {
          use_token = revoked_token;
          name = "mine";
        }
        const bool allowed = scope == endpoint.scope;
        long expected;
        if (target == Target::kRevoked) {
          expected = 401;
        } else if (!allowed) {
          expected = 403;
        } else if (target == Target::kOther || target == Target::kOtherOrg) {
          // Another identity's (or org's) credential is invisible: reads and deletes miss, a write
          // creates the caller's own credential of that name.
          expected = endpoint.method == "PUT" ? 201 : 404;
        } else {
          expected = 200;
        }
        std::optional<json> body;
        if (endpoint.method == "PUT") body = Secret("new");
        EXPECT_EQ(Status(use_token, endpoint.method, "/v0/vault/" + name, body), expected)
            << endpoint.method << " " << name << " with only " << scope;
      }
    }
    // Listing needs vault:list and shows the caller's own partition only.
    auto list = Call(token, "GET", "/v0/vault");
    EXPECT_EQ(list.status, scope == "vault:list" ? 200 : 403) << scope;
    if (list.status == 200) {
      for (const auto& c : list.body["credentials"]) {
        EXPECT_EQ(c["name"].get<std::string>().rfind("granted-", 0), std::string::npos) << "granted credentials are not listed";
      }
    }
  }
  // The other org's credentials were never touched either.
  auto other_org_list = Call(other_org_owner, "GET", "/v0/vault?limit=500");
  ASSERT_EQ(other_org_list.status, 200);
  EXPECT_FALSE(other_org_list.body["credentials"].empty());
  for (const auto& c : other_org_list.body["credentials"]) {
    EXPECT_EQ(Call(other_org_owner, "GET", "/v0/vault/" + c["name"].get<std::string>()).body["data"]["key"], "v");
  }
  // The other identity's credentials were never touched by any of it.
  auto others = Call(other_token, "GET", "/v0/vault?limit=500");
  for (const auto& c : others.body["credentials"]) {
    auto got = Call(other_token, "GET", "/v0/vault/" + c["name"].get<std::string>());
    EXPECT_EQ(got.body["data"]["key"], "v");
  }
}

}  // namespace
}  // namespace coffer::testing
