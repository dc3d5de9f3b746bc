// Every query the vault uses round-trips through the PostgreSQL engine: what is written is read
// back equal, with the same "no such row" answers and conflicts as the SQLite engine gives.
#include <algorithm>

#include "keyring/sealed_blob.h"
#include "pg_test_support.h"
#include "store/blob_kek_version.h"

namespace coffer::testing {
namespace {

using store::WriteTransaction;

// Runs `work` as one write and fails the test if it does not commit.
void MustWrite(store::Store& s, const std::function<Status(WriteTransaction&)>& work) {
  Status written = s.Write(work);
  ASSERT_TRUE(written.ok()) << written.error().message;
}

std::vector<uint8_t> BlobUnderKek(uint32_t kek_version, uint8_t fill) {
  keyring::SealedBlob blob;
  blob.kek_version = kek_version;
  blob.dek_nonce.assign(12, fill);
  blob.wrapped_dek.assign(32, fill);
  blob.dek_tag.assign(16, fill);
  blob.data_nonce.assign(12, fill);
  blob.ciphertext.assign(20, fill);
  blob.data_tag.assign(16, fill);
  return keyring::EncodeSealedBlob(blob);
}

class PostgresRecordsTest : public PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (IsSkipped()) return;
    store_ = OpenStore();
    ASSERT_NE(store_, nullptr);
    MustWrite(*store_, [](WriteTransaction& txn) -> Status {
      COFFER_TRY(txn.InsertOrg({"org_1", "acme", 100}));
      COFFER_TRY(txn.InsertKek({"org_1", 1, {1, 2, 3}, 101}));
      store::IdentityRecord owner;
      owner.id = "idn_owner";
      owner.org_id = "org_1";
      owner.name = "owner";
      owner.kind = "human";
      owner.role = "owner";
      owner.scopes = {"vault:read", "vault:write"};
      owner.created_at = 102;
      return txn.InsertIdentity(owner);
    });
  }

  store::CredentialRecord Version(const std::string& name, int version, CredentialType type = CredentialType::kApiKey) {
    store::CredentialRecord r;
    r.info.id = "cred_" + name;
    r.info.org_id = "org_1";
    r.info.identity_id = "idn_owner";
    r.info.name = name;
    r.info.type = type;
    r.info.version = version;
    r.info.metadata = {{"service", name}, {"v", version}};
    r.info.expires_at = version % 2 ? std::optional<UnixMicros>(5000 + version) : std::nullopt;
    r.info.created_at = 1000;
    r.info.updated_at = 1000 + version;
    r.blob = BlobUnderKek(1, static_cast<uint8_t>(version));
    return r;
  }

  std::unique_ptr<store::postgres::PostgresStore> store_;
};

// ---- The delegation chain: identities, tokens, grants, people ----

