// Key management: KEK bookkeeping, DEK usage by the KEK version in each blob's header, re-wrap
// batches and jobs, key events, type counts, and the root rotation's pending wraps.
#include <map>

#include "conformance_fixture.h"

namespace coffer::store::conformance {
namespace {

class KeysConformance : public ConformanceTest {
 protected:
  void SetUp() override {
    ConformanceTest::SetUp();
    SeedOrg("org_a");
    SeedOrg("org_b");
  }
  // A credential with one version sealed under each of `keks`, in order.
  static Status PutSealed(WriteTransaction& txn, const std::string& id, const Partition& p, const std::string& name,
                          const std::vector<uint32_t>& keks) {
    for (size_t i = 0; i < keks.size(); ++i) {
      COFFER_TRY(txn.PutCredentialVersion(Version(id, p, name, static_cast<int>(i + 1), keks[i])));
    }
    return Status::Ok();
  }
  std::map<std::optional<uint32_t>, int64_t> DeksOf(const std::string& org_id) {
    std::map<std::optional<uint32_t>, int64_t> out;
    for (const auto& d : MUST(Read()->CountDeksByKek(org_id))) {
      EXPECT_FALSE(out.count(d.kek_version)) << "a KEK version was counted twice";
      out[d.kek_version] = d.deks;
    }
    return out;
  }
};
COFFER_CONFORMANCE_SUITE(KeysConformance);

using Deks = std::map<std::optional<uint32_t>, int64_t>;

TEST_P(KeysConformance, ListKekStatesReportsEveryKekAndItsEncryptionCountWhichNeverGoesDown) {
  MustWrite([](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.InsertKek(Kek("org_a", 2)));
    COFFER_TRY(txn.SetKekEncryptions("org_a", 2, 100));
    COFFER_TRY(txn.SetKekEncryptions("org_a", 2, 50));
    return txn.SetKekEncryptions("org_missing", 1, 7);  // no such KEK: nothing changes
  });
  auto states = MUST(Read()->ListKekStates());
  ASSERT_EQ(states.size(), 3u);
  EXPECT_EQ(states[0].org_id, "org_a");
  EXPECT_EQ(states[0].version, 1u);
  EXPECT_EQ(states[0].encryptions, 0u);
  EXPECT_EQ(states[0].created_at, Kek("org_a", 1).created_at);
  EXPECT_EQ(states[1].version, 2u);
  EXPECT_EQ(states[1].encryptions, 100u) << "a later, lower count lowered it";
  EXPECT_EQ(states[2].org_id, "org_b");
  MustWrite([](WriteTransaction& txn) { return txn.SetKekEncryptions("org_a", 2, (uint64_t{1} << 32) + 5); });
  EXPECT_EQ(MUST(Read()->ListKekStates())[1].encryptions, (uint64_t{1} << 32) + 5) << "counts go past 32 bits";
}

TEST_P(KeysConformance, CountDeksByKekCountsEveryStoredVersionOfOneOrgByTheKekInItsBlobHeader) {
  MustWrite([&](WriteTransaction& txn) -> Status {
    COFFER_TRY(PutSealed(txn, "cred_1", Owner("org_a"), "stripe", {1, 2, 2}));
    COFFER_TRY(PutSealed(txn, "cred_2", Agent("org_a"), "github", {70000}));
    CredentialRecord unreadable = Version("cred_3", Owner("org_a"), "future", 1);
    unreadable.blob = UnreadableBlobBytes();
    COFFER_TRY(txn.PutCredentialVersion(unreadable));
    return PutSealed(txn, "cred_4", Owner("org_b"), "stripe", {1, 1});
  });
  EXPECT_EQ(DeksOf("org_a"), (Deks{{1u, 1}, {2u, 2}, {70000u, 1}, {std::nullopt, 1}}));
  EXPECT_EQ(DeksOf("org_b"), (Deks{{1u, 2}}));
  std::vector<uint32_t> order;
  for (const auto& d : MUST(Read()->CountDeksByKek("org_a"))) {
    if (d.kek_version) order.push_back(*d.kek_version);
  }
  EXPECT_EQ(order, (std::vector<uint32_t>{1, 2, 70000})) << "ordered by KEK version";
}

TEST_P(KeysConformance, ListVersionsBelowKekGivesTheLowestKekFirstUpToTheLimit) {
  MustWrite([&](WriteTransaction& txn) -> Status {
    COFFER_TRY(PutSealed(txn, "cred_1", Owner("org_a"), "stripe", {3, 1, 3}));
    COFFER_TRY(PutSealed(txn, "cred_2", Agent("org_a"), "github", {2}));
    CredentialRecord unreadable = Version("cred_3", Owner("org_a"), "future", 1);
    unreadable.blob = UnreadableBlobBytes();
    COFFER_TRY(txn.PutCredentialVersion(unreadable));
    return PutSealed(txn, "cred_4", Owner("org_b"), "stripe", {1});
  });
  auto below = MUST(Read()->ListVersionsBelowKek("org_a", 3, 100));
  ASSERT_EQ(below.size(), 2u) << "only versions under KEKs 1 and 2, of org_a, with readable headers";
  EXPECT_EQ(below[0].org_id, "org_a");
  EXPECT_EQ(below[0].credential_id, "cred_1");
  EXPECT_EQ(below[0].name, "stripe");
  EXPECT_EQ(below[0].version, 2);
  EXPECT_EQ(below[0].type, CredentialType::kApiKey);
  EXPECT_EQ(below[0].blob, Version("cred_1", Owner("org_a"), "stripe", 2, 1).blob);
  EXPECT_EQ(below[1].credential_id, "cred_2");
  auto first = MUST(Read()->ListVersionsBelowKek("org_a", 3, 1));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].credential_id, "cred_1") << "the lowest KEK version comes first";
  EXPECT_TRUE(MUST(Read()->ListVersionsBelowKek("org_a", 1, 100)).empty());
}

