// Credentials: versions and their retention, lookups newest and by version, listing in byte order
// with prefix, type, cursor and limit, deletion and purging.
#include <algorithm>

#include "conformance_fixture.h"

namespace coffer::store::conformance {
namespace {

class CredentialsConformance : public ConformanceTest {
 protected:
  void SetUp() override {
    ConformanceTest::SetUp();
    SeedOrg("org_a");
  }

  std::vector<std::string> Names(const CredentialListQuery& query) {
    std::vector<std::string> names;
    for (const auto& info : MUST(Read()->ListCredentials(query))) names.push_back(info.name);
    return names;
  }
  static CredentialListQuery InOwner() { return CredentialListQuery{"org_a", "org_a-owner"}; }
};
COFFER_CONFORMANCE_SUITE(CredentialsConformance);

void ExpectSameVersion(const CredentialRecord& got, const CredentialRecord& want) {
  EXPECT_EQ(got.info.id, want.info.id);
  EXPECT_EQ(got.info.org_id, want.info.org_id);
  EXPECT_EQ(got.info.identity_id, want.info.identity_id);
  EXPECT_EQ(got.info.name, want.info.name);
  EXPECT_EQ(got.info.type, want.info.type);
  EXPECT_EQ(got.info.version, want.info.version);
  EXPECT_EQ(got.info.metadata, want.info.metadata);
  EXPECT_EQ(got.info.expires_at, want.info.expires_at);
  EXPECT_EQ(got.info.created_at, want.info.created_at);
  EXPECT_EQ(got.info.updated_at, want.info.updated_at);
  EXPECT_EQ(got.blob, want.blob);
}

TEST_P(CredentialsConformance, VersionsOneToNAreEachFoundAndTheNewestIsCurrent) {
  const Partition owner = Owner("org_a");
  std::vector<CredentialRecord> versions = {Version("cred_1", owner, "stripe", 1, 1, CredentialType::kLogin),
                                            Version("cred_1", owner, "stripe", 2),
                                            Version("cred_1", owner, "stripe", 3, 1, CredentialType::kOAuth)};
  versions[1].info.expires_at = std::nullopt;
  versions[2].info.metadata = nlohmann::json{{"scopes", {"a", "b"}}, {"nested", {{"k", nullptr}}}};
  for (const auto& v : versions) MustWrite([&](WriteTransaction& txn) { return txn.PutCredentialVersion(v); });
  auto read = Read();
  for (const auto& v : versions) {
    SCOPED_TRACE("version " + std::to_string(v.info.version));
    auto found = MUST(read->FindCredential("org_a", owner.identity_id, "stripe", v.info.version));
    ASSERT_TRUE(found.has_value());
    ExpectSameVersion(*found, v);
  }
  auto newest = MUST(read->FindCredential("org_a", owner.identity_id, "stripe", std::nullopt));
  ASSERT_TRUE(newest.has_value());
  ExpectSameVersion(*newest, versions[2]);
  EXPECT_FALSE(MUST(read->FindCredential("org_a", owner.identity_id, "stripe", 4)).has_value());
  EXPECT_FALSE(MUST(read->FindCredential("org_a", owner.identity_id, "Stripe", std::nullopt)).has_value())
      << "names are case-sensitive";
  auto listed = MUST(read->ListCredentials(InOwner()));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].version, 3);
  EXPECT_EQ(listed[0].type, CredentialType::kOAuth);
  EXPECT_EQ(listed[0].metadata, versions[2].info.metadata);
}

TEST_P(CredentialsConformance, VersionsPastTheRetentionWindowArePrunedAndNoLongerFound) {
  const int total = kRetainedVersions + 3;
  MustWrite([&](WriteTransaction& txn) -> Status {
    PutVersions(txn, "cred_1", Owner("org_a"), "stripe", total);
    return Status::Ok();
  });
  auto read = Read();
  for (int v = 1; v <= total; ++v) {
    EXPECT_EQ(MUST(read->FindCredential("org_a", "org_a-owner", "stripe", v)).has_value(), v > total - kRetainedVersions)
        << "version " << v;
  }
  auto deks = MUST(read->CountDeksByKek("org_a"));
  ASSERT_EQ(deks.size(), 1u);
  EXPECT_EQ(deks[0].deks, kRetainedVersions) << "pruned versions still hold DEKs";
}

TEST_P(CredentialsConformance, PuttingAVersionOtherThanCurrentPlusOneIsAConflictAndKeepsNothing) {
  const Partition owner = Owner("org_a");
  MustWrite([&](WriteTransaction& txn) -> Status {
    PutVersions(txn, "cred_1", owner, "stripe", 2);
    return Status::Ok();
  });
  const std::string before = Dump(*Read());
  for (int version : {2, 4, 1}) {
    SCOPED_TRACE("version " + std::to_string(version));
    Status put = store().Write(
        [&](WriteTransaction& txn) { return txn.PutCredentialVersion(Version("cred_1", owner, "stripe", version)); });
    EXPECT_EQ(CodeOf(put), "kConflict") << Describe(put);
  }
  EXPECT_EQ(Dump(*Read()), before);
}