TEST_F(PostgresRecordsTest, IdentitiesTokensAndGrantsReadBackAsWritten) {
  store::IdentityRecord agent;
  agent.id = "idn_agent";
  agent.org_id = "org_1";
  agent.parent_id = "idn_owner";
  agent.name = "ci bot";
  agent.kind = "agent";
  agent.scopes = {"vault:read"};
  agent.created_by = "idn_owner";
  agent.created_at = 200;
  agent.reveal = false;
  store::TokenRecord token;
  token.id = "tok_1";
  token.org_id = "org_1";
  token.identity_id = "idn_agent";
  for (size_t i = 0; i < token.hash.size(); ++i) token.hash[i] = static_cast<uint8_t>(i * 7);
  token.name = "deploy";
  token.scopes = {"vault:read"};
  token.cidrs = {"10.0.0.0/8", "::1/128"};
  token.reveal = false;
  token.created_at = 201;
  token.expires_at = 9999;
  store::GrantRecord grant{"grt_1", "org_1", "idn_owner", "idn_agent", "stripe*", {"vault:read"}, "idn_owner",
                           202, 8888, std::nullopt};
  MustWrite(*store_, [&](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.InsertIdentity(agent));
    COFFER_TRY(txn.InsertToken(token));
    return txn.InsertGrant(grant);
  });

  auto read = store_->BeginRead();
  auto found = read->FindIdentity("idn_agent");
  ASSERT_TRUE(found.ok() && *found);
  EXPECT_EQ((*found)->parent_id, agent.parent_id);
  EXPECT_EQ((*found)->name, "ci bot");
  EXPECT_EQ((*found)->kind, "agent");
  EXPECT_EQ((*found)->scopes, agent.scopes);
  EXPECT_EQ((*found)->created_by, agent.created_by);
  EXPECT_EQ((*found)->created_at, 200);
  EXPECT_FALSE((*found)->revoked_at);
  EXPECT_FALSE((*found)->reveal);
  auto owner = read->FindIdentity("idn_owner");
  ASSERT_TRUE(owner.ok() && *owner);
  EXPECT_FALSE((*owner)->parent_id);
  EXPECT_TRUE((*owner)->reveal);
  auto all = read->ListIdentities("org_1");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "idn_owner");  // by creation time
  EXPECT_FALSE(read->FindIdentity("idn_none")->has_value());

  auto by_hash = read->FindTokenByHash(token.hash);
  ASSERT_TRUE(by_hash.ok() && *by_hash);
  EXPECT_EQ((*by_hash)->id, "tok_1");
  EXPECT_EQ((*by_hash)->hash, token.hash);
  EXPECT_EQ((*by_hash)->cidrs, token.cidrs);
  EXPECT_EQ((*by_hash)->expires_at, 9999);
  EXPECT_FALSE((*by_hash)->reveal);
  EXPECT_TRUE(read->FindToken("tok_1")->has_value());
  EXPECT_EQ(read->ListTokens("idn_agent")->size(), 1u);
  store::TokenHash other{};
  EXPECT_FALSE(read->FindTokenByHash(other)->has_value());

  auto g = read->FindGrant("grt_1");
  ASSERT_TRUE(g.ok() && *g);
  EXPECT_EQ((*g)->pattern, "stripe*");
  EXPECT_EQ((*g)->expires_at, 8888);
  EXPECT_EQ(read->ListGrantsTo("idn_agent")->size(), 1u);
  EXPECT_EQ(read->ListGrantsFrom("idn_owner")->size(), 1u);
  EXPECT_TRUE(read->ListGrantsFrom("idn_agent")->empty());
}

TEST_F(PostgresRecordsTest, RevocationsReportMissingRowsAndKeepTheFirstTime) {
  store::TokenRecord token;
  token.id = "tok_1";
  token.org_id = "org_1";
  token.identity_id = "idn_owner";
  token.name = "t";
  MustWrite(*store_, [&](WriteTransaction& txn) { return txn.InsertToken(token); });
  MustWrite(*store_, [&](WriteTransaction& txn) -> Status {
    EXPECT_TRUE(*txn.SetIdentityRevoked("idn_owner", 500));
    EXPECT_FALSE(*txn.SetIdentityRevoked("idn_none", 500));
    EXPECT_TRUE(*txn.RevokeToken("tok_1", 600));
    EXPECT_TRUE(*txn.RevokeToken("tok_1", 700));  // already revoked: the first time stays
    EXPECT_FALSE(*txn.RevokeToken("tok_none", 600));
    EXPECT_FALSE(*txn.RevokeGrant("grt_none", 600));
    return Status::Ok();
  });
  auto read = store_->BeginRead();
  EXPECT_EQ((*read->FindIdentity("idn_owner"))->revoked_at, 500);
  EXPECT_EQ((*read->FindToken("tok_1"))->revoked_at, 600);
  read.reset();
  MustWrite(*store_, [](WriteTransaction& txn) -> Status {
    EXPECT_TRUE(*txn.SetIdentityRevoked("idn_owner", std::nullopt));  // restore
    return Status::Ok();
  });
  EXPECT_FALSE((*store_->BeginRead()->FindIdentity("idn_owner"))->revoked_at);
}