TEST_P(KeysConformance, ReplaceVersionBlobReplacesOnlyWhileTheBlobIsStillTheExpectedOne) {
  const Partition owner = Owner("org_a");
  MustWrite([&](WriteTransaction& txn) { return PutSealed(txn, "cred_1", owner, "stripe", {1, 1}); });
  const std::vector<uint8_t> old_v1 = Version("cred_1", owner, "stripe", 1).blob;
  const std::vector<uint8_t> rewrapped = SealedBlobBytes(2, 0x77);
  MustWrite([&](WriteTransaction& txn) -> Status {
    auto stale = txn.ReplaceVersionBlob("cred_1", 1, SealedBlobBytes(1, 0x33), rewrapped);
    EXPECT_TRUE(stale.ok() && !*stale) << "replaced a blob that was not the expected one";
    auto missing = txn.ReplaceVersionBlob("cred_missing", 1, old_v1, rewrapped);
    EXPECT_TRUE(missing.ok() && !*missing);
    auto other_version = txn.ReplaceVersionBlob("cred_1", 3, old_v1, rewrapped);
    EXPECT_TRUE(other_version.ok() && !*other_version);
    return Status::Ok();
  });
  EXPECT_EQ(MUST(Read()->FindCredential("org_a", owner.identity_id, "stripe", 1))->blob, old_v1);
  MustWrite([&](WriteTransaction& txn) -> Status {
    auto replaced = txn.ReplaceVersionBlob("cred_1", 1, old_v1, rewrapped);
    EXPECT_TRUE(replaced.ok() && *replaced);
    return Status::Ok();
  });
  auto read = Read();
  EXPECT_EQ(MUST(read->FindCredential("org_a", owner.identity_id, "stripe", 1))->blob, rewrapped);
  auto current = MUST(read->FindCredential("org_a", owner.identity_id, "stripe", std::nullopt));
  ASSERT_TRUE(current.has_value());
  EXPECT_EQ(current->info.version, 2) << "re-wrapping a version made it current";
  EXPECT_EQ(current->blob, Version("cred_1", owner, "stripe", 2).blob);
  read.reset();
  EXPECT_EQ(DeksOf("org_a"), (Deks{{1u, 1}, {2u, 1}})) << "the KEK version did not follow the new blob's header";
  auto below = MUST(Read()->ListVersionsBelowKek("org_a", 2, 10));
  ASSERT_EQ(below.size(), 1u);
  EXPECT_EQ(below[0].version, 2);
}