TEST_P(CredentialsConformance, ListCredentialsOrdersNamesByBytesNotByLocale) {
  const std::vector<std::string> names = {"stripe:prod", "stripe-dev", "stripe.test", "stripe_x", "stripe",
                                          "Zeta", "API_KEY", "api", "a-b", "a.b", "a:b", "a_b", "ab",
                                          "AB", "_under", "0num", "9", "z"};
  MustWrite([&](WriteTransaction& txn) -> Status {
    for (size_t i = 0; i < names.size(); ++i) {
      COFFER_TRY(txn.PutCredentialVersion(Version("cred_" + std::to_string(i), Owner("org_a"), names[i], 1)));
    }
    return Status::Ok();
  });
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());  // byte order: - . 0-9 : A-Z _ a-z
  EXPECT_EQ(Names(InOwner()), sorted);
}

TEST_P(CredentialsConformance, ListCredentialsMatchesAPrefixLiterallyAndCaseSensitively) {
  const std::vector<std::string> names = {"a_b", "aXb", "a.b", "API_KEY", "api_key", "api", "ap", "github:token"};
  MustWrite([&](WriteTransaction& txn) -> Status {
    for (size_t i = 0; i < names.size(); ++i) {
      COFFER_TRY(txn.PutCredentialVersion(Version("cred_" + std::to_string(i), Owner("org_a"), names[i], 1)));
    }
    return Status::Ok();
  });
  auto with_prefix = [&](const std::string& prefix) {
    CredentialListQuery q = InOwner();
    q.name_prefix = prefix;
    return Names(q);
  };
  EXPECT_EQ(with_prefix("a_"), (std::vector<std::string>{"a_b"})) << "'_' is a character, not a wildcard";
  EXPECT_EQ(with_prefix("a."), (std::vector<std::string>{"a.b"}));
  EXPECT_EQ(with_prefix("api"), (std::vector<std::string>{"api", "api_key"}));
  EXPECT_EQ(with_prefix("API"), (std::vector<std::string>{"API_KEY"}));
  EXPECT_EQ(with_prefix("github:"), (std::vector<std::string>{"github:token"}));
  EXPECT_EQ(with_prefix("api_key"), (std::vector<std::string>{"api_key"}));
  EXPECT_TRUE(with_prefix("api_keys").empty());
  EXPECT_EQ(with_prefix("").size(), names.size());
}

TEST_P(CredentialsConformance, ListCredentialsFiltersByTheCurrentVersionsType) {
  const Partition owner = Owner("org_a");
  MustWrite([&](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.PutCredentialVersion(Version("cred_1", owner, "changed", 1, 1, CredentialType::kLogin)));
    COFFER_TRY(txn.PutCredentialVersion(Version("cred_1", owner, "changed", 2, 1, CredentialType::kApiKey)));
    COFFER_TRY(txn.PutCredentialVersion(Version("cred_2", owner, "login", 1, 1, CredentialType::kLogin)));
    return txn.PutCredentialVersion(Version("cred_3", owner, "key", 1, 1, CredentialType::kApiKey));
  });
  CredentialListQuery logins = InOwner();
  logins.type = CredentialType::kLogin;
  EXPECT_EQ(Names(logins), (std::vector<std::string>{"login"})) << "an older version's type matched";
  CredentialListQuery keys = InOwner();
  keys.type = CredentialType::kApiKey;
  EXPECT_EQ(Names(keys), (std::vector<std::string>{"changed", "key"}));
  keys.type = CredentialType::kSshKey;
  EXPECT_TRUE(Names(keys).empty());
}

TEST_P(CredentialsConformance, ListCredentialsPagesWithAStrictAfterNameCursorAndALimit) {
  const std::vector<std::string> names = {"a1", "a2", "a3", "b1", "b2", "b3", "b4"};
  MustWrite([&](WriteTransaction& txn) -> Status {
    for (size_t i = 0; i < names.size(); ++i) {
      COFFER_TRY(txn.PutCredentialVersion(Version("cred_" + std::to_string(i), Owner("org_a"), names[i], 1)));
    }
    return Status::Ok();
  });
  std::vector<std::string> walked;
  CredentialListQuery page = InOwner();
  page.limit = 3;
  for (int pages = 0; pages < 10; ++pages) {
    auto names_on_page = Names(page);
    EXPECT_LE(names_on_page.size(), 3u);
    if (names_on_page.empty()) break;
    walked.insert(walked.end(), names_on_page.begin(), names_on_page.end());
    page.after_name = names_on_page.back();
  }
  EXPECT_EQ(walked, names);
  CredentialListQuery q = InOwner();
  q.after_name = "a3";
  q.name_prefix = "b";
  q.limit = 2;
  EXPECT_EQ(Names(q), (std::vector<std::string>{"b1", "b2"}));
  q.after_name = "b2";
  EXPECT_EQ(Names(q), (std::vector<std::string>{"b3", "b4"}));
  q.after_name = "b";  // not itself a name: strictly greater still
  q.limit = 1;
  EXPECT_EQ(Names(q), (std::vector<std::string>{"b1"}));
}

