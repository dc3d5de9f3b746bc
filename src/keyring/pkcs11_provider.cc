#include "keyring/pkcs11_provider.h"

#include <dlfcn.h>

#include <cstdio>
#include <mutex>
#include <vector>

#include <p11-kit/pkcs11.h>

#include "core/log.h"
#include "core/secure_wipe.h"
#include "crypto/aead.h"
#include "crypto/random.h"

namespace coffer::keyring {
namespace {

constexpr size_t kWrappedSize = crypto::kNonceSize + crypto::kKeySize + crypto::kTagSize;

std::string RvName(CK_RV rv) {
  switch (rv) {
    case CKR_PIN_INCORRECT: return "CKR_PIN_INCORRECT";
    case CKR_PIN_LOCKED: return "CKR_PIN_LOCKED";
    case CKR_PIN_EXPIRED: return "CKR_PIN_EXPIRED";
    case CKR_TOKEN_NOT_PRESENT: return "CKR_TOKEN_NOT_PRESENT";
    case CKR_DEVICE_REMOVED: return "CKR_DEVICE_REMOVED";
    case CKR_DEVICE_ERROR: return "CKR_DEVICE_ERROR";
    case CKR_MECHANISM_INVALID: return "CKR_MECHANISM_INVALID";
    case CKR_MECHANISM_PARAM_INVALID: return "CKR_MECHANISM_PARAM_INVALID";
    case CKR_KEY_FUNCTION_NOT_PERMITTED: return "CKR_KEY_FUNCTION_NOT_PERMITTED";
    case CKR_KEY_TYPE_INCONSISTENT: return "CKR_KEY_TYPE_INCONSISTENT";
    case CKR_ENCRYPTED_DATA_INVALID: return "CKR_ENCRYPTED_DATA_INVALID";
    case CKR_USER_TYPE_INVALID: return "CKR_USER_TYPE_INVALID";
    case CKR_SESSION_HANDLE_INVALID: return "CKR_SESSION_HANDLE_INVALID";
    case CKR_ARGUMENTS_BAD: return "CKR_ARGUMENTS_BAD";
    default: break;
  }
  char text[32];
  std::snprintf(text, sizeof text, "CKR 0x%lx", static_cast<unsigned long>(rv));
  return text;
}

// Token labels are fixed 32-byte fields padded with spaces.
std::string TrimmedLabel(const unsigned char (&field)[32]) {
  std::string label(reinterpret_cast<const char*>(field), sizeof field);
  while (!label.empty() && (label.back() == ' ' || label.back() == '\0')) label.pop_back();
  return label;
}

class Pkcs11Provider : public RootKeyProvider {
 public:
  Pkcs11Provider() = default;
  ~Pkcs11Provider() override {
    if (functions_ != nullptr) {
      if (logged_in_) functions_->C_Logout(session_);
      if (session_open_) functions_->C_CloseSession(session_);
      if (initialized_) functions_->C_Finalize(nullptr);
    }
    if (module_ != nullptr) ::dlclose(module_);
  }
  Pkcs11Provider(const Pkcs11Provider&) = delete;
  Pkcs11Provider& operator=(const Pkcs11Provider&) = delete;

  std::string_view kind() const override { return "pkcs11"; }

  Status Open(Pkcs11Config& config) {
    module_ = ::dlopen(config.module_path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (module_ == nullptr) {
      const char* why = ::dlerror();
      return MakeError(ErrorCode::kNotFound,
                       "cannot load the PKCS#11 module " + config.module_path + ": " +
                           (why ? why : "unknown error") + ": check --pkcs11-module");
    }
    auto get_list = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(module_, "C_GetFunctionList"));
    if (get_list == nullptr || get_list(&functions_) != CKR_OK || functions_ == nullptr) {
      return MakeError(ErrorCode::kInvalidArgument,
                       config.module_path + " is not a PKCS#11 module (no C_GetFunctionList)");
    }
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    CK_RV rv = functions_->C_Initialize(&args);
    if (rv == CKR_OK) {
      initialized_ = true;
    } else if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      return Fail("initialising the PKCS#11 module " + config.module_path, rv);
    }
    COFFER_TRY(OpenSessionOnToken(config.token_label));
    COFFER_TRY(Login(config.pin, config.token_label));
    return FindKey(config.key_label, config.token_label);
  }

