// Envelope encryption: what a user relies on is that a stored blob opens only where it was
// written, under the key hierarchy it was written with.
#include <gtest/gtest.h>

#include "crypto/encoding.h"
#include "keyring/keyring.h"
#include "keyring/sealed_blob.h"

namespace coffer::keyring {
namespace {

std::unique_ptr<RootKeyProvider> NewRoot() {
  return std::make_unique<LocalRootKeyProvider>("test", crypto::SecureKey::Random());
}

BlobContext Context(std::string id = "cred_a", int version = 1, std::string name = "stripe") {
  return BlobContext{"org_1", std::move(id), version, "API_KEY", std::move(name)};
}

class KeyringTest : public ::testing::Test {
 protected:
  void SetUp() override { wrapped_kek_ = keyring_.CreateKek("org_1", 1).value(); }
  Keyring keyring_{NewRoot()};
  WrappedKek wrapped_kek_;
  std::string secret_ = R"({"apiKey":"sk_live_planted_secret"})";
};

TEST_F(KeyringTest, RoundTrip) {
  auto blob = keyring_.Seal(Context(), crypto::AsBytes(secret_));
  ASSERT_TRUE(blob.ok());
  auto plain = keyring_.Open(Context(), *blob);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(std::string(plain->begin(), plain->end()), secret_);
}

TEST_F(KeyringTest, BlobDoesNotContainThePlaintext) {
  auto blob = keyring_.Seal(Context(), crypto::AsBytes(secret_));
  ASSERT_TRUE(blob.ok());
  std::string raw(blob->begin(), blob->end());
  EXPECT_EQ(raw.find("sk_live_planted_secret"), std::string::npos);
}

TEST_F(KeyringTest, TamperingWithAnyByteFailsWithClearError) {
  auto blob = keyring_.Seal(Context(), crypto::AsBytes(secret_));
  ASSERT_TRUE(blob.ok());
  for (size_t i = 0; i < blob->size(); ++i) {
    std::vector<uint8_t> tampered = *blob;
    tampered[i] ^= 0x80;
    auto plain = keyring_.Open(Context(), tampered);
    ASSERT_FALSE(plain.ok()) << "byte " << i;
    EXPECT_EQ(plain.error().code, ErrorCode::kDataCorrupted);
    EXPECT_FALSE(plain.error().message.empty());
    EXPECT_EQ(plain.error().message.find("sk_live"), std::string::npos);
  }
}

TEST_F(KeyringTest, TruncatedBlobFails) {
  auto blob = keyring_.Seal(Context(), crypto::AsBytes(secret_));
  ASSERT_TRUE(blob.ok());
  for (size_t n : {size_t{0}, size_t{1}, size_t{20}, blob->size() - 1}) {
    std::vector<uint8_t> cut(blob->begin(), blob->begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(keyring_.Open(Context(), cut).ok()) << n;
  }
}

TEST_F(KeyringTest, SwappedRowsFailToDecrypt) {
  auto a = keyring_.Seal(Context("cred_a", 1, "stripe"), crypto::AsBytes(secret_));
  auto b = keyring_.Seal(Context("cred_b", 1, "github"), crypto::AsBytes(secret_));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(keyring_.Open(Context("cred_b", 1, "github"), *a).ok());
  EXPECT_FALSE(keyring_.Open(Context("cred_a", 1, "stripe"), *b).ok());
}

TEST_F(KeyringTest, EveryBoundFieldMatters) {
  auto blob = keyring_.Seal(Context(), crypto::AsBytes(secret_));
  ASSERT_TRUE(blob.ok());
  std::vector<BlobContext> elsewhere = {
      {"org_2", "cred_a", 1, "API_KEY", "stripe"}, {"org_1", "cred_x", 1, "API_KEY", "stripe"},
      {"org_1", "cred_a", 2, "API_KEY", "stripe"}, {"org_1", "cred_a", 1, "LOGIN", "stripe"},
      {"org_1", "cred_a", 1, "API_KEY", "stripe2"}};
  for (const auto& context : elsewhere) EXPECT_FALSE(keyring_.Open(context, *blob).ok());
}

TEST_F(KeyringTest, BlobIsSelfDescribing) {
  auto blob = keyring_.Seal(Context(), crypto::AsBytes(secret_));
  ASSERT_TRUE(blob.ok());
  auto decoded = DecodeSealedBlob(*blob);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->format, kBlobFormatV1);
  EXPECT_EQ(decoded->kek_version, 1u);
  EXPECT_EQ(decoded->ciphertext.size(), secret_.size());
  EXPECT_EQ(EncodeSealedBlob(*decoded), *blob);
}

TEST_F(KeyringTest, FreshDekPerSeal) {
  auto a = keyring_.Seal(Context(), crypto::AsBytes(secret_));
  auto b = keyring_.Seal(Context(), crypto::AsBytes(secret_));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(DecodeSealedBlob(*a)->wrapped_dek, DecodeSealedBlob(*b)->wrapped_dek);
}

TEST_F(KeyringTest, WrongRootKeyIsAClearError) {
  Keyring other(NewRoot());
  Status loaded = other.LoadKek(wrapped_kek_);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("root key"), std::string::npos);
}

TEST_F(KeyringTest, SameRootKeyReloadsKeks) {
  auto root_bytes = crypto::SecureKey::Random();
  std::vector<uint8_t> copy(root_bytes.bytes().begin(), root_bytes.bytes().end());
  Keyring first(std::make_unique<LocalRootKeyProvider>("test", crypto::SecureKey::FromBytes(copy)));
  WrappedKek kek = first.CreateKek("org_9", 1).value();
  BlobContext context{"org_9", "cred_z", 1, "CUSTOM", "x"};
  auto blob = first.Seal(context, crypto::AsBytes(secret_));
  ASSERT_TRUE(blob.ok());

  Keyring second(std::make_unique<LocalRootKeyProvider>("test", crypto::SecureKey::FromBytes(copy)));
  ASSERT_TRUE(second.LoadKek(kek).ok());
  auto plain = second.Open(context, *blob);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(std::string(plain->begin(), plain->end()), secret_);
}

}  // namespace
}  // namespace coffer::keyring
