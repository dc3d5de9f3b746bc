// The embedded engine. One writer thread owns the only write connection and commits queued work
// in groups (one fsync per group); readers use a pool of connections that WAL lets run beside it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/connection.h"
#include "store/store.h"

namespace coffer::store::sqlite {

class SqliteStore : public Store {
 public:
  // Opens or creates `path`, applies migrations, and starts the writer thread.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path);
  ~SqliteStore() override;  // drains queued writes, then stops the writer

  std::string_view engine() const override { return "sqlite"; }
  std::unique_ptr<ReadTransaction> BeginRead() override;
  Status Write(WriteWork work) override;
  void Submit(WriteWork work, std::function<void(Status)> on_done) override;
  WriteStats Stats() const override { return {writes_.load(), commits_.load()}; }

 private:
  struct PendingWrite {
    WriteWork work;
    std::function<void(Status)> done;
  };
  class PooledRead;

  SqliteStore(std::string path, std::unique_ptr<Connection> writer);
  void WriterLoop();
  void CommitGroup(std::vector<PendingWrite>& group);
  std::unique_ptr<Connection> AcquireReader();
  void ReleaseReader(std::unique_ptr<Connection> conn);

  const std::string path_;
  std::unique_ptr<Connection> writer_conn_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<PendingWrite> queue_;
  bool stopping_ = false;
  std::thread writer_;
  std::atomic<int64_t> writes_{0};
  std::atomic<int64_t> commits_{0};

  std::mutex readers_mutex_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;
};

}  // namespace coffer::store::sqlite