  Result<std::vector<uint8_t>> WrapKey(const crypto::SecureKey& key,
                                       std::span<const uint8_t> associated_data) override {
    std::vector<uint8_t> out(kWrappedSize);
    // A fresh random nonce per wrap: the HSM key's own GCM budget is spent only on KEK wraps,
    // which are rare (one per KEK rotation and per root rotation).
    crypto::FillRandom(std::span<uint8_t>(out.data(), crypto::kNonceSize));
    CK_GCM_PARAMS params = GcmParams(out.data(), associated_data);
    CK_MECHANISM mechanism{CKM_AES_GCM, &params, sizeof params};
    std::lock_guard lock(mutex_);
    CK_RV rv = functions_->C_EncryptInit(session_, &mechanism, key_);
    if (rv != CKR_OK) return Fail("starting AES-GCM encryption in the HSM", rv);
    CK_ULONG out_len = crypto::kKeySize + crypto::kTagSize;
    // The KEK goes in as plaintext data: PKCS#11 has no const, but C_Encrypt does not write it.
    rv = functions_->C_Encrypt(session_, const_cast<CK_BYTE*>(key.bytes().data()), crypto::kKeySize,
                               out.data() + crypto::kNonceSize, &out_len);
    if (rv != CKR_OK) return Fail("wrapping a key in the HSM", rv);
    if (out_len != crypto::kKeySize + crypto::kTagSize) {
      return MakeError(ErrorCode::kInternal, "the HSM returned a wrapped key of unexpected length");
    }
    return out;
  }

  Result<crypto::SecureKey> UnwrapKey(std::span<const uint8_t> wrapped,
                                      std::span<const uint8_t> associated_data) override {
    if (wrapped.size() != kWrappedSize) {
      return MakeError(ErrorCode::kDataCorrupted, "a wrapped key has the wrong length");
    }
    std::vector<uint8_t> nonce(wrapped.begin(), wrapped.begin() + crypto::kNonceSize);
    std::vector<uint8_t> sealed(wrapped.begin() + crypto::kNonceSize, wrapped.end());
    CK_GCM_PARAMS params = GcmParams(nonce.data(), associated_data);
    CK_MECHANISM mechanism{CKM_AES_GCM, &params, sizeof params};
    std::vector<uint8_t> plain(sealed.size());
    CK_ULONG plain_len = plain.size();
    CK_RV rv;
    {
      std::lock_guard lock(mutex_);
      rv = functions_->C_DecryptInit(session_, &mechanism, key_);
      if (rv != CKR_OK) return Fail("starting AES-GCM decryption in the HSM", rv);
      rv = functions_->C_Decrypt(session_, sealed.data(), sealed.size(), plain.data(), &plain_len);
    }
    if (rv != CKR_OK || plain_len != crypto::kKeySize) {
      SecureWipe(plain.data(), plain.size());
      // A wrong HSM key and tampered data look the same to GCM; a device error does not.
      if (rv == CKR_DEVICE_REMOVED || rv == CKR_DEVICE_ERROR || rv == CKR_SESSION_HANDLE_INVALID ||
          rv == CKR_TOKEN_NOT_PRESENT) {
        return Fail("unwrapping a key in the HSM", rv);
      }
      return MakeError(ErrorCode::kDataCorrupted, "the HSM key does not open this wrapped key");
    }
    crypto::SecureKey key = crypto::SecureKey::FromBytes(std::span<const uint8_t>(plain.data(), crypto::kKeySize));
    SecureWipe(plain.data(), plain.size());
    return key;
  }

 private:
  static Error Fail(const std::string& what, CK_RV rv) {
    ErrorCode code = (rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_DEVICE_ERROR)
                         ? ErrorCode::kUnavailable
                         : ErrorCode::kInternal;
    return MakeError(code, what + " failed: " + RvName(rv));
  }

  static CK_GCM_PARAMS GcmParams(uint8_t* nonce, std::span<const uint8_t> associated_data) {
    CK_GCM_PARAMS params{};
    params.pIv = nonce;
    params.ulIvLen = crypto::kNonceSize;
    params.ulIvBits = crypto::kNonceSize * 8;
    params.pAAD = const_cast<uint8_t*>(associated_data.data());
    params.ulAADLen = associated_data.size();
    params.ulTagBits = crypto::kTagSize * 8;
    return params;
  }

