// The audit trail: appends and the chain tip, the filters of QueryAudit, scanning, keys,
// checkpoints, retention, and one gapless chain across every writer.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "conformance_fixture.h"

namespace coffer::store::conformance {
namespace {

class AuditConformance : public ConformanceTest {
 protected:
  std::vector<int64_t> Seqs(const AuditQuery& query) {
    std::vector<int64_t> seqs;
    for (const auto& r : MUST(Read()->QueryAudit(query))) seqs.push_back(r.seq);
    return seqs;
  }
  void Append(AuditRecord record) {
    MustWrite([&](WriteTransaction& txn) -> Status {
      auto seq = AppendNext(txn, record);
      return seq.ok() ? Status::Ok() : Status(seq.error());
    });
  }
  // Expects the chain to hold exactly 1..n, each once.
  void ExpectGaplessChain(int64_t n) {
    auto records = MUST(Read()->ScanAudit(0, static_cast<int>(n) + 10));
    ASSERT_EQ(records.size(), static_cast<size_t>(n));
    std::set<std::string> ids;
    for (size_t i = 0; i < records.size(); ++i) {
      EXPECT_EQ(records[i].seq, static_cast<int64_t>(i + 1));
      ids.insert(records[i].id);
    }
    EXPECT_EQ(ids.size(), records.size()) << "a record was appended twice";
    EXPECT_EQ(MUST(Read()->ReadAuditChainTip()).last_seq, n);
  }
};
COFFER_CONFORMANCE_SUITE(AuditConformance);

TEST_P(AuditConformance, AnAppendedRecordRoundTripsEveryField) {
  AuditRecord full = AuditEvent("org_a", "credential.read", kT0 + 7);
  AuditRecord bare = AuditEvent("", "server.start", kT0 + 8);
  bare.chain_ids = {};
  bare.target_version = std::nullopt;
  bare.actor_id = bare.actor_name = bare.token_id = "";
  bare.actor_kind = "server";
  Append(full);
  Append(bare);
  auto records = MUST(Read()->ScanAudit(0, 10));
  ASSERT_EQ(records.size(), 2u);
  const AuditRecord& got = records[0];
  EXPECT_EQ(got.seq, 1);
  EXPECT_EQ(got.id, full.id);
  EXPECT_EQ(got.at, full.at);
  EXPECT_EQ(got.org_id, full.org_id);
  EXPECT_EQ(got.actor_id, full.actor_id);
  EXPECT_EQ(got.actor_name, full.actor_name);
  EXPECT_EQ(got.actor_kind, full.actor_kind);
  EXPECT_EQ(got.chain_ids, full.chain_ids);
  EXPECT_EQ(got.token_id, full.token_id);
  EXPECT_EQ(got.source_ip, full.source_ip);
  EXPECT_EQ(got.user_agent, full.user_agent);
  EXPECT_EQ(got.request_id, full.request_id);
  EXPECT_EQ(got.action, full.action);
  EXPECT_EQ(got.target, full.target);
  EXPECT_EQ(got.target_version, full.target_version);
  EXPECT_EQ(got.outcome, full.outcome);
  EXPECT_EQ(got.reason, full.reason);
  std::vector<uint8_t> hash(32, 1);  // as AppendNext made it for seq 1
  hash[0] = 0;
  EXPECT_EQ(got.hash, hash);
  EXPECT_EQ(records[1].seq, 2);
  EXPECT_TRUE(records[1].chain_ids.empty());
  EXPECT_FALSE(records[1].target_version.has_value());
  EXPECT_EQ(records[1].actor_kind, "server");
}

TEST_P(AuditConformance, TheChainTipFollowsAppendsInsideAndOutsideAWrite) {
  MustWrite([](WriteTransaction& txn) -> Status {
    auto empty = txn.ReadAuditChainTip();
    EXPECT_TRUE(empty.ok() && empty->last_seq == 0 && empty->last_hash.empty());
    EXPECT_EQ(MUST(AppendNext(txn, AuditEvent("org_a", "a"))), 1);
    EXPECT_EQ(MUST(AppendNext(txn, AuditEvent("org_a", "b"))), 2);
    auto inside = txn.ReadAuditChainTip();
    EXPECT_TRUE(inside.ok() && inside->last_seq == 2) << "the write does not see its own appends";
    return Status::Ok();
  });
  auto outside = MUST(Read()->ReadAuditChainTip());
  EXPECT_EQ(outside.last_seq, 2);
  EXPECT_EQ(outside.last_hash, MUST(Read()->ScanAudit(1, 1))[0].hash);
  EXPECT_EQ(outside.last_checkpoint_seq, 0);
  MustWrite([](WriteTransaction& txn) -> Status {
    EXPECT_EQ(MUST(txn.ReadAuditChainTip()).last_seq, 2);
    EXPECT_EQ(MUST(AppendNext(txn, AuditEvent("org_a", "c"))), 3);
    return Status::Ok();
  });
}

TEST_P(AuditConformance, ACheckpointMovesTheTipAndAnExistingOneForTheSameRecordIsKept) {
  for (int i = 0; i < 3; ++i) Append(AuditEvent("org_a", "a"));
  MustWrite([](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.PutAuditCheckpoint(AuditCheckpointRecord{2, {0xaa}, kT0, {0x01}}));
    COFFER_TRY(txn.PutAuditCheckpoint(AuditCheckpointRecord{2, {0xbb}, kT0 + 1, {0x02}}));
    EXPECT_EQ(MUST(txn.ReadAuditChainTip()).last_checkpoint_seq, 2);
    return txn.PutAuditCheckpoint(AuditCheckpointRecord{1, {0xcc}, kT0 + 2, {0x03}});
  });
  auto checkpoints = MUST(Read()->ListAuditCheckpoints());
  ASSERT_EQ(checkpoints.size(), 2u);
  EXPECT_EQ(checkpoints[0].seq, 1) << "oldest first";
  EXPECT_EQ(checkpoints[1].seq, 2);
  EXPECT_EQ(checkpoints[1].hash, (std::vector<uint8_t>{0xaa})) << "a checkpoint that existed was replaced";
  EXPECT_EQ(checkpoints[1].at, kT0);
  EXPECT_EQ(checkpoints[1].signature, (std::vector<uint8_t>{0x01}));
  EXPECT_EQ(MUST(Read()->ReadAuditChainTip()).last_checkpoint_seq, 2);
  // A checkpoint past the last record (the tail was cut off): numbering goes on after it.
  MustWrite([](WriteTransaction& txn) { return txn.PutAuditCheckpoint(AuditCheckpointRecord{9, {1}, kT0, {1}}); });
  MustWrite([](WriteTransaction& txn) -> Status {
    EXPECT_EQ(MUST(AppendNext(txn, AuditEvent("org_a", "after"))), 10);
    return Status::Ok();
  });
}

TEST_P(AuditConformance, ScanAuditWalksOldestFirstAfterASeqUpToALimit) {
  for (int i = 0; i < 5; ++i) Append(AuditEvent("org_" + std::to_string(i), "a"));
  auto seqs = [&](int64_t after, int limit) {
    std::vector<int64_t> out;
    for (const auto& r : MUST(Read()->ScanAudit(after, limit))) out.push_back(r.seq);
    return out;
  };
  EXPECT_EQ(seqs(0, 100), (std::vector<int64_t>{1, 2, 3, 4, 5})) << "every org's records, and the server's";
  EXPECT_EQ(seqs(2, 2), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(seqs(4, 100), (std::vector<int64_t>{5}));
  EXPECT_TRUE(seqs(5, 100).empty());
}

TEST_P(AuditConformance, QueryAuditAppliesEveryFilterNewestFirst) {
  AuditRecord r1 = AuditEvent("org_a", "credential.read", kT0 + 1);
  AuditRecord r2 = AuditEvent("org_a", "credential.write", kT0 + 2);
  r2.actor_id = "org_a-owner";
  r2.chain_ids = {"org_a-owner"};
  r2.target = "github";
  r2.reason = "Rotated by hand";
  AuditRecord r3 = AuditEvent("org_a", "credentials.list", kT0 + 3);
  AuditRecord r4 = AuditEvent("org_b", "credential.read", kT0 + 4);
  AuditRecord r5 = AuditEvent("", "audit.prune", kT0 + 5);
  r5.actor_kind = "server";
  r5.chain_ids = {};
  AuditRecord r6 = AuditEvent("org_a", "credential.read", kT0 + 6);
  r6.outcome = "denied";
  r6.target = "digest:abc";
  r6.source_ip = "198.51.100.9";
  AuditRecord r7 = AuditEvent("org_a", "identity.create", kT0 + 7);
  r7.actor_id = "org_a-agentx";
  r7.actor_name = "Nightly Deployer";
  r7.chain_ids = {"org_a-owner", "org_a-agentx"};
  for (const auto& r : {r1, r2, r3, r4, r5, r6, r7}) Append(r);

  auto q = [] {
    AuditQuery query;
    query.org_id = "org_a";
    return query;
  };
  using Seq = std::vector<int64_t>;
  EXPECT_EQ(Seqs(q()), (Seq{7, 6, 3, 2, 1})) << "one org's records, newest first";
  AuditQuery with_server = q();
  with_server.include_server_records = true;
  EXPECT_EQ(Seqs(with_server), (Seq{7, 6, 5, 3, 2, 1}));

  // Chains match whole ids; a record must satisfy both chain filters.
  AuditQuery chain = q();
  chain.within_chain_of = "org_a-agent";
  EXPECT_EQ(Seqs(chain), (Seq{6, 3, 1})) << "org_a-agent matched inside org_a-agentx";
  chain.within_chain_of = "org_a-owner";
  EXPECT_EQ(Seqs(chain), (Seq{7, 6, 3, 2, 1}));
  chain.subtree_of = "org_a-agentx";
  EXPECT_EQ(Seqs(chain), (Seq{7}));
  chain.within_chain_of = "org_a-agent";
  EXPECT_TRUE(Seqs(chain).empty());

  AuditQuery actor = q();
  actor.actor_id = "org_a-owner";
  EXPECT_EQ(Seqs(actor), (Seq{2}));

  AuditQuery action = q();
  action.action = "credential";
  EXPECT_EQ(Seqs(action), (Seq{6, 2, 1})) << "a family matches at a '.', so credentials.list is not in it";
  action.action = "credential.read";
  EXPECT_EQ(Seqs(action), (Seq{6, 1}));
  action.action = "credentials.list";
  EXPECT_EQ(Seqs(action), (Seq{3}));

  AuditQuery target = q();
  target.target = "stripe";
  EXPECT_EQ(Seqs(target), (Seq{7, 3, 1}));
  target.target_digest = "digest:abc";
  EXPECT_EQ(Seqs(target), (Seq{7, 6, 3, 1})) << "a failed request's digest matches too";

  AuditQuery outcome = q();
  outcome.outcome = "denied";
  EXPECT_EQ(Seqs(outcome), (Seq{6}));

  // Free text: case-insensitive, in actor name, action, target, reason and source address.
  for (const auto& [text, want] : std::vector<std::pair<std::string, Seq>>{
           {"ROTATED", {2}}, {"deployer", {7}}, {"credentials.li", {3}}, {"GitHub", {2}}, {"198.51.100", {6}}}) {
    AuditQuery search = q();
    search.text = text;
    EXPECT_EQ(Seqs(search), want) << "text " << text;
  }

  AuditQuery window = q();
  window.since = kT0 + 2;
  window.until = kT0 + 6;
  EXPECT_EQ(Seqs(window), (Seq{3, 2})) << "since is inclusive, until exclusive";

  AuditQuery page = q();
  page.before_seq = 6;
  EXPECT_EQ(Seqs(page), (Seq{3, 2, 1}));
  page.limit = 2;
  EXPECT_EQ(Seqs(page), (Seq{3, 2}));

  AuditQuery combined = q();
  combined.action = "credential";
  combined.outcome = "ok";
  combined.before_seq = 7;
  EXPECT_EQ(Seqs(combined), (Seq{2, 1}));

  AuditQuery other = q();
  other.org_id = "org_b";
  EXPECT_EQ(Seqs(other), (Seq{4}));
}

TEST_P(AuditConformance, LastAuditSeqBeforeFindsTheNewestRecordStrictlyBeforeACutoff) {
  for (UnixMicros at : {kT0 + 10, kT0 + 20, kT0 + 30}) Append(AuditEvent("org_a", "a", at));
  auto read = Read();
  EXPECT_FALSE(MUST(read->LastAuditSeqBefore(kT0 + 10)).has_value());
  EXPECT_EQ(MUST(read->LastAuditSeqBefore(kT0 + 11)), std::optional<int64_t>(1));
  EXPECT_EQ(MUST(read->LastAuditSeqBefore(kT0 + 20)), std::optional<int64_t>(1));
  EXPECT_EQ(MUST(read->LastAuditSeqBefore(kT0 + 21)), std::optional<int64_t>(2));
  EXPECT_EQ(MUST(read->LastAuditSeqBefore(kT0 + 1'000'000)), std::optional<int64_t>(3));
}

TEST_P(AuditConformance, PruneAuditDeletesThroughASeqAndTheCheckpointKeepsTheNumberingGoing) {
  for (int i = 0; i < 5; ++i) Append(AuditEvent("org_a", "a", kT0 + i));
  MustWrite([](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.PutAuditCheckpoint(AuditCheckpointRecord{3, {3}, kT0, {3}}));
    return txn.PruneAudit(3);
  });
  auto left = MUST(Read()->ScanAudit(0, 10));
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].seq, 4);
  EXPECT_EQ(MUST(Read()->ReadAuditChainTip()).last_seq, 5);
  EXPECT_EQ(MUST(Read()->LastAuditSeqBefore(kT0 + 3)), std::nullopt) << "pruned records are still found";
  // Everything pruned, behind a checkpoint: the next record still comes after it.
  MustWrite([](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.PutAuditCheckpoint(AuditCheckpointRecord{5, {5}, kT0, {5}}));
    COFFER_TRY(txn.PruneAudit(5));
    EXPECT_TRUE(MUST(txn.ScanAudit(0, 10)).empty());
    EXPECT_EQ(MUST(AppendNext(txn, AuditEvent("org_a", "audit.prune"))), 6);
    return Status::Ok();
  });
  EXPECT_EQ(MUST(Read()->ReadAuditChainTip()).last_seq, 6);
  EXPECT_EQ(MUST(Read()->ListAuditCheckpoints()).size(), 2u) << "pruning records removed checkpoints";
}

