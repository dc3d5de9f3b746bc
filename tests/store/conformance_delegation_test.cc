// Orgs, KEKs, identities, tokens, grants and people: every query the identity service and the
// vault use, round trip, and the "no such row" answers.
#include <algorithm>

#include "conformance_fixture.h"

namespace coffer::store::conformance {
namespace {

class DelegationConformance : public ConformanceTest {};
COFFER_CONFORMANCE_SUITE(DelegationConformance);

void ExpectSameIdentity(const IdentityRecord& got, const IdentityRecord& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.org_id, want.org_id);
  EXPECT_EQ(got.parent_id, want.parent_id);
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.kind, want.kind);
  EXPECT_EQ(got.role, want.role);
  EXPECT_EQ(got.scopes, want.scopes);
  EXPECT_EQ(got.created_by, want.created_by);
  EXPECT_EQ(got.created_at, want.created_at);
  EXPECT_EQ(got.revoked_at, want.revoked_at);
  EXPECT_EQ(got.reveal, want.reveal);
}

void ExpectSameToken(const TokenRecord& got, const TokenRecord& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.org_id, want.org_id);
  EXPECT_EQ(got.identity_id, want.identity_id);
  EXPECT_EQ(got.hash, want.hash);
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.scopes, want.scopes);
  EXPECT_EQ(got.cidrs, want.cidrs);
  EXPECT_EQ(got.reveal, want.reveal);
  EXPECT_EQ(got.created_at, want.created_at);
  EXPECT_EQ(got.expires_at, want.expires_at);
  EXPECT_EQ(got.revoked_at, want.revoked_at);
}

void ExpectSameGrant(const GrantRecord& got, const GrantRecord& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.org_id, want.org_id);
  EXPECT_EQ(got.granter_id, want.granter_id);
  EXPECT_EQ(got.grantee_id, want.grantee_id);
  EXPECT_EQ(got.pattern, want.pattern);
  EXPECT_EQ(got.scopes, want.scopes);
  EXPECT_EQ(got.created_by, want.created_by);
  EXPECT_EQ(got.created_at, want.created_at);
  EXPECT_EQ(got.expires_at, want.expires_at);
  EXPECT_EQ(got.revoked_at, want.revoked_at);
}

TEST_P(DelegationConformance, OrgsAndKeksRoundTripOrgsOldestFirstKeksByOrgThenVersion) {
  MustWrite([](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.InsertOrg(Org("org_z", kT0)));
    COFFER_TRY(txn.InsertOrg(Org("org_a", kT0 + 10)));
    COFFER_TRY(txn.InsertKek(Kek("org_z", 2)));
    COFFER_TRY(txn.InsertKek(Kek("org_a", 1)));
    return txn.InsertKek(Kek("org_z", 1));
  });
  auto read = Read();
  auto orgs = MUST(read->ListOrgs());
  ASSERT_EQ(orgs.size(), 2u);
  EXPECT_EQ(orgs[0].id, "org_z");
  EXPECT_EQ(orgs[0].name, "name of org_z");
  EXPECT_EQ(orgs[0].created_at, kT0);
  EXPECT_EQ(orgs[1].id, "org_a");
  auto keks = MUST(read->ListKeks());
  ASSERT_EQ(keks.size(), 3u);
  EXPECT_EQ(std::make_pair(keks[0].org_id, keks[0].version), std::make_pair(std::string("org_a"), 1u));
  EXPECT_EQ(std::make_pair(keks[1].org_id, keks[1].version), std::make_pair(std::string("org_z"), 1u));
  EXPECT_EQ(std::make_pair(keks[2].org_id, keks[2].version), std::make_pair(std::string("org_z"), 2u));
  EXPECT_EQ(keks[2].wrapped, Kek("org_z", 2).wrapped);
  EXPECT_EQ(keks[2].created_at, Kek("org_z", 2).created_at);
}

