// Loading the key hierarchy at start-up, and rotating the root key that wraps it.
//
// The root key wraps every KEK, the audit chain key and people's second-factor keys. Rotation re-wraps all of them under a new
// root in durable phases, so a crash at any point leaves a data directory that opens with exactly
// one of the two roots:
//   1. every key's new wrap is stored beside its old one (root_rewrap_pending), in one transaction;
//   2. the new root is installed (the new key file renamed into place, say);
//   3. in one transaction the new wraps replace the old ones, which then exist nowhere.
// LoadKeyHierarchy finishes an interrupted rotation: when only the new wraps open, the install
// happened and phase 3 is completed; when the old ones open, it never did and the new wraps are
// dropped.
#pragma once

#include <functional>
#include <string>

#include "core/result.h"
#include "keyring/keyring.h"
#include "store/store.h"

namespace coffer::vault {

// Unwraps every stored KEK into `keyring` with its root key, finishing or undoing an interrupted
// root rotation. Fails with a message naming the root key provider when the root key is wrong.
Status LoadKeyHierarchy(store::Store& store, keyring::Keyring& keyring);

struct RootRotationOutcome {
  int keks_rewrapped = 0;
  int other_keys_rewrapped = 0;  // the audit chain key and people's second-factor keys
};

// Re-wraps every root-wrapped key (loaded with the old root into `keyring`) under `new_root`.
// `install_new_root` runs between the phases and makes the new root the one a restart uses (writes
// the new key file); when it fails, the rotation is undone and nothing changes.
Result<RootRotationOutcome> RotateRootKey(store::Store& store, keyring::Keyring& keyring,
                                          keyring::RootKeyProvider& new_root,
                                          const std::function<Status()>& install_new_root);

}  // namespace coffer::vault
