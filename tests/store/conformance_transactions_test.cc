// Transactions and isolation: snapshots, atomic pieces of work, group commit, Submit's callback,
// shutdown, statistics, and two stores on one database.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "conformance_fixture.h"

namespace coffer::store::conformance {
namespace {

class TransactionsConformance : public ConformanceTest {
 protected:
  // One org with a row in every table, so that every write method has something to change.
  void SeedEverything() {
    SeedOrg("org_a");
    const Partition owner = Owner("org_a"), agent = Agent("org_a");
    MustWrite([&](WriteTransaction& txn) -> Status {
      COFFER_TRY(txn.InsertKek(Kek("org_a", 2)));
      COFFER_TRY(txn.InsertToken(Token("tok_1", "org_a", agent.identity_id, 1)));
      COFFER_TRY(txn.InsertHuman(Human(owner.identity_id, "alice")));
      COFFER_TRY(txn.SetHumanTotp(owner.identity_id, {1, 2, 3}, true));
      COFFER_TRY(txn.InsertGrant(Grant("grt_1", "org_a", owner.identity_id, agent.identity_id)));
      PutVersions(txn, "cred_stripe", owner, "stripe", 2);
      COFFER_TRY(txn.PutRewrapJob(RewrapJobRecord{"org_a", 2, kT0, std::nullopt, 0}));
      COFFER_TRY(txn.InsertKeyEvent(KeyEventRecord{"org_a", "kek_rotated", 2, "seeded", kT0 + 10}));
      COFFER_TRY(txn.PutPendingRootWrap(PendingRootWrapRecord{"kek", "org_a", 1, {4, 4}}));
      for (int i = 0; i < 3; ++i) COFFER_TRY(AppendNext(txn, AuditEvent("org_a", "credential.read")));
      COFFER_TRY(txn.PutAuditKey(AuditKeyRecord{1, {5, 5}, kT0}));
      COFFER_TRY(txn.PutAuditCheckpoint(AuditCheckpointRecord{2, {6}, kT0, {7}}));
      return Status::Ok();
    });
  }
};
COFFER_CONFORMANCE_SUITE(TransactionsConformance);

// A Result<bool> or Result<int64_t> write that must have changed a row, as a Status.
Status Applied(const Result<bool>& r) {
  if (!r.ok()) return r.error();
  return *r ? Status::Ok() : MakeError(ErrorCode::kInternal, "the write found no row to change");
}
Status Applied(const Result<int64_t>& r) {
  if (!r.ok()) return r.error();
  return *r > 0 ? Status::Ok() : MakeError(ErrorCode::kInternal, "the write found no row to change");
}

struct WriteMethod {
  const char* name;
  std::function<Status(WriteTransaction&)> apply;
};

// Every write method of WriteTransaction, each making a visible change to SeedEverything's rows.
std::vector<WriteMethod> EveryWriteMethod() {
  const std::string owner = "org_a-owner", agent = "org_a-agent";
  const Partition owners{"org_a", owner};
  return {
      {"InsertOrg", [](auto& t) { return t.InsertOrg(Org("org_new", kT0 + 5)); }},
      {"InsertKek", [](auto& t) { return t.InsertKek(Kek("org_a", 3)); }},
      {"InsertIdentity", [=](auto& t) { return t.InsertIdentity(Identity("org_a-new", "org_a", "agent", owner)); }},
      {"InsertToken", [=](auto& t) { return t.InsertToken(Token("tok_new", "org_a", agent, 99)); }},
      {"InsertHuman", [=](auto& t) { return t.InsertHuman(Human(agent, "bob")); }},
      {"InsertGrant", [=](auto& t) { return t.InsertGrant(Grant("grt_new", "org_a", agent, owner)); }},
      {"SetIdentityRevoked", [=](auto& t) { return Applied(t.SetIdentityRevoked(agent, kT0 + 9)); }},
      {"RevokeToken", [](auto& t) { return Applied(t.RevokeToken("tok_1", kT0 + 9)); }},
      {"RevokeGrant", [](auto& t) { return Applied(t.RevokeGrant("grt_1", kT0 + 9)); }},
      {"SetHumanPassword", [=](auto& t) { return t.SetHumanPassword(owner, "another hash"); }},
      {"SetHumanTotp", [=](auto& t) { return t.SetHumanTotp(owner, {9, 9, 9}, false); }},
      {"SetHumanTotpLastStep", [=](auto& t) { return t.SetHumanTotpLastStep(owner, 1234); }},
      {"ReplaceHumanTotpWrap", [=](auto& t) { return t.ReplaceHumanTotpWrap(owner, {8, 8}); }},
      {"PurgeCredentials", [=](auto& t) { return Applied(t.PurgeCredentials("org_a", owner)); }},
      {"PutCredentialVersion",
       [=](auto& t) { return t.PutCredentialVersion(Version("cred_stripe", owners, "stripe", 3)); }},
      {"DeleteCredential", [=](auto& t) { return Applied(t.DeleteCredential("org_a", owner, "stripe")); }},
      {"ReplaceVersionBlob",
       [=](auto& t) {
         return Applied(t.ReplaceVersionBlob("cred_stripe", 2, Version("cred_stripe", owners, "stripe", 2).blob,
                                             SealedBlobBytes(2, 0x11)));
       }},
      {"SetKekEncryptions", [](auto& t) { return t.SetKekEncryptions("org_a", 1, 500); }},
      {"AddKekEncryptions", [](auto& t) { return t.AddKekEncryptions("org_a", 1, 7); }},
      {"PutLoginFailures", [](auto& t) { return t.PutLoginFailures(LoginFailureRecord{"a:alice", 2, 0, kT0}); }},
      {"AcquireLease",
       [](auto& t) {
         auto lease = t.AcquireLease("keys.rewrap", "node-a", 60'000'000);
         if (!lease.ok()) return Status(lease.error());
         return lease->has_value() ? Status::Ok() : MakeError(ErrorCode::kInternal, "the lease was not granted");
       }},
      {"PutPendingRootWrap", [](auto& t) { return t.PutPendingRootWrap(PendingRootWrapRecord{"kek", "org_a", 2, {3}}); }},
      {"ClearPendingRootWraps", [](auto& t) { return t.ClearPendingRootWraps(); }},
      {"ReplaceKekWrap", [](auto& t) { return t.ReplaceKekWrap("org_a", 1, {1, 2, 3}); }},
      {"DeleteKek", [](auto& t) { return Applied(t.DeleteKek("org_a", 2)); }},
      {"PutRewrapJob", [](auto& t) { return t.PutRewrapJob(RewrapJobRecord{"org_a", 2, kT0, kT0 + 7, 2}); }},
      {"InsertKeyEvent",
       [](auto& t) { return t.InsertKeyEvent(KeyEventRecord{"org_a", "kek_rotated", 3, "again", kT0 + 50}); }},
      {"AppendAudit",
       [](auto& t) {
         auto seq = AppendNext(t, AuditEvent("org_a", "credential.write"));
         return seq.ok() ? Status::Ok() : Status(seq.error());
       }},
      {"PutAuditKey", [](auto& t) { return t.PutAuditKey(AuditKeyRecord{2, {6, 6}, kT0 + 1}); }},
      {"PutAuditCheckpoint", [](auto& t) { return t.PutAuditCheckpoint(AuditCheckpointRecord{3, {1}, kT0, {2}}); }},
      {"PruneAudit", [](auto& t) { return t.PruneAudit(1); }},
  };
}

// ---- Snapshots ----

TEST_P(TransactionsConformance, AWriteCommittedAfterBeginReadIsNotSeenByThatReadButByTheNext) {
  SeedOrg("org_a");
  auto read = Read();
  MustWrite([](WriteTransaction& txn) { return txn.InsertOrg(Org("org_late", kT0 + 1)); });
  EXPECT_EQ(MUST(read->ListOrgs()).size(), 1u) << "the read saw a write committed after BeginRead";
  EXPECT_FALSE(MUST(read->FindIdentity("org_late-owner")).has_value());
  read.reset();
  EXPECT_EQ(MUST(Read()->ListOrgs()).size(), 2u);
}

TEST_P(TransactionsConformance, AReadKeepsOneSnapshotAcrossItsQueries) {
  SeedOrg("org_a");
  auto read = Read();
  ASSERT_EQ(MUST(read->ListOrgs()).size(), 1u);
  MustWrite([](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.InsertOrg(Org("org_b", kT0 + 1)));
    return Applied(txn.SetIdentityRevoked("org_a-agent", kT0 + 2));
  });
  EXPECT_EQ(MUST(read->ListOrgs()).size(), 1u);
  auto agent = MUST(read->FindIdentity("org_a-agent"));
  ASSERT_TRUE(agent.has_value());
  EXPECT_FALSE(agent->revoked_at.has_value()) << "half of a later write showed through the snapshot";
}

TEST_P(TransactionsConformance, WorkSeesItsOwnWritesBeforeTheyCommit) {
  MustWrite([](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.InsertOrg(Org("org_a")));
    COFFER_TRY(txn.InsertIdentity(Identity("idn_1", "org_a")));
    auto orgs = txn.ListOrgs();
    EXPECT_EQ(orgs.ok() ? orgs->size() : 0u, 1u);
    auto found = txn.FindIdentity("idn_1");
    EXPECT_TRUE(found.ok() && found->has_value());
    return Status::Ok();
  });
}