TEST_P(KeysConformance, ARewrapJobIsCreatedReplacedAndFoundPerOrg) {
  MustWrite([](WriteTransaction& txn) {
    return txn.PutRewrapJob(RewrapJobRecord{"org_a", 2, kT0, std::nullopt, 0});
  });
  auto running = MUST(Read()->FindRewrapJob("org_a"));
  ASSERT_TRUE(running.has_value());
  EXPECT_EQ(running->org_id, "org_a");
  EXPECT_EQ(running->target_version, 2u);
  EXPECT_EQ(running->started_at, kT0);
  EXPECT_FALSE(running->finished_at.has_value());
  EXPECT_EQ(running->rewrapped, 0);
  EXPECT_FALSE(MUST(Read()->FindRewrapJob("org_b")).has_value());
  MustWrite([](WriteTransaction& txn) {
    return txn.PutRewrapJob(RewrapJobRecord{"org_a", 3, kT0 + 1, kT0 + 2, 1234});
  });
  auto finished = MUST(Read()->FindRewrapJob("org_a"));
  ASSERT_TRUE(finished.has_value());
  EXPECT_EQ(finished->target_version, 3u);
  EXPECT_EQ(finished->started_at, kT0 + 1);
  EXPECT_EQ(finished->finished_at, std::optional<UnixMicros>(kT0 + 2));
  EXPECT_EQ(finished->rewrapped, 1234);
}

TEST_P(KeysConformance, LatestKeyEventsKeepsTheLastInsertedOfEachKindForOneOrg) {
  MustWrite([](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.InsertKeyEvent(KeyEventRecord{"org_a", "kek_rotated", 2, "first", kT0 + 1}));
    COFFER_TRY(txn.InsertKeyEvent(KeyEventRecord{"org_a", "rewrap_started", 2, "", kT0 + 2}));
    COFFER_TRY(txn.InsertKeyEvent(KeyEventRecord{"org_a", "root_rotated", std::nullopt, "pkcs11", kT0 + 3}));
    COFFER_TRY(txn.InsertKeyEvent(KeyEventRecord{"org_b", "kek_retired", 1, "org b", kT0 + 4}));
    return txn.InsertKeyEvent(KeyEventRecord{"org_a", "kek_rotated", 3, "second", kT0 + 3});
  });
  std::map<std::string, KeyEventRecord> latest;
  for (const auto& e : MUST(Read()->LatestKeyEvents("org_a"))) {
    EXPECT_FALSE(latest.count(e.kind)) << e.kind << " appears twice";
    latest.emplace(e.kind, e);
  }
  ASSERT_EQ(latest.size(), 3u);
  EXPECT_EQ(latest["kek_rotated"].detail, "second");
  EXPECT_EQ(latest["kek_rotated"].kek_version, std::optional<uint32_t>(3));
  EXPECT_EQ(latest["kek_rotated"].org_id, "org_a");
  EXPECT_EQ(latest["kek_rotated"].at, kT0 + 3);
  EXPECT_EQ(latest["root_rotated"].kek_version, std::nullopt);
  EXPECT_EQ(latest["root_rotated"].detail, "pkcs11");
  EXPECT_EQ(latest["rewrap_started"].detail, "");
}

TEST_P(KeysConformance, CountCredentialsByTypeCountsCurrentVersionsInEveryPartitionOfOneOrg) {
  MustWrite([](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.PutCredentialVersion(Version("cred_1", Owner("org_a"), "a", 1, 1, CredentialType::kLogin)));
    COFFER_TRY(txn.PutCredentialVersion(Version("cred_1", Owner("org_a"), "a", 2, 1, CredentialType::kApiKey)));
    COFFER_TRY(txn.PutCredentialVersion(Version("cred_2", Agent("org_a"), "b", 1, 1, CredentialType::kApiKey)));
    COFFER_TRY(txn.PutCredentialVersion(Version("cred_3", Owner("org_a"), "c", 1, 1, CredentialType::kSshKey)));
    return txn.PutCredentialVersion(Version("cred_4", Owner("org_b"), "d", 1, 1, CredentialType::kLogin));
  });
  std::map<CredentialType, int64_t> counts;
  for (const auto& c : MUST(Read()->CountCredentialsByType("org_a"))) counts[c.type] += c.count;
  EXPECT_EQ(counts, (std::map<CredentialType, int64_t>{{CredentialType::kApiKey, 2}, {CredentialType::kSshKey, 1}}));
}

