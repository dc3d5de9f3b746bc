#include "server/rotate_root_command.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "core/secret_input.h"
#include "core/secure_wipe.h"
#include "crypto/secure_key.h"
#include "keyring/keyring.h"
#include "keyring/passphrase_provider.h"
#include "keyring/pkcs11_provider.h"
#include "server/core_dumps.h"
#include "server/data_dir.h"
#include "server/data_dir_lock.h"
#include "server/root_key_setup.h"
#include "store/open_store.h"
#include "vault/audit_log.h"
#include "vault/root_rotation.h"

namespace coffer::server {
namespace {

constexpr const char* kNewPassphraseEnv = "COFFER_NEW_ROOT_PASSPHRASE";
constexpr const char* kNewPkcs11PinEnv = "COFFER_NEW_PKCS11_PIN";

struct RotateRootOptions {
  std::string data_dir = "./coffer-data";
  std::string store_url;  // a postgres:// URL: the database every node shares; empty: SQLite in data_dir
  RootKeyOptions current;
  std::string new_kind;  // empty: the current kind (a key file when the current root is env)
  std::string new_key_file;
  std::string new_pkcs11_module;
  std::string new_pkcs11_token_label;
  std::string new_pkcs11_key_label;
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "coffer: %s\n", message.c_str());
  return 1;
}

// The new root, and how to make it the one the next start uses.
struct NewRoot {
  std::unique_ptr<keyring::RootKeyProvider> provider;
  std::function<Status()> install;
  std::string description;
  std::string serve_flags;  // what to start the server with afterwards
};

Result<NewRoot> PrepareNewRoot(const RotateRootOptions& o, const std::string& kind, std::string* pin) {
  NewRoot root;
  if (kind == "file") {
    const std::string path = o.new_key_file.empty() ? KeyFilePath(o.current, o.data_dir) : o.new_key_file;
    auto key = std::make_shared<crypto::SecureKey>(crypto::SecureKey::Random());
    root.provider = std::make_unique<keyring::LocalRootKeyProvider>("file", crypto::SecureKey::FromBytes(key->bytes()));
    root.install = [key, path] { return keyring::ReplaceKeyFile(path, *key); };
    root.description = "key file " + path;
    root.serve_flags = "--root-key file" + (path == o.data_dir + "/root.key" ? "" : " --root-key-file " + path);
    return root;
  }
  if (kind == "passphrase") {
    auto passphrase = ReadSecret(kNewPassphraseEnv, "New root key passphrase", /*confirm=*/true);
    if (!passphrase.ok()) return passphrase.error();
    if (Status s = keyring::CheckNewPassphrase(*passphrase); !s.ok()) {
      SecureWipe(*passphrase);
      return s.error();
    }
    auto kdf = std::make_shared<keyring::PassphraseKdfFile>(keyring::NewPassphraseKdfFile());
    auto provider = keyring::OpenPassphraseProvider(*passphrase, *kdf);
    if (!provider.ok()) return provider.error();
    root.provider = std::move(provider).value();
    const std::string path = PassphraseKdfPath(o.data_dir);
    root.install = [kdf, path] { return keyring::WritePassphraseKdfFile(path, *kdf); };
    root.description = "passphrase (Argon2id, parameters in " + path + ")";
    root.serve_flags = "--root-key passphrase (with the new passphrase)";
    return root;
  }
  if (kind == "pkcs11") {
    keyring::Pkcs11Config config;
    config.module_path = o.new_pkcs11_module.empty() ? o.current.pkcs11_module : o.new_pkcs11_module;
    config.token_label = o.new_pkcs11_token_label.empty() ? o.current.pkcs11_token_label : o.new_pkcs11_token_label;
    config.key_label = o.new_pkcs11_key_label;
    if (config.module_path.empty() || config.token_label.empty() || config.key_label.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--new-root-key pkcs11 needs --new-pkcs11-key-label, and --new-pkcs11-module and "
                       "--new-pkcs11-token-label unless the current root is on the same token");
    }
    if (ResolvedKind(o.current) == "pkcs11" && config.module_path == o.current.pkcs11_module &&
        config.token_label == o.current.pkcs11_token_label && config.key_label == o.current.pkcs11_key_label) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--new-pkcs11-key-label names the current root key: create a new key on the token first");
    }
    if (const char* p = std::getenv(kNewPkcs11PinEnv); p != nullptr && *p != '\0') {
      auto new_pin = ReadSecret(kNewPkcs11PinEnv, "", false);
      if (!new_pin.ok()) return new_pin.error();
      config.pin = std::move(new_pin).value();
    } else {
      config.pin = *pin;
    }
    auto provider = keyring::OpenPkcs11Provider(config);
    if (!provider.ok()) return provider.error();
    root.provider = std::move(provider).value();
    root.install = [] { return Status::Ok(); };  // the key already lives in the HSM
    root.description = "PKCS#11 token '" + config.token_label + "', key '" + config.key_label + "'";
    root.serve_flags = "--root-key pkcs11 --pkcs11-module " + config.module_path + " --pkcs11-token-label " +
                       config.token_label + " --pkcs11-key-label " + config.key_label;
    return root;
  }
  return MakeError(ErrorCode::kInvalidArgument, "--new-root-key must be one of file, passphrase, pkcs11");
}

