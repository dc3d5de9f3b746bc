// Which root key provider a data directory uses, and opening it: the choice `coffer serve` and
// `coffer keys rotate-root` share.
//
//   file        a key file, <data-dir>/root.key by default, generated for a new data directory
//   env         COFFER_ROOT_KEY (base64 of 32 bytes), removed from the environment once read
//   passphrase  Argon2id of COFFER_ROOT_PASSPHRASE (or a prompt); salt and parameters in
//               <data-dir>/root.kdf
//   pkcs11      an AES-256 key inside an HSM; PIN from COFFER_PKCS11_PIN (or a prompt)
//   auto        env when COFFER_ROOT_KEY is set, else file (the default)
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "core/result.h"
#include "keyring/root_key_provider.h"

namespace coffer::server {

inline constexpr const char* kRootKeyEnv = "COFFER_ROOT_KEY";
inline constexpr const char* kRootPassphraseEnv = "COFFER_ROOT_PASSPHRASE";
inline constexpr const char* kPkcs11PinEnv = "COFFER_PKCS11_PIN";

struct RootKeyOptions {
  std::string kind = "auto";
  std::string key_file;  // empty: <data-dir>/root.key
  std::string pkcs11_module;
  std::string pkcs11_token_label;
  std::string pkcs11_key_label;
};

// --root-key, --root-key-file and the --pkcs11-* flags.
void AddRootKeyFlags(CLI::App* command, RootKeyOptions& options);

std::string KeyFilePath(const RootKeyOptions& options, const std::string& data_dir);
std::string PassphraseKdfPath(const std::string& data_dir);

// "auto" resolved against the environment.
std::string ResolvedKind(const RootKeyOptions& options);

// Complete and consistent options, or a message naming the flag to fix.
Status ValidateRootKeyOptions(const RootKeyOptions& options);

struct OpenedRootKey {
  std::unique_ptr<keyring::RootKeyProvider> provider;
  std::string description;  // for the banner: where the root key comes from, never the key
};

// Opens the provider. With `fresh_data_dir` a key file or passphrase parameters file is created
// when missing (an existing data directory never gets a new root key silently). `pkcs11_pin`, when
// given, is used instead of reading COFFER_PKCS11_PIN, and wiped.
Result<OpenedRootKey> OpenRootKey(const RootKeyOptions& options, const std::string& data_dir,
                                  bool fresh_data_dir, std::string* pkcs11_pin = nullptr);

}  // namespace coffer::server