TEST_P(DelegationConformance, AnIdentityRoundTripsEveryFieldIncludingRevealAndIsListedInCreationOrder) {
  SeedOrg("org_a");
  SeedOrg("org_b");
  IdentityRecord masked = Identity("org_a-masked", "org_a", "agent", std::string("org_a-agent"), kT0 + 5);
  masked.scopes = {"vault:use"};
  masked.reveal = false;
  masked.revoked_at = kT0 + 6;
  IdentityRecord same_time = Identity("org_a-0same", "org_a", "agent", std::string("org_a-owner"), kT0 + 5);
  same_time.scopes = {};
  MustWrite([&](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.InsertIdentity(masked));
    return txn.InsertIdentity(same_time);
  });
  auto read = Read();
  auto found = MUST(read->FindIdentity("org_a-masked"));
  ASSERT_TRUE(found.has_value());
  ExpectSameIdentity(*found, masked);
  auto owner = MUST(read->FindIdentity("org_a-owner"));
  ASSERT_TRUE(owner.has_value());
  ExpectSameIdentity(*owner, Identity("org_a-owner", "org_a", "human"));
  auto listed = MUST(read->ListIdentities("org_a"));
  std::vector<std::string> ids;
  for (const auto& i : listed) ids.push_back(i.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"org_a-owner", "org_a-agent", "org_a-0same", "org_a-masked"}))
      << "by created_at, then id; one org's identities only";
  ExpectSameIdentity(listed[2], same_time);
}

TEST_P(DelegationConformance, SetIdentityRevokedSetsAndClearsAndAnswersFalseForNoSuchIdentity) {
  SeedOrg("org_a");
  MustWrite([](WriteTransaction& txn) -> Status {
    auto set = txn.SetIdentityRevoked("org_a-agent", kT0 + 1);
    EXPECT_TRUE(set.ok() && *set);
    auto missing = txn.SetIdentityRevoked("idn_missing", kT0 + 1);
    EXPECT_TRUE(missing.ok() && !*missing);
    return Status::Ok();
  });
  EXPECT_EQ(MUST(Read()->FindIdentity("org_a-agent"))->revoked_at, std::optional<UnixMicros>(kT0 + 1));
  MustWrite([](WriteTransaction& txn) -> Status {
    auto restored = txn.SetIdentityRevoked("org_a-agent", std::nullopt);
    EXPECT_TRUE(restored.ok() && *restored);
    return Status::Ok();
  });
  EXPECT_FALSE(MUST(Read()->FindIdentity("org_a-agent"))->revoked_at.has_value());
}

TEST_P(DelegationConformance, ATokenIsFoundByHashAndByIdWithItsCidrsAndRevealAndListedPerIdentity) {
  SeedOrg("org_a");
  TokenRecord plain = Token("tok_b", "org_a", "org_a-agent", 2);
  TokenRecord narrow = Token("tok_a", "org_a", "org_a-agent", 1);
  narrow.cidrs = {"127.0.0.1/32"};
  narrow.scopes = {"vault:read", "vault:list", "audit:read"};
  narrow.reveal = false;
  narrow.created_at = plain.created_at;  // same instant: ordered by id
  plain.cidrs = {};
  plain.expires_at = std::nullopt;
  TokenRecord owners = Token("tok_c", "org_a", "org_a-owner", 3);
  MustWrite([&](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.InsertToken(plain));
    COFFER_TRY(txn.InsertToken(narrow));
    return txn.InsertToken(owners);
  });
  auto read = Read();
  auto by_hash = MUST(read->FindTokenByHash(narrow.hash));
  ASSERT_TRUE(by_hash.has_value());
  ExpectSameToken(*by_hash, narrow);
  auto by_id = MUST(read->FindToken("tok_b"));
  ASSERT_TRUE(by_id.has_value());
  ExpectSameToken(*by_id, plain);
  auto listed = MUST(read->ListTokens("org_a-agent"));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, "tok_a");
  EXPECT_EQ(listed[1].id, "tok_b");
  TokenHash unknown{};
  EXPECT_FALSE(MUST(read->FindTokenByHash(unknown)).has_value());
}

