// The embedded engine. One writer thread owns the only write connection and commits queued work
// in groups (one fsync per group, see store/group_commit.h); readers use a pool of connections
// that WAL lets run beside it.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/group_commit.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/sqlite_transaction.h"
#include "store/store.h"

namespace coffer::store::sqlite {

class SqliteStore : public Store {
 public:
  // Opens or creates `path`, applies migrations, and starts the writer thread.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path);
  ~SqliteStore() override;  // drains queued writes, then stops the writer

  std::string_view engine() const override { return "sqlite"; }
  std::unique_ptr<ReadTransaction> BeginRead() override;
  Status Write(WriteWork work) override { return writer_->Write(std::move(work)); }
  void Submit(WriteWork work, std::function<void(Status)> on_done) override {
    writer_->Submit(std::move(work), std::move(on_done));
  }
  WriteStats Stats() const override { return writer_->Stats(); }

 private:
  class PooledRead;

  // The write connection as the shared group-commit writer drives it: BEGIN IMMEDIATE, a
  // savepoint per caller, COMMIT.
  class WriteSession : public GroupCommitSession {
   public:
    explicit WriteSession(std::unique_ptr<Connection> conn) : conn_(std::move(conn)) {}
    Status Begin() override;
    WriteTransaction& transaction() override { return *txn_; }
    Status Savepoint() override { return conn_->ExecCached("SAVEPOINT item"); }
    Status ReleaseSavepoint() override { return conn_->ExecCached("RELEASE item"); }
    void RollbackToSavepoint() override;
    Status Commit() override { return conn_->ExecCached("COMMIT"); }
    void Rollback() override { (void)conn_->ExecCached("ROLLBACK"); }

   private:
    std::unique_ptr<Connection> conn_;
    std::optional<SqliteTransaction> txn_;  // a fresh one per group
  };

  SqliteStore(std::string path, std::unique_ptr<Connection> writer);
  std::unique_ptr<Connection> AcquireReader();
  void ReleaseReader(std::unique_ptr<Connection> conn);

  const std::string path_;
  WriteSession session_;
  std::unique_ptr<GroupCommitWriter> writer_;  // after session_: stops before it goes

  std::mutex readers_mutex_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;
};

}  // namespace coffer::store::sqlite
