// The engine for several nodes on one PostgreSQL cluster. Each node (each PostgresStore) has one
// writer thread with one connection that commits queued work in groups, exactly as SQLite's
// (store/group_commit.h): BEGIN, a savepoint per caller, COMMIT, each caller answered only after
// the COMMIT returned (synchronous_commit is on for every session, so that means durable).
// Readers use a pool of connections; each read is one REPEATABLE READ READ ONLY transaction, a
// consistent snapshot that ends when the ReadTransaction is destroyed.
//
// Several nodes write at once; postgres_transaction.h says what is serialised how. A connection
// that is lost (the server restarted, the network dropped) fails what was running on it with
// kUnavailable; the next transaction on it reconnects by itself, so a node recovers without a
// restart. A COMMIT whose answer was lost reports kUnavailable although it may have committed:
// work should be safe to retry (ids are chosen before the write, so a retry conflicts).
//
// Thread safety: every method may be called from any thread. ReadTransactions must be destroyed
// before the store; each is used by one thread at a time.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/group_commit.h"
#include "store/postgres/connection.h"
#include "store/postgres/postgres_transaction.h"
#include "store/store.h"

namespace coffer::store::postgres {

struct PostgresOptions {
  ConnectionConfig connection;
  // Idle read connections kept for reuse; more are closed. As many as the server's worker
  // threads, which are the most reads at once: with fewer, every read beyond them connected anew.
  size_t max_idle_readers = 64;
};

class PostgresStore : public Store {
 public:
  // Connects, applies migrations (one node at a time), and starts the writer thread. Errors are
  // kUnavailable when the database cannot be reached, naming it without its password.
  static Result<std::unique_ptr<PostgresStore>> Open(const PostgresOptions& options);
  ~PostgresStore() override;  // drains queued writes, then stops the writer

  std::string_view engine() const override { return "postgres"; }
  bool SharedWithOtherNodes() const override { return true; }
  // Sessions of coffer processes on this database (pg_stat_activity), this store's own excluded.
  Result<std::vector<std::string>> OtherClients() override;
  std::unique_ptr<ReadTransaction> BeginRead() override;
  Status Write(WriteWork work) override { return writer_->Write(std::move(work)); }
  void Submit(WriteWork work, std::function<void(Status)> on_done) override {
    writer_->Submit(std::move(work), std::move(on_done));
  }
  WriteStats Stats() const override { return writer_->Stats(); }

 private:
  class PooledRead;

  // The write connection as the group-commit writer drives it.
  class WriteSession : public GroupCommitSession {
   public:
    explicit WriteSession(std::unique_ptr<Connection> conn) : conn_(std::move(conn)) {}
    Status Begin() override;
    WriteTransaction& transaction() override { return *txn_; }
    Status Savepoint() override;
    Status ReleaseSavepoint() override;
    void RollbackToSavepoint() override;
    Status Commit() override;
    void Rollback() override;

   private:
    std::unique_ptr<Connection> conn_;
    std::optional<PostgresTransaction> txn_;  // a fresh one per group
  };

  PostgresStore(PostgresOptions options, std::unique_ptr<Connection> writer);
  Result<std::unique_ptr<Connection>> AcquireReader();
  void ReleaseReader(std::unique_ptr<Connection> conn);

  const PostgresOptions options_;
  WriteSession session_;
  std::unique_ptr<GroupCommitWriter> writer_;  // after session_: stops before it goes

  std::mutex readers_mutex_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;  // guarded by readers_mutex_
};

}  // namespace coffer::store::postgres
