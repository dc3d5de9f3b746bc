// A root key derived from a passphrase (Argon2id), for operators who would rather remember a secret
// than guard a key file: nothing on disk opens the data without the passphrase.
//
// The salt and Argon2id parameters live in a small JSON file in the data directory. They are not
// secret; they are needed to derive the same key again, and pin the cost of every guess.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "crypto/passphrase_kdf.h"
#include "keyring/root_key_provider.h"

namespace coffer::keyring {

// Shorter passphrases are refused when a data directory is created or re-keyed: Argon2id slows
// each guess, it cannot make a short passphrase unguessable.
inline constexpr size_t kMinPassphraseLength = 12;

struct PassphraseKdfFile {
  std::vector<uint8_t> salt;
  crypto::Argon2idParams params;
};

// A fresh random salt with the default parameters.
PassphraseKdfFile NewPassphraseKdfFile();

// Reads and validates the parameters file; errors name the file and what is wrong with it.
Result<PassphraseKdfFile> ReadPassphraseKdfFile(const std::string& path);

// Writes the parameters file (mode 0600) through a temporary file and a rename.
Status WritePassphraseKdfFile(const std::string& path, const PassphraseKdfFile& file);

// Refuses passphrases too short to resist guessing.
Status CheckNewPassphrase(const std::string& passphrase);

// Derives the root key (once, here) and wipes `passphrase`.
Result<std::unique_ptr<RootKeyProvider>> OpenPassphraseProvider(std::string& passphrase,
                                                                const PassphraseKdfFile& kdf);

}  // namespace coffer::keyring
