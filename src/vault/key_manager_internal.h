// What the two halves of KeyManager share: the requests (key_manager.cc) and the background
// worker (key_manager_background.cc).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/credential.h"
#include "keyring/keyring.h"
#include "store/records.h"

namespace coffer::vault::key_manager_internal {

// Kinds of store::KeyEventRecord.
inline constexpr const char* kKekRotated = "kek_rotated";
inline constexpr const char* kRewrapStarted = "rewrap_started";
inline constexpr const char* kRewrapFinished = "rewrap_finished";
inline constexpr const char* kKekRetired = "kek_retired";
inline constexpr const char* kCredentialRotated = "credential_rotated";

// The newest KEK version of each org in the store: the current one, whichever node rotated last
// (this node's keyring catches up only when it next seals or opens under it).
inline std::map<std::string, uint32_t> NewestKekVersions(const std::vector<store::KekStateRecord>& states) {
  std::map<std::string, uint32_t> newest;
  for (const auto& s : states) newest[s.org_id] = std::max(newest[s.org_id], s.version);
  return newest;
}

}  // namespace coffer::vault::key_manager_internal
