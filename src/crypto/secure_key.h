// A fixed-size key held in locked, guard-paged memory (a slot of one sodium_malloc region): never
// swapped to disk, never in a core dump, wiped on destruction. Move-only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace coffer::crypto {

inline constexpr size_t kKeySize = 32;  // AES-256

class SecureKey {
 public:
  // A key of zeros; fill it through mutable_bytes() or use Random()/FromBytes().
  SecureKey();
  ~SecureKey();
  SecureKey(SecureKey&& other) noexcept;
  SecureKey& operator=(SecureKey&& other) noexcept;
  SecureKey(const SecureKey&) = delete;
  SecureKey& operator=(const SecureKey&) = delete;

  static SecureKey Random();
  // Copies exactly kKeySize bytes; the caller wipes its own copy.
  static SecureKey FromBytes(std::span<const uint8_t> bytes);

  std::span<const uint8_t, kKeySize> bytes() const { return std::span<const uint8_t, kKeySize>(data_, kKeySize); }
  std::span<uint8_t, kKeySize> mutable_bytes() { return std::span<uint8_t, kKeySize>(data_, kKeySize); }

 private:
  uint8_t* data_;
};

// Must run once before any other crypto call (initialises libsodium). Returns false if it cannot.
bool InitCrypto();

}  // namespace coffer::crypto
