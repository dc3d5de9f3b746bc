#include "server/data_dir.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "core/private_file.h"

namespace coffer::server {

Status EnsureDataDir(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return MakeError(ErrorCode::kInvalidArgument, "data directory " + path + " exists and is not a directory");
    }
    return Status::Ok();
  }
  if (::mkdir(path.c_str(), 0700) != 0) {
    return MakeError(ErrorCode::kUnavailable,
                     "cannot create data directory " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

void RemoveAbandonedWrites(const std::string& data_dir) {
  for (const char* name : {"root.key", "root.kdf", "owner.token"}) RemoveAbandonedTemporaries(data_dir + "/" + name);
}

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace coffer::server
