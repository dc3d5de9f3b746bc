// The data directory: creation with safe permissions and the small files kept in it.
#pragma once

#include <string>

#include "core/result.h"

namespace coffer::server {

// Creates the directory (mode 0700) if missing.
Status EnsureDataDir(const std::string& path);

bool FileExists(const std::string& path);

// Writes `content` to a new file with mode 0600, replacing any old one atomically.
Status WritePrivateFile(const std::string& path, const std::string& content);

}  // namespace coffer::server
