// Moving between engines: the whole-table reads and import-style writes a faithful copy needs,
// and CopyStore itself, from every engine to every engine (cross-engine copies included).
#include <map>
#include <set>

#include "conformance_fixture.h"
#include "store/store_copy.h"

namespace coffer::store::conformance {
namespace {

// A Result<bool> as a Status: whether the row existed does not matter here.
Status Done(const Result<bool>& r) { return r.ok() ? Status::Ok() : Status(r.error()); }

void MustWriteOn(Store& store, WriteWork work) {
  Status written = store.Write(std::move(work));
  EXPECT_TRUE(written.ok()) << Describe(written);
}

std::vector<std::pair<std::string, int>> Keys(const std::vector<CredentialRecord>& records) {
  std::vector<std::pair<std::string, int>> out;
  for (const auto& r : records) out.emplace_back(r.info.id, r.info.version);
  return out;
}

class MovingConformance : public ConformanceTest {
 protected:
  void SetUp() override {
    ConformanceTest::SetUp();
    SeedOrg("org_a");
  }

  // Everything a store can hold, each kind at least once, in the shapes a copy can get wrong:
  // pruned history, a child listed before its parent, a second factor with a replay guard, a
  // revoked token, several key events of one kind, and an audit trail pruned behind a checkpoint.
  void SeedEverything() {
    SeedOrg("org_b");
    MustWrite([](WriteTransaction& txn) -> Status {
      COFFER_TRY(txn.InsertKek(Kek("org_a", 2)));
      COFFER_TRY(txn.SetKekEncryptions("org_a", 2, 77));
      // Same instant, and the child's id sorts first: lists give it before its parent.
      COFFER_TRY(txn.InsertIdentity(Identity("b-parent", "org_a", "agent", Owner("org_a").identity_id, kT0 + 5)));
      COFFER_TRY(txn.InsertIdentity(Identity("a-child", "org_a", "agent", std::string("b-parent"), kT0 + 5)));
      COFFER_TRY(txn.InsertHuman(Human(Owner("org_a").identity_id, "owner-a")));
      COFFER_TRY(txn.SetHumanTotp(Owner("org_a").identity_id, std::vector<uint8_t>(48, 0x33), true));
      COFFER_TRY(txn.SetHumanTotpLastStep(Owner("org_a").identity_id, 59'000'000));
      COFFER_TRY(txn.InsertHuman(Human(Owner("org_b").identity_id, "owner-b")));
      COFFER_TRY(txn.InsertToken(Token("tok_1", "org_a", "a-child", 1)));
      COFFER_TRY(txn.InsertToken(Token("tok_2", "org_a", Agent("org_a").identity_id, 2)));
      COFFER_TRY(Done(txn.RevokeToken("tok_2", kT0 + 9)));
      COFFER_TRY(txn.InsertGrant(Grant("grt_1", "org_a", Owner("org_a").identity_id, "b-parent")));
      COFFER_TRY(Done(txn.RevokeGrant("grt_1", kT0 + 10)));
      PutVersions(txn, "cred_1", Owner("org_a"), "stripe", kRetainedVersions + 3, 1);
      PutVersions(txn, "cred_2", Partition{"org_a", "a-child"}, "github", 2, 2, CredentialType::kLogin);
      PutVersions(txn, "cred_3", Owner("org_b"), "stripe", 1, 1);
      COFFER_TRY(txn.PutRewrapJob(RewrapJobRecord{"org_a", 2, kT0 + 1, kT0 + 2, 14}));
      COFFER_TRY(txn.InsertKeyEvent(KeyEventRecord{"org_a", "kek_rotated", 2, "first", kT0 + 1}));
      COFFER_TRY(txn.InsertKeyEvent(KeyEventRecord{"org_a", "rewrap_finished", 2, "14", kT0 + 2}));
      COFFER_TRY(txn.InsertKeyEvent(KeyEventRecord{"org_a", "kek_rotated", std::nullopt, "second", kT0 + 3}));
      COFFER_TRY(txn.InsertKeyEvent(KeyEventRecord{"org_b", "root_rotated", std::nullopt, "", kT0 + 4}));
      COFFER_TRY(txn.PutAuditKey(AuditKeyRecord{1, std::vector<uint8_t>(60, 0x44), kT0}));
      for (int i = 0; i < 6; ++i) {
        auto seq = AppendNext(txn, AuditEvent(i % 2 ? "org_a" : "", "credential.read", kT0 + i));
        if (!seq.ok()) return seq.error();
      }
      auto third = txn.ScanAudit(2, 1);
      if (!third.ok()) return third.error();
      COFFER_TRY(txn.PutAuditCheckpoint(AuditCheckpointRecord{3, third->front().hash, kT0 + 20,
                                                              std::vector<uint8_t>(64, 0x55)}));
      return txn.PruneAudit(3);
    });
  }

