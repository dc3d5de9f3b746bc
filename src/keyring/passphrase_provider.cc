#include "keyring/passphrase_provider.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/private_file.h"
#include "core/json_document.h"
#include "core/secure_wipe.h"
#include "crypto/encoding.h"

namespace coffer::keyring {
namespace {

constexpr const char* kKdfName = "argon2id13";

Error BadFile(const std::string& path, const std::string& what) {
  return MakeError(ErrorCode::kDataCorrupted,
                   "the passphrase parameters file " + path + " " + what +
                       ": restore it from a backup of the data directory; without it the passphrase "
                       "cannot derive the root key");
}

}  // namespace

PassphraseKdfFile NewPassphraseKdfFile() {
  return PassphraseKdfFile{crypto::NewKdfSalt(), crypto::DefaultRootKeyKdfParams()};
}

Result<PassphraseKdfFile> ReadPassphraseKdfFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return MakeError(ErrorCode::kNotFound,
                     "the passphrase parameters file " + path +
                         " is missing: restore it from a backup of the data directory, or start with "
                         "the root key provider this data was created with");
  }
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = ParseUntrustedJson(text.str());
  if (!parsed.ok() || !parsed->is_object()) return BadFile(path, "is not a JSON object");
  nlohmann::json& json = *parsed;
  if (json.value("kdf", "") != kKdfName) return BadFile(path, "names an unknown KDF");
  if (!json["opslimit"].is_number_unsigned() || !json["memlimit"].is_number_unsigned() ||
      !json["salt"].is_string()) {
    return BadFile(path, "lacks opslimit, memlimit or salt");
  }
  PassphraseKdfFile file;
  file.params.opslimit = json["opslimit"].get<uint64_t>();
  file.params.memlimit = json["memlimit"].get<uint64_t>();
  auto salt = crypto::Base64Decode(json["salt"].get<std::string>());
  if (!salt || salt->size() != crypto::kKdfSaltSize) return BadFile(path, "has a malformed salt");
  file.salt = std::move(*salt);
  if (Status s = crypto::ValidateKdfParams(file.params); !s.ok()) return BadFile(path, "has " + s.error().message);
  return file;
}

Status WritePassphraseKdfFile(const std::string& path, const PassphraseKdfFile& file) {
  nlohmann::json json = {{"kdf", kKdfName},
                         {"opslimit", file.params.opslimit},
                         {"memlimit", file.params.memlimit},
                         {"salt", crypto::Base64Encode(file.salt)}};
  return WritePrivateFile(path, json.dump(2) + "\n");
}

Status CheckNewPassphrase(const std::string& passphrase) {
  if (passphrase.size() < kMinPassphraseLength) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the root key passphrase must be at least " + std::to_string(kMinPassphraseLength) +
                         " characters: choose a longer one (several random words work well)");
  }
  return Status::Ok();
}

Result<std::unique_ptr<RootKeyProvider>> OpenPassphraseProvider(std::string& passphrase,
                                                                const PassphraseKdfFile& kdf) {
  if (passphrase.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the root key passphrase is empty: set COFFER_ROOT_PASSPHRASE or type it at the prompt");
  }
  auto key = crypto::DeriveKeyFromPassphrase(passphrase, kdf.salt, kdf.params);
  SecureWipe(passphrase);
  if (!key.ok()) return key.error();
  return std::unique_ptr<RootKeyProvider>(
      std::make_unique<LocalRootKeyProvider>("passphrase", std::move(key).value()));
}

}  // namespace coffer::keyring
