// AES-256-GCM against the published test vectors (McGrew & Viega, "The Galois/Counter Mode of
// Operation", test cases 13-16, the 256-bit-key cases also used by NIST's GCM validation).
#include <gtest/gtest.h>

#include "crypto/aead.h"
#include "crypto/encoding.h"

namespace coffer::crypto {
namespace {

std::vector<uint8_t> Hex(const std::string& s) { return *HexDecode(s); }

struct Vector {
  const char* name;
  const char* key;
  const char* iv;
  const char* plaintext;
  const char* aad;
  const char* ciphertext;
  const char* tag;
};

const Vector kVectors[] = {
    {"case13", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"case14", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "00000000000000000000000000000000", "",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"case15", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525"
     "b16aedf5aa0de657ba637b391aafd255",
     "",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838"
     "c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"case16", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525"
     "b16aedf5aa0de657ba637b39",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838"
     "c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

TEST(AeadTest, SealMatchesPublishedVectors) {
  for (const Vector& v : kVectors) {
    SCOPED_TRACE(v.name);
    SealedBox box = AeadSealWithNonceForTesting(Hex(v.key), Hex(v.iv), Hex(v.plaintext), Hex(v.aad));
    EXPECT_EQ(HexEncode(box.ciphertext), v.ciphertext);
    EXPECT_EQ(HexEncode(box.tag), v.tag);
  }
}

TEST(AeadTest, OpenMatchesPublishedVectors) {
  for (const Vector& v : kVectors) {
    SCOPED_TRACE(v.name);
    std::vector<uint8_t> plain;
    ASSERT_TRUE(AeadOpen(Hex(v.key), Hex(v.iv), Hex(v.ciphertext), Hex(v.tag), Hex(v.aad), plain).ok());
    EXPECT_EQ(HexEncode(plain), v.plaintext);
  }
}

TEST(AeadTest, AnyFlippedBitFailsToOpen) {
  const Vector& v = kVectors[3];
  auto key = Hex(v.key), iv = Hex(v.iv), ct = Hex(v.ciphertext), tag = Hex(v.tag), aad = Hex(v.aad);
  std::vector<std::vector<uint8_t>*> parts = {&iv, &ct, &tag, &aad};
  for (auto* part : parts) {
    for (size_t i = 0; i < part->size(); ++i) {
      (*part)[i] ^= 0x01;
      std::vector<uint8_t> plain;
      Status s = AeadOpen(key, iv, ct, tag, aad, plain);
      EXPECT_FALSE(s.ok());
      EXPECT_EQ(s.error().code, ErrorCode::kDataCorrupted);
      EXPECT_TRUE(plain.empty()) << "no partial plaintext may escape a failed open";
      (*part)[i] ^= 0x01;
    }
  }
}

TEST(AeadTest, FreshNonceEverySeal) {
  SecureKey key = SecureKey::Random();
  std::vector<uint8_t> plain = {1, 2, 3};
  SealedBox a = AeadSeal(key, plain, {});
  SealedBox b = AeadSeal(key, plain, {});
  EXPECT_NE(a.nonce, b.nonce);
  EXPECT_NE(a.ciphertext, b.ciphertext);
}

}  // namespace
}  // namespace coffer::crypto
