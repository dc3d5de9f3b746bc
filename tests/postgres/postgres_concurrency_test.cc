// Group commit on PostgreSQL, and two nodes (two PostgresStores) on one database.
#include <atomic>
#include <latch>
#include <thread>

#include "pg_test_support.h"

namespace coffer::testing {
namespace {

store::IdentityRecord Agent(const std::string& id) {
  store::IdentityRecord r;
  r.id = id;
  r.org_id = "org_1";
  r.name = id;
  r.kind = "agent";
  r.created_at = 1;
  return r;
}

store::CredentialRecord Version(int version) {
  store::CredentialRecord r;
  r.info.id = "cred_shared";
  r.info.org_id = "org_1";
  r.info.identity_id = "idn_a";
  r.info.name = "shared";
  r.info.version = version;
  r.info.created_at = 1;
  r.info.updated_at = version;
  r.blob = {1, 0, 0, 0, 1, static_cast<uint8_t>(version)};
  return r;
}

class PostgresConcurrencyTest : public PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    if (IsSkipped()) return;
    node_a_ = OpenStore();
    ASSERT_NE(node_a_, nullptr);
    ASSERT_TRUE(node_a_->Write([](store::WriteTransaction& txn) -> Status {
                  COFFER_TRY(txn.InsertOrg({"org_1", "acme", 1}));
                  return txn.InsertIdentity(Agent("idn_a"));
                }).ok());
  }
  std::unique_ptr<store::postgres::PostgresStore> node_a_;
};

TEST_F(PostgresConcurrencyTest, ManyThreadsWritingAtOnceAreEachAnsweredAndShareCommits) {
  constexpr int kThreads = 12;
  constexpr int kWritesPerThread = 20;
  const store::WriteStats before = node_a_->Stats();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        const std::string id = "idn_" + std::to_string(t) + "_" + std::to_string(i);
        if (!node_a_->Write([&](store::WriteTransaction& txn) { return txn.InsertIdentity(Agent(id)); }).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  const store::WriteStats after = node_a_->Stats();
  EXPECT_EQ(after.writes - before.writes, kThreads * kWritesPerThread);
  EXPECT_GE(after.commits - before.commits, 1);
  EXPECT_LE(after.commits - before.commits, after.writes - before.writes);
  EXPECT_EQ(node_a_->BeginRead()->ListIdentities("org_1")->size(), size_t{kThreads * kWritesPerThread + 1});
}

TEST_F(PostgresConcurrencyTest, AFailingPieceOfWorkRollsBackAloneWhileTheOthersCommit) {
  // Hold the writer on a first piece of work so the next ones queue up and commit as one group.
  std::latch hold(1);
  std::latch answered(5);
  std::vector<Status> outcomes(5);
  node_a_->Submit([&](store::WriteTransaction&) { hold.wait(); return Status::Ok(); }, [](Status) {});
  const store::WriteStats before = node_a_->Stats();
  auto submit = [&](int i, store::WriteWork work) {
    node_a_->Submit(std::move(work), [&, i](Status s) {
      outcomes[static_cast<size_t>(i)] = std::move(s);
      answered.count_down();
    });
  };
  submit(0, [](store::WriteTransaction& txn) { return txn.InsertIdentity(Agent("idn_0")); });
  // Writes, then fails: what it wrote is undone.
  submit(1, [](store::WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.InsertIdentity(Agent("idn_1")));
    return MakeError(ErrorCode::kValidation, "refused after writing");
  });
  // A statement fails (duplicate key): PostgreSQL aborts the transaction until the rollback to
  // this piece's savepoint, after which the group goes on.
  submit(2, [](store::WriteTransaction& txn) { return txn.InsertIdentity(Agent("idn_a")); });
  // A statement fails but the work ignores it and reports success: it must not commit, nor
  // poison the others.
  submit(3, [](store::WriteTransaction& txn) -> Status {
    (void)txn.InsertIdentity(Agent("idn_3"));
    (void)txn.InsertIdentity(Agent("idn_a"));
    return Status::Ok();
  });
  submit(4, [](store::WriteTransaction& txn) { return txn.InsertIdentity(Agent("idn_4")); });
  hold.count_down();
  answered.wait();

  EXPECT_TRUE(outcomes[0].ok());
  ASSERT_FALSE(outcomes[1].ok());
  EXPECT_EQ(outcomes[1].error().code, ErrorCode::kValidation);
  ASSERT_FALSE(outcomes[2].ok());
  EXPECT_EQ(outcomes[2].error().code, ErrorCode::kConflict);
  EXPECT_FALSE(outcomes[3].ok());
  EXPECT_TRUE(outcomes[4].ok());
  auto read = node_a_->BeginRead();
  EXPECT_TRUE(read->FindIdentity("idn_0")->has_value());
  EXPECT_FALSE(read->FindIdentity("idn_1")->has_value());
  EXPECT_FALSE(read->FindIdentity("idn_3")->has_value());
  EXPECT_TRUE(read->FindIdentity("idn_4")->has_value());
  EXPECT_EQ(node_a_->Stats().writes - before.writes, 5 + 1);  // the holding work counts too
}

