#include "keyring/keyring.h"

#include <mutex>

#include "core/secure_wipe.h"
#include "crypto/aead.h"
#include "crypto/encoding.h"
#include "crypto/hash.h"
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

// Associated data of keys other than KEKs sealed under the root key, bound to their purpose.
std::string RootWrapAd(std::string_view purpose) { return "coffer/root-wrapped/v1/" + std::string(purpose); }

// Names a blob in errors by id, never by name: these messages reach logs and key status.
std::string Which(const BlobContext& c) {
  return "credential " + c.credential_id + " version " + std::to_string(c.version);
}

Error KekMissing(const BlobContext& c, uint32_t kek_version) {
  return MakeError(ErrorCode::kDataCorrupted,
                   Which(c) + " is sealed under KEK version " + std::to_string(kek_version) +
                       ", which this server does not hold");
}

Error DekAltered(const BlobContext& c) {
  return MakeError(ErrorCode::kDataCorrupted,
                   Which(c) + " failed to decrypt: its stored key was altered or belongs elsewhere");
}

void PutWrappedDek(SealedBlob& blob, uint32_t kek_version, crypto::SealedBox wrapped_dek) {
  blob.kek_version = kek_version;
  blob.dek_nonce = std::move(wrapped_dek.nonce);
  blob.wrapped_dek = std::move(wrapped_dek.ciphertext);
  blob.dek_tag = std::move(wrapped_dek.tag);
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
  auto it = keks_.find(KekId{kek.org_id, kek.version});
  if (it == keks_.end()) {
    keks_.emplace(KekId{kek.org_id, kek.version}, Kek{std::move(key).value()});
  } else {
    it->second.key = std::move(key).value();  // keep the count: reloading is not a new key
  }
  uint32_t& current = current_[kek.org_id];
  if (kek.version > current) current = kek.version;
  return Status::Ok();
}

Result<WrappedKek> Keyring::CreateKek(const std::string& org_id, uint32_t version) {
  auto prepared = PrepareKek(org_id, version);
  if (!prepared.ok()) return prepared.error();
  ActivateKek(org_id, version);
  return prepared;
}

Result<WrappedKek> Keyring::PrepareKek(const std::string& org_id, uint32_t version) {
  crypto::SecureKey kek = crypto::SecureKey::Random();
  auto wrapped = root_->WrapKey(kek, KekAd(org_id, version).bytes());
  if (!wrapped.ok()) return wrapped.error();
  std::unique_lock lock(mutex_);
  keks_.insert_or_assign(KekId{org_id, version}, Kek{std::move(kek)});
  return WrappedKek{org_id, version, std::move(wrapped).value()};
}

void Keyring::ActivateKek(const std::string& org_id, uint32_t version) {
  std::unique_lock lock(mutex_);
  if (keks_.count(KekId{org_id, version}) == 0) return;
  uint32_t& current = current_[org_id];
  if (version > current) current = version;
}

void Keyring::ForgetKek(const std::string& org_id, uint32_t version) {
  std::unique_lock lock(mutex_);
  auto current = current_.find(org_id);
  if (current != current_.end() && current->second == version) return;  // never the one in use
  keks_.erase(KekId{org_id, version});  // SecureKey's destructor wipes it
}

uint32_t Keyring::CurrentKekVersion(const std::string& org_id) const {
  std::shared_lock lock(mutex_);
  auto it = current_.find(org_id);
  return it == current_.end() ? 0 : it->second;
}

bool Keyring::HasKek(const std::string& org_id, uint32_t version) const {
  std::shared_lock lock(mutex_);
  return FindKek(org_id, version) != nullptr;
}

uint64_t Keyring::EncryptionCount(const std::string& org_id, uint32_t version) const {
  std::shared_lock lock(mutex_);
  const Kek* kek = FindKek(org_id, version);
  return kek == nullptr ? 0 : kek->encryptions->load();
}

void Keyring::SetEncryptionCount(const std::string& org_id, uint32_t version, uint64_t count) {
  std::shared_lock lock(mutex_);
  const Kek* kek = FindKek(org_id, version);
  if (kek == nullptr) return;
  // Never lower it: seals that ran since start-up count too.
  uint64_t seen = kek->encryptions->load();
  while (seen < count && !kek->encryptions->compare_exchange_weak(seen, count)) {
  }
}

const Keyring::Kek* Keyring::FindKek(const std::string& org_id, uint32_t version) const {
  auto it = keks_.find(KekId{org_id, version});
  return it == keks_.end() ? nullptr : &it->second;
}

Status Keyring::CountEncryption(const Kek& kek, const std::string& org_id, uint32_t version) {
  if (kek.encryptions->fetch_add(1) >= kMaxEncryptionsPerKek) {
    kek.encryptions->fetch_sub(1);
    return MakeError(ErrorCode::kUnavailable,
                     "KEK version " + std::to_string(version) + " of org " + org_id +
                         " has used up its 2^32 AES-GCM encryptions (NIST SP 800-38D): rotate it with "
                         "`coffer keys rotate` before storing more");
  }
  return Status::Ok();
}

