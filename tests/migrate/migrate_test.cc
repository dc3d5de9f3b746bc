// `coffer migrate`, end to end: a Coffer built by a real `coffer serve` on SQLite is moved to a
// real PostgreSQL (the ctest fixture's cluster, a fresh database per test), served from there by
// a real node, moved back to a new SQLite directory, and served again: every value of every
// retained version, every token (and every revocation), every person and every audit record
// comes along, and the chain verifies at each step.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "coffer_process.h"
#include "crypto/totp.h"
#include "pg_test_support.h"

namespace coffer::testing {
namespace {

using nlohmann::json;

constexpr int kVersions = 14;  // more than the 11 retained: versions 1-3 are pruned

// What the source held, to be found again on every copy.
struct Expected {
  std::map<int, std::string> stripe;  // version -> value, retained versions only
  std::map<std::string, std::string> others;
  std::string owner_token, child_token, revoked_token, child_id;
  std::vector<std::pair<int64_t, std::string>> audit;  // (seq, id) of every record
  std::string totp_code;  // the next window's code for dana's second factor, not used yet
};

// The code an authenticator app shows `offset_seconds` from now for a base32 `secret`.
std::string AppCode(const std::string& secret, int64_t offset_seconds) {
  auto code = crypto::TotpFromBase32(secret, std::time(nullptr) + offset_seconds, crypto::TotpParams{});
  EXPECT_TRUE(code.ok());
  return code.ok() ? code->code : "";
}

class MigrateTest : public PostgresTest {
 protected:
  static CommandResult Migrate(std::vector<std::string> args) {
    args.insert(args.begin(), "migrate");
    return RunCoffer(args);
  }