// ---- Atomic pieces of work ----

TEST_P(TransactionsConformance, AFailingPieceOfWorkKeepsNothingItWroteWhicheverWriteMethodItCalled) {
  SeedEverything();
  const std::string before = Dump(*Read());
  for (const WriteMethod& method : EveryWriteMethod()) {
    SCOPED_TRACE(method.name);
    Status written = store().Write([&](WriteTransaction& txn) -> Status {
      Status applied = method.apply(txn);
      EXPECT_TRUE(applied.ok()) << Describe(applied);
      EXPECT_NE(Dump(txn), before) << "the write made no visible change, so its rollback proves nothing";
      return MakeError(ErrorCode::kValidation, std::string("rolled back on purpose after ") + method.name);
    });
    EXPECT_EQ(CodeOf(written), "kValidation");
    EXPECT_EQ(Dump(*Read()), before) << "something the failing piece wrote was kept";
  }
}

TEST_P(TransactionsConformance, WriteReturnsTheFailingWorksOwnErrorUnchanged) {
  Status written = store().Write([](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.InsertOrg(Org("org_a")));
    return MakeError(ErrorCode::kPermissionDenied, "this token lacks the vault:write scope");
  });
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(CodeOf(written), "kPermissionDenied");
  EXPECT_EQ(written.error().message, "this token lacks the vault:write scope");
}

