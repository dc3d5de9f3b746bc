#include "server/data_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Status WritePrivateFile(const std::string& path, const std::string& content) {
  const std::string temp = path + ".tmp";
  ::unlink(temp.c_str());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return MakeError(ErrorCode::kUnavailable, "cannot create " + temp + ": " + std::strerror(errno));
  bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(temp.c_str(), path.c_str()) != 0) {
    ::unlink(temp.c_str());
    return MakeError(ErrorCode::kUnavailable, "cannot write " + path);
  }
  return Status::Ok();
}

}  // namespace coffer::server