  std::map<std::string, std::vector<std::string>> KeyEventsOf(ReadTransaction& read) {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& org : MUST(read.ListOrgs())) {
      for (const auto& e : MUST(read.ListKeyEvents(org.id))) {
        out[org.id].push_back(e.kind + "|" + (e.kek_version ? std::to_string(*e.kek_version) : "-") + "|" + e.detail +
                              "|" + std::to_string(e.at));
      }
    }
    return out;
  }
};
COFFER_CONFORMANCE_SUITE(MovingConformance);

TEST_P(MovingConformance, ScanCredentialVersionsWalksEveryRetainedVersionByIdThenVersionFromTheCursor) {
  MustWrite([](WriteTransaction& txn) -> Status {
    PutVersions(txn, "cred_b", Owner("org_a"), "github", 3);
    PutVersions(txn, "cred_a", Agent("org_a"), "stripe", kRetainedVersions + 2);  // versions 1 and 2 pruned
    PutVersions(txn, "cred_c", Owner("org_a"), "aws", 1);
    return Status::Ok();
  });
  std::vector<CredentialRecord> all;
  std::string after_id;
  int after_version = 0;
  for (int pages = 0; pages < 100; ++pages) {
    auto page = MUST(Read()->ScanCredentialVersions(after_id, after_version, 4));
    ASSERT_LE(page.size(), 4u);
    if (page.empty()) break;
    after_id = page.back().info.id;
    after_version = page.back().info.version;
    all.insert(all.end(), page.begin(), page.end());
  }
  std::vector<std::pair<std::string, int>> expected;
  for (int v = 3; v <= kRetainedVersions + 2; ++v) expected.emplace_back("cred_a", v);
  for (int v = 1; v <= 3; ++v) expected.emplace_back("cred_b", v);
  expected.emplace_back("cred_c", 1);
  EXPECT_EQ(Keys(all), expected) << "every retained version once, by credential id then version";
  for (const auto& r : all) {
    const Partition p = r.info.id == "cred_a" ? Agent("org_a") : Owner("org_a");
    const CredentialRecord want = Version(r.info.id, p, r.info.name, r.info.version);
    EXPECT_EQ(r.info.org_id, "org_a");
    EXPECT_EQ(r.info.identity_id, p.identity_id);
    EXPECT_EQ(r.info.metadata, want.info.metadata);
    EXPECT_EQ(r.info.expires_at, want.info.expires_at);
    EXPECT_EQ(r.info.created_at, want.info.created_at) << "the credential's creation time";
    EXPECT_EQ(r.info.updated_at, want.info.updated_at) << "this version's time";
    EXPECT_EQ(r.blob, want.blob) << r.info.id << " v" << r.info.version;
  }
  EXPECT_TRUE(MUST(Read()->ScanCredentialVersions("cred_c", 1, 10)).empty());
}

TEST_P(MovingConformance, ListKeyEventsGivesEveryEventOfOneOrgInTheOrderTheyWereInserted) {
  SeedOrg("org_b");
  MustWrite([](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.InsertKeyEvent(KeyEventRecord{"org_a", "kek_rotated", 2, "later time first", kT0 + 9}));
    COFFER_TRY(txn.InsertKeyEvent(KeyEventRecord{"org_b", "kek_rotated", 2, "other org", kT0 + 1}));
    COFFER_TRY(txn.InsertKeyEvent(KeyEventRecord{"org_a", "kek_rotated", std::nullopt, "", kT0 + 1}));
    return txn.InsertKeyEvent(KeyEventRecord{"org_a", "rewrap_started", 3, "x", kT0 + 2});
  });
  auto events = MUST(Read()->ListKeyEvents("org_a"));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].detail, "later time first");
  EXPECT_EQ(events[0].kek_version, 2u);
  EXPECT_EQ(events[1].kek_version, std::nullopt);
  EXPECT_EQ(events[1].at, kT0 + 1);
  EXPECT_EQ(events[2].kind, "rewrap_started");
  EXPECT_EQ(events[2].org_id, "org_a");
  EXPECT_TRUE(MUST(Read()->ListKeyEvents("org_missing")).empty());
}

