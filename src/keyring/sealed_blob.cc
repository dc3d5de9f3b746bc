#include "keyring/sealed_blob.h"

#include "crypto/aead.h"
#include "crypto/secure_key.h"

namespace coffer::keyring {
namespace {

constexpr size_t kHeaderSize = 1 + 4;
constexpr size_t kWrappedDekSize = crypto::kNonceSize + crypto::kKeySize + crypto::kTagSize;
constexpr size_t kMinSize = kHeaderSize + kWrappedDekSize + crypto::kNonceSize + crypto::kTagSize;

void Append(std::vector<uint8_t>& out, const std::vector<uint8_t>& part) {
  out.insert(out.end(), part.begin(), part.end());
}

std::vector<uint8_t> Take(std::span<const uint8_t>& in, size_t n) {
  std::vector<uint8_t> out(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
  in = in.subspan(n);
  return out;
}

}  // namespace

std::vector<uint8_t> EncodeSealedBlob(const SealedBlob& blob) {
  std::vector<uint8_t> out;
  out.reserve(kMinSize + blob.ciphertext.size());
  out.push_back(blob.format);
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(blob.kek_version >> shift));
  Append(out, blob.dek_nonce);
  Append(out, blob.wrapped_dek);
  Append(out, blob.dek_tag);
  Append(out, blob.data_nonce);
  Append(out, blob.ciphertext);
  Append(out, blob.data_tag);
  return out;
}

Result<SealedBlob> DecodeSealedBlob(std::span<const uint8_t> in) {
  if (in.empty()) return MakeError(ErrorCode::kDataCorrupted, "a stored credential blob is empty");
  if (in[0] != kBlobFormatV1) {
    return MakeError(ErrorCode::kDataCorrupted,
                     "a stored credential blob has unknown format " + std::to_string(in[0]) +
                         ": it was written by a newer Coffer, or damaged");
  }
  if (in.size() < kMinSize) {
    return MakeError(ErrorCode::kDataCorrupted, "a stored credential blob is truncated");
  }
  SealedBlob blob;
  blob.format = in[0];
  blob.kek_version = (uint32_t{in[1]} << 24) | (uint32_t{in[2]} << 16) | (uint32_t{in[3]} << 8) | in[4];
  in = in.subspan(kHeaderSize);
  blob.dek_nonce = Take(in, crypto::kNonceSize);
  blob.wrapped_dek = Take(in, crypto::kKeySize);
  blob.dek_tag = Take(in, crypto::kTagSize);
  blob.data_nonce = Take(in, crypto::kNonceSize);
  blob.ciphertext = Take(in, in.size() - crypto::kTagSize);
  blob.data_tag = Take(in, crypto::kTagSize);
  return blob;
}

}  // namespace coffer::keyring
