#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_transaction.h"
#include "store/unavailable_read.h"

namespace coffer::store::sqlite {
// A read snapshot on a pooled connection, returned to the pool when the transaction ends.
class SqliteStore::PooledRead : public SqliteTransaction {
 public:
  PooledRead(SqliteStore& store, std::unique_ptr<Connection> conn)
      : SqliteTransaction(*conn), store_(store), owned_(std::move(conn)) {
    began_ = owned_->ExecCached("BEGIN").ok();
    // BEGIN alone takes no snapshot: SQLite takes it at the transaction's first read, so a write
    // committed in between would show. Reading now pins the snapshot to BeginRead.
    if (began_) (void)owned_->ExecCached("SELECT 1 FROM sqlite_schema LIMIT 1");
  }
  ~PooledRead() override {
    if (began_) (void)owned_->ExecCached("COMMIT");
    store_.ReleaseReader(std::move(owned_));
  }

 private:
  SqliteStore& store_;
  std::unique_ptr<Connection> owned_;
  bool began_ = false;
};

namespace {

// The database, its WAL and its shared-memory index hold sealed secrets and the audit trail:
// owner-only, like the data directory around them. SQLite gives the -wal and -shm files the main
// file's mode, so creating that one 0600 covers all three; files an older server left 0644 are
// narrowed.
Status RestrictDatabaseFiles(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return MakeError(ErrorCode::kUnavailable, "cannot create database " + path + ": " + std::strerror(errno));
  ::close(fd);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string file = path + suffix;
    if (::chmod(file.c_str(), 0600) != 0 && errno != ENOENT) {
      return MakeError(ErrorCode::kUnavailable, "cannot make " + file + " owner-only: " + std::strerror(errno));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  COFFER_TRY(RestrictDatabaseFiles(path));
  auto conn = Connection::Open(path);
  if (!conn.ok()) return conn.error();
  COFFER_TRY(ApplyMigrations(**conn));
  return std::unique_ptr<SqliteStore>(new SqliteStore(path, std::move(conn).value()));
}

SqliteStore::SqliteStore(std::string path, std::unique_ptr<Connection> writer)
    : path_(std::move(path)), session_(std::move(writer)) {
  writer_ = std::make_unique<GroupCommitWriter>(session_);
}

SqliteStore::~SqliteStore() { writer_.reset(); }

std::unique_ptr<Connection> SqliteStore::AcquireReader() {
  {
    std::lock_guard lock(readers_mutex_);
    if (!idle_readers_.empty()) {
      auto conn = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return conn;
    }
  }
  auto conn = Connection::Open(path_);
  return conn.ok() ? std::move(conn).value() : nullptr;
}

void SqliteStore::ReleaseReader(std::unique_ptr<Connection> conn) {
  if (!conn) return;
  std::lock_guard lock(readers_mutex_);
  idle_readers_.push_back(std::move(conn));
}

std::unique_ptr<ReadTransaction> SqliteStore::BeginRead() {
  auto conn = AcquireReader();
  if (!conn) {
    return std::make_unique<UnavailableRead>(
        MakeError(ErrorCode::kUnavailable, "the database cannot be opened for reading"));
  }
  return std::make_unique<PooledRead>(*this, std::move(conn));
}

Status SqliteStore::WriteSession::Begin() {
  txn_.reset();
  COFFER_TRY(conn_->ExecCached("BEGIN IMMEDIATE"));
  txn_.emplace(*conn_);
  return Status::Ok();
}

void SqliteStore::WriteSession::RollbackToSavepoint() {
  (void)conn_->ExecCached("ROLLBACK TO item");
  (void)conn_->ExecCached("RELEASE item");
  txn_->ForgetWrittenState();
}

}  // namespace coffer::store::sqlite
