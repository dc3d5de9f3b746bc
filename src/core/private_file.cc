#include "core/private_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace coffer {
namespace {

Error CannotWrite(const std::string& path, int err) {
  return MakeError(ErrorCode::kUnavailable, "cannot write " + path + ": " + std::strerror(err));
}

bool WriteAll(int fd, std::string_view content) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) errno = EIO;
    if (n <= 0) return false;
    content.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string ParentDirectory(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

Status WritePrivateFile(const std::string& path, std::string_view content) {
  // A unique name (mkostemp: O_EXCL, mode 0600) so a planted file or symlink is never written
  // through, and no file of the user's that happens to share a fixed temp name is clobbered.
  std::string temp = path + ".tmp-XXXXXX";
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return CannotWrite(path, errno);
  bool ok = WriteAll(fd, content) && ::fsync(fd) == 0;
  int err = ok ? 0 : errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (ok && ::rename(temp.c_str(), path.c_str()) != 0) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    ::unlink(temp.c_str());
    return CannotWrite(path, err);
  }
  // Without this the rename may not survive a power cut. Best effort: the new file is already in
  // place, so reporting a failure here would make callers undo a change that has happened.
  (void)SyncParentDirectory(path);
  return Status::Ok();
}

void RemoveAbandonedTemporaries(const std::string& path) {
  constexpr size_t kRandomPart = 6;  // mkostemp's XXXXXX
  const std::string prefix = std::filesystem::path(path).filename().string() + ".tmp-";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(ParentDirectory(path), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() == prefix.size() + kRandomPart && name.starts_with(prefix) &&
        entry.is_regular_file(ec) && !entry.is_symlink(ec)) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
}

bool SyncParentDirectory(const std::string& path) {
  int dir = ::open(ParentDirectory(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return false;
  const bool synced = ::fsync(dir) == 0;
  ::close(dir);
  return synced;
}

}  // namespace coffer
