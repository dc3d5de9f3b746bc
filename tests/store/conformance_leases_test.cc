// Leases on background work: taking, renewing, expiry by the database's clock, fencing tokens,
// release, and (on engines shared between nodes) a takeover that waits for a fenced write.
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "conformance_fixture.h"

namespace coffer::store::conformance {
namespace {

constexpr int64_t kMinute = 60'000'000;

class LeasesConformance : public ConformanceTest {
 protected:
  // AcquireLease in a write of its own; empty when refused.
  std::optional<LeaseRecord> Acquire(Store& store, const std::string& name, const std::string& holder,
                                     int64_t ttl_micros = kMinute) {
    std::optional<LeaseRecord> granted;
    Status written = store.Write([&](WriteTransaction& txn) -> Status {
      auto lease = txn.AcquireLease(name, holder, ttl_micros);
      if (!lease.ok()) return lease.error();
      granted = std::move(lease).value();
      return Status::Ok();
    });
    EXPECT_OK(written);
    return granted;
  }
  std::optional<LeaseRecord> Acquire(const std::string& name, const std::string& holder, int64_t ttl = kMinute) {
    return Acquire(store(), name, holder, ttl);
  }
  Status CheckInWrite(const LeaseRecord& lease) {
    return store().Write([&](WriteTransaction& txn) { return txn.CheckLease(lease); });
  }
  // Long enough for a lease of a millisecond to be over by any clock.
  static void OutliveAShortLease() { std::this_thread::sleep_for(std::chrono::milliseconds(50)); }
};
COFFER_CONFORMANCE_SUITE(LeasesConformance);

TEST_P(LeasesConformance, TheFirstHolderGetsTokenOneAndListLeasesShowsItsLease) {
  auto lease = Acquire("keys.rewrap", "node-a");
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(lease->name, "keys.rewrap");
  EXPECT_EQ(lease->holder, "node-a");
  EXPECT_EQ(lease->token, 1);
  auto listed = MUST(Read()->ListLeases());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].holder, "node-a");
  EXPECT_EQ(listed[0].token, 1);
  EXPECT_EQ(listed[0].expires_at, lease->expires_at);
}

TEST_P(LeasesConformance, ARenewalByTheHolderKeepsTheTokenAndMovesTheExpiry) {
  auto first = Acquire("keys.rewrap", "node-a", kMinute);
  auto renewed = Acquire("keys.rewrap", "node-a", 2 * kMinute);
  ASSERT_TRUE(first && renewed);
  EXPECT_EQ(renewed->token, first->token);
  EXPECT_GT(renewed->expires_at, first->expires_at);
  EXPECT_EQ(CodeOf(CheckInWrite(*first)), "ok") << "a renewal made the holder's own token stale";
}

TEST_P(LeasesConformance, AnotherHolderWaitsForARunningLeaseOnASharedEngineAndTakesItOverOnAnUnsharedOne) {
  auto first = Acquire("keys.rewrap", "node-a");
  ASSERT_TRUE(first.has_value());
  auto second = Acquire("keys.rewrap", "node-b");
  if (store().SharedWithOtherNodes()) {
    EXPECT_FALSE(second.has_value()) << "two nodes held one lease at once";
    EXPECT_EQ(MUST(Read()->ListLeases())[0].holder, "node-a");
    EXPECT_OK(CheckInWrite(*first));
  } else {
    // One process has the database: whoever asks is that process, and holds every lease.
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->token, first->token + 1);
    EXPECT_EQ(CodeOf(CheckInWrite(*first)), "kConflict") << "the previous holder's token still passed";
  }
}

TEST_P(LeasesConformance, AnExpiredLeaseGoesToTheNextHolderWithARaisedTokenAndTheOldOneFailsItsCheck) {
  auto first = Acquire("audit.retention", "node-a", /*ttl=*/1000);
  ASSERT_TRUE(first.has_value());
  OutliveAShortLease();
  EXPECT_EQ(CodeOf(CheckInWrite(*first)), "kConflict") << "an expired lease passed its check";
  auto second = Acquire("audit.retention", "node-b");
  ASSERT_TRUE(second.has_value()) << "an expired lease was not handed on";
  EXPECT_EQ(second->holder, "node-b");
  EXPECT_EQ(second->token, first->token + 1);
  EXPECT_OK(CheckInWrite(*second));
  EXPECT_EQ(CodeOf(CheckInWrite(*first)), "kConflict");
}

