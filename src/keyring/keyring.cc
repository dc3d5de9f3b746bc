#include "keyring/keyring.h"

#include <mutex>

#include "core/secure_wipe.h"
#include "crypto/aead.h"
#include "keyring/sealed_blob.h"

namespace coffer::keyring {
namespace {

// Length-prefixed fields, so ("ab","c") and ("a","bc") never produce the same associated data.
class AssociatedData {
 public:
  explicit AssociatedData(std::string_view label) { Add(label); }
  AssociatedData& Add(std::string_view field) {
    uint32_t n = static_cast<uint32_t>(field.size());
    for (int shift = 24; shift >= 0; shift -= 8) bytes_.push_back(static_cast<uint8_t>(n >> shift));
    bytes_.insert(bytes_.end(), field.begin(), field.end());
    return *this;
  }
  AssociatedData& Add(uint64_t number) { return Add(std::to_string(number)); }
  std::span<const uint8_t> bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

AssociatedData KekAd(const std::string& org_id, uint32_t version) {
  AssociatedData ad("coffer/kek/v1");
  ad.Add(org_id).Add(version);
  return ad;
}

AssociatedData DekAd(const BlobContext& c, uint32_t kek_version) {
  AssociatedData ad("coffer/dek/v1");
  ad.Add(c.org_id).Add(c.credential_id).Add(static_cast<uint64_t>(c.version)).Add(kek_version);
  return ad;
}

AssociatedData DataAd(const BlobContext& c) {
  AssociatedData ad("coffer/data/v1");
  ad.Add(c.org_id).Add(c.credential_id).Add(static_cast<uint64_t>(c.version)).Add(c.type).Add(c.name);
  return ad;
}

}  // namespace

Keyring::Keyring(std::unique_ptr<RootKeyProvider> root) : root_(std::move(root)) {}

Status Keyring::LoadKek(const WrappedKek& kek) {
  auto key = root_->UnwrapKey(kek.wrapped, KekAd(kek.org_id, kek.version).bytes());
  if (!key.ok()) {
    return MakeError(ErrorCode::kDataCorrupted,
                     "the root key does not open this data directory's keys (org " + kek.org_id +
                         ", KEK version " + std::to_string(kek.version) +
                         "): start with the root key this data was created with");
  }
  std::unique_lock lock(mutex_);
  keks_.insert_or_assign(KekId{kek.org_id, kek.version}, std::move(key).value());
  uint32_t& current = current_[kek.org_id];
  if (kek.version > current) current = kek.version;
  return Status::Ok();
}

WrappedKek Keyring::CreateKek(const std::string& org_id, uint32_t version) {
  crypto::SecureKey kek = crypto::SecureKey::Random();
  WrappedKek wrapped{org_id, version, root_->WrapKey(kek, KekAd(org_id, version).bytes())};
  std::unique_lock lock(mutex_);
  keks_.insert_or_assign(KekId{org_id, version}, std::move(kek));
  uint32_t& current = current_[org_id];
  if (version > current) current = version;
  return wrapped;
}

uint32_t Keyring::CurrentKekVersion(const std::string& org_id) const {
  std::shared_lock lock(mutex_);
  auto it = current_.find(org_id);
  return it == current_.end() ? 0 : it->second;
}

const crypto::SecureKey* Keyring::FindKek(const std::string& org_id, uint32_t version) const {
  auto it = keks_.find(KekId{org_id, version});
  return it == keks_.end() ? nullptr : &it->second;
}

Result<std::vector<uint8_t>> Keyring::Seal(const BlobContext& context,
                                           std::span<const uint8_t> plaintext) const {
  std::shared_lock lock(mutex_);
  auto current = current_.find(context.org_id);
  const crypto::SecureKey* kek =
      current == current_.end() ? nullptr : FindKek(context.org_id, current->second);
  if (kek == nullptr) {
    return MakeError(ErrorCode::kInternal, "org " + context.org_id + " has no key-encryption key");
  }
  const uint32_t kek_version = current->second;
  crypto::SecureKey dek = crypto::SecureKey::Random();
  crypto::SealedBox wrapped_dek = crypto::AeadSeal(*kek, dek.bytes(), DekAd(context, kek_version).bytes());
  lock.unlock();
  crypto::SealedBox data = crypto::AeadSeal(dek, plaintext, DataAd(context).bytes());

  SealedBlob blob;
  blob.kek_version = kek_version;
  blob.dek_nonce = std::move(wrapped_dek.nonce);
  blob.wrapped_dek = std::move(wrapped_dek.ciphertext);
  blob.dek_tag = std::move(wrapped_dek.tag);
  blob.data_nonce = std::move(data.nonce);
  blob.ciphertext = std::move(data.ciphertext);
  blob.data_tag = std::move(data.tag);
  return EncodeSealedBlob(blob);
}

Result<std::vector<uint8_t>> Keyring::Open(const BlobContext& context,
                                           std::span<const uint8_t> bytes) const {
  auto blob = DecodeSealedBlob(bytes);
  if (!blob.ok()) return blob.error();

  std::vector<uint8_t> dek;
  {
    std::shared_lock lock(mutex_);
    const crypto::SecureKey* kek = FindKek(context.org_id, blob->kek_version);
    if (kek == nullptr) {
      return MakeError(ErrorCode::kDataCorrupted,
                       "credential '" + context.name + "' is sealed under KEK version " +
                           std::to_string(blob->kek_version) + ", which this server does not hold");
    }
    Status unwrapped = crypto::AeadOpen(kek->bytes(), blob->dek_nonce, blob->wrapped_dek,
                                        blob->dek_tag, DekAd(context, blob->kek_version).bytes(), dek);
    if (!unwrapped.ok()) {
      return MakeError(ErrorCode::kDataCorrupted,
                       "credential '" + context.name + "' failed to decrypt: its stored key was altered or belongs elsewhere");
    }
  }
  std::vector<uint8_t> plaintext;
  Status opened = crypto::AeadOpen(dek, blob->data_nonce, blob->ciphertext, blob->data_tag,
                                   DataAd(context).bytes(), plaintext);
  SecureWipe(dek.data(), dek.size());
  if (!opened.ok()) {
    return MakeError(ErrorCode::kDataCorrupted,
                     "credential '" + context.name + "' failed to decrypt: its stored data was altered or belongs elsewhere");
  }
  return plaintext;
}

}  // namespace coffer::keyring