TEST_F(PostgresRecordsTest, ADuplicatePrimaryOrUniqueKeyIsAConflict) {
  Status again = store_->Write([](WriteTransaction& txn) { return txn.InsertOrg({"org_1", "other", 1}); });
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  Status same_name = store_->Write([](WriteTransaction& txn) { return txn.InsertOrg({"org_2", "acme", 1}); });
  ASSERT_FALSE(same_name.ok());
  EXPECT_EQ(same_name.error().code, ErrorCode::kConflict);
  EXPECT_NE(same_name.error().message.find("insert an org"), std::string::npos) << same_name.error().message;
}

TEST_F(PostgresRecordsTest, PeopleKeepTheirPasswordAndSecondFactor) {
  MustWrite(*store_, [](WriteTransaction& txn) {
    return txn.InsertHuman({"idn_owner", "alice", "$argon2id$v=19$first", {}, false, 0});
  });
  auto read = store_->BeginRead();
  auto alice = read->FindHumanByUsername("alice");
  ASSERT_TRUE(alice.ok() && *alice);
  EXPECT_EQ((*alice)->password_hash, "$argon2id$v=19$first");
  EXPECT_TRUE((*alice)->totp_wrapped.empty());
  EXPECT_FALSE((*alice)->totp_confirmed);
  EXPECT_TRUE(read->ListHumansWithTotp()->empty());
  read.reset();

  const std::vector<uint8_t> wrapped = {9, 0, 8, 0, 7};  // a NUL inside: binary all the way
  MustWrite(*store_, [&](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.SetHumanPassword("idn_owner", "$argon2id$v=19$second"));
    COFFER_TRY(txn.SetHumanTotp("idn_owner", wrapped, /*confirmed=*/true));
    return txn.SetHumanTotpLastStep("idn_owner", 12345);
  });
  read = store_->BeginRead();
  auto changed = read->FindHumanByIdentity("idn_owner");
  ASSERT_TRUE(changed.ok() && *changed);
  EXPECT_EQ((*changed)->username, "alice");
  EXPECT_EQ((*changed)->password_hash, "$argon2id$v=19$second");
  EXPECT_EQ((*changed)->totp_wrapped, wrapped);
  EXPECT_TRUE((*changed)->totp_confirmed);
  EXPECT_EQ((*changed)->totp_last_step, 12345);
  EXPECT_EQ(read->ListHumansWithTotp()->size(), 1u);
  read.reset();

  MustWrite(*store_, [](WriteTransaction& txn) { return txn.ReplaceHumanTotpWrap("idn_owner", {5, 5}); });
  EXPECT_EQ((*store_->BeginRead()->FindHumanByIdentity("idn_owner"))->totp_wrapped, (std::vector<uint8_t>{5, 5}));
  MustWrite(*store_, [](WriteTransaction& txn) { return txn.SetHumanTotp("idn_owner", {}, false); });
  auto cleared = *store_->BeginRead()->FindHumanByIdentity("idn_owner");
  EXPECT_TRUE(cleared->totp_wrapped.empty());
  EXPECT_EQ(cleared->totp_last_step, 0);
  // Re-wrapping during root rotation leaves a person without a second factor without one.
  MustWrite(*store_, [](WriteTransaction& txn) { return txn.ReplaceHumanTotpWrap("idn_owner", {5, 5}); });
  EXPECT_TRUE((*store_->BeginRead()->FindHumanByIdentity("idn_owner"))->totp_wrapped.empty());
  EXPECT_FALSE(store_->BeginRead()->FindHumanByUsername("bob")->has_value());
}

// ---- Credentials ----