TEST_F(PostgresConcurrencyTest, AWriteThroughOneNodeIsReadByTheOtherAtOnce) {
  auto node_b = OpenStore();
  ASSERT_NE(node_b, nullptr);
  auto before = node_b->BeginRead();  // a snapshot taken before the write keeps not seeing it
  ASSERT_TRUE(before->ListOrgs().ok());
  ASSERT_TRUE(node_a_->Write([](store::WriteTransaction& txn) { return txn.InsertIdentity(Agent("idn_new")); }).ok());
  EXPECT_TRUE(node_b->BeginRead()->FindIdentity("idn_new")->has_value());
  EXPECT_FALSE(before->FindIdentity("idn_new")->has_value());
  ASSERT_TRUE(node_b->Write([](store::WriteTransaction& txn) { return txn.InsertIdentity(Agent("idn_from_b")); }).ok());
  EXPECT_TRUE(node_a_->BeginRead()->FindIdentity("idn_from_b")->has_value());
  // The same primary key inserted on both nodes: the second is a conflict.
  Status again = node_b->Write([](store::WriteTransaction& txn) { return txn.InsertIdentity(Agent("idn_new")); });
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
}

// Both nodes write the same next version at the same moment, each after reading the current one.
// (The nodes' write groups take turns on the audit tip, so the second reads after the first
// commits; either way, the version check is what refuses the second.)
void RaceForVersion(store::Store& a, store::Store& b, int version, std::vector<Status>& outcomes) {
  std::latch start(2);
  auto work = [&](store::WriteTransaction& txn) -> Status {
    auto current = txn.FindCredential("org_1", "idn_a", "shared", std::nullopt);
    if (!current.ok()) return current.error();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // widen the window
    return txn.PutCredentialVersion(Version(version));
  };
  std::thread ta([&] { start.arrive_and_wait(); outcomes[0] = a.Write(work); });
  std::thread tb([&] { start.arrive_and_wait(); outcomes[1] = b.Write(work); });
  ta.join();
  tb.join();
}

TEST_F(PostgresConcurrencyTest, TwoNodesWritingOneCredentialAtOnceConflictInsteadOfLosingAnUpdate) {
  auto node_b = OpenStore();
  ASSERT_NE(node_b, nullptr);
  for (int version : {1, 2}) {
    std::vector<Status> outcomes(2);
    RaceForVersion(*node_a_, *node_b, version, outcomes);
    ASSERT_NE(outcomes[0].ok(), outcomes[1].ok()) << "both or neither of two writes of one version landed";
    const Status& lost = outcomes[0].ok() ? outcomes[1] : outcomes[0];
    EXPECT_EQ(lost.error().code, ErrorCode::kConflict) << lost.error().message;
  }
  auto current = node_b->BeginRead()->FindCredential("org_1", "idn_a", "shared", std::nullopt);
  ASSERT_TRUE(current.ok() && *current);
  EXPECT_EQ((*current)->info.version, 2);
  EXPECT_EQ(Sql("SELECT count(*) FROM credential_versions"), "2");
}

TEST_F(PostgresConcurrencyTest, ASecondFactorStepIsAcceptedByOneNodeOnly) {
  ASSERT_TRUE(node_a_->Write([](store::WriteTransaction& txn) -> Status {
                COFFER_TRY(txn.InsertIdentity(Agent("idn_h")));
                COFFER_TRY(txn.InsertHuman({"idn_h", "alice", "hash", {}, false, 0}));
                return txn.SetHumanTotp("idn_h", {1, 2}, true);
              }).ok());
  auto node_b = OpenStore();
  ASSERT_NE(node_b, nullptr);
  // The vault's check, inside each node's writer: the step must be newer than the stored one.
  std::latch started(2);
  std::atomic<int> accepted{0};
  auto login = [&](store::Store& s) {
    started.arrive_and_wait();
    Status st = s.Write([&](store::WriteTransaction& txn) -> Status {
      auto human = txn.FindHumanByIdentity("idn_h");
      if (!human.ok()) return human.error();
      if ((*human)->totp_last_step >= 777) return MakeError(ErrorCode::kUnauthenticated, "already used");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // widen the window
      return txn.SetHumanTotpLastStep("idn_h", 777);
    });
    if (st.ok()) ++accepted;
  };
  std::thread ta([&] { login(*node_a_); });
  std::thread tb([&] { login(*node_b); });
  ta.join();
  tb.join();
  EXPECT_EQ(accepted.load(), 1);
}

}  // namespace
}  // namespace coffer::testing