  static std::vector<std::pair<int64_t, std::string>> AllAudit(const CofferServer& server, const std::string& token) {
    std::vector<std::pair<int64_t, std::string>> out;
    std::string cursor;
    for (int page = 0; page < 1000; ++page) {
      auto reply = server.Call(token, "GET", "/v0/audit?limit=500" + (cursor.empty() ? "" : "&cursor=" + cursor));
      EXPECT_EQ(reply.status, 200) << reply.body.dump();
      if (reply.status != 200) break;
      for (const auto& e : reply.body["events"]) out.emplace_back(e["seq"].get<int64_t>(), e["id"].get<std::string>());
      if (reply.body["nextCursor"].is_null()) break;
      cursor = reply.body["nextCursor"].get<std::string>();
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // A Coffer with every kind of row, built over HTTP, then stopped.
  Expected BuildSource(const std::string& dir) {
    Expected e;
    ServerOptions options;
    options.extra_args = {"--audit-checkpoint-every", "5"};
    CofferServer server(dir, options);
    EXPECT_TRUE(server.started()) << server.stderr_text();
    e.owner_token = server.owner_token();
    const std::string& owner = e.owner_token;
    for (int v = 1; v <= kVersions; ++v) {
      const std::string value = "sk_live_stripe_v" + std::to_string(v);
      EXPECT_EQ(server.Call(owner, "PUT", "/v0/vault/stripe", json{{"type", "API_KEY"}, {"data", {{"key", value}}}}).status,
                v == 1 ? 201 : 200);
      if (v > kVersions - 11) e.stripe[v] = value;
    }
    for (const char* name : {"github", "aws"}) {
      const std::string value = std::string("value-of-") + name;
      EXPECT_EQ(server.Call(owner, "PUT", std::string("/v0/vault/") + name,
                            json{{"type", "API_KEY"}, {"data", {{"key", value}}}}).status, 201);
      e.others[name] = value;
    }
    // A KEK rotation whose background re-wrap finishes, then a version sealed under the new KEK.
    auto rotated = server.Call(owner, "POST", "/v0/keys/rotate");
    EXPECT_EQ(rotated.status, 200) << rotated.body.dump();
    json status;
    for (int poll = 0; poll < 200; ++poll) {
      status = server.Call(owner, "GET", "/v0/keys/status").body;
      if (status["rewrap"]["state"] == "finished") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(status["rewrap"]["state"], "finished") << status.dump();
    EXPECT_EQ(server.Call(owner, "PUT", "/v0/vault/after-rotation",
                          json{{"type", "API_KEY"}, {"data", {{"key", "sealed-under-kek-2"}}}}).status, 201);
    e.others["after-rotation"] = "sealed-under-kek-2";

    // Child identities, their tokens (one revoked) and a grant down the chain.
    auto parent = server.Call(owner, "POST", "/v0/identities",
                              json{{"name", "ci"}, {"scopes", {"vault:read", "vault:write", "identities:write"}}});
    EXPECT_EQ(parent.status, 201) << parent.body.dump();
    auto child = server.Call(owner, "POST", "/v0/identities",
                             json{{"name", "ci-job"}, {"parentId", parent.body["id"]}, {"scopes", {"vault:read"}}});
    EXPECT_EQ(child.status, 201) << child.body.dump();
    e.child_id = child.body["id"];
    auto token = server.Call(owner, "POST", "/v0/identities/" + e.child_id + "/tokens", json{{"name", "live"}});
    EXPECT_EQ(token.status, 201) << token.body.dump();
    e.child_token = token.body["token"];
    auto revoked = server.Call(owner, "POST", "/v0/identities/" + e.child_id + "/tokens", json{{"name", "gone"}});
    EXPECT_EQ(revoked.status, 201);
    e.revoked_token = revoked.body["token"];
    EXPECT_EQ(server.Call(owner, "DELETE", "/v0/identities/" + e.child_id + "/tokens/" +
                                               revoked.body["id"].get<std::string>()).status, 200);
    EXPECT_EQ(server.Call(e.revoked_token, "GET", "/v0/me").status, 401);
    const std::string me = server.Call(owner, "GET", "/v0/me").body["identity"]["id"];
    auto grant = server.Call(owner, "POST", "/v0/identities/" + me + "/grants",
                             json{{"granteeId", e.child_id}, {"pattern", "github"}, {"scopes", {"vault:read"}}});
    EXPECT_EQ(grant.status, 201) << grant.body.dump();

    // People: the owner's password, and a member added by the owner's session.
    EXPECT_EQ(server.Call(owner, "PUT", "/v0/me/password", json{{"newPassword", "correct horse battery"}}).status, 200);
    auto session = server.Call("", "POST", "/v0/auth/login", json{{"username", "owner"}, {"password", "correct horse battery"}});
    EXPECT_EQ(session.status, 200) << session.body.dump();
    EXPECT_EQ(server.Call(session.body["token"], "POST", "/v0/humans",
                          json{{"username", "dana"}, {"password", "dana's long password"}, {"role", "member"}}).status, 201);
    // Dana's second factor, confirmed: its key is wrapped under the root key.
    auto dana = server.Call("", "POST", "/v0/auth/login", json{{"username", "dana"}, {"password", "dana's long password"}});
    EXPECT_EQ(dana.status, 200) << dana.body.dump();
    auto enrolled = server.Call(dana.body["token"], "POST", "/v0/me/2fa");
    EXPECT_EQ(enrolled.status, 201) << enrolled.body.dump();
    const std::string secret = enrolled.body["secret"];
    EXPECT_EQ(server.Call(dana.body["token"], "POST", "/v0/me/2fa/confirm", json{{"code", AppCode(secret, 0)}}).status, 200);
    e.totp_code = AppCode(secret, 30);
    e.audit = AllAudit(server, owner);
    EXPECT_GT(e.audit.size(), 10u) << "enough records to pass a checkpoint";
    server.Stop();
    return e;
  }

  // Everything the source held, read back over HTTP from `server`.
  // `first`: the first copy, where dana's next code is used once; the later copy carries the
  // step it was used at, so it is refused as a replay there.
  void ExpectEverything(const CofferServer& server, const Expected& e, bool first) {
    for (const auto& [v, value] : e.stripe) {
      auto read = server.Call(e.owner_token, "GET", "/v0/vault/stripe?version=" + std::to_string(v));
      ASSERT_EQ(read.status, 200) << "version " << v << ": " << read.body.dump();
      EXPECT_EQ(read.body["data"]["key"], value);
      EXPECT_EQ(read.body["version"], v);
    }
    EXPECT_EQ(server.Call(e.owner_token, "GET", "/v0/vault/stripe").body["version"], kVersions);
    EXPECT_EQ(server.Call(e.owner_token, "GET", "/v0/vault/stripe?version=3").status, 404) << "pruned stays pruned";
    for (const auto& [name, value] : e.others) {
      auto read = server.Call(e.owner_token, "GET", "/v0/vault/" + name);
      ASSERT_EQ(read.status, 200) << name << ": " << read.body.dump();
      EXPECT_EQ(read.body["data"]["key"], value);
    }
    // Tokens are copied as hashes: the live one works, the revoked one stays revoked.
    auto me = server.Call(e.child_token, "GET", "/v0/me");
    EXPECT_EQ(me.status, 200) << me.body.dump();
    EXPECT_EQ(server.Call(e.revoked_token, "GET", "/v0/me").status, 401);
    auto grants = server.Call(e.owner_token, "GET", "/v0/identities/" + e.child_id + "/grants");
    EXPECT_EQ(grants.status, 200) << grants.body.dump();
    EXPECT_NE(grants.body.dump().find("github"), std::string::npos) << grants.body.dump();
    const json dana = {{"username", "dana"}, {"password", "dana's long password"}};
    auto without = server.Call("", "POST", "/v0/auth/login", dana);
    EXPECT_EQ(without.status, 401) << "the confirmed second factor is copied: " << without.body.dump();
    json with = dana;
    with["totp"] = e.totp_code;
    if (first) {
      EXPECT_EQ(server.Call("", "POST", "/v0/auth/login", with).status, 200) << "the password hash and TOTP key open";
    }
    auto replayed = server.Call("", "POST", "/v0/auth/login", with);
    EXPECT_EQ(replayed.status, 401);
    EXPECT_NE(replayed.body.dump().find("already used"), std::string::npos) << "the last step is copied: "
                                                                           << replayed.body.dump();
    EXPECT_EQ(server.Call("", "POST", "/v0/auth/login", json{{"username", "owner"}, {"password", "correct horse battery"}}).status,
              200);

    // Every record, with the same number and id; and the whole chain verifies.
    auto records = AllAudit(server, e.owner_token);
    std::map<int64_t, std::string> by_seq(records.begin(), records.end());
    for (const auto& [seq, id] : e.audit) {
      ASSERT_TRUE(by_seq.count(seq)) << "record " << seq << " is missing";
      EXPECT_EQ(by_seq[seq], id) << "record " << seq;
    }
    auto verified = server.Call(e.owner_token, "GET", "/v0/audit/verify");
    ASSERT_EQ(verified.status, 200) << verified.body.dump();
    EXPECT_EQ(verified.body["ok"], true) << verified.body.dump();
    EXPECT_GE(verified.body["checked"].get<int64_t>(), static_cast<int64_t>(e.audit.size()));
    EXPECT_GT(verified.body["checkpoints"].get<int64_t>(), 0);
    auto cli = RunCoffer({"audit", "verify"}, {{"COFFER_ADDR", server.url()}, {"COFFER_TOKEN", e.owner_token}});
    EXPECT_EQ(cli.exit_code, 0) << cli.out << cli.err;
  }

  std::string Password() const { return ClusterPassword(url_); }
  bool Mentions(const CommandResult& r, const std::string& text) const {
    return r.out.find(text) != std::string::npos || r.err.find(text) != std::string::npos;
  }
};

TEST_F(MigrateTest, SqliteToPostgresAndBackKeepsEveryValueVersionTokenPersonAndRecord) {
  TempDir source, node, back;
  const Expected e = BuildSource(source.path());

  auto to_pg = Migrate({"--from", source.path(), "--to", url_});
  ASSERT_EQ(to_pg.exit_code, 0) << to_pg.out << to_pg.err;
  EXPECT_FALSE(Mentions(to_pg, Password())) << "the store password was printed";
  EXPECT_NE(to_pg.err.find("audit records"), std::string::npos) << "progress per table: " << to_pg.err;
  EXPECT_NE(to_pg.err.find("credential versions"), std::string::npos) << to_pg.err;
  EXPECT_NE(to_pg.out.find("--root-key-file " + source.path() + "/root.key"), std::string::npos)
      << "the nodes are told how to find the root key: " << to_pg.out;
  {
    ServerOptions options;
    options.extra_args = {"--store", url_, "--root-key-file", source.path() + "/root.key"};
    CofferServer pg(node.path(), options);
    ASSERT_TRUE(pg.started()) << pg.stderr_text();
    ExpectEverything(pg, e, /*first=*/true);
    // And it still takes writes, numbered after the copied chain.
    EXPECT_EQ(pg.Call(e.owner_token, "PUT", "/v0/vault/on-postgres", json{{"type", "API_KEY"}, {"data", {{"key", "pg"}}}}).status, 201);
    pg.Stop();
  }

  // Back to SQLite, the root key found where a node keeps it (--data-dir), and copied into the
  // new directory with the owner's token file: the new directory starts with no flags at all.
  auto to_sqlite = Migrate({"--from", url_, "--to", back.path() + "/data", "--data-dir", source.path()});
  ASSERT_EQ(to_sqlite.exit_code, 0) << to_sqlite.out << to_sqlite.err;
  EXPECT_FALSE(Mentions(to_sqlite, Password()));
  EXPECT_NE(to_sqlite.out.find("root.key (mode 0600)"), std::string::npos) << to_sqlite.out;
  EXPECT_EQ(ReadFile(back.path() + "/data/root.key"), ReadFile(source.path() + "/root.key"));
  CofferServer sqlite(back.path() + "/data");
  ASSERT_TRUE(sqlite.started()) << sqlite.stderr_text();
  ExpectEverything(sqlite, e, /*first=*/false);
  EXPECT_EQ(sqlite.Call(e.owner_token, "GET", "/v0/vault/on-postgres").body["data"]["key"], "pg");
}

TEST_F(MigrateTest, MigratingIntoATargetThatHoldsDataIsRefusedAndChangesNothing) {
  TempDir source, other, node;
  BuildSource(source.path());
  {  // a PostgreSQL database that a node has already set up
    ServerOptions options;
    options.extra_args = {"--store", url_};
    CofferServer pg(node.path(), options);
    ASSERT_TRUE(pg.started()) << pg.stderr_text();
    pg.Stop();
  }
  const std::string records = Sql("SELECT COUNT(*) FROM audit_events");
  const std::string orgs = Sql("SELECT string_agg(id, ',') FROM orgs");
  auto refused = Migrate({"--from", source.path(), "--to", url_});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("already holds Coffer data"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("createdb"), std::string::npos) << "says what to do: " << refused.err;
  EXPECT_FALSE(Mentions(refused, Password()));
  EXPECT_EQ(Sql("SELECT COUNT(*) FROM audit_events"), records);
  EXPECT_EQ(Sql("SELECT string_agg(id, ',') FROM orgs"), orgs);

  // A SQLite directory a server already set up, likewise.
  {
    CofferServer existing(other.path());
    ASSERT_TRUE(existing.started());
  }
  const std::string db_before = ReadFile(other.path() + "/coffer.db");
  auto refused_sqlite = Migrate({"--from", source.path(), "--to", other.path()});
  EXPECT_EQ(refused_sqlite.exit_code, 2) << refused_sqlite.out << refused_sqlite.err;
  EXPECT_NE(refused_sqlite.err.find("already holds Coffer data"), std::string::npos) << refused_sqlite.err;
  EXPECT_EQ(ReadFile(other.path() + "/coffer.db"), db_before);
}

TEST_F(MigrateTest, ARunningServersDataDirectoryIsRefused) {
  TempDir source;
  CofferServer running(source.path());
  ASSERT_TRUE(running.started());
  auto refused = Migrate({"--from", source.path(), "--to", url_});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("stop it first"), std::string::npos) << refused.err;
  EXPECT_EQ(Sql("SELECT COALESCE(to_regclass('public.orgs')::text, '')"), "") << "the target was not even opened";
  EXPECT_EQ(running.Call(running.owner_token(), "GET", "/v0/me").status, 200);
}

// A node still running on a PostgreSQL source would write what the copy misses.
TEST_F(MigrateTest, APostgresSourceWithANodeStillRunningIsRefused) {
  TempDir node, target;
  ServerOptions options;
  options.extra_args = {"--store", url_, "--node-name", "still-up"};
  CofferServer pg(node.path(), options);
  ASSERT_TRUE(pg.started()) << pg.stderr_text();
  auto refused = Migrate({"--from", url_, "--to", target.path() + "/data", "--data-dir", node.path()});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("still-up"), std::string::npos) << "names the running node: " << refused.err;
  EXPECT_NE(refused.err.find("stop every node"), std::string::npos) << refused.err;
  EXPECT_FALSE(Mentions(refused, Password()));
  EXPECT_FALSE(std::filesystem::exists(target.path() + "/data/coffer.db")) << "the target was written";
}

TEST_F(MigrateTest, TheStorePasswordNeverAppearsEvenWhenItIsWrong) {
  TempDir source;
  BuildSource(source.path());
  std::string wrong = url_;
  wrong.replace(wrong.find(Password()), Password().size(), "Wr0ngButSecretPassw0rd");
  auto failed = Migrate({"--from", source.path(), "--to", wrong});
  EXPECT_EQ(failed.exit_code, 5) << failed.out << failed.err;
  EXPECT_FALSE(Mentions(failed, "Wr0ngButSecretPassw0rd")) << failed.err;
  EXPECT_FALSE(Mentions(failed, Password())) << failed.err;

  // The password from COFFER_STORE_PASSWORD instead of the URL works, and is not printed either.
  std::string bare = url_;
  bare.erase(bare.find(':', bare.find("://") + 3), Password().size() + 1);
  auto migrated = RunCoffer({"migrate", "--from", source.path(), "--to", bare}, {{"COFFER_STORE_PASSWORD", Password()}});
  EXPECT_EQ(migrated.exit_code, 0) << migrated.out << migrated.err;
  EXPECT_FALSE(Mentions(migrated, Password()));
}

TEST_F(MigrateTest, BadInputGetsAClearErrorAndTheUsageExitCode) {
  TempDir empty, source;
  auto missing = Migrate({"--from", empty.path(), "--to", url_});
  EXPECT_EQ(missing.exit_code, 3) << missing.err;
  EXPECT_NE(missing.err.find("no Coffer data"), std::string::npos) << missing.err;
  auto same = Migrate({"--from", url_, "--to", url_});
  EXPECT_EQ(same.exit_code, 2) << same.err;
  BuildSource(source.path());
  auto file = Migrate({"--from", source.path() + "/coffer.db", "--to", url_});
  EXPECT_EQ(file.exit_code, 2) << file.err;
  EXPECT_NE(file.err.find("data directory"), std::string::npos) << file.err;
  auto stray = Migrate({"--from", source.path(), "--to", url_, "--data-dir", source.path()});
  EXPECT_EQ(stray.exit_code, 2) << stray.err;
  EXPECT_NE(stray.err.find("--data-dir is for a PostgreSQL source"), std::string::npos) << stray.err;
  TempDir other_key;
  auto wrong_key = Migrate({"--from", source.path(), "--to", url_, "--root-key-file", other_key.path() + "/none.key"});
  EXPECT_NE(wrong_key.exit_code, 0);
  EXPECT_EQ(Sql("SELECT COALESCE(to_regclass('public.orgs')::text, '')"), "") << "refused before the target was opened";
}

}  // namespace
}  // namespace coffer::testing