TEST_F(PostgresRecordsTest, CredentialVersionsBeyondTheRetentionWindowArePruned) {
  const int last = kRetainedVersions + 2;
  for (int v = 1; v <= last; ++v) {
    MustWrite(*store_, [&](WriteTransaction& txn) { return txn.PutCredentialVersion(Version("stripe", v)); });
  }
  auto read = store_->BeginRead();
  auto current = read->FindCredential("org_1", "idn_owner", "stripe", std::nullopt);
  ASSERT_TRUE(current.ok() && *current);
  const auto expected = Version("stripe", last);
  EXPECT_EQ((*current)->info.version, last);
  EXPECT_EQ((*current)->info.id, expected.info.id);
  EXPECT_EQ((*current)->info.type, CredentialType::kApiKey);
  EXPECT_EQ((*current)->info.metadata, expected.info.metadata);
  EXPECT_EQ((*current)->info.expires_at, expected.info.expires_at);
  EXPECT_EQ((*current)->info.created_at, 1000);
  EXPECT_EQ((*current)->info.updated_at, 1000 + last);
  EXPECT_EQ((*current)->blob, expected.blob);
  // The last kRetainedVersions stay; older ones are gone.
  EXPECT_TRUE(read->FindCredential("org_1", "idn_owner", "stripe", last - kRetainedVersions + 1)->has_value());
  EXPECT_FALSE(read->FindCredential("org_1", "idn_owner", "stripe", last - kRetainedVersions)->has_value());
  EXPECT_FALSE(read->FindCredential("org_1", "idn_owner", "stripe", 1)->has_value());
  EXPECT_FALSE(read->FindCredential("org_1", "idn_other", "stripe", std::nullopt)->has_value());
  read.reset();

  // A version that is not current + 1 is a lost race: conflict, and nothing changes.
  Status stale = store_->Write([&](WriteTransaction& txn) { return txn.PutCredentialVersion(Version("stripe", 5)); });
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  Status twice = store_->Write([&](WriteTransaction& txn) { return txn.PutCredentialVersion(Version("stripe", 1)); });
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, ErrorCode::kConflict);
  EXPECT_EQ((*store_->BeginRead()->FindCredential("org_1", "idn_owner", "stripe", std::nullopt))->info.version, last);
}

TEST_F(PostgresRecordsTest, ListingFollowsByteOrderWithPrefixTypeAndCursor) {
  // Byte order: 'B' < 'Z' < '_' < 'a'; a locale collation would interleave cases.
  const std::vector<std::string> names = {"a.key", "B:two", "Z-last", "_under", "ab", "B:one"};
  MustWrite(*store_, [&](WriteTransaction& txn) -> Status {
    for (const auto& n : names) {
      COFFER_TRY(txn.PutCredentialVersion(Version(n, 1, n == "ab" ? CredentialType::kLogin : CredentialType::kApiKey)));
    }
    return txn.PutCredentialVersion(Version("ab", 2, CredentialType::kTotp));  // the list shows the current
  });
  auto read = store_->BeginRead();
  store::CredentialListQuery q;
  q.org_id = "org_1";
  q.identity_id = "idn_owner";
  auto listed = read->ListCredentials(q);
  ASSERT_TRUE(listed.ok());
  std::vector<std::string> got;
  for (const auto& c : *listed) got.push_back(c.name);
  EXPECT_EQ(got, (std::vector<std::string>{"B:one", "B:two", "Z-last", "_under", "a.key", "ab"}));
  EXPECT_EQ(listed->back().version, 2);
  EXPECT_EQ(listed->back().type, CredentialType::kTotp);

  q.limit = 2;
  q.after_name = "B:two";
  got.clear();
  auto page = read->ListCredentials(q);
  ASSERT_TRUE(page.ok());
  for (const auto& c : *page) got.push_back(c.name);
  EXPECT_EQ(got, (std::vector<std::string>{"Z-last", "_under"}));

  q = {};
  q.org_id = "org_1";
  q.identity_id = "idn_owner";
  q.name_prefix = "B:";
  EXPECT_EQ(read->ListCredentials(q)->size(), 2u);
  q.name_prefix = "b";  // case-sensitive
  EXPECT_TRUE(read->ListCredentials(q)->empty());
  q.name_prefix = "";
  q.type = CredentialType::kTotp;
  ASSERT_EQ(read->ListCredentials(q)->size(), 1u);
  q.type = CredentialType::kLogin;  // only an older version was a login
  EXPECT_TRUE(read->ListCredentials(q)->empty());
}