TEST_P(MovingConformance, CountRowsCountsEveryKindOfRow) {
  EXPECT_EQ(MUST(Read()->CountRows()).orgs, 1);
  SeedEverything();
  MustWrite([](WriteTransaction& txn) {
    return txn.PutPendingRootWrap(PendingRootWrapRecord{"kek", "org_a", 1, std::vector<uint8_t>(60, 1)});
  });
  StoreRowCounts want;
  want.orgs = 2;
  want.keks = 3;
  want.identities = 6;
  want.humans = 2;
  want.tokens = 2;
  want.grants = 1;
  want.credentials = 3;
  want.credential_versions = kRetainedVersions + 2 + 1;
  want.rewrap_jobs = 1;
  want.key_events = 4;
  want.pending_root_wraps = 1;
  want.audit_records = 3;
  want.audit_keys = 1;
  want.audit_checkpoints = 1;
  const StoreRowCounts got = MUST(Read()->CountRows());
  for (size_t i = 0; i < RowKinds(want).size(); ++i) {
    EXPECT_EQ(RowKinds(got)[i].second, RowKinds(want)[i].second) << RowKinds(want)[i].first;
  }
}

TEST_P(MovingConformance, ImportCredentialVersionKeepsNumbersTimesAndBlobsAndPrunesNothing) {
  MustWrite([](WriteTransaction& txn) -> Status {
    for (int v : {20, 5, 7}) COFFER_TRY(txn.ImportCredentialVersion(Version("cred_x", Owner("org_a"), "stripe", v, 3)));
    for (int v = 1; v <= kRetainedVersions + 4; ++v) {
      COFFER_TRY(txn.ImportCredentialVersion(Version("cred_y", Owner("org_a"), "github", v)));
    }
    return Status::Ok();
  });
  auto read = Read();
  auto current = MUST(read->FindCredential("org_a", Owner("org_a").identity_id, "stripe", std::nullopt));
  ASSERT_TRUE(current.has_value());
  EXPECT_EQ(current->info.version, 20) << "the highest imported version is current, whatever the order";
  EXPECT_EQ(current->blob, Version("cred_x", Owner("org_a"), "stripe", 20, 3).blob);
  EXPECT_EQ(current->info.updated_at, kT0 + 20);
  auto five = MUST(read->FindCredential("org_a", Owner("org_a").identity_id, "stripe", 5));
  ASSERT_TRUE(five.has_value());
  EXPECT_EQ(five->info.updated_at, kT0 + 5);
  EXPECT_EQ(MUST(read->FindCredential("org_a", Owner("org_a").identity_id, "github", 1)).has_value(), true)
      << "an import prunes nothing";
  std::map<std::optional<uint32_t>, int64_t> deks;
  for (const auto& d : MUST(read->CountDeksByKek("org_a"))) deks[d.kek_version] = d.deks;
  EXPECT_EQ(deks[3u], 3) << "the KEK version follows each imported blob's header";
  read.reset();

  // After an import, the ordinary write path takes over from the current version.
  MustWrite([](WriteTransaction& txn) {
    return txn.PutCredentialVersion(Version("cred_x", Owner("org_a"), "stripe", 21));
  });
  auto conflict = [this](CredentialRecord r) {
    return CodeOf(store().Write([&](WriteTransaction& txn) { return txn.ImportCredentialVersion(r); }));
  };
  EXPECT_EQ(conflict(Version("cred_x", Owner("org_a"), "stripe", 20)), "kConflict") << "that version is stored";
  EXPECT_EQ(conflict(Version("cred_x", Owner("org_a"), "renamed", 30)), "kConflict") << "id of another credential";
  EXPECT_EQ(conflict(Version("cred_x", Agent("org_a"), "stripe", 30)), "kConflict") << "id in another partition";
  EXPECT_EQ(conflict(Version("cred_z", Owner("org_a"), "stripe", 1)), "kConflict") << "name taken";
  EXPECT_EQ(MUST(Read()->FindCredential("org_a", Owner("org_a").identity_id, "stripe", std::nullopt))->info.version, 21);
}

