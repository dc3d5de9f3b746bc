// Audit records queued behind a reply barrier: the request's thread goes on at once, and the reply
// may leave only when the barrier says every record is on disk, or must fail when one is not.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>
#include <vector>
#include <unistd.h>

#include "core/durability_barrier.h"
#include "keyring/keyring.h"
#include "keyring/root_key_provider.h"
#include "store/sqlite/sqlite_store.h"
#include "vault/audit_log.h"

namespace coffer::vault {
namespace {

TEST(DurabilityBarrierTest, NothingPendingAnswersAtOnce) {
  auto barrier = std::make_shared<DurabilityBarrier>();
  std::optional<Status> outcome;
  barrier->WhenDone([&](Status s) { outcome = std::move(s); });
  ASSERT_TRUE(outcome.has_value());
  EXPECT_TRUE(outcome->ok());
}

TEST(DurabilityBarrierTest, WaitsForEveryWriteAndReportsTheFirstFailure) {
  auto barrier = std::make_shared<DurabilityBarrier>();
  auto first = barrier->Expect();
  auto second = barrier->Expect();
  auto third = barrier->Expect();
  std::optional<Status> outcome;
  barrier->WhenDone([&](Status s) { outcome = std::move(s); });
  first(Status::Ok());
  second(MakeError(ErrorCode::kUnavailable, "disk full"));
  EXPECT_FALSE(outcome.has_value()) << "answered before the last write finished";
  third(MakeError(ErrorCode::kInternal, "later failure"));
  ASSERT_TRUE(outcome.has_value());
  ASSERT_FALSE(outcome->ok());
  EXPECT_EQ(outcome->error().message, "disk full");
}

class DeferredAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("coffer-deferred-audit-" + std::to_string(::getpid()) + "-" +
                                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    auto store = store::sqlite::SqliteStore::Open((dir_ / "coffer.db").string());
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
    AuditOptions options;
    options.fault_file = (dir_ / "fail-audit").string();
    auto audit = AuditLog::Open(*store_, keyring_, options);
    ASSERT_TRUE(audit.ok()) << audit.error().message;
    audit_ = std::move(audit).value();
  }
  void TearDown() override {
    audit_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Records one read behind a fresh barrier; returns what the barrier finally said.
  Status RecordBehindBarrier(const std::string& request_id) {
    RequestContext request{request_id, "127.0.0.1", "test", std::make_shared<DurabilityBarrier>()};
    store::AuditRecord record = AuditLog::Anonymous(request, "credential.read", "stripe");
    EXPECT_TRUE(audit_->Record(std::move(record), request).ok()) << "a queued record reports failure only through the barrier";
    std::promise<Status> done;
    request.reply_barrier->WhenDone([&done](Status s) { done.set_value(std::move(s)); });
    return done.get_future().get();
  }

  size_t RecordsFor(const std::string& request_id) {
    auto records = store_->BeginRead()->ScanAudit(0, 1000);
    EXPECT_TRUE(records.ok());
    return static_cast<size_t>(std::count_if(records->begin(), records->end(),
                                             [&](const auto& r) { return r.request_id == request_id; }));
  }

  std::filesystem::path dir_;
  keyring::Keyring keyring_{std::make_unique<keyring::LocalRootKeyProvider>("file", crypto::SecureKey::Random())};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<AuditLog> audit_;
};

TEST_F(DeferredAuditTest, TheBarrierOpensOnlyOnceTheRecordIsStored) {
  Status outcome = RecordBehindBarrier("req_durable");
  EXPECT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(RecordsFor("req_durable"), 1u);
}

TEST_F(DeferredAuditTest, AFailedRecordFailsTheBarrierAsUnavailable) {
  std::ofstream(dir_ / "fail-audit") << "on";
  Status outcome = RecordBehindBarrier("req_lost");
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(outcome.error().message.find("audit trail cannot be written"), std::string::npos);
  EXPECT_EQ(RecordsFor("req_lost"), 0u);
}

// The writer chains the records of one group commit without reading the chain's tip back for each.
// A piece of work that appended a record and then failed is rolled back alone, and the next one
// in its group must chain onto what is really there: no gap in the numbering, none left behind.
TEST_F(DeferredAuditTest, WorkRolledBackAfterAppendingLeavesNoGapInTheChain) {
  AuditOptions options;
  options.checkpoint_every = 7;  // checkpoints are rolled back with their record, too
  auto audit = AuditLog::Open(*store_, keyring_, options);
  ASSERT_TRUE(audit.ok()) << audit.error().message;
  constexpr int kThreads = 8, kEach = 60;  // concurrent writers, so groups mix kept and failed work
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const bool keep = (i + t) % 3 != 0;
        Status written = store_->Write([&](store::WriteTransaction& txn) -> Status {
          RequestContext request{"req_" + std::to_string(t) + "_" + std::to_string(i), "127.0.0.1", "test", nullptr};
          COFFER_TRY((*audit)->Append(txn, AuditLog::Anonymous(request, keep ? "kept" : "undone", "")));
          if (!keep) return MakeError(ErrorCode::kInvalidArgument, "this work fails after its record");
          return Status::Ok();
        });
        EXPECT_EQ(written.ok(), keep);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto records = store_->BeginRead()->ScanAudit(0, 10000);
  ASSERT_TRUE(records.ok());
  int64_t kept = 0, expected_seq = records->empty() ? 0 : records->front().seq;
  for (const auto& r : *records) {
    EXPECT_EQ(r.seq, expected_seq) << "the numbering skips where undone work had appended";
    EXPECT_NE(r.action, "undone");
    expected_seq = r.seq + 1;
    kept += r.action == "kept";
  }
  EXPECT_EQ(kept, int64_t{kThreads * kEach} - kThreads * kEach / 3);
}

}  // namespace
}  // namespace coffer::vault
