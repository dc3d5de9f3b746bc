// The data directory: creation with safe permissions and the small files kept in it.
#pragma once

#include <string>

#include "core/result.h"

namespace coffer::server {

// Creates the directory (mode 0700) if missing.
Status EnsureDataDir(const std::string& path);

bool FileExists(const std::string& path);

}  // namespace coffer::server