TEST_P(LeasesConformance, TheSameHolderTakingBackItsExpiredLeaseGetsANewToken) {
  // Work checked against the token from before the gap must not pass again once it is renewed.
  auto first = Acquire("keys.rotation", "node-a", /*ttl=*/1000);
  ASSERT_TRUE(first.has_value());
  OutliveAShortLease();
  auto again = Acquire("keys.rotation", "node-a");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->token, first->token + 1);
  EXPECT_EQ(CodeOf(CheckInWrite(*first)), "kConflict");
  EXPECT_OK(CheckInWrite(*again));
}

TEST_P(LeasesConformance, WorkThatFailsItsLeaseCheckWritesNothing) {
  SeedOrg("org_a");
  auto first = Acquire("keys.rewrap", "node-a", /*ttl=*/1000);
  ASSERT_TRUE(first.has_value());
  OutliveAShortLease();
  ASSERT_TRUE(Acquire("keys.rewrap", "node-b").has_value());
  const std::string before = Dump(*Read());
  Status written = store().Write([&](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.InsertOrg(Org("org_stale", kT0 + 1)));  // a write before the check, as a job might
    return txn.CheckLease(*first);
  });
  EXPECT_EQ(CodeOf(written), "kConflict");
  EXPECT_EQ(Dump(*Read()), before) << "a write under a lost lease was kept";
}

TEST_P(LeasesConformance, LeasesAreIndependentByName) {
  auto rewrap = Acquire("keys.rewrap", "node-a");
  auto retention = Acquire("audit.retention", "node-b");
  ASSERT_TRUE(rewrap && retention);
  EXPECT_EQ(retention->token, 1);
  auto listed = MUST(Read()->ListLeases());
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].name, "audit.retention") << "not ordered by name";
  EXPECT_EQ(listed[1].name, "keys.rewrap");
  EXPECT_OK(CheckInWrite(*rewrap));
  EXPECT_OK(CheckInWrite(*retention));
}

TEST_P(LeasesConformance, AReleasedLeaseGoesToTheNextHolderAtOnceAndAStaleReleaseChangesNothing) {
  auto first = Acquire("keys.rewrap", "node-a");
  ASSERT_TRUE(first.has_value());
  LeaseRecord stale = *first;
  stale.token = first->token - 1;
  MustWrite([&](WriteTransaction& txn) { return txn.ReleaseLease(stale); });
  EXPECT_EQ(CodeOf(CheckInWrite(*first)), "ok") << "a release with a stale token let the lease go";
  MustWrite([&](WriteTransaction& txn) { return txn.ReleaseLease(*first); });
  EXPECT_EQ(CodeOf(CheckInWrite(*first)), "kConflict") << "a released lease still passed its check";
  auto next = Acquire("keys.rewrap", "node-b");
  ASSERT_TRUE(next.has_value()) << "a released lease was not free";
  EXPECT_EQ(next->token, first->token + 1);
}

TEST_P(LeasesConformance, OnASharedEngineATakeoverWaitsForTheWriteThatCheckedTheLease) {
  if (!store().SharedWithOtherNodes()) GTEST_SKIP() << "one process: there is no other node to take over";
  SeedOrg("org_a");
  auto other = OpenAgain();
  ASSERT_TRUE(other);
  auto lease = Acquire("keys.rewrap", "node-a", /*ttl=*/200'000);
  ASSERT_TRUE(lease.has_value());
  std::promise<void> checked, takeover_started;
  std::future<void> takeover_started_f = takeover_started.get_future();
  auto fenced_write = std::async(std::launch::async, [&] {
    return store().Write([&](WriteTransaction& txn) -> Status {
      COFFER_TRY(txn.CheckLease(*lease));
      checked.set_value();
      // Stay inside the checked write past the lease's expiry while the other node tries to take it.
      takeover_started_f.wait();
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
      return txn.InsertOrg(Org("org_fenced", kT0 + 1));
    });
  });
  checked.get_future().wait();
  std::this_thread::sleep_for(std::chrono::milliseconds(250));  // the lease has expired by now
  bool saw_the_fenced_write = false;
  std::optional<LeaseRecord> taken;
  takeover_started.set_value();
  Status took = other->Write([&](WriteTransaction& txn) -> Status {
    auto granted = txn.AcquireLease("keys.rewrap", "node-b", kMinute);
    if (!granted.ok()) return granted.error();
    taken = std::move(granted).value();
    for (const auto& org : MUST(txn.ListOrgs())) saw_the_fenced_write |= org.id == "org_fenced";
    return Status::Ok();
  });
  EXPECT_OK(fenced_write.get());
  EXPECT_OK(took);
  ASSERT_TRUE(taken.has_value()) << "the expired lease was not handed on";
  EXPECT_EQ(taken->token, lease->token + 1);
  EXPECT_TRUE(saw_the_fenced_write) << "the lease changed hands while a write checked against it was still open";
}

}  // namespace
}  // namespace coffer::store::conformance
