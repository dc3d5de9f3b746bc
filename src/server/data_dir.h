// The data directory: creation with safe permissions and the small files kept in it.
#pragma once

#include <string>

#include "core/result.h"

namespace coffer::server {

// Creates the directory (mode 0700) if missing.
Status EnsureDataDir(const std::string& path);

bool FileExists(const std::string& path);

// Removes the temporary copies that a crash may have left of the secret files kept in the data
// directory (root key, passphrase parameters, owner token). Call with the directory's lock held.
void RemoveAbandonedWrites(const std::string& data_dir);

}  // namespace coffer::server