TEST_F(PostgresRecordsTest, DeleteAndPurgeRemoveEveryVersion) {
  MustWrite(*store_, [&](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.PutCredentialVersion(Version("one", 1)));
    COFFER_TRY(txn.PutCredentialVersion(Version("one", 2)));
    COFFER_TRY(txn.PutCredentialVersion(Version("two", 1)));
    return txn.PutCredentialVersion(Version("three", 1));
  });
  MustWrite(*store_, [](WriteTransaction& txn) -> Status {
    EXPECT_TRUE(*txn.DeleteCredential("org_1", "idn_owner", "one"));
    EXPECT_FALSE(*txn.DeleteCredential("org_1", "idn_owner", "one"));
    return Status::Ok();
  });
  auto read = store_->BeginRead();
  EXPECT_FALSE(read->FindCredential("org_1", "idn_owner", "one", 1)->has_value());
  EXPECT_EQ(Sql("SELECT count(*) FROM credential_versions WHERE credential_id = 'cred_one'"), "0");
  read.reset();
  int64_t purged = -1;
  MustWrite(*store_, [&](WriteTransaction& txn) -> Status {
    auto n = txn.PurgeCredentials("org_1", "idn_owner");
    if (!n.ok()) return n.error();
    purged = *n;
    return Status::Ok();
  });
  EXPECT_EQ(purged, 2);
  EXPECT_EQ(Sql("SELECT count(*) FROM credential_versions"), "0");
}

// ---- Key management ----

TEST_F(PostgresRecordsTest, TheKekVersionColumnIsReadFromTheBlobHeader) {
  EXPECT_EQ(store::BlobKekVersion(BlobUnderKek(7, 1)), 7u);
  EXPECT_EQ(store::BlobKekVersion(BlobUnderKek(0x01020304, 1)), 0x01020304u);
  EXPECT_FALSE(store::BlobKekVersion(std::vector<uint8_t>{1, 0, 0}));
  EXPECT_FALSE(store::BlobKekVersion(std::vector<uint8_t>{2, 0, 0, 0, 1, 9}));
}

