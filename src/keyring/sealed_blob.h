// The self-describing, on-disk form of one encrypted credential version.
//
// Format 1 (all integers big-endian):
//   u8  format (= 1)
//   u32 KEK version that wraps the DEK
//   12  DEK-wrap nonce | 32 wrapped DEK | 16 DEK-wrap tag
//   12  data nonce     | N ciphertext   | 16 data tag
// A reader dispatches on the first byte, so later formats can be added while format 1 stays readable.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"

namespace coffer::keyring {

inline constexpr uint8_t kBlobFormatV1 = 1;

struct SealedBlob {
  uint8_t format = kBlobFormatV1;
  uint32_t kek_version = 0;
  std::vector<uint8_t> dek_nonce, wrapped_dek, dek_tag;
  std::vector<uint8_t> data_nonce, ciphertext, data_tag;
};

std::vector<uint8_t> EncodeSealedBlob(const SealedBlob& blob);
Result<SealedBlob> DecodeSealedBlob(std::span<const uint8_t> bytes);

}  // namespace coffer::keyring
