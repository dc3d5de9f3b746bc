#include "crypto/secure_key.h"

#include <cstring>
#include <mutex>
#include <vector>
#include <new>
#include <stdexcept>

#include <sodium.h>

#include "crypto/random.h"

namespace coffer::crypto {

bool InitCrypto() { return sodium_init() >= 0; }

namespace {

// Per-request keys (a DEK per read and per write) would each cost sodium_malloc's mmap and
// mprotect calls, and every mprotect flushes the TLB of every core: under load that was a fifth of
// the server's time. Keys instead take 32-byte slots of one region that sodium_malloc made at the
// start (locked, excluded from core dumps, behind guard pages), and are wiped when they return.
// Should the region ever run out, a key gets its own sodium_malloc as before.
class KeyArena {
 public:
  static KeyArena& Instance() {
    // Never destroyed: keys held by other static objects may outlive any destructor order.
    static KeyArena* arena = new KeyArena();
    return *arena;
  }

  uint8_t* Allocate() {
    {
      std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        uint8_t* slot = free_.back();
        free_.pop_back();
        return slot;
      }
    }
    auto* p = static_cast<uint8_t*>(sodium_malloc(kKeySize));
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }

  void Release(uint8_t* p) {
    if (base_ != nullptr && p >= base_ && p < base_ + kSlots * kKeySize) {
      sodium_memzero(p, kKeySize);
      std::lock_guard lock(mutex_);
      free_.push_back(p);
    } else {
      sodium_free(p);  // wipes before it unlocks and frees
    }
  }

 private:
  static constexpr size_t kSlots = 16384;  // 512 KiB of locked memory

  KeyArena() {
    // sodium_malloc needs sodium_init first; doing it here means no caller can forget.
    if (!InitCrypto()) throw std::runtime_error("libsodium failed to initialise");
    base_ = static_cast<uint8_t*>(sodium_malloc(kSlots * kKeySize));
    if (base_ == nullptr) return;  // no arena (RLIMIT_MEMLOCK): every key falls back
    free_.reserve(kSlots);
    for (size_t i = kSlots; i > 0; --i) free_.push_back(base_ + (i - 1) * kKeySize);
  }

  uint8_t* base_ = nullptr;
  std::mutex mutex_;
  std::vector<uint8_t*> free_;
};

}  // namespace

SecureKey::SecureKey() : data_(KeyArena::Instance().Allocate()) {
  sodium_memzero(data_, kKeySize);
}

SecureKey::~SecureKey() {
  if (data_ != nullptr) KeyArena::Instance().Release(data_);
}

SecureKey::SecureKey(SecureKey&& other) noexcept : data_(other.data_) { other.data_ = nullptr; }

SecureKey& SecureKey::operator=(SecureKey&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) KeyArena::Instance().Release(data_);
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