TEST_P(TransactionsConformance, WorkThatThrowsFailsAsInternalAndKeepsNothing) {
  Status written = store().Write([](WriteTransaction& txn) -> Status {
    (void)txn.InsertOrg(Org("org_a"));
    throw std::runtime_error("a bug");
  });
  EXPECT_EQ(CodeOf(written), "kInternal");
  EXPECT_TRUE(MUST(Read()->ListOrgs()).empty());
  MustWrite([](WriteTransaction& txn) { return txn.InsertOrg(Org("org_b")); });  // the store goes on
}

TEST_P(TransactionsConformance, ATakenKeyOrUniqueValueIsAConflict) {
  SeedEverything();
  const std::string agent = "org_a-agent";
  const std::vector<WriteMethod> taken = {
      {"org id", [](auto& t) { return t.InsertOrg(Org("org_a", kT0 + 1)); }},
      {"org name", [](auto& t) { return t.InsertOrg(OrgRecord{"org_other", "name of org_a", kT0}); }},
      {"kek version", [](auto& t) { return t.InsertKek(Kek("org_a", 1)); }},
      {"identity id", [](auto& t) { return t.InsertIdentity(Identity("org_a-agent", "org_a")); }},
      {"token id", [=](auto& t) { return t.InsertToken(Token("tok_1", "org_a", agent, 50)); }},
      {"token hash", [=](auto& t) { return t.InsertToken(Token("tok_other", "org_a", agent, 1)); }},
      {"username", [=](auto& t) { return t.InsertHuman(Human(agent, "alice")); }},
      {"grant id", [=](auto& t) { return t.InsertGrant(Grant("grt_1", "org_a", agent, agent)); }},
      {"credential version 1",
       [](auto& t) { return t.PutCredentialVersion(Version("cred_other", Owner("org_a"), "stripe", 1)); }},
      {"audit seq",
       [](auto& t) {
         AuditRecord r = AuditEvent("org_a", "credential.read");
         r.seq = 3;
         r.hash = {1};
         return t.AppendAudit(r);
       }},
      {"identity in a missing org", [](auto& t) { return t.InsertIdentity(Identity("idn_x", "org_missing")); }},
  };
  const std::string before = Dump(*Read());
  for (const WriteMethod& write : taken) {
    SCOPED_TRACE(write.name);
    Status written = store().Write([&](WriteTransaction& txn) { return write.apply(txn); });
    EXPECT_EQ(CodeOf(written), "kConflict") << Describe(written);
  }
  EXPECT_EQ(Dump(*Read()), before);
}

