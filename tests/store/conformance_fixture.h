// What every conformance test shares: the fixture that opens a fresh database on the engine under
// test, record builders, and assertions on Result and Status. Tests reach the engine only through
// store::Store, so they run unchanged on every engine in engines.cc.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/credential.h"
#include "core/result.h"
#include "engine_under_test.h"
#include "store/records.h"
#include "store/store.h"

namespace coffer::store::conformance {

// "ok", or the error's code and message: what a failed expectation prints.
std::string Describe(const Status& status);
template <class T>
std::string Describe(const Result<T>& result) {
  return result.ok() ? "ok" : Describe(Status(result.error()));
}
// The code's name ("kConflict"), or "ok".
std::string CodeOf(const Status& status);
template <class T>
std::string CodeOf(const Result<T>& result) {
  return result.ok() ? "ok" : CodeOf(Status(result.error()));
}

#define EXPECT_OK(expr)                                                            \
  do {                                                                             \
    const auto& coffer_expect_ok_ = (expr);                                        \
    EXPECT_TRUE(coffer_expect_ok_.ok()) << #expr << ": " << Describe(coffer_expect_ok_); \
  } while (0)
#define ASSERT_OK(expr)                                                            \
  do {                                                                             \
    const auto& coffer_assert_ok_ = (expr);                                        \
    ASSERT_TRUE(coffer_assert_ok_.ok()) << #expr << ": " << Describe(coffer_assert_ok_); \
  } while (0)

// The value of a Result, or (recording a failure where it was called) a default one.
template <class T>
T MustImpl(Result<T> result, const char* file, int line, const char* expr) {
  if (result.ok()) return std::move(result).value();
  ADD_FAILURE_AT(file, line) << expr << ": " << Describe(result);
  return T{};
}
#define MUST(expr) ::coffer::store::conformance::MustImpl((expr), __FILE__, __LINE__, #expr)

// ---- Records, filled in completely so that a round trip checks every field. ----

inline constexpr UnixMicros kT0 = 1'700'000'000'000'000;  // a fixed instant; no test reads a clock

struct Partition {
  std::string org_id;
  std::string identity_id;
};

OrgRecord Org(const std::string& id, UnixMicros at = kT0);
KekRecord Kek(const std::string& org_id, uint32_t version);
IdentityRecord Identity(const std::string& id, const std::string& org_id, const std::string& kind = "agent",
                        std::optional<std::string> parent_id = std::nullopt, UnixMicros at = kT0);
HumanRecord Human(const std::string& identity_id, const std::string& username);
// Distinct `seed`s give distinct hashes.
TokenRecord Token(const std::string& id, const std::string& org_id, const std::string& identity_id, uint8_t seed);
GrantRecord Grant(const std::string& id, const std::string& org_id, const std::string& granter,
                  const std::string& grantee);

// A sealed blob in the real format (keyring/sealed_blob.h, through its own encoder): the engine
// reads the KEK version from its header. `fill` varies the key material, so blobs differ.
std::vector<uint8_t> SealedBlobBytes(uint32_t kek_version, uint8_t fill = 0x5a);
// A blob whose header this Coffer cannot read (a format that does not exist yet).
std::vector<uint8_t> UnreadableBlobBytes();

// Version `version` of credential `id` named `name` in partition `p`, sealed under `kek_version`.
CredentialRecord Version(const std::string& id, const Partition& p, const std::string& name, int version,
                         uint32_t kek_version = 1, CredentialType type = CredentialType::kApiKey);
// Puts versions 1..`versions` of a new credential; returns the last one.
CredentialRecord PutVersions(WriteTransaction& txn, const std::string& id, const Partition& p,
                             const std::string& name, int versions, uint32_t kek_version = 1,
                             CredentialType type = CredentialType::kApiKey);

// An audit record with every field set; seq and hash are left for AppendNext.
AuditRecord AuditEvent(const std::string& org_id, const std::string& action, UnixMicros at = kT0);
// Appends `record` as the audit log does: numbered from the chain tip read in the same write.
// Returns the seq it got.
Result<int64_t> AppendNext(WriteTransaction& txn, AuditRecord record);

// Everything a ReadTransaction can see, as text: two equal dumps mean the same visible state.
std::string Dump(ReadTransaction& read);

// ---- The fixture ----

class ConformanceTest : public ::testing::TestWithParam<EngineUnderTest> {
 protected:
  void SetUp() override;
  void TearDown() override;

  Store& store() { return *store_; }
  std::unique_ptr<ReadTransaction> Read() { return store_->BeginRead(); }
  // Another store on this test's database (a second node, a second open).
  std::unique_ptr<Store> OpenAgain();
  // Runs `work` in one Write and records a failure if it fails.
  void MustWrite(WriteWork work);

  // An org with its KEK version 1, a human owner and an agent below it; the owner's and the
  // agent's partitions are Owner(org) and Agent(org).
  void SeedOrg(const std::string& org_id);
  static Partition Owner(const std::string& org_id) { return {org_id, org_id + "-owner"}; }
  static Partition Agent(const std::string& org_id) { return {org_id, org_id + "-agent"}; }

 private:
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<Store> store_;
};

std::string EngineName(const ::testing::TestParamInfo<EngineUnderTest>& info);

// Runs a fixture's TEST_Ps once per engine.
#define COFFER_CONFORMANCE_SUITE(Fixture)                                                      \
  INSTANTIATE_TEST_SUITE_P(Engines, Fixture,                                                  \
                           ::testing::ValuesIn(::coffer::store::conformance::EnginesUnderTest()), \
                           ::coffer::store::conformance::EngineName)

}  // namespace coffer::store::conformance
