// The audit trail on PostgreSQL: append, query, scan, checkpoints, prune and the chain's tip, and
// one gapless chain when two nodes append at once.
#include <atomic>
#include <latch>
#include <thread>

#include "audit_chain_support.h"
#include "pg_test_support.h"

namespace coffer::testing {
namespace {

store::AuditRecord Record(const std::string& org, const std::string& actor, const std::string& action,
                          const std::string& target, UnixMicros at) {
  store::AuditRecord r;
  r.org_id = org;
  r.actor_id = actor;
  r.actor_name = "Name of " + actor;
  r.actor_kind = actor.empty() ? "" : "agent";
  r.chain_ids = {"idn_root", actor};
  r.token_id = "tok_x";
  r.source_ip = "127.0.0.1";
  r.user_agent = "curl/8";
  r.request_id = "req_" + std::to_string(at);
  r.action = action;
  r.target = target;
  r.target_version = 3;
  r.at = at;
  return r;
}

class PostgresAuditTest : public PostgresTest {};

TEST_F(PostgresAuditTest, RecordsAppendQueryScanAndMoveTheTip) {
  auto s = OpenStore();
  ASSERT_NE(s, nullptr);
  auto empty = s->BeginRead()->ReadAuditChainTip();
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->last_seq, 0);
  EXPECT_TRUE(empty->last_hash.empty());
  EXPECT_EQ(empty->last_checkpoint_seq, 0);

  // Several records in one write: the transaction chains them from the tip it keeps.
  ASSERT_TRUE(s->Write([](store::WriteTransaction& txn) -> Status {
                 COFFER_TRY(AppendChained(txn, Record("org_1", "idn_a", "credential.read", "stripe", 10)));
                 COFFER_TRY(AppendChained(txn, Record("org_1", "idn_b", "credential.write", "github", 20)));
                 return AppendChained(txn, Record("", "", "auth.failure", "", 30));
               }).ok());
  ASSERT_TRUE(s->Write([](store::WriteTransaction& txn) {
                 auto r = Record("org_2", "idn_c", "identity.revoke", "idn_a", 40);
                 r.outcome = "denied";
                 r.target_version.reset();
                 return AppendChained(txn, r);
               }).ok());

  auto read = s->BeginRead();
  auto tip = read->ReadAuditChainTip();
  ASSERT_TRUE(tip.ok());
  EXPECT_EQ(tip->last_seq, 4);
  auto all = read->ScanAudit(0, 100);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  ExpectOneChain(*all, 1);
  EXPECT_EQ(tip->last_hash, all->back().hash);
  const auto& first = (*all)[0];
  EXPECT_EQ(first.chain_ids, (std::vector<std::string>{"idn_root", "idn_a"}));
  EXPECT_EQ(first.actor_name, "Name of idn_a");
  EXPECT_EQ(first.user_agent, "curl/8");
  EXPECT_EQ(first.target_version, 3);
  EXPECT_FALSE((*all)[3].target_version);
  EXPECT_EQ(read->ScanAudit(2, 1)->front().seq, 3);

