// The keyring operations behind rotation: re-encrypting a blob, re-wrapping its DEK under a newer
// KEK, the two-step KEK rotation, root re-wrapping, the encryption budget, and the Argon2id and
// passphrase-file pieces of the passphrase provider.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "crypto/encoding.h"
#include "crypto/passphrase_kdf.h"
#include "keyring/keyring.h"
#include "keyring/passphrase_provider.h"
#include "keyring/sealed_blob.h"

namespace coffer::keyring {
namespace {

std::unique_ptr<RootKeyProvider> NewRoot() {
  return std::make_unique<LocalRootKeyProvider>("test", crypto::SecureKey::Random());
}

BlobContext Context() { return BlobContext{"org_1", "cred_a", 3, "API_KEY", "stripe"}; }

std::string OpenText(const Keyring& keyring, const std::vector<uint8_t>& blob) {
  auto plain = keyring.Open(Context(), blob);
  if (!plain.ok()) return "ERROR: " + plain.error().message;
  return std::string(plain->begin(), plain->end());
}

class KeyRotationTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(keyring_.CreateKek("org_1", 1).ok()); }
  Keyring keyring_{NewRoot()};
  std::string secret_ = R"({"key":"sk_live_rotation"})";
};

TEST_F(KeyRotationTest, ResealChangesEveryKeyByteButNotTheValue) {
  auto blob = keyring_.Seal(Context(), crypto::AsBytes(secret_));
  ASSERT_TRUE(blob.ok());
  auto resealed = keyring_.Reseal(Context(), *blob);
  ASSERT_TRUE(resealed.ok());
  auto before = DecodeSealedBlob(*blob).value();
  auto after = DecodeSealedBlob(*resealed).value();
  EXPECT_NE(before.wrapped_dek, after.wrapped_dek);
  EXPECT_NE(before.dek_nonce, after.dek_nonce);
  EXPECT_NE(before.data_nonce, after.data_nonce) << "fresh nonce";
  EXPECT_NE(before.ciphertext, after.ciphertext) << "fresh DEK";
  EXPECT_EQ(OpenText(keyring_, *resealed), secret_);
}

TEST_F(KeyRotationTest, RewrapKeepsTheDataPartByteForByte) {
  auto blob = keyring_.Seal(Context(), crypto::AsBytes(secret_));
  ASSERT_TRUE(blob.ok());
  auto v2 = keyring_.PrepareKek("org_1", 2);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(keyring_.CurrentKekVersion("org_1"), 1u) << "prepared is not current";
  keyring_.ActivateKek("org_1", 2);
  EXPECT_EQ(keyring_.CurrentKekVersion("org_1"), 2u);

  auto rewrapped = keyring_.RewrapDek(Context(), *blob, 2);
  ASSERT_TRUE(rewrapped.ok()) << rewrapped.error().message;
  auto before = DecodeSealedBlob(*blob).value();
  auto after = DecodeSealedBlob(*rewrapped).value();
  EXPECT_EQ(before.kek_version, 1u);
  EXPECT_EQ(after.kek_version, 2u);
  EXPECT_NE(before.wrapped_dek, after.wrapped_dek);
  EXPECT_EQ(before.data_nonce, after.data_nonce);
  EXPECT_EQ(before.ciphertext, after.ciphertext);
  EXPECT_EQ(before.data_tag, after.data_tag);
  EXPECT_EQ(OpenText(keyring_, *rewrapped), secret_);

  // Once version 1 is forgotten (retired), only the re-wrapped blob still opens.
  keyring_.ForgetKek("org_1", 1);
  EXPECT_EQ(OpenText(keyring_, *rewrapped), secret_);
  EXPECT_NE(OpenText(keyring_, *blob).find("KEK version 1"), std::string::npos);
}

TEST_F(KeyRotationTest, RewrapUnderAMissingKekFailsAndTheCurrentOneIsNeverForgotten) {
  auto blob = keyring_.Seal(Context(), crypto::AsBytes(secret_));
  ASSERT_TRUE(blob.ok());
  EXPECT_FALSE(keyring_.RewrapDek(Context(), *blob, 7).ok());
  keyring_.ForgetKek("org_1", 1);
  EXPECT_EQ(OpenText(keyring_, *blob), secret_);
}

TEST_F(KeyRotationTest, RewrapRefusesATamperedWrappedDek) {
  auto blob = keyring_.Seal(Context(), crypto::AsBytes(secret_));
  ASSERT_TRUE(blob.ok());
  ASSERT_TRUE(keyring_.CreateKek("org_1", 2).ok());
  std::vector<uint8_t> tampered = *blob;
  tampered[5 + 12 + 3] ^= 1;  // inside the wrapped DEK
  auto rewrapped = keyring_.RewrapDek(Context(), tampered, 2);
  ASSERT_FALSE(rewrapped.ok());
  EXPECT_EQ(rewrapped.error().code, ErrorCode::kDataCorrupted);
}

