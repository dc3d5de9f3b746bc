// Failed-login counts: a row per account or address, replaced whole, deleted, pruned by age.
#include <thread>

#include "conformance_fixture.h"

namespace coffer::store::conformance {
namespace {

class ThrottleConformance : public ConformanceTest {};
COFFER_CONFORMANCE_SUITE(ThrottleConformance);

TEST_P(ThrottleConformance, ARowIsStoredReplacedWholeAndDeleted) {
  EXPECT_FALSE(MUST(Read()->FindLoginFailures("a:alice")).has_value());
  MustWrite([](WriteTransaction& txn) { return txn.PutLoginFailures(LoginFailureRecord{"a:alice", 1, 0, kT0}); });
  MustWrite([](WriteTransaction& txn) {
    return txn.PutLoginFailures(LoginFailureRecord{"a:alice", 6, kT0 + 2'000'000, kT0 + 5});
  });
  auto row = MUST(Read()->FindLoginFailures("a:alice"));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->key, "a:alice");
  EXPECT_EQ(row->failures, 6);
  EXPECT_EQ(row->blocked_until, kT0 + 2'000'000);
  EXPECT_EQ(row->last_failure_at, kT0 + 5);
  EXPECT_FALSE(MUST(Read()->FindLoginFailures("a:Alice")).has_value()) << "keys compare byte by byte";
  MustWrite([](WriteTransaction& txn) { return txn.DeleteLoginFailures("a:alice"); });
  EXPECT_FALSE(MUST(Read()->FindLoginFailures("a:alice")).has_value());
  MustWrite([](WriteTransaction& txn) { return txn.DeleteLoginFailures("a:nobody"); });  // nothing to delete
}

TEST_P(ThrottleConformance, PruneForgetsOnlyRowsWhoseLastFailureCameBefore) {
  MustWrite([](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.PutLoginFailures(LoginFailureRecord{"a:old", 3, 0, kT0}));
    COFFER_TRY(txn.PutLoginFailures(LoginFailureRecord{"i:127.0.0.1", 9, kT0 + 99, kT0 + 10}));
    return txn.PruneLoginFailures(kT0 + 10);
  });
  EXPECT_FALSE(MUST(Read()->FindLoginFailures("a:old")).has_value());
  EXPECT_TRUE(MUST(Read()->FindLoginFailures("i:127.0.0.1")).has_value()) << "a row at the cutoff itself was pruned";
}

TEST_P(ThrottleConformance, TwoStoresCountingOneAccountLoseNoFailure) {
  // Each node reads the count and writes it back + 1 inside one write, as the login does.
  auto other = OpenAgain();
  ASSERT_TRUE(other);
  MustWrite([](WriteTransaction& txn) { return txn.PutLoginFailures(LoginFailureRecord{"a:bob", 0, 0, kT0}); });
  auto count_one = [](Store& store) {
    for (int i = 0; i < 20; ++i) {
      Status s = store.Write([](WriteTransaction& txn) -> Status {
        auto row = txn.FindLoginFailures("a:bob");
        if (!row.ok()) return row.error();
        return txn.PutLoginFailures(LoginFailureRecord{"a:bob", (*row)->failures + 1, 0, kT0});
      });
      EXPECT_TRUE(s.ok()) << Describe(s);
    }
  };
  std::thread first([&] { count_one(store()); });
  std::thread second([&] { count_one(*other); });
  first.join();
  second.join();
  EXPECT_EQ(MUST(Read()->FindLoginFailures("a:bob"))->failures, 40) << "a failure counted on one node was lost";
}

}  // namespace
}  // namespace coffer::store::conformance