TEST_P(AuditConformance, AuditKeysArePutReplacedAndListedByVersion) {
  MustWrite([](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.PutAuditKey(AuditKeyRecord{2, {2}, kT0 + 2}));
    COFFER_TRY(txn.PutAuditKey(AuditKeyRecord{1, {1}, kT0 + 1}));
    return txn.PutAuditKey(AuditKeyRecord{1, {9, 9}, kT0 + 1});  // re-wrapped under a new root
  });
  auto keys = MUST(Read()->ListAuditKeys());
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].version, 1u);
  EXPECT_EQ(keys[0].wrapped, (std::vector<uint8_t>{9, 9}));
  EXPECT_EQ(keys[0].created_at, kT0 + 1);
  EXPECT_EQ(keys[1].version, 2u);
}

TEST_P(AuditConformance, ManyThreadsAppendingThroughSubmitAreNumberedOneToNWithoutGapsOrDuplicates) {
  constexpr int kThreads = 8, kPerThread = 50;
  std::mutex mutex;
  std::condition_variable cv;
  int done = 0, failed = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        store().Submit(
            [record = AuditEvent("org_" + std::to_string(t), "credential.read")](WriteTransaction& txn) -> Status {
              auto seq = AppendNext(txn, record);
              return seq.ok() ? Status::Ok() : Status(seq.error());
            },
            [&](Status s) {
              std::lock_guard lock(mutex);
              ++done;
              if (!s.ok()) ++failed;
              cv.notify_all();
            });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return done == kThreads * kPerThread; });
  }
  EXPECT_EQ(failed, 0);
  ExpectGaplessChain(kThreads * kPerThread);
}

TEST_P(AuditConformance, AppendsFromTwoStoresOnOneDatabaseFormOneChainWithoutGaps) {
  auto other = OpenAgain();
  ASSERT_NE(other, nullptr);
  constexpr int kThreadsPerStore = 2, kPerThread = 40;
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (Store* s : {&store(), other.get()}) {
    for (int t = 0; t < kThreadsPerStore; ++t) {
      threads.emplace_back([&, s] {
        for (int i = 0; i < kPerThread; ++i) {
          Status written = s->Write([](WriteTransaction& txn) -> Status {
            auto seq = AppendNext(txn, AuditEvent("org_a", "credential.read"));
            return seq.ok() ? Status::Ok() : Status(seq.error());
          });
          if (!written.ok()) failed.fetch_add(1);
        }
      });
    }
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), 0) << "appends from two stores failed instead of being serialised";
  ExpectGaplessChain(2 * kThreadsPerStore * kPerThread);
  EXPECT_EQ(MUST(other->BeginRead()->ReadAuditChainTip()).last_seq, 2 * kThreadsPerStore * kPerThread);
}

}  // namespace
}  // namespace coffer::store::conformance