TEST_P(CredentialsConformance, EachPartitionSeesOnlyItsOwnCredentials) {
  SeedOrg("org_b");
  MustWrite([&](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.PutCredentialVersion(Version("cred_1", Owner("org_a"), "stripe", 1)));
    COFFER_TRY(txn.PutCredentialVersion(Version("cred_2", Agent("org_a"), "stripe", 1)));
    COFFER_TRY(txn.PutCredentialVersion(Version("cred_3", Agent("org_a"), "agent-only", 1)));
    return txn.PutCredentialVersion(Version("cred_4", Owner("org_b"), "stripe", 1));
  });
  auto read = Read();
  auto found = MUST(read->FindCredential("org_a", "org_a-agent", "stripe", std::nullopt));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->info.id, "cred_2");
  EXPECT_FALSE(MUST(read->FindCredential("org_a", "org_a-owner", "agent-only", std::nullopt)).has_value());
  EXPECT_FALSE(MUST(read->FindCredential("org_b", "org_a-owner", "stripe", std::nullopt)).has_value());
  EXPECT_EQ(Names(InOwner()), (std::vector<std::string>{"stripe"}));
  EXPECT_EQ(Names(CredentialListQuery{"org_a", "org_a-agent"}), (std::vector<std::string>{"agent-only", "stripe"}));
  EXPECT_EQ(Names(CredentialListQuery{"org_b", "org_b-owner"}), (std::vector<std::string>{"stripe"}));
}

TEST_P(CredentialsConformance, DeleteCredentialRemovesEveryVersionAndAnswersFalseWhenThereIsNone) {
  const Partition owner = Owner("org_a");
  MustWrite([&](WriteTransaction& txn) -> Status {
    PutVersions(txn, "cred_1", owner, "stripe", 3);
    PutVersions(txn, "cred_2", owner, "github", 1);
    return Status::Ok();
  });
  MustWrite([&](WriteTransaction& txn) -> Status {
    auto deleted = txn.DeleteCredential("org_a", owner.identity_id, "stripe");
    EXPECT_TRUE(deleted.ok() && *deleted);
    auto again = txn.DeleteCredential("org_a", owner.identity_id, "stripe");
    EXPECT_TRUE(again.ok() && !*again);
    auto elsewhere = txn.DeleteCredential("org_a", "org_a-agent", "github");
    EXPECT_TRUE(elsewhere.ok() && !*elsewhere) << "deleted across partitions";
    return Status::Ok();
  });
  auto read = Read();
  for (int v = 1; v <= 3; ++v) EXPECT_FALSE(MUST(read->FindCredential("org_a", "org_a-owner", "stripe", v)).has_value());
  EXPECT_EQ(Names(InOwner()), (std::vector<std::string>{"github"}));
  auto deks = MUST(read->CountDeksByKek("org_a"));
  ASSERT_EQ(deks.size(), 1u);
  EXPECT_EQ(deks[0].deks, 1) << "a deleted credential's versions are still stored";
  read.reset();
  // The name is free again: a new credential starts at version 1.
  MustWrite([&](WriteTransaction& txn) { return txn.PutCredentialVersion(Version("cred_3", owner, "stripe", 1)); });
  EXPECT_EQ(MUST(Read()->FindCredential("org_a", "org_a-owner", "stripe", std::nullopt))->info.id, "cred_3");
}

TEST_P(CredentialsConformance, PurgeCredentialsCountsCredentialsNotVersionsAndLeavesOtherPartitions) {
  MustWrite([&](WriteTransaction& txn) -> Status {
    PutVersions(txn, "cred_1", Agent("org_a"), "stripe", 3);
    PutVersions(txn, "cred_2", Agent("org_a"), "github", 2);
    PutVersions(txn, "cred_3", Owner("org_a"), "stripe", 1);
    return Status::Ok();
  });
  MustWrite([](WriteTransaction& txn) -> Status {
    auto purged = txn.PurgeCredentials("org_a", "org_a-agent");
    EXPECT_EQ(purged.ok() ? *purged : -1, 2);
    auto again = txn.PurgeCredentials("org_a", "org_a-agent");
    EXPECT_EQ(again.ok() ? *again : -1, 0);
    return Status::Ok();
  });
  EXPECT_TRUE(Names(CredentialListQuery{"org_a", "org_a-agent"}).empty());
  EXPECT_FALSE(MUST(Read()->FindCredential("org_a", "org_a-agent", "stripe", 1)).has_value());
  EXPECT_EQ(Names(InOwner()), (std::vector<std::string>{"stripe"}));
}

}  // namespace
}  // namespace coffer::store::conformance