  store::AuditQuery q;
  q.org_id = "org_1";
  auto org1 = read->QueryAudit(q);
  ASSERT_TRUE(org1.ok());
  ASSERT_EQ(org1->size(), 2u);
  EXPECT_EQ((*org1)[0].seq, 2);  // newest first
  q.include_server_records = true;
  EXPECT_EQ(read->QueryAudit(q)->size(), 3u);
  q.include_server_records = false;
  q.action = "credential";  // a prefix up to a dot
  EXPECT_EQ(read->QueryAudit(q)->size(), 2u);
  q.action = "credential.read";
  EXPECT_EQ(read->QueryAudit(q)->size(), 1u);
  q.action = "";
  q.actor_id = "idn_b";
  EXPECT_EQ(read->QueryAudit(q)->size(), 1u);
  q.actor_id = "";
  q.text = "GITHUB";  // case-insensitive
  EXPECT_EQ(read->QueryAudit(q)->size(), 1u);
  q.text = "";
  q.within_chain_of = "idn_a";
  EXPECT_EQ(read->QueryAudit(q)->size(), 1u);
  q.within_chain_of = "idn_roo";  // whole ids only
  EXPECT_TRUE(read->QueryAudit(q)->empty());
  q.within_chain_of.reset();
  q.subtree_of = "idn_root";
  EXPECT_EQ(read->QueryAudit(q)->size(), 2u);
  q.subtree_of.reset();
  q.since = 15;
  EXPECT_EQ(read->QueryAudit(q)->size(), 1u);
  q.since.reset();
  q.until = 15;
  EXPECT_EQ(read->QueryAudit(q)->size(), 1u);
  q.until.reset();
  q.before_seq = 2;
  EXPECT_EQ(read->QueryAudit(q)->size(), 1u);
  q.before_seq.reset();
  q.limit = 1;
  EXPECT_EQ(read->QueryAudit(q)->size(), 1u);
  store::AuditQuery denied;
  denied.org_id = "org_2";
  denied.outcome = "denied";
  denied.target = "idn_a";
  EXPECT_EQ(read->QueryAudit(denied)->size(), 1u);
  denied.target = "other";
  denied.target_digest = "idn_a";  // a failed request's target is matched by its digest too
  EXPECT_EQ(read->QueryAudit(denied)->size(), 1u);
  EXPECT_EQ(*read->LastAuditSeqBefore(25), 2);
  EXPECT_FALSE(*read->LastAuditSeqBefore(5));
}

TEST_F(PostgresAuditTest, CheckpointsKeysAndPruningKeepTheNumberingGoing) {
  auto s = OpenStore();
  ASSERT_NE(s, nullptr);
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(s->Write([i](store::WriteTransaction& txn) {
                   return AppendChained(txn, Record("org_1", "idn_a", "credential.read", "x", i * 10));
                 }).ok());
  }
  auto scanned = s->BeginRead()->ScanAudit(0, 10);
  ASSERT_TRUE(scanned.ok());
  const auto hash3 = (*scanned)[2].hash;
  ASSERT_TRUE(s->Write([&](store::WriteTransaction& txn) -> Status {
                 COFFER_TRY(txn.PutAuditCheckpoint({3, hash3, 99, {1, 2, 3}}));
                 COFFER_TRY(txn.PutAuditCheckpoint({3, {0}, 100, {9}}));  // the first one stays
                 COFFER_TRY(txn.PutAuditKey({1, {4, 4}, 50}));
                 return txn.PutAuditKey({2, {5, 5}, 60});
               }).ok());
  auto read = s->BeginRead();
  auto checkpoints = read->ListAuditCheckpoints();
  ASSERT_TRUE(checkpoints.ok());
  ASSERT_EQ(checkpoints->size(), 1u);
  EXPECT_EQ((*checkpoints)[0].hash, hash3);
  EXPECT_EQ((*checkpoints)[0].signature, (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(read->ListAuditKeys()->size(), 2u);
  EXPECT_EQ(read->ReadAuditChainTip()->last_checkpoint_seq, 3);
  read.reset();

  ASSERT_TRUE(s->Write([](store::WriteTransaction& txn) { return txn.PruneAudit(3); }).ok());
  read = s->BeginRead();
  auto rest = read->ScanAudit(0, 10);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ(rest->front().seq, 4);
  EXPECT_EQ(read->ReadAuditChainTip()->last_seq, 5);
  read.reset();

  // Pruning everything empties the tip; a checkpoint above it keeps new records after it.
  ASSERT_TRUE(s->Write([&](store::WriteTransaction& txn) -> Status {
                 COFFER_TRY(txn.PutAuditCheckpoint({7, {7}, 101, {7}}));
                 return txn.PruneAudit(5);
               }).ok());
  auto tip = s->BeginRead()->ReadAuditChainTip();
  EXPECT_EQ(tip->last_seq, 0);
  EXPECT_TRUE(tip->last_hash.empty());
  EXPECT_EQ(tip->last_checkpoint_seq, 7);
  ASSERT_TRUE(s->Write([](store::WriteTransaction& txn) {
                 return AppendChained(txn, Record("org_1", "idn_a", "credential.read", "x", 60));
               }).ok());
  EXPECT_EQ(s->BeginRead()->ScanAudit(0, 10)->front().seq, 8);
}

TEST_F(PostgresAuditTest, ARolledBackAppendLeavesNoTraceInTheChain) {
  auto s = OpenStore();
  ASSERT_NE(s, nullptr);
  // In one group: an append, an append whose work then fails, an append. The tip the
  // transaction remembered from the failed one must be forgotten.
  std::vector<Status> outcomes(3);
  std::latch done(3);
  std::latch hold(1);
  s->Submit([&](store::WriteTransaction&) { hold.wait(); return Status::Ok(); }, [](Status) {});
  for (int i = 0; i < 3; ++i) {
    s->Submit(
        [i](store::WriteTransaction& txn) -> Status {
          COFFER_TRY(AppendChained(txn, Record("org_1", "idn_a", "credential.read", std::to_string(i), 10 + i)));
          if (i == 1) return MakeError(ErrorCode::kInvalidArgument, "refused after appending");
          return Status::Ok();
        },
        [&, i](Status st) {
          outcomes[static_cast<size_t>(i)] = st;
          done.count_down();
        });
  }
  hold.count_down();
  done.wait();
  EXPECT_TRUE(outcomes[0].ok());
  EXPECT_FALSE(outcomes[1].ok());
  EXPECT_TRUE(outcomes[2].ok());
  auto all = s->BeginRead()->ScanAudit(0, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  ExpectOneChain(*all, 1);
  EXPECT_EQ((*all)[1].target, "2");
}

TEST_F(PostgresAuditTest, TwoNodesAppendingAtOnceFormOneGaplessChain) {
  auto node_a = OpenStore();
  auto node_b = OpenStore();
  ASSERT_NE(node_a, nullptr);
  ASSERT_NE(node_b, nullptr);
  constexpr int kThreadsPerNode = 4;
  constexpr int kRecordsPerThread = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int node = 0; node < 2; ++node) {
    store::Store& s = node == 0 ? *node_a : *node_b;
    for (int t = 0; t < kThreadsPerNode; ++t) {
      threads.emplace_back([&s, &failures, node, t] {
        for (int i = 0; i < kRecordsPerThread; ++i) {
          auto r = Record("org_1", "idn_" + std::to_string(node), "credential.read",
                          std::to_string(t) + "/" + std::to_string(i), 1000 + i);
          r.request_id = "req_" + std::to_string(node) + "_" + std::to_string(t) + "_" + std::to_string(i);
          if (!s.Write([&](store::WriteTransaction& txn) { return AppendChained(txn, r); }).ok()) ++failures;
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  const int total = 2 * kThreadsPerNode * kRecordsPerThread;
  // Either node reads the same chain: 1..N, each linked to the one before.
  for (store::Store* s : {static_cast<store::Store*>(node_a.get()), static_cast<store::Store*>(node_b.get())}) {
    auto all = s->BeginRead()->ScanAudit(0, total + 10);
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(static_cast<int>(all->size()), total);
    ExpectOneChain(*all, 1);
    EXPECT_EQ(s->BeginRead()->ReadAuditChainTip()->last_seq, total);
  }
}

}  // namespace
}  // namespace coffer::testing