TEST_F(KeyRotationTest, EncryptionsAreCountedAndTheBudgetIsEnforced) {
  ASSERT_TRUE(keyring_.Seal(Context(), crypto::AsBytes(secret_)).ok());
  ASSERT_TRUE(keyring_.Seal(Context(), crypto::AsBytes(secret_)).ok());
  EXPECT_EQ(keyring_.EncryptionCount("org_1", 1), 2u);
  keyring_.SetEncryptionCount("org_1", 1, 1);
  EXPECT_EQ(keyring_.EncryptionCount("org_1", 1), 2u) << "a count never goes down";
  keyring_.SetEncryptionCount("org_1", 1, kMaxEncryptionsPerKek);
  auto refused = keyring_.Seal(Context(), crypto::AsBytes(secret_));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("coffer keys rotate"), std::string::npos);
  ASSERT_TRUE(keyring_.CreateKek("org_1", 2).ok());
  EXPECT_TRUE(keyring_.Seal(Context(), crypto::AsBytes(secret_)).ok()) << "a new KEK has a new budget";
}

TEST_F(KeyRotationTest, WrapAllKeksUnderANewRootMovesTheWholeHierarchy) {
  ASSERT_TRUE(keyring_.CreateKek("org_1", 2).ok());
  auto blob = keyring_.Seal(Context(), crypto::AsBytes(secret_));
  ASSERT_TRUE(blob.ok());
  auto root_bytes = crypto::SecureKey::Random();
  LocalRootKeyProvider new_root("file", crypto::SecureKey::FromBytes(root_bytes.bytes()));
  auto wrapped = keyring_.WrapAllKeksUnder(new_root);
  ASSERT_TRUE(wrapped.ok());
  ASSERT_EQ(wrapped->size(), 2u);

  Keyring restarted(std::make_unique<LocalRootKeyProvider>("file", crypto::SecureKey::FromBytes(root_bytes.bytes())));
  for (const auto& kek : *wrapped) ASSERT_TRUE(restarted.LoadKek(kek).ok());
  EXPECT_EQ(OpenText(restarted, *blob), secret_);
  Keyring old_root(NewRoot());
  EXPECT_FALSE(old_root.LoadKek(wrapped->front()).ok());
}

TEST(PassphraseKdfTest, SamePassphraseAndSaltGiveTheSameKeyAndAnythingElseDoesNot) {
  crypto::Argon2idParams params{2, 64u << 20};  // libsodium's interactive minimum: fast in tests
  auto salt = crypto::NewKdfSalt();
  auto a = crypto::DeriveKeyFromPassphrase("correct horse battery staple", salt, params);
  auto b = crypto::DeriveKeyFromPassphrase("correct horse battery staple", salt, params);
  auto c = crypto::DeriveKeyFromPassphrase("correct horse battery stapler", salt, params);
  auto d = crypto::DeriveKeyFromPassphrase("correct horse battery staple", crypto::NewKdfSalt(), params);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  auto same = [](const crypto::SecureKey& x, const crypto::SecureKey& y) {
    return std::equal(x.bytes().begin(), x.bytes().end(), y.bytes().begin());
  };
  EXPECT_TRUE(same(*a, *b));
  EXPECT_FALSE(same(*a, *c));
  EXPECT_FALSE(same(*a, *d));
}

TEST(PassphraseKdfTest, WeakOrAbsurdParametersAreRefused) {
  auto salt = crypto::NewKdfSalt();
  EXPECT_FALSE(crypto::DeriveKeyFromPassphrase("x", salt, {1, 64u << 20}).ok());
  EXPECT_FALSE(crypto::DeriveKeyFromPassphrase("x", salt, {2, 1u << 20}).ok());
  EXPECT_FALSE(crypto::DeriveKeyFromPassphrase("x", salt, {2, uint64_t{64} << 30}).ok());
  EXPECT_FALSE(crypto::DeriveKeyFromPassphrase("x", std::vector<uint8_t>(3), {2, 64u << 20}).ok());
}

TEST(PassphraseFileTest, RoundTripsAndRejectsDamage) {
  auto dir = std::filesystem::temp_directory_path() / ("coffer-kdf-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "root.kdf").string();
  PassphraseKdfFile file = NewPassphraseKdfFile();
  ASSERT_TRUE(WritePassphraseKdfFile(path, file).ok());
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto read = ReadPassphraseKdfFile(path);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->salt, file.salt);
  EXPECT_EQ(read->params.opslimit, file.params.opslimit);
  EXPECT_EQ(read->params.memlimit, file.params.memlimit);

  std::ofstream(path) << R"({"kdf":"argon2id13","opslimit":1,"memlimit":1024,"salt":"AAAAAAAAAAAAAAAAAAAAAA=="})";
  auto weak = ReadPassphraseKdfFile(path);
  ASSERT_FALSE(weak.ok());
  EXPECT_NE(weak.error().message.find(path), std::string::npos);
  std::filesystem::remove(path);
  auto missing = ReadPassphraseKdfFile(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("missing"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(PassphraseFileTest, ShortNewPassphrasesAreRefused) {
  EXPECT_FALSE(CheckNewPassphrase("short").ok());
  EXPECT_TRUE(CheckNewPassphrase("a long enough passphrase").ok());
}

}  // namespace
}  // namespace coffer::keyring