// The copy, into a fresh database of every engine: whatever the source's engine, the target
// shows exactly what the source shows.
TEST_P(MovingConformance, CopyStoreCopiesEverythingIntoAnEmptyStoreOfEveryEngine) {
  SeedEverything();
  auto source = Read();
  const std::string want = Dump(*source);
  const auto want_events = KeyEventsOf(*source);
  const StoreRowCounts want_counts = MUST(source->CountRows());
  source.reset();
  for (const auto& engine : EnginesUnderTest()) {
    SCOPED_TRACE("into " + engine.name);
    auto db = engine.make_database();
    auto target = db->Open();
    ASSERT_TRUE(target.ok()) << Describe(target);
    std::set<std::string> kinds_done;
    CopyOptions options;
    options.batch = 2;  // several batches even for this small trail
    options.progress = [&kinds_done](std::string_view kind, int64_t, bool done) {
      if (done) kinds_done.insert(std::string(kind));
    };
    auto copied = CopyStore(store(), **target, options);
    ASSERT_TRUE(copied.ok()) << Describe(copied);
    EXPECT_EQ(copied->counts, want_counts);
    auto read = (*target)->BeginRead();
    EXPECT_EQ(Dump(*read), want);
    EXPECT_EQ(KeyEventsOf(*read), want_events) << "every key event, in order, not only the latest";
    EXPECT_EQ(MUST(read->CountRows()), want_counts);
    auto tip = MUST(read->ReadAuditChainTip());
    EXPECT_EQ(tip.last_seq, 6);
    EXPECT_EQ(tip.last_checkpoint_seq, 3);
    for (const auto& [kind, n] : RowKinds(want_counts)) {
      if (kind != "pending root wraps") {
        EXPECT_TRUE(kinds_done.count(std::string(kind))) << kind << " not reported";
      }
    }
    read.reset();
    // The chain goes on where the source's stopped.
    MustWriteOn(**target, [](WriteTransaction& txn) -> Status {
      auto seq = AppendNext(txn, AuditEvent("org_a", "server.start"));
      if (!seq.ok()) return seq.error();
      return *seq == 7 ? Status::Ok() : MakeError(ErrorCode::kInternal, "next record got " + std::to_string(*seq));
    });
  }
}

TEST_P(MovingConformance, CopyStoreRefusesATargetThatHoldsAnythingAndChangesNothing) {
  SeedEverything();
  auto db = GetParam().make_database();
  auto target = db->Open();
  ASSERT_TRUE(target.ok()) << Describe(target);
  // One audit key is enough to make a store not empty.
  MustWriteOn(**target, [](WriteTransaction& txn) {
    return txn.PutAuditKey(AuditKeyRecord{1, std::vector<uint8_t>(60, 9), kT0});
  });
  const std::string before = Dump(*(*target)->BeginRead());
  auto copied = CopyStore(store(), **target);
  EXPECT_EQ(CodeOf(copied), "kConflict");
  EXPECT_NE(Describe(copied).find("not empty"), std::string::npos) << Describe(copied);
  EXPECT_EQ(Dump(*(*target)->BeginRead()), before);
}

TEST_P(MovingConformance, CopyStoreRefusesASourceInTheMiddleOfARootRotation) {
  MustWrite([](WriteTransaction& txn) {
    return txn.PutPendingRootWrap(PendingRootWrapRecord{"kek", "org_a", 1, std::vector<uint8_t>(60, 1)});
  });
  auto db = GetParam().make_database();
  auto target = db->Open();
  ASSERT_TRUE(target.ok()) << Describe(target);
  auto copied = CopyStore(store(), **target);
  EXPECT_EQ(CodeOf(copied), "kConflict");
  EXPECT_EQ(MUST((*target)->BeginRead()->CountRows()), StoreRowCounts{}) << "nothing was copied";
}

}  // namespace
}  // namespace coffer::store::conformance
