#include "keyring/root_key_provider.h"

#include "crypto/aead.h"
#include "crypto/encoding.h"
#include "core/secure_wipe.h"

namespace coffer::keyring {

// A wrapped key is nonce || ciphertext || tag.
LocalRootKeyProvider::LocalRootKeyProvider(std::string kind, crypto::SecureKey root_key)
    : kind_(std::move(kind)), root_key_(std::move(root_key)) {}

Result<std::vector<uint8_t>> LocalRootKeyProvider::WrapKey(const crypto::SecureKey& key,
                                                           std::span<const uint8_t> associated_data) {
  crypto::SealedBox box = crypto::AeadSeal(root_key_, key.bytes(), associated_data);
  std::vector<uint8_t> out;
  out.reserve(box.nonce.size() + box.ciphertext.size() + box.tag.size());
  out.insert(out.end(), box.nonce.begin(), box.nonce.end());
  out.insert(out.end(), box.ciphertext.begin(), box.ciphertext.end());
  out.insert(out.end(), box.tag.begin(), box.tag.end());
  return out;
}

Result<crypto::SecureKey> LocalRootKeyProvider::UnwrapKey(std::span<const uint8_t> wrapped,
                                                          std::span<const uint8_t> associated_data) {
  constexpr size_t kWrappedSize = crypto::kNonceSize + crypto::kKeySize + crypto::kTagSize;
  if (wrapped.size() != kWrappedSize) {
    return MakeError(ErrorCode::kDataCorrupted, "a wrapped key has the wrong length");
  }
  std::vector<uint8_t> plain;
  Status opened = crypto::AeadOpen(root_key_.bytes(), wrapped.subspan(0, crypto::kNonceSize),
                                   wrapped.subspan(crypto::kNonceSize, crypto::kKeySize),
                                   wrapped.subspan(crypto::kNonceSize + crypto::kKeySize),
                                   associated_data, plain);
  if (!opened.ok()) return opened.error();
  crypto::SecureKey key = crypto::SecureKey::FromBytes(plain);
  SecureWipe(plain.data(), plain.size());
  return key;
}

Result<crypto::SecureKey> DecodeBase64RootKey(std::string& text, const std::string& where) {
  auto decoded = crypto::Base64Decode(text);
  SecureWipe(text);
  if (!decoded || decoded->size() != crypto::kKeySize) {
    if (decoded) SecureWipe(decoded->data(), decoded->size());
    return MakeError(ErrorCode::kInvalidArgument,
                     where + " must hold a base64-encoded 32-byte key (e.g. `openssl rand -base64 32`)");
  }
  crypto::SecureKey key = crypto::SecureKey::FromBytes(*decoded);
  SecureWipe(decoded->data(), decoded->size());
  return key;
}

}  // namespace coffer::keyring