// ---- Group commit ----

TEST_P(TransactionsConformance, UnderGroupCommitAFailingPieceRollsBackAloneAndEachCallerGetsItsOwnOutcome) {
  // The first piece holds the writer until every other piece is queued behind it, so that an
  // engine that commits in groups commits the rest together.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  constexpr int kPieces = 40;
  std::mutex mutex;
  std::condition_variable all_done;
  std::vector<std::optional<Status>> outcomes(kPieces + 1);
  int done = 0;
  auto on_done = [&](int i) {
    return [&, i](Status s) {
      std::lock_guard lock(mutex);
      EXPECT_FALSE(outcomes[i].has_value()) << "piece " << i << "'s callback ran twice";
      outcomes[i] = std::move(s);
      ++done;
      all_done.notify_all();
    };
  };
  const auto failing = [](int i) { return i % 4 == 1; };
  store().Submit([released](WriteTransaction& txn) -> Status {
    (void)released.wait_for(std::chrono::seconds(60));
    COFFER_TRY(txn.InsertOrg(Org("org_0")));
    return AppendNext(txn, AuditEvent("org_0", "org.create")).ok() ? Status::Ok() : MakeError(ErrorCode::kInternal, "append");
  }, on_done(0));
  for (int i = 1; i <= kPieces; ++i) {
    store().Submit([i, failing](WriteTransaction& txn) -> Status {
      const std::string org = "org_" + std::to_string(i);
      COFFER_TRY(txn.InsertOrg(Org(org, kT0 + i)));
      auto seq = AppendNext(txn, AuditEvent(org, "org.create"));
      if (!seq.ok()) return seq.error();
      if (failing(i)) return MakeError(ErrorCode::kValidation, "piece " + std::to_string(i) + " fails");
      return Status::Ok();
    }, on_done(i));
  }
  release.set_value();
  {
    std::unique_lock lock(mutex);
    all_done.wait(lock, [&] { return done == kPieces + 1; });
  }
  std::set<std::string> kept_orgs;
  for (int i = 0; i <= kPieces; ++i) {
    SCOPED_TRACE("piece " + std::to_string(i));
    ASSERT_TRUE(outcomes[i].has_value());
    if (failing(i)) {
      EXPECT_EQ(CodeOf(*outcomes[i]), "kValidation");
      EXPECT_EQ(outcomes[i]->error().message, "piece " + std::to_string(i) + " fails") << "got another piece's outcome";
    } else {
      EXPECT_OK(*outcomes[i]);
      kept_orgs.insert("org_" + std::to_string(i));
    }
  }
  auto read = Read();
  std::set<std::string> orgs;
  for (const auto& org : MUST(read->ListOrgs())) orgs.insert(org.id);
  EXPECT_EQ(orgs, kept_orgs);
  // The failing pieces' appends left no gap: the survivors' records are 1..K, one per kept org.
  auto records = MUST(read->ScanAudit(0, 1000));
  ASSERT_EQ(records.size(), kept_orgs.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_TRUE(kept_orgs.count(records[i].org_id)) << records[i].org_id << " failed, yet its record was kept";
  }
}

TEST_P(TransactionsConformance, ManyThreadsWritingAtOnceKeepEveryPieceThatSucceededAndNoOther) {
  constexpr int kThreads = 8, kPerThread = 25;
  const WriteStats before = store().Stats();
  std::vector<std::thread> threads;
  std::atomic<int> wrong_outcomes{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int n = t * kPerThread + i;
        Status s = store().Write([n](WriteTransaction& txn) -> Status {
          COFFER_TRY(txn.InsertOrg(Org("org_" + std::to_string(n), kT0 + n)));
          if (n % 3 == 0) return MakeError(ErrorCode::kValidation, std::to_string(n));
          return Status::Ok();
        });
        const bool right = n % 3 == 0 ? (!s.ok() && s.error().message == std::to_string(n)) : s.ok();
        if (!right) wrong_outcomes.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong_outcomes.load(), 0);
  auto orgs = MUST(Read()->ListOrgs());
  std::set<std::string> ids;
  for (const auto& org : orgs) ids.insert(org.id);
  for (int n = 0; n < kThreads * kPerThread; ++n) {
    EXPECT_EQ(ids.count("org_" + std::to_string(n)), n % 3 == 0 ? 0u : 1u) << n;
  }
  // Every piece counts as a write, kept or rolled back; a commit carries at least one.
  const WriteStats after = store().Stats();
  EXPECT_EQ(after.writes - before.writes, kThreads * kPerThread);
  EXPECT_GE(after.commits - before.commits, 1);
  EXPECT_LE(after.commits - before.commits, after.writes - before.writes);
}

