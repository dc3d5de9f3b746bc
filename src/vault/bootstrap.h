// First start: on an empty store, create the default org, its first KEK, the owner identity and
// the owner's token. (Every start loads the key hierarchy first, with LoadKeyHierarchy.)
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/result.h"
#include "keyring/keyring.h"
#include "store/store.h"

namespace coffer::vault {

struct BootstrapOutcome {
  std::string org_id;
  // Set only on the very first start: the owner's token, to be shown once.
  std::optional<std::string> new_owner_token;
};

inline constexpr const char* kDefaultOrgName = "default";
inline constexpr const char* kOwnerIdentityName = "owner";

struct NewOrg {
  std::string org_id;
  std::string owner_identity_id;
  std::string owner_token;  // to be shown once
};

// Creates an org with its first KEK, its owner identity and the owner's first token, in one write;
// `in_same_write` adds to that write (the record of who created it).
Result<NewOrg> CreateOrg(store::Store& store, keyring::Keyring& keyring, const std::string& name,
                         const std::function<Status(store::WriteTransaction&, const NewOrg&)>& in_same_write = {});

// Whether `org_id` is the server's first org, the one created at first start: its owners and
// admins operate the server (create orgs, read server-wide audit records, verify the whole chain).
Result<bool> IsOperatorOrg(store::ReadTransaction& read, const std::string& org_id);

// Creates the default org on an empty store; on any other, returns the first org and no token.
Result<BootstrapOutcome> Bootstrap(store::Store& store, keyring::Keyring& keyring);

}  // namespace coffer::vault
