// The KEK version a sealed credential blob names in its header.
//
// Why the store knows this much of the blob: key management asks the store which stored versions
// are wrapped by which KEK (DEKs per KEK for status and retirement, the next batch for re-wrap),
// and answering that by decoding every blob would read the whole vault. So each engine keeps the
// KEK version beside the blob, in an indexed column, and must compute it from the blob's own
// header so the two can never disagree. The store sits below the keyring and cannot call it, so
// this reads the few header bytes itself; keep it in step with src/keyring/sealed_blob.h:
//   format 1: u8 format (= 1), then u32 KEK version, big-endian, then the rest.
// (SQLite computes the same in a generated column; PostgreSQL's engine writes it from here.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace coffer::store {

// Empty for a blob whose header this Coffer cannot read (too short, or an unknown format): such a
// blob is counted under "unknown" and never picked for re-wrap.
inline std::optional<uint32_t> BlobKekVersion(std::span<const uint8_t> blob) {
  constexpr uint8_t kFormatV1 = 1;
  constexpr size_t kHeaderSize = 5;
  if (blob.size() < kHeaderSize || blob[0] != kFormatV1) return std::nullopt;
  return (uint32_t{blob[1]} << 24) | (uint32_t{blob[2]} << 16) | (uint32_t{blob[3]} << 8) | uint32_t{blob[4]};
}

}  // namespace coffer::store