TEST_P(KeysConformance, PendingRootWrapsArePutReplacedListedInOrderAndCleared) {
  MustWrite([](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.PutPendingRootWrap(PendingRootWrapRecord{"kek", "org_b", 1, {1}}));
    COFFER_TRY(txn.PutPendingRootWrap(PendingRootWrapRecord{"totp", "org_a-owner", 0, {2}}));
    COFFER_TRY(txn.PutPendingRootWrap(PendingRootWrapRecord{"kek", "org_a", 2, {3}}));
    COFFER_TRY(txn.PutPendingRootWrap(PendingRootWrapRecord{"audit", "", 1, {4}}));
    COFFER_TRY(txn.PutPendingRootWrap(PendingRootWrapRecord{"kek", "org_a", 1, {5}}));
    return txn.PutPendingRootWrap(PendingRootWrapRecord{"kek", "org_b", 1, {6, 6}});
  });
  auto pending = MUST(Read()->ListPendingRootWraps());
  std::vector<std::string> keys;
  for (const auto& p : pending) keys.push_back(p.kind + "/" + p.org_id + "/" + std::to_string(p.version));
  EXPECT_EQ(keys, (std::vector<std::string>{"audit//1", "kek/org_a/1", "kek/org_a/2", "kek/org_b/1",
                                            "totp/org_a-owner/0"}));
  ASSERT_EQ(pending.size(), 5u);
  EXPECT_EQ(pending[3].wrapped, (std::vector<uint8_t>{6, 6})) << "a second put for the same key replaces the first";
  EXPECT_EQ(pending[0].wrapped, (std::vector<uint8_t>{4}));
  MustWrite([](WriteTransaction& txn) { return txn.ClearPendingRootWraps(); });
  EXPECT_TRUE(MUST(Read()->ListPendingRootWraps()).empty());
}

TEST_P(KeysConformance, ReplaceKekWrapReplacesTheWrapAndIsAConflictWhenTheKekIsGone) {
  MustWrite([](WriteTransaction& txn) { return txn.ReplaceKekWrap("org_a", 1, {9, 9, 9}); });
  auto keks = MUST(Read()->ListKeks());
  ASSERT_EQ(keks.size(), 2u);
  EXPECT_EQ(keks[0].wrapped, (std::vector<uint8_t>{9, 9, 9}));
  EXPECT_EQ(keks[0].created_at, Kek("org_a", 1).created_at);
  EXPECT_EQ(keks[1].wrapped, Kek("org_b", 1).wrapped) << "another org's KEK changed";
  Status gone = store().Write([](WriteTransaction& txn) { return txn.ReplaceKekWrap("org_a", 7, {1}); });
  EXPECT_EQ(CodeOf(gone), "kConflict") << Describe(gone);
}

TEST_P(KeysConformance, DeleteKekDestroysOneVersionAndAnswersFalseWhenThereIsNone) {
  MustWrite([](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.InsertKek(Kek("org_a", 2)));
    auto deleted = txn.DeleteKek("org_a", 1);
    EXPECT_TRUE(deleted.ok() && *deleted);
    auto again = txn.DeleteKek("org_a", 1);
    EXPECT_TRUE(again.ok() && !*again);
    return Status::Ok();
  });
  auto keks = MUST(Read()->ListKeks());
  ASSERT_EQ(keks.size(), 2u);
  EXPECT_EQ(keks[0].org_id, "org_a");
  EXPECT_EQ(keks[0].version, 2u);
  EXPECT_EQ(keks[1].org_id, "org_b");
  EXPECT_EQ(MUST(Read()->ListKekStates()).size(), 2u);
}

}  // namespace
}  // namespace coffer::store::conformance