// ---- Submit, shutdown, statistics ----

TEST_P(TransactionsConformance, SubmitCallsItsCallbackOnceWithTheDurableOutcome) {
  auto other = OpenAgain();
  ASSERT_NE(other, nullptr);
  std::atomic<int> calls{0};
  std::promise<Status> kept, failed;
  other->Submit([](WriteTransaction& txn) { return txn.InsertOrg(Org("org_a")); },
                [&](Status s) { calls.fetch_add(1); kept.set_value(std::move(s)); });
  other->Submit([](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.InsertOrg(Org("org_b")));
    return MakeError(ErrorCode::kValidation, "no");
  }, [&](Status s) { calls.fetch_add(1); failed.set_value(std::move(s)); });
  EXPECT_OK(kept.get_future().get());
  EXPECT_EQ(CodeOf(failed.get_future().get()), "kValidation");
  // Once the callback said so, the write is there for everyone: another store reads it.
  auto orgs = MUST(Read()->ListOrgs());
  ASSERT_EQ(orgs.size(), 1u);
  EXPECT_EQ(orgs[0].id, "org_a");
  other.reset();  // nothing left to call back, so no second call can still be on its way
  EXPECT_EQ(calls.load(), 2);
}

TEST_P(TransactionsConformance, DestroyingAStoreFirstRunsEveryQueuedPieceAndItsCallback) {
  auto other = OpenAgain();
  ASSERT_NE(other, nullptr);
  constexpr int kPieces = 30;
  std::atomic<int> ok{0}, calls{0};
  for (int i = 0; i < kPieces; ++i) {
    other->Submit([i](WriteTransaction& txn) { return txn.InsertOrg(Org("org_" + std::to_string(i), kT0 + i)); },
                  [&](Status s) { calls.fetch_add(1); if (s.ok()) ok.fetch_add(1); });
  }
  other.reset();
  EXPECT_EQ(calls.load(), kPieces);
  EXPECT_EQ(ok.load(), kPieces);
  EXPECT_EQ(MUST(Read()->ListOrgs()).size(), static_cast<size_t>(kPieces));
}

TEST_P(TransactionsConformance, StatsCountEveryPieceAndNeverMoreCommitsThanWrites) {
  const WriteStats before = store().Stats();
  MustWrite([](WriteTransaction& txn) { return txn.InsertOrg(Org("org_a")); });
  (void)store().Write([](WriteTransaction&) { return Status(MakeError(ErrorCode::kValidation, "no")); });
  MustWrite([](WriteTransaction& txn) { return txn.InsertOrg(Org("org_b")); });
  const WriteStats after = store().Stats();
  EXPECT_EQ(after.writes - before.writes, 3);
  EXPECT_GE(after.commits - before.commits, 1);
  EXPECT_LE(after.commits, after.writes);
}

// ---- Two stores on one database ----

TEST_P(TransactionsConformance, WhatOneStoreCommitsASecondStoreOnTheSameDatabaseReads) {
  SeedOrg("org_a");
  auto other = OpenAgain();
  ASSERT_NE(other, nullptr);
  auto seen = MUST(other->BeginRead()->FindIdentity("org_a-agent"));
  ASSERT_TRUE(seen.has_value()) << "the second store does not see what was committed before it opened";
  ASSERT_OK(other->Write([](WriteTransaction& txn) { return Applied(txn.SetIdentityRevoked("org_a-agent", kT0 + 3)); }));
  auto revoked = MUST(Read()->FindIdentity("org_a-agent"));
  ASSERT_TRUE(revoked.has_value());
  EXPECT_EQ(revoked->revoked_at, std::optional<UnixMicros>(kT0 + 3));
  MustWrite([](WriteTransaction& txn) { return txn.InsertOrg(Org("org_b", kT0 + 1)); });
  EXPECT_EQ(MUST(other->BeginRead()->ListOrgs()).size(), 2u);
  EXPECT_EQ(Dump(*other->BeginRead()), Dump(*Read()));
}

}  // namespace
}  // namespace coffer::store::conformance
