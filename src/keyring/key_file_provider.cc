#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/private_file.h"
#include "core/secure_wipe.h"
#include "crypto/encoding.h"
#include "crypto/secure_key.h"
#include "keyring/root_key_provider.h"

namespace coffer::keyring {
namespace {

// Creates `path` exclusively (mode 0600) and writes `key` to it, durably.
Status WriteKeyFileExclusive(const std::string& path, const crypto::SecureKey& key) {
  // O_EXCL: never overwrite an existing key, even if two servers start at once.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return MakeError(ErrorCode::kUnavailable,
                     "cannot create root key file " + path + ": " + std::strerror(errno));
  }
  std::string text = crypto::Base64Encode(key.bytes()) + "\n";
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  bool synced = written && ::fsync(fd) == 0;
  SecureWipe(text);
  ::close(fd);
  // The key's name must be as durable as its bytes: data encrypted under it is about to be
  // committed, and a power cut that lost the directory entry would leave that data unopenable.
  synced = synced && SyncParentDirectory(path);
  if (!synced) {
    ::unlink(path.c_str());
    return MakeError(ErrorCode::kUnavailable, "cannot write root key file " + path);
  }
  return Status::Ok();
}

Status WriteNewKeyFile(const std::string& path) {
  return WriteKeyFileExclusive(path, crypto::SecureKey::Random());
}

}  // namespace

Status ReplaceKeyFile(const std::string& path, const crypto::SecureKey& key) {
  std::string text = crypto::Base64Encode(key.bytes()) + "\n";
  Status written = WritePrivateFile(path, text);
  SecureWipe(text);
  return written;
}

Result<std::unique_ptr<RootKeyProvider>> OpenKeyFileProvider(const std::string& path,
                                                             bool create_if_missing) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT || !create_if_missing) {
      return MakeError(ErrorCode::kNotFound,
                       "root key file " + path + " is missing: restore it from your backup, or "
                       "point --root-key-file at it; without it the stored data cannot be decrypted");
    }
    COFFER_TRY(WriteNewKeyFile(path));
    if (::stat(path.c_str(), &st) != 0) {
      return MakeError(ErrorCode::kUnavailable, "cannot stat root key file " + path);
    }
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return MakeError(ErrorCode::kPermissionDenied,
                     "root key file " + path + " can be read by group or others: run `chmod 600 " +
                         path + "` and start again");
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return MakeError(ErrorCode::kUnavailable,
                     "cannot open root key file " + path + ": " + std::strerror(errno));
  }
  std::string text(256, '\0');
  ssize_t n = ::read(fd, text.data(), text.size());
  ::close(fd);
  if (n < 0) return MakeError(ErrorCode::kUnavailable, "cannot read root key file " + path);
  text.resize(static_cast<size_t>(n));
  auto key = DecodeBase64RootKey(text, "root key file " + path);
  if (!key.ok()) return key.error();
  return std::unique_ptr<RootKeyProvider>(
      std::make_unique<LocalRootKeyProvider>("file", std::move(key).value()));
}

}  // namespace coffer::keyring
