#include "server/root_key_setup.h"

#include <cstdlib>

#include "core/secret_input.h"
#include "core/secure_wipe.h"
#include "keyring/passphrase_provider.h"
#include "keyring/pkcs11_provider.h"
#include "server/data_dir.h"

namespace coffer::server {

void AddRootKeyFlags(CLI::App* command, RootKeyOptions& options) {
  command->add_option("--root-key", options.kind,
                      "Root key provider: file, env (COFFER_ROOT_KEY), passphrase (COFFER_ROOT_PASSPHRASE or "
                      "a prompt), pkcs11 (an HSM), or auto (env if COFFER_ROOT_KEY is set, else file)")
      ->check(CLI::IsMember({"auto", "file", "env", "passphrase", "pkcs11"}))
      ->capture_default_str();
  command->add_option("--root-key-file", options.key_file,
                      "Root key file for --root-key file (default <data-dir>/root.key)");
  command->add_option("--pkcs11-module", options.pkcs11_module,
                      "PKCS#11 module for --root-key pkcs11 (e.g. /usr/lib/softhsm/libsofthsm2.so)");
  command->add_option("--pkcs11-token-label", options.pkcs11_token_label, "Label of the token holding the root key");
  command->add_option("--pkcs11-key-label", options.pkcs11_key_label,
                      "Label of the AES-256 root key on that token (PIN: COFFER_PKCS11_PIN)");
}

std::string KeyFilePath(const RootKeyOptions& options, const std::string& data_dir) {
  return options.key_file.empty() ? data_dir + "/root.key" : options.key_file;
}

std::string PassphraseKdfPath(const std::string& data_dir) { return data_dir + "/root.kdf"; }

std::string ResolvedKind(const RootKeyOptions& options) {
  if (options.kind != "auto") return options.kind;
  const char* env = std::getenv(kRootKeyEnv);
  return env != nullptr && *env != '\0' ? "env" : "file";
}

Status ValidateRootKeyOptions(const RootKeyOptions& options) {
  const std::string kind = ResolvedKind(options);
  if (kind != "file" && kind != "env" && kind != "passphrase" && kind != "pkcs11") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--root-key must be one of auto, file, env, passphrase, pkcs11");
  }
  // Under auto, COFFER_ROOT_KEY overrides --root-key-file, as it always has.
  if (!options.key_file.empty() && kind != "file" && options.kind != "auto") {
    return MakeError(ErrorCode::kInvalidArgument, "--root-key-file goes with --root-key file, not " + kind);
  }
  const bool any_pkcs11 = !options.pkcs11_module.empty() || !options.pkcs11_token_label.empty() ||
                          !options.pkcs11_key_label.empty();
  if (kind == "pkcs11" && (options.pkcs11_module.empty() || options.pkcs11_token_label.empty() ||
                           options.pkcs11_key_label.empty())) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--root-key pkcs11 needs --pkcs11-module, --pkcs11-token-label and --pkcs11-key-label");
  }
  if (kind != "pkcs11" && any_pkcs11) {
    return MakeError(ErrorCode::kInvalidArgument, "the --pkcs11-* flags go with --root-key pkcs11");
  }
  return Status::Ok();
}

Result<OpenedRootKey> OpenRootKey(const RootKeyOptions& options, const std::string& data_dir,
                                  bool fresh_data_dir, std::string* pkcs11_pin) {
  COFFER_TRY(ValidateRootKeyOptions(options));
  const std::string kind = ResolvedKind(options);
  OpenedRootKey opened;
  if (kind == "env") {
    auto provider = keyring::OpenEnvProvider(kRootKeyEnv);
    if (!provider.ok()) {
      return MakeError(provider.error().code, provider.error().message + ": --root-key env reads the root key from it");
    }
    opened.provider = std::move(provider).value();
    opened.description = std::string("from $") + kRootKeyEnv;
  } else if (kind == "file") {
    const std::string path = KeyFilePath(options, data_dir);
    // A key is generated only for a brand-new data directory: for an existing one, a missing key
    // file means a lost or misplaced key, and a new key would hide that.
    auto provider = keyring::OpenKeyFileProvider(path, /*create_if_missing=*/fresh_data_dir);
    if (!provider.ok()) return provider.error();
    opened.provider = std::move(provider).value();
    opened.description = "key file " + path;
  } else if (kind == "passphrase") {
    const std::string path = PassphraseKdfPath(data_dir);
    const bool create = fresh_data_dir && !FileExists(path);
    keyring::PassphraseKdfFile kdf;
    if (create) {
      kdf = keyring::NewPassphraseKdfFile();
    } else {
      auto read = keyring::ReadPassphraseKdfFile(path);
      if (!read.ok()) return read.error();
      kdf = std::move(read).value();
    }
    auto passphrase = ReadSecret(kRootPassphraseEnv,
                                 create ? "Choose the root key passphrase for this new data directory"
                                        : "Root key passphrase",
                                 /*confirm=*/create);
    if (!passphrase.ok()) return passphrase.error();
    if (create) {
      if (Status s = keyring::CheckNewPassphrase(*passphrase); !s.ok()) {
        SecureWipe(*passphrase);
        return s.error();
      }
      if (Status s = keyring::WritePassphraseKdfFile(path, kdf); !s.ok()) {
        SecureWipe(*passphrase);
        return s.error();
      }
    }
    auto provider = keyring::OpenPassphraseProvider(*passphrase, kdf);
    if (!provider.ok()) return provider.error();
    opened.provider = std::move(provider).value();
    opened.description = "passphrase (Argon2id, parameters in " + path + ")";
  } else {
    keyring::Pkcs11Config config{options.pkcs11_module, options.pkcs11_token_label, options.pkcs11_key_label, ""};
    if (pkcs11_pin != nullptr) {
      config.pin = *pkcs11_pin;
      SecureWipe(*pkcs11_pin);
    } else {
      auto pin = ReadSecret(kPkcs11PinEnv, "PIN for PKCS#11 token '" + options.pkcs11_token_label + "'", false);
      if (!pin.ok()) return pin.error();
      config.pin = std::move(pin).value();
    }
    auto provider = keyring::OpenPkcs11Provider(config);
    if (!provider.ok()) return provider.error();
    opened.provider = std::move(provider).value();
    opened.description = "PKCS#11 token '" + options.pkcs11_token_label + "', key '" + options.pkcs11_key_label + "'";
  }
  return opened;
}

}  // namespace coffer::server