Result<std::vector<uint8_t>> Keyring::Seal(const BlobContext& context,
                                           std::span<const uint8_t> plaintext) const {
  std::shared_lock lock(mutex_);
  auto current = current_.find(context.org_id);
  const Kek* kek = current == current_.end() ? nullptr : FindKek(context.org_id, current->second);
  if (kek == nullptr) {
    return MakeError(ErrorCode::kInternal, "org " + context.org_id + " has no key-encryption key");
  }
  const uint32_t kek_version = current->second;
  COFFER_TRY(CountEncryption(*kek, context.org_id, kek_version));
  crypto::SecureKey dek = crypto::SecureKey::Random();
  crypto::SealedBox wrapped_dek = crypto::AeadSeal(kek->key, dek.bytes(), DekAd(context, kek_version).bytes());
  lock.unlock();
  crypto::SealedBox data = crypto::AeadSeal(dek, plaintext, DataAd(context).bytes());

  SealedBlob blob;
  PutWrappedDek(blob, kek_version, std::move(wrapped_dek));
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
    const Kek* kek = FindKek(context.org_id, blob->kek_version);
    if (kek == nullptr) return KekMissing(context, blob->kek_version);
    Status unwrapped = crypto::AeadOpen(kek->key.bytes(), blob->dek_nonce, blob->wrapped_dek,
                                        blob->dek_tag, DekAd(context, blob->kek_version).bytes(), dek);
    if (!unwrapped.ok()) return DekAltered(context);
  }
  std::vector<uint8_t> plaintext;
  Status opened = crypto::AeadOpen(dek, blob->data_nonce, blob->ciphertext, blob->data_tag,
                                   DataAd(context).bytes(), plaintext);
  SecureWipe(dek.data(), dek.size());
  if (!opened.ok()) {
    return MakeError(ErrorCode::kDataCorrupted,
                     Which(context) + " failed to decrypt: its stored data was altered or belongs elsewhere");
  }
  return plaintext;
}

Result<std::vector<uint8_t>> Keyring::Reseal(const BlobContext& context, std::span<const uint8_t> blob) const {
  auto plaintext = Open(context, blob);
  if (!plaintext.ok()) return plaintext.error();
  auto sealed = Seal(context, *plaintext);
  SecureWipe(plaintext->data(), plaintext->size());
  return sealed;
}

Result<std::vector<uint8_t>> Keyring::RewrapDek(const BlobContext& context, std::span<const uint8_t> bytes,
                                                uint32_t target_version) const {
  auto blob = DecodeSealedBlob(bytes);
  if (!blob.ok()) return blob.error();

  std::shared_lock lock(mutex_);
  const Kek* target = FindKek(context.org_id, target_version);
  if (target == nullptr) {
    return MakeError(ErrorCode::kInternal, "org " + context.org_id + " holds no KEK version " +
                                               std::to_string(target_version) + " to re-wrap under");
  }
  if (blob->kek_version == target_version) return std::vector<uint8_t>(bytes.begin(), bytes.end());
  const Kek* source = FindKek(context.org_id, blob->kek_version);
  if (source == nullptr) return KekMissing(context, blob->kek_version);

  std::vector<uint8_t> plain_dek;
  Status unwrapped = crypto::AeadOpen(source->key.bytes(), blob->dek_nonce, blob->wrapped_dek, blob->dek_tag,
                                      DekAd(context, blob->kek_version).bytes(), plain_dek);
  if (!unwrapped.ok()) return DekAltered(context);
  // Into locked memory at once, so the only plain copy outside it lives for one statement.
  crypto::SecureKey dek = crypto::SecureKey::FromBytes(plain_dek);
  SecureWipe(plain_dek.data(), plain_dek.size());
  COFFER_TRY(CountEncryption(*target, context.org_id, target_version));
  PutWrappedDek(*blob, target_version,
                crypto::AeadSeal(target->key, dek.bytes(), DekAd(context, target_version).bytes()));
  return EncodeSealedBlob(*blob);
}

Result<std::vector<WrappedKek>> Keyring::WrapAllKeksUnder(RootKeyProvider& new_root) const {
  std::shared_lock lock(mutex_);
  std::vector<WrappedKek> out;
  for (const auto& [id, kek] : keks_) {
    auto ad = KekAd(id.first, id.second);
    auto wrapped = new_root.WrapKey(kek.key, ad.bytes());
    if (!wrapped.ok()) return wrapped.error();
    auto check = new_root.UnwrapKey(*wrapped, ad.bytes());
    if (!check.ok() || !crypto::ConstantTimeEquals(check->bytes(), kek.key.bytes())) {
      return MakeError(ErrorCode::kInternal,
                       "the new root key did not give back a key it had just wrapped: nothing was changed");
    }
    out.push_back(WrappedKek{id.first, id.second, std::move(wrapped).value()});
  }
  return out;
}

Result<std::vector<uint8_t>> Keyring::WrapUnderRoot(const crypto::SecureKey& key, std::string_view purpose) const {
  const std::string ad = RootWrapAd(purpose);
  return root_->WrapKey(key, crypto::AsBytes(ad));
}

Result<crypto::SecureKey> Keyring::UnwrapUnderRoot(std::span<const uint8_t> wrapped, std::string_view purpose) const {
  const std::string ad = RootWrapAd(purpose);
  return root_->UnwrapKey(wrapped, crypto::AsBytes(ad));
}

Result<std::vector<uint8_t>> Keyring::RewrapUnderNewRoot(std::span<const uint8_t> wrapped, std::string_view purpose,
                                                         RootKeyProvider& new_root) const {
  auto key = UnwrapUnderRoot(wrapped, purpose);
  if (!key.ok()) {
    return MakeError(ErrorCode::kDataCorrupted,
                     "the " + std::string(purpose) + " key does not open with the current root key");
  }
  const std::string ad = RootWrapAd(purpose);
  auto rewrapped = new_root.WrapKey(*key, crypto::AsBytes(ad));
  if (!rewrapped.ok()) return rewrapped.error();
  auto check = new_root.UnwrapKey(*rewrapped, crypto::AsBytes(ad));
  if (!check.ok() || !crypto::ConstantTimeEquals(check->bytes(), key->bytes())) {
    return MakeError(ErrorCode::kInternal,
                     "the new root key did not give back a key it had just wrapped: nothing was changed");
  }
  return rewrapped;
}

}  // namespace coffer::keyring
