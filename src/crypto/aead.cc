#include "crypto/aead.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/random.h"

namespace coffer::crypto {
namespace {

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

// Fetched once: EVP_CIPHER_fetch per call would cost a provider lookup on the hot path.
const EVP_CIPHER* Aes256Gcm() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "coffer: fatal: OpenSSL %s failed\n", what);
  std::abort();
}

SealedBox SealInternal(std::span<const uint8_t> key, std::span<const uint8_t> nonce,
                       std::span<const uint8_t> plaintext, std::span<const uint8_t> ad) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || Aes256Gcm() == nullptr) Die("cipher set-up");
  if (key.size() != kKeySize || nonce.size() != kNonceSize) Die("seal parameter check");
  if (EVP_EncryptInit_ex2(ctx.get(), Aes256Gcm(), key.data(), nonce.data(), nullptr) != 1) {
    Die("encrypt init");
  }
  int len = 0;
  if (!ad.empty() &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, ad.data(), static_cast<int>(ad.size())) != 1) {
    Die("encrypt aad");
  }
  SealedBox box;
  box.nonce.assign(nonce.begin(), nonce.end());
  box.ciphertext.resize(plaintext.size());
  if (!plaintext.empty() &&
      EVP_EncryptUpdate(ctx.get(), box.ciphertext.data(), &len, plaintext.data(),
                        static_cast<int>(plaintext.size())) != 1) {
    Die("encrypt");
  }
  if (EVP_EncryptFinal_ex(ctx.get(), box.ciphertext.data() + plaintext.size(), &len) != 1) {
    Die("encrypt final");
  }
  box.tag.resize(kTagSize);
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, box.tag.data()) != 1) {
    Die("get tag");
  }
  return box;
}

}  // namespace

SealedBox AeadSeal(const SecureKey& key, std::span<const uint8_t> plaintext,
                   std::span<const uint8_t> associated_data) {
  uint8_t nonce[kNonceSize];
  FillRandom(nonce);
  return SealInternal(key.bytes(), nonce, plaintext, associated_data);
}

SealedBox AeadSealWithNonceForTesting(std::span<const uint8_t> key, std::span<const uint8_t> nonce,
                                      std::span<const uint8_t> plaintext,
                                      std::span<const uint8_t> associated_data) {
  return SealInternal(key, nonce, plaintext, associated_data);
}

Status AeadOpen(std::span<const uint8_t> key, std::span<const uint8_t> nonce,
                std::span<const uint8_t> ciphertext, std::span<const uint8_t> tag,
                std::span<const uint8_t> ad, std::vector<uint8_t>& out) {
  auto corrupted = [&out]() {
    OPENSSL_cleanse(out.data(), out.size());
    out.clear();
    return MakeError(ErrorCode::kDataCorrupted,
                     "decryption failed: the data was altered, moved, or sealed under another key");
  };
  if (key.size() != kKeySize || nonce.size() != kNonceSize || tag.size() != kTagSize) {
    return corrupted();
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || Aes256Gcm() == nullptr) Die("cipher set-up");
  if (EVP_DecryptInit_ex2(ctx.get(), Aes256Gcm(), key.data(), nonce.data(), nullptr) != 1) {
    Die("decrypt init");
  }
  int len = 0;
  if (!ad.empty() &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, ad.data(), static_cast<int>(ad.size())) != 1) {
    return corrupted();
  }
  out.resize(ciphertext.size());
  if (!ciphertext.empty() &&
      EVP_DecryptUpdate(ctx.get(), out.data(), &len, ciphertext.data(),
                        static_cast<int>(ciphertext.size())) != 1) {
    return corrupted();
  }
  // OpenSSL's API takes a non-const tag pointer; it only reads it.
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize,
                          const_cast<uint8_t*>(tag.data())) != 1) {
    return corrupted();
  }
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + ciphertext.size(), &len) != 1) {
    return corrupted();
  }
  return Status::Ok();
}

}  // namespace coffer::crypto