int RunRotateRoot(const RotateRootOptions& o) {
  ForbidCoreDumps();  // the old and new root keys and every KEK pass through here
  if (!crypto::InitCrypto()) return Fail("cannot initialise the crypto library");

  const bool shared = !o.store_url.empty();
  if (shared && !store::IsPostgresLocation(o.store_url)) {
    return Fail("--store takes a postgres:// URL; a SQLite Coffer is named by --data-dir");
  }
  const std::string db_path = o.data_dir + "/coffer.db";
  std::optional<DataDirLock> lock;
  if (!shared) {
    if (!FileExists(db_path)) {
      return Fail("no Coffer data in " + o.data_dir +
                  ": point --data-dir (or COFFER_DATA_DIR) at the server's data directory, or --store at its database");
    }
    auto locked = DataDirLock::Acquire(o.data_dir);
    if (!locked.ok()) return Fail(locked.error().message + " (rotate-root runs with the server stopped)");
    lock.emplace(std::move(locked).value());
    RemoveAbandonedWrites(o.data_dir);
  }

  if (Status s = ValidateRootKeyOptions(o.current); !s.ok()) return Fail(s.error().message);
  const std::string current_kind = ResolvedKind(o.current);
  const std::string new_kind = !o.new_kind.empty() ? o.new_kind : (current_kind == "env" ? "file" : current_kind);
  if (new_kind != "pkcs11" && (!o.new_pkcs11_key_label.empty() || !o.new_pkcs11_module.empty() ||
                               !o.new_pkcs11_token_label.empty())) {
    return Fail("the --new-pkcs11-* flags go with --new-root-key pkcs11");
  }
  if (new_kind != "file" && !o.new_key_file.empty()) return Fail("--new-root-key-file goes with --new-root-key file");

  // One PIN prompt serves both roots when both are on an HSM.
  std::string pin;
  if (current_kind == "pkcs11" || new_kind == "pkcs11") {
    auto read = ReadSecret(kPkcs11PinEnv, "PIN for the PKCS#11 token", false);
    if (!read.ok()) return Fail(read.error().message);
    pin = std::move(read).value();
  }
  std::string current_pin = pin;
  auto current = OpenRootKey(o.current, o.data_dir, /*fresh_data_dir=*/false,
                             current_kind == "pkcs11" ? &current_pin : nullptr);
  SecureWipe(current_pin);
  if (!current.ok()) {
    SecureWipe(pin);
    return Fail(current.error().message);
  }
  const std::string current_key_file = KeyFilePath(o.current, o.data_dir);
  keyring::Keyring keyring(std::move(current->provider));

  auto store = store::OpenStore({shared ? o.store_url : db_path, "coffer rotate-root"});
  if (!store.ok()) {
    SecureWipe(pin);
    return Fail(store.error().message);
  }
  // Every running node holds KEKs unwrapped under the old root (and would go on wrapping new ones
  // under it): each must be stopped first. A node keeps sessions open on the database while it
  // runs, paused included, and names itself in them.
  if (shared) {
    auto others = (*store)->OtherClients();
    if (!others.ok() || !others->empty()) {
      SecureWipe(pin);
      if (!others.ok()) return Fail(others.error().message);
      return Fail("'" + others->front() + "' is connected to this database: stop every node first");
    }
  }
  if (Status s = vault::LoadKeyHierarchy(**store, keyring); !s.ok()) {
    SecureWipe(pin);
    return Fail(s.error().message);
  }
  // The audit chain key is only re-wrapped, never changed, so the log opened now stays valid.
  auto audit = vault::AuditLog::Open(**store, keyring);
  if (!audit.ok()) {
    SecureWipe(pin);
    return Fail(audit.error().message);
  }
  auto new_root = PrepareNewRoot(o, new_kind, &pin);
  SecureWipe(pin);
  if (!new_root.ok()) return Fail(new_root.error().message);

  auto rotated = vault::RotateRootKey(**store, keyring, *new_root->provider, new_root->install);
  if (!rotated.ok()) return Fail("root key rotation failed, nothing changed: " + rotated.error().message);
  store::AuditRecord record = vault::AuditLog::ServerEvent("keys.rotate_root", current_kind + " -> " + new_kind);
  record.actor_name = "coffer keys rotate-root";
  if (Status s = (*audit)->Record(std::move(record), {}); !s.ok()) {
    std::fprintf(stderr, "coffer: the rotation is done, but its audit record failed: %s\n", s.error().message.c_str());
  }

  std::printf("Root key rotated: %d KEK(s) re-wrapped under the new root key (%s), and %d other key(s): the audit "
              "chain's and people's two-factor keys.\n",
              rotated->keks_rewrapped, new_root->description.c_str(), rotated->other_keys_rewrapped);
  std::printf("The old root key (%s) no longer opens this data directory.\n", current->description.c_str());
  // The old key file holds a key that now opens nothing; leaving it around only invites confusion.
  const std::string new_key_file =
      new_kind != "file" ? std::string() : (o.new_key_file.empty() ? current_key_file : o.new_key_file);
  if (current_kind == "file" && new_key_file != current_key_file) {
    if (::unlink(current_key_file.c_str()) == 0) std::printf("Removed the old key file %s.\n", current_key_file.c_str());
  }
  if (shared) {
    std::printf("Start every node with: coffer serve --store %s %s (each node needs the new root key)\n",
                store::DescribeStoreLocation(o.store_url).c_str(), new_root->serve_flags.c_str());
  } else {
    std::printf("Start the server with: coffer serve --data-dir %s %s\n", o.data_dir.c_str(), new_root->serve_flags.c_str());
  }
  return 0;
}

}  // namespace