TEST_P(DelegationConformance, RevokingATokenOrAGrantKeepsTheFirstTimeAndAnswersFalseForNoSuchRow) {
  SeedOrg("org_a");
  MustWrite([](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.InsertToken(Token("tok_1", "org_a", "org_a-agent", 1)));
    return txn.InsertGrant(Grant("grt_1", "org_a", "org_a-owner", "org_a-agent"));
  });
  for (UnixMicros at : {kT0 + 1, kT0 + 2}) {
    MustWrite([at](WriteTransaction& txn) -> Status {
      auto token = txn.RevokeToken("tok_1", at);
      EXPECT_TRUE(token.ok() && *token) << "an already revoked token is still a row";
      auto grant = txn.RevokeGrant("grt_1", at);
      EXPECT_TRUE(grant.ok() && *grant);
      return Status::Ok();
    });
  }
  auto read = Read();
  EXPECT_EQ(MUST(read->FindToken("tok_1"))->revoked_at, std::optional<UnixMicros>(kT0 + 1));
  EXPECT_EQ(MUST(read->FindGrant("grt_1"))->revoked_at, std::optional<UnixMicros>(kT0 + 1));
  read.reset();
  MustWrite([](WriteTransaction& txn) -> Status {
    auto token = txn.RevokeToken("tok_missing", kT0);
    EXPECT_TRUE(token.ok() && !*token);
    auto grant = txn.RevokeGrant("grt_missing", kT0);
    EXPECT_TRUE(grant.ok() && !*grant);
    return Status::Ok();
  });
}

TEST_P(DelegationConformance, GrantsAreListedToTheGranteeAndFromTheGranterInCreationOrder) {
  SeedOrg("org_a");
  GrantRecord first = Grant("grt_2", "org_a", "org_a-owner", "org_a-agent");
  GrantRecord second = Grant("grt_1", "org_a", "org_a-owner", "org_a-agent");
  second.created_at = kT0 + 1;
  second.pattern = "github";
  second.expires_at = std::nullopt;
  GrantRecord back = Grant("grt_3", "org_a", "org_a-agent", "org_a-owner");
  MustWrite([&](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.InsertGrant(second));
    COFFER_TRY(txn.InsertGrant(first));
    return txn.InsertGrant(back);
  });
  auto read = Read();
  auto to_agent = MUST(read->ListGrantsTo("org_a-agent"));
  ASSERT_EQ(to_agent.size(), 2u);
  ExpectSameGrant(to_agent[0], first);
  ExpectSameGrant(to_agent[1], second);
  auto from_owner = MUST(read->ListGrantsFrom("org_a-owner"));
  ASSERT_EQ(from_owner.size(), 2u);
  EXPECT_EQ(from_owner[0].id, "grt_2");
  auto from_agent = MUST(read->ListGrantsFrom("org_a-agent"));
  ASSERT_EQ(from_agent.size(), 1u);
  ExpectSameGrant(from_agent[0], back);
  auto found = MUST(read->FindGrant("grt_1"));
  ASSERT_TRUE(found.has_value());
  ExpectSameGrant(*found, second);
}

TEST_P(DelegationConformance, APersonRoundTripsPasswordAndSecondFactorThroughEveryUpdate) {
  SeedOrg("org_a");
  const std::string owner = "org_a-owner";
  MustWrite([&](WriteTransaction& txn) { return txn.InsertHuman(Human(owner, "Alice.Admin")); });
  auto fresh = MUST(Read()->FindHumanByUsername("Alice.Admin"));
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->identity_id, owner);
  EXPECT_EQ(fresh->password_hash, Human(owner, "x").password_hash);
  EXPECT_TRUE(fresh->totp_wrapped.empty());
  EXPECT_FALSE(fresh->totp_confirmed);
  EXPECT_EQ(fresh->totp_last_step, 0);
  EXPECT_FALSE(MUST(Read()->FindHumanByUsername("alice.admin")).has_value()) << "usernames are case-sensitive";
  EXPECT_TRUE(MUST(Read()->ListHumansWithTotp()).empty());

  MustWrite([&](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.SetHumanPassword(owner, "new hash"));
    COFFER_TRY(txn.SetHumanTotp(owner, {1, 2, 3}, false));
    return Status::Ok();
  });
  auto enrolling = MUST(Read()->FindHumanByIdentity(owner));
  ASSERT_TRUE(enrolling.has_value());
  EXPECT_EQ(enrolling->password_hash, "new hash");
  EXPECT_EQ(enrolling->totp_wrapped, (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_FALSE(enrolling->totp_confirmed);
  EXPECT_EQ(MUST(Read()->ListHumansWithTotp()).size(), 1u) << "an unconfirmed second factor is listed too";

  MustWrite([&](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.SetHumanTotp(owner, {1, 2, 3}, true));
    COFFER_TRY(txn.SetHumanTotpLastStep(owner, 56'000'000));
    return txn.ReplaceHumanTotpWrap(owner, {7, 7, 7, 7});
  });
  auto confirmed = MUST(Read()->FindHumanByIdentity(owner));
  ASSERT_TRUE(confirmed.has_value());
  EXPECT_EQ(confirmed->totp_wrapped, (std::vector<uint8_t>{7, 7, 7, 7}));
  EXPECT_TRUE(confirmed->totp_confirmed) << "re-wrapping keeps the factor confirmed";
  EXPECT_EQ(confirmed->totp_last_step, 56'000'000) << "re-wrapping keeps the last accepted step";
  auto listed = MUST(Read()->ListHumansWithTotp());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].username, "Alice.Admin");

  // A new key starts counting steps again; an empty one removes the factor.
  MustWrite([&](WriteTransaction& txn) { return txn.SetHumanTotp(owner, {9}, false); });
  EXPECT_EQ(MUST(Read()->FindHumanByIdentity(owner))->totp_last_step, 0);
  MustWrite([&](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.SetHumanTotp(owner, {}, false));
    return txn.ReplaceHumanTotpWrap(owner, {5});
  });
  auto removed = MUST(Read()->FindHumanByIdentity(owner));
  ASSERT_TRUE(removed.has_value());
  EXPECT_TRUE(removed->totp_wrapped.empty()) << "re-wrapping gave a second factor to a person without one";
  EXPECT_TRUE(MUST(Read()->ListHumansWithTotp()).empty());
}

