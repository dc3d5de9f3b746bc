// Verifying a copied Coffer with the root key (vault/copy_verification.h), on real SQLite stores:
// a faithful copy passes, and a copy that merely has the right number of rows does not.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "crypto/encoding.h"
#include "keyring/keyring.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_copy.h"
#include "vault/audit_log.h"
#include "vault/bootstrap.h"
#include "vault/copy_verification.h"
#include "vault/root_rotation.h"

namespace coffer::vault {
namespace {

std::unique_ptr<keyring::RootKeyProvider> Root(const crypto::SecureKey& key) {
  return std::make_unique<keyring::LocalRootKeyProvider>("file", crypto::SecureKey::FromBytes(key.bytes()));
}

class CopyVerificationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("coffer-copy-verification-" + std::to_string(::getpid()) + "-" +
                                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    source_ = Open("source.db");
    target_ = Open("target.db");
    keyring::Keyring keyring(Root(root_));
    auto boot = Bootstrap(*source_, keyring);
    ASSERT_TRUE(boot.ok()) << boot.error().message;
    const std::string owner = source_->BeginRead()->ListIdentities(boot->org_id)->front().id;
    for (int v = 1; v <= 2; ++v) {  // two versions, each sealed under its own DEK
      CredentialInfo info;
      info.id = "cred_1";
      info.org_id = boot->org_id;
      info.identity_id = owner;
      info.name = "stripe";
      info.type = CredentialType::kApiKey;
      info.version = v;
      info.created_at = 1;
      info.updated_at = v;
      auto blob = keyring.Seal(keyring::BlobContext::Of(info), crypto::AsBytes("{\"key\":\"sk_live\"}"));
      ASSERT_TRUE(blob.ok());
      ASSERT_TRUE(source_->Write([&](store::WriteTransaction& txn) {
        return txn.PutCredentialVersion(store::CredentialRecord{info, *blob});
      }).ok());
    }
    auto audit = AuditLog::Open(*source_, keyring, {.checkpoint_every = 2});
    ASSERT_TRUE(audit.ok());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE((*audit)->Record(AuditLog::ServerEvent("server.start", "x"), {}).ok());
    auto copied = store::CopyStore(*source_, *target_);
    ASSERT_TRUE(copied.ok()) << copied.error().message;
  }
  void TearDown() override {
    source_.reset();
    target_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<store::Store> Open(const std::string& name) {
    auto store = store::sqlite::SqliteStore::Open((dir_ / name).string());
    EXPECT_TRUE(store.ok());
    return store.ok() ? std::move(store).value() : nullptr;
  }
  Result<CopyVerification> Verify(const crypto::SecureKey& root) {
    keyring::Keyring keyring(Root(root));
    return VerifyCopy(*source_, *target_, keyring, {.batch = 1});
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> source_, target_;
  crypto::SecureKey root_ = crypto::SecureKey::Random();
};

TEST_F(CopyVerificationTest, AFaithfulCopyOpensWithTheRootKeyAndItsChainVerifies) {
  auto verified = Verify(root_);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->keks_opened, 1);
  EXPECT_EQ(verified->versions_opened, 2);
  EXPECT_EQ(verified->audit.checked, 5);
  EXPECT_EQ(verified->audit.checkpoints, 2);
  EXPECT_FALSE(verified->audit.first_bad_seq.has_value());
}

TEST_F(CopyVerificationTest, AnotherRootKeyOpensNothing) {
  auto verified = Verify(crypto::SecureKey::Random());
  ASSERT_FALSE(verified.ok());
  EXPECT_EQ(verified.error().code, ErrorCode::kDataCorrupted);
  EXPECT_NE(verified.error().message.find("does not open with the root key"), std::string::npos)
      << verified.error().message;
}

TEST_F(CopyVerificationTest, ABlobChangedInTheCopyIsNamed) {
  auto versions = target_->BeginRead()->ScanCredentialVersions("", 0, 10);
  ASSERT_TRUE(versions.ok());
  std::vector<uint8_t> altered = versions->back().blob;
  altered.back() ^= 1;
  ASSERT_TRUE(target_->Write([&](store::WriteTransaction& txn) -> Status {
    auto replaced = txn.ReplaceVersionBlob("cred_1", 2, versions->back().blob, altered);
    return replaced.ok() ? Status::Ok() : Status(replaced.error());
  }).ok());
  auto verified = Verify(root_);
  ASSERT_FALSE(verified.ok());
  EXPECT_NE(verified.error().message.find("credential cred_1 version 2 differs"), std::string::npos)
      << verified.error().message;
}

TEST_F(CopyVerificationTest, ARecordThatDoesNotChainIsFound) {
  ASSERT_TRUE(target_->Write([](store::WriteTransaction& txn) -> Status {
    auto tip = txn.ReadAuditChainTip();
    if (!tip.ok()) return tip.error();
    store::AuditRecord forged = AuditLog::ServerEvent("server.start", "forged");
    forged.seq = tip->last_seq + 1;
    forged.id = "aud_forged";
    forged.at = 1;
    forged.outcome = "ok";
    forged.hash = std::vector<uint8_t>(32, 7);
    return txn.AppendAudit(forged);
  }).ok());
  auto verified = Verify(root_);
  ASSERT_FALSE(verified.ok());
  EXPECT_NE(verified.error().message.find("audit chain breaks"), std::string::npos) << verified.error().message;
}

}  // namespace
}  // namespace coffer::vault
