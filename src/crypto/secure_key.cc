#include "crypto/secure_key.h"

#include <cstring>
#include <new>
#include <stdexcept>

#include <sodium.h>

#include "crypto/random.h"

namespace coffer::crypto {

bool InitCrypto() { return sodium_init() >= 0; }

namespace {

// sodium_malloc needs sodium_init first; doing it here means no caller can forget.
uint8_t* AllocateLocked() {
  static const bool initialised = InitCrypto();
  if (!initialised) throw std::runtime_error("libsodium failed to initialise");
  auto* p = static_cast<uint8_t*>(sodium_malloc(kKeySize));
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

SecureKey::SecureKey() : data_(AllocateLocked()) {
  sodium_memzero(data_, kKeySize);
}

SecureKey::~SecureKey() {
  if (data_ != nullptr) sodium_free(data_);  // sodium_free wipes before it unlocks and frees
}

SecureKey::SecureKey(SecureKey&& other) noexcept : data_(other.data_) { other.data_ = nullptr; }

SecureKey& SecureKey::operator=(SecureKey&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) sodium_free(data_);
    data_ = other.data_;
    other.data_ = nullptr;
  }
  return *this;
}

SecureKey SecureKey::Random() {
  SecureKey key;
  FillRandom(key.mutable_bytes());
  return key;
}

SecureKey SecureKey::FromBytes(std::span<const uint8_t> bytes) {
  SecureKey key;
  std::memcpy(key.data_, bytes.data(), bytes.size() < kKeySize ? bytes.size() : kKeySize);
  return key;
}

}  // namespace coffer::crypto