TEST_P(DelegationConformance, UpdatesOfNoSuchPersonSucceedAndChangeNothing) {
  SeedOrg("org_a");
  const std::string before = Dump(*Read());
  MustWrite([](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.SetHumanPassword("idn_missing", "hash"));
    COFFER_TRY(txn.SetHumanTotp("idn_missing", {1}, true));
    COFFER_TRY(txn.SetHumanTotpLastStep("idn_missing", 5));
    return txn.ReplaceHumanTotpWrap("idn_missing", {1});
  });
  EXPECT_EQ(Dump(*Read()), before);
}

TEST_P(DelegationConformance, FindingNoSuchRowAnswersEmptyAndListingAnswersNothing) {
  SeedOrg("org_a");
  auto read = Read();
  EXPECT_FALSE(MUST(read->FindIdentity("idn_missing")).has_value());
  EXPECT_FALSE(MUST(read->FindToken("tok_missing")).has_value());
  EXPECT_FALSE(MUST(read->FindGrant("grt_missing")).has_value());
  EXPECT_FALSE(MUST(read->FindHumanByUsername("nobody")).has_value());
  EXPECT_FALSE(MUST(read->FindHumanByIdentity("org_a-agent")).has_value());
  EXPECT_FALSE(MUST(read->FindCredential("org_a", "org_a-owner", "missing", std::nullopt)).has_value());
  EXPECT_FALSE(MUST(read->FindCredential("org_a", "org_a-owner", "missing", 1)).has_value());
  EXPECT_FALSE(MUST(read->FindRewrapJob("org_a")).has_value());
  EXPECT_FALSE(MUST(read->LastAuditSeqBefore(kT0)).has_value());
  EXPECT_TRUE(MUST(read->ListIdentities("org_missing")).empty());
  EXPECT_TRUE(MUST(read->ListTokens("org_a-agent")).empty());
  EXPECT_TRUE(MUST(read->ListGrantsTo("org_a-agent")).empty());
  EXPECT_TRUE(MUST(read->ListGrantsFrom("org_a-owner")).empty());
  EXPECT_TRUE(MUST(read->ListCredentials(CredentialListQuery{"org_a", "org_a-owner"})).empty());
  EXPECT_TRUE(MUST(read->CountDeksByKek("org_a")).empty());
  EXPECT_TRUE(MUST(read->LatestKeyEvents("org_a")).empty());
  EXPECT_TRUE(MUST(read->CountCredentialsByType("org_a")).empty());
  EXPECT_TRUE(MUST(read->ListPendingRootWraps()).empty());
  EXPECT_TRUE(MUST(read->ScanAudit(0, 10)).empty());
  EXPECT_TRUE(MUST(read->ListAuditKeys()).empty());
  EXPECT_TRUE(MUST(read->ListAuditCheckpoints()).empty());
  auto tip = MUST(read->ReadAuditChainTip());
  EXPECT_EQ(tip.last_seq, 0);
  EXPECT_TRUE(tip.last_hash.empty());
  EXPECT_EQ(tip.last_checkpoint_seq, 0);
}

}  // namespace
}  // namespace coffer::store::conformance