void AddRotateRootCommand(CLI::App& app) {
  auto options = std::make_shared<RotateRootOptions>();
  if (const char* dir = std::getenv("COFFER_DATA_DIR"); dir != nullptr && *dir != '\0') options->data_dir = dir;
  CLI::App* keys = app.get_subcommand("keys");
  CLI::App* cmd = keys->add_subcommand(
      "rotate-root",
      "Re-wrap every KEK under a new root key, atomically (offline: stop the server first). The old root key "
      "stops working.");
  cmd->add_option("--data-dir", options->data_dir, "Data directory (env COFFER_DATA_DIR)")->capture_default_str();
  cmd->add_option("--store", options->store_url,
                  "postgres://USER@HOST:PORT/DB: rotate the root key of the database several nodes share, with every "
                  "node stopped (env COFFER_STORE_URL; password from the URL, PGPASSFILE or COFFER_STORE_PASSWORD)")
      ->envname("COFFER_STORE_URL");
  AddRootKeyFlags(cmd, options->current);
  cmd->add_option("--new-root-key", options->new_kind,
                  "Provider of the new root key: file, passphrase (COFFER_NEW_ROOT_PASSPHRASE or a prompt) or "
                  "pkcs11 (default: the current kind; a key file when the current root is env)")
      ->check(CLI::IsMember({"file", "passphrase", "pkcs11"}));
  cmd->add_option("--new-root-key-file", options->new_key_file,
                  "Where to write the new key file (default: the current key file, replaced)");
  cmd->add_option("--new-pkcs11-module", options->new_pkcs11_module, "PKCS#11 module of the new root (default: the current)");
  cmd->add_option("--new-pkcs11-token-label", options->new_pkcs11_token_label,
                  "Token of the new root (default: the current)");
  cmd->add_option("--new-pkcs11-key-label", options->new_pkcs11_key_label,
                  "Label of the new AES-256 root key, created on the token beforehand");
  cmd->callback([options] { std::exit(RunRotateRoot(*options)); });
}

}  // namespace coffer::server
