// An exclusive lock on a data directory, so a server and an offline key operation (or two servers)
// never work on the same data at once. flock(2): released by the kernel when the process dies, so a
// crash never leaves a stale lock behind.
#pragma once

#include <string>

#include "core/result.h"

namespace coffer::server {

class DataDirLock {
 public:
  // Fails, naming the directory, when another process holds it.
  static Result<DataDirLock> Acquire(const std::string& data_dir);
  DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  DataDirLock& operator=(DataDirLock&&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace coffer::server