  Status OpenSessionOnToken(const std::string& token_label) {
    CK_ULONG count = 0;
    CK_RV rv = functions_->C_GetSlotList(CK_TRUE, nullptr, &count);
    if (rv != CKR_OK) return Fail("listing PKCS#11 slots", rv);
    std::vector<CK_SLOT_ID> slots(count);
    if (count > 0) {
      rv = functions_->C_GetSlotList(CK_TRUE, slots.data(), &count);
      if (rv != CKR_OK) return Fail("listing PKCS#11 slots", rv);
      slots.resize(count);
    }
    std::string seen;
    for (CK_SLOT_ID slot : slots) {
      CK_TOKEN_INFO info{};
      if (functions_->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
      std::string label = TrimmedLabel(info.label);
      if (label != token_label) {
        if (!label.empty()) seen += (seen.empty() ? "'" : ", '") + label + "'";
        continue;
      }
      rv = functions_->C_OpenSession(slot, CKF_SERIAL_SESSION, nullptr, nullptr, &session_);
      if (rv != CKR_OK) return Fail("opening a session on PKCS#11 token '" + token_label + "'", rv);
      session_open_ = true;
      return Status::Ok();
    }
    return MakeError(ErrorCode::kNotFound,
                     "no PKCS#11 token labelled '" + token_label + "' is present" +
                         (seen.empty() ? std::string(" (the module sees no initialised token)")
                                       : " (tokens present: " + seen + ")") +
                         ": connect the HSM holding the root key, or fix --pkcs11-token-label; "
                         "without it the stored data cannot be decrypted");
  }

  Status Login(std::string& pin, const std::string& token_label) {
    if (pin.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "no PIN for PKCS#11 token '" + token_label + "': set COFFER_PKCS11_PIN");
    }
    CK_RV rv = functions_->C_Login(session_, CKU_USER, reinterpret_cast<CK_UTF8CHAR*>(pin.data()), pin.size());
    SecureWipe(pin);
    if (rv == CKR_USER_ALREADY_LOGGED_IN) return Status::Ok();
    if (rv == CKR_PIN_INCORRECT) {
      return MakeError(ErrorCode::kPermissionDenied,
                       "the PIN for PKCS#11 token '" + token_label + "' is wrong (CKR_PIN_INCORRECT): "
                       "check COFFER_PKCS11_PIN; repeated failures may lock the token");
    }
    if (rv != CKR_OK) return Fail("logging in to PKCS#11 token '" + token_label + "'", rv);
    logged_in_ = true;
    return Status::Ok();
  }

  Status FindKey(const std::string& key_label, const std::string& token_label) {
    CK_OBJECT_CLASS key_class = CKO_SECRET_KEY;
    CK_ATTRIBUTE query[] = {
        {CKA_CLASS, &key_class, sizeof key_class},
        {CKA_LABEL, const_cast<char*>(key_label.data()), key_label.size()},
    };
    CK_RV rv = functions_->C_FindObjectsInit(session_, query, 2);
    if (rv != CKR_OK) return Fail("searching the PKCS#11 token for the root key", rv);
    CK_OBJECT_HANDLE found[2];
    CK_ULONG count = 0;
    rv = functions_->C_FindObjects(session_, found, 2, &count);
    functions_->C_FindObjectsFinal(session_);
    if (rv != CKR_OK) return Fail("searching the PKCS#11 token for the root key", rv);
    if (count == 0) {
      return MakeError(ErrorCode::kNotFound,
                       "PKCS#11 token '" + token_label + "' has no secret key labelled '" + key_label +
                           "': create an AES-256 key there (e.g. `pkcs11-tool --keygen --key-type AES:32 "
                           "--label " + key_label + "`) or fix --pkcs11-key-label");
    }
    if (count > 1) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "PKCS#11 token '" + token_label + "' has several keys labelled '" + key_label +
                           "': give the root key a unique label");
    }
    key_ = found[0];
    CK_KEY_TYPE type = 0;
    CK_ULONG length = 0;
    CK_BBOOL extractable = CK_FALSE;
    CK_ATTRIBUTE attributes[] = {
        {CKA_KEY_TYPE, &type, sizeof type},
        {CKA_VALUE_LEN, &length, sizeof length},
        {CKA_EXTRACTABLE, &extractable, sizeof extractable},
    };
    rv = functions_->C_GetAttributeValue(session_, key_, attributes, 3);
    if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID) return Fail("reading the root key's attributes", rv);
    if (type != CKK_AES || length != crypto::kKeySize) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "the PKCS#11 key '" + key_label + "' is not an AES-256 key: create one with "
                       "`pkcs11-tool --keygen --key-type AES:32`");
    }
    if (extractable == CK_TRUE) {
      LogWarning("the PKCS#11 root key '" + key_label +
                 "' is extractable: the HSM would let it be exported; prefer a non-extractable key");
    }
    return Status::Ok();
  }

  void* module_ = nullptr;
  CK_FUNCTION_LIST_PTR functions_ = nullptr;
  bool initialized_ = false;
  bool session_open_ = false;
  bool logged_in_ = false;
  CK_SESSION_HANDLE session_ = 0;
  CK_OBJECT_HANDLE key_ = 0;
  // One session, used by one thread at a time: PKCS#11 sessions are not safe to share otherwise.
  std::mutex mutex_;
};

}  // namespace

Result<std::unique_ptr<RootKeyProvider>> OpenPkcs11Provider(Pkcs11Config& config) {
  auto provider = std::make_unique<Pkcs11Provider>();
  Status opened = provider->Open(config);
  SecureWipe(config.pin);
  if (!opened.ok()) return opened.error();
  return std::unique_ptr<RootKeyProvider>(std::move(provider));
}

}  // namespace coffer::keyring