TEST_F(PostgresRecordsTest, KeyManagementQueriesRoundTrip) {
  auto unreadable = Version("odd", 1);
  unreadable.blob = {0x7f, 1, 2};
  MustWrite(*store_, [&](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.InsertKek({"org_1", 2, {4, 5, 6}, 300}));
    COFFER_TRY(txn.PutCredentialVersion(Version("a", 1)));
    COFFER_TRY(txn.PutCredentialVersion(Version("a", 2)));
    auto b = Version("b", 1, CredentialType::kLogin);
    b.blob = BlobUnderKek(2, 9);
    COFFER_TRY(txn.PutCredentialVersion(b));
    return txn.PutCredentialVersion(unreadable);
  });
  auto read = store_->BeginRead();
  auto usage = read->CountDeksByKek("org_1");
  ASSERT_TRUE(usage.ok());
  ASSERT_EQ(usage->size(), 3u);
  EXPECT_FALSE((*usage)[0].kek_version);  // the unreadable blob
  EXPECT_EQ((*usage)[0].deks, 1);
  EXPECT_EQ((*usage)[1].kek_version, 1u);
  EXPECT_EQ((*usage)[1].deks, 2);
  EXPECT_EQ((*usage)[2].kek_version, 2u);
  auto below = read->ListVersionsBelowKek("org_1", 2, 10);
  ASSERT_TRUE(below.ok());
  ASSERT_EQ(below->size(), 2u);
  EXPECT_EQ((*below)[0].credential_id, "cred_a");
  EXPECT_EQ((*below)[0].name, "a");
  EXPECT_EQ((*below)[0].blob, Version("a", (*below)[0].version).blob);
  EXPECT_EQ(read->ListVersionsBelowKek("org_1", 2, 1)->size(), 1u);
  auto by_type = read->CountCredentialsByType("org_1");
  ASSERT_TRUE(by_type.ok());
  EXPECT_EQ(by_type->size(), 2u);  // API_KEY (a, odd) and LOGIN (b)
  read.reset();

  // Re-wrap: compare and set; the KEK version moves with the blob.
  MustWrite(*store_, [&](WriteTransaction& txn) -> Status {
    EXPECT_FALSE(*txn.ReplaceVersionBlob("cred_a", 1, BlobUnderKek(1, 77), BlobUnderKek(2, 1)));
    EXPECT_TRUE(*txn.ReplaceVersionBlob("cred_a", 1, Version("a", 1).blob, BlobUnderKek(2, 1)));
    COFFER_TRY(txn.SetKekEncryptions("org_1", 1, 50));
    COFFER_TRY(txn.SetKekEncryptions("org_1", 1, 40));  // never goes down
    COFFER_TRY(txn.PutRewrapJob({"org_1", 2, 400, std::nullopt, 0}));
    COFFER_TRY(txn.PutRewrapJob({"org_1", 2, 400, 450, 3}));  // upsert
    COFFER_TRY(txn.InsertKeyEvent({"org_1", "kek_rotated", 2, "scheduled", 401}));
    COFFER_TRY(txn.InsertKeyEvent({"org_1", "rewrap_started", 2, "", 402}));
    COFFER_TRY(txn.InsertKeyEvent({"org_1", "kek_rotated", 3, "again", 403}));
    COFFER_TRY(txn.InsertKeyEvent({"org_1", "root_rotated", std::nullopt, "", 404}));
    COFFER_TRY(txn.PutPendingRootWrap({"kek", "org_1", 1, {1}}));
    COFFER_TRY(txn.PutPendingRootWrap({"kek", "org_1", 1, {2}}));  // replaced
    COFFER_TRY(txn.PutPendingRootWrap({"audit", "", 1, {3}}));
    return txn.ReplaceKekWrap("org_1", 2, {7, 7});
  });
  read = store_->BeginRead();
  EXPECT_EQ((*read->CountDeksByKek("org_1"))[1].deks, 1);  // KEK 1 now wraps one DEK
  auto states = read->ListKekStates();
  ASSERT_TRUE(states.ok());
  ASSERT_EQ(states->size(), 2u);
  EXPECT_EQ((*states)[0].encryptions, 50u);
  EXPECT_EQ((*states)[1].created_at, 300);
  auto job = read->FindRewrapJob("org_1");
  ASSERT_TRUE(job.ok() && *job);
  EXPECT_EQ((*job)->finished_at, 450);
  EXPECT_EQ((*job)->rewrapped, 3);
  EXPECT_FALSE(read->FindRewrapJob("org_none")->has_value());
  auto events = read->LatestKeyEvents("org_1");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 3u);  // the newest of each kind, oldest first
  EXPECT_EQ((*events)[0].kind, "rewrap_started");
  EXPECT_EQ((*events)[1].kind, "kek_rotated");
  EXPECT_EQ((*events)[1].kek_version, 3u);
  EXPECT_EQ((*events)[1].detail, "again");
  EXPECT_FALSE((*events)[2].kek_version);
  auto pending = read->ListPendingRootWraps();
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[1].wrapped, (std::vector<uint8_t>{2}));
  EXPECT_EQ((*read->ListKeks())[1].wrapped, (std::vector<uint8_t>{7, 7}));
  read.reset();

  Status missing = store_->Write([](WriteTransaction& txn) { return txn.ReplaceKekWrap("org_1", 9, {1}); });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kConflict);
  MustWrite(*store_, [](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.ClearPendingRootWraps());
    EXPECT_TRUE(*txn.DeleteKek("org_1", 2));
    EXPECT_FALSE(*txn.DeleteKek("org_1", 2));
    return Status::Ok();
  });
  read = store_->BeginRead();
  EXPECT_TRUE(read->ListPendingRootWraps()->empty());
  EXPECT_EQ(read->ListKeks()->size(), 1u);
}

}  // namespace
}  // namespace coffer::testing
