// Root key rotation against a real (temporary) SQLite store: the phases, and what start-up does
// with a rotation that was interrupted between them.
#include <gtest/gtest.h>

#include <filesystem>
#include <unistd.h>

#include "keyring/keyring.h"
#include "store/sqlite/sqlite_store.h"
#include "vault/bootstrap.h"
#include "vault/root_rotation.h"

namespace coffer::vault {
namespace {

std::unique_ptr<keyring::RootKeyProvider> Root(const crypto::SecureKey& key) {
  return std::make_unique<keyring::LocalRootKeyProvider>("file", crypto::SecureKey::FromBytes(key.bytes()));
}

class RootRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("coffer-root-rotation-" + std::to_string(::getpid()) + "-" +
                                                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    auto store = store::sqlite::SqliteStore::Open((dir_ / "coffer.db").string());
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
    keyring::Keyring keyring(Root(old_root_));
    ASSERT_TRUE(Bootstrap(*store_, keyring).ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // A fresh keyring with `root`, as a restart with that root key would build it.
  Status Restart(const crypto::SecureKey& root) {
    keyring::Keyring keyring(Root(root));
    return LoadKeyHierarchy(*store_, keyring);
  }
  size_t Pending() { return store_->BeginRead()->ListPendingRootWraps()->size(); }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  crypto::SecureKey old_root_ = crypto::SecureKey::Random();
  crypto::SecureKey new_root_ = crypto::SecureKey::Random();
};

TEST_F(RootRotationTest, CompletedRotationOpensOnlyWithTheNewRoot) {
  keyring::Keyring keyring(Root(old_root_));
  auto new_root = Root(new_root_);
  bool installed = false;
  auto outcome = RotateRootKey(*store_, keyring, *new_root, [&] {
    installed = true;
    return Status::Ok();
  });
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_TRUE(installed);
  EXPECT_EQ(outcome->keks_rewrapped, 1);
  EXPECT_EQ(Pending(), 0u);
  EXPECT_TRUE(Restart(new_root_).ok());
  Status old = Restart(old_root_);
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.error().message.find("does not open"), std::string::npos);
}

TEST_F(RootRotationTest, AFailedInstallChangesNothing) {
  keyring::Keyring keyring(Root(old_root_));
  auto new_root = Root(new_root_);
  auto outcome = RotateRootKey(*store_, keyring, *new_root,
                               [] { return Status(MakeError(ErrorCode::kUnavailable, "disk full")); });
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.error().message.find("disk full"), std::string::npos);
  EXPECT_EQ(Pending(), 0u);
  EXPECT_TRUE(Restart(old_root_).ok());
  EXPECT_FALSE(Restart(new_root_).ok());
}

// A crash after phase 1 (new wraps stored beside the old ones): which root the restart gets
// decides, and either way the data directory ends up under exactly that one.
class InterruptedRootRotationTest : public RootRotationTest {
 protected:
  void SetUp() override {
    RootRotationTest::SetUp();
    keyring::Keyring keyring(Root(old_root_));
    ASSERT_TRUE(LoadKeyHierarchy(*store_, keyring).ok());
    auto new_root = Root(new_root_);
    auto wrapped = keyring.WrapAllKeksUnder(*new_root);
    ASSERT_TRUE(wrapped.ok());
    ASSERT_TRUE(store_->Write([&](store::WriteTransaction& txn) -> Status {
                        for (const auto& k : *wrapped) {
                          COFFER_TRY(txn.PutPendingRootWrap(store::PendingRootWrapRecord{"kek", k.org_id, k.version, k.wrapped}));
                        }
                        return Status::Ok();
                      }).ok());
    ASSERT_EQ(Pending(), 1u);
  }
};

TEST_F(InterruptedRootRotationTest, RestartWithTheNewRootFinishesIt) {
  ASSERT_TRUE(Restart(new_root_).ok());
  EXPECT_EQ(Pending(), 0u);
  EXPECT_TRUE(Restart(new_root_).ok());
  EXPECT_FALSE(Restart(old_root_).ok()) << "the old wraps are gone";
}

TEST_F(InterruptedRootRotationTest, RestartWithTheOldRootUndoesIt) {
  ASSERT_TRUE(Restart(old_root_).ok());
  EXPECT_EQ(Pending(), 0u);
  EXPECT_TRUE(Restart(old_root_).ok());
  EXPECT_FALSE(Restart(new_root_).ok()) << "the new wraps are gone";
}

TEST_F(InterruptedRootRotationTest, AThirdRootIsRefused) {
  Status third = Restart(crypto::SecureKey::Random());
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(Pending(), 1u) << "nothing is decided with a wrong key";
}

}  // namespace
}  // namespace coffer::vault
