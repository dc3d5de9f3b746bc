#include "store/postgres/postgres_store.h"

#include "store/postgres/migrations.h"
#include "store/unavailable_read.h"

namespace coffer::store::postgres {
namespace {

// Starts a transaction on `conn`, reconnecting first if it was lost, and once more if BEGIN
// finds it dead (a server restart is noticed only when the connection is next used). Nothing
// has run in the transaction yet, so trying again is safe.
Status BeginOn(Connection& conn, const std::string& begin) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (conn.broken()) COFFER_TRY(conn.Reconnect());
    auto begun = conn.Command("begin a transaction", begin);
    if (begun.ok()) return Status::Ok();
    if (!conn.broken() || attempt == 1) return begun.error();
  }
  return Status::Ok();
}

}  // namespace

// A read snapshot on a pooled connection, returned to the pool when the transaction ends.
class PostgresStore::PooledRead : public PostgresTransaction {
 public:
  PooledRead(PostgresStore& store, std::unique_ptr<Connection> conn)
      : PostgresTransaction(*conn, /*writing=*/false), store_(store), owned_(std::move(conn)) {}
  ~PooledRead() override {
    // COMMIT of a read-only transaction; if it fails the connection is in doubt, so it goes.
    if (!owned_->Command("end a read", "COMMIT").ok()) owned_.reset();
    store_.ReleaseReader(std::move(owned_));
  }

 private:
  PostgresStore& store_;
  std::unique_ptr<Connection> owned_;
};

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const PostgresOptions& options) {
  auto conn = Connection::Open(options.connection);
  if (!conn.ok()) return conn.error();
  COFFER_TRY(ApplyMigrations(**conn));
  return std::unique_ptr<PostgresStore>(new PostgresStore(options, std::move(conn).value()));
}

PostgresStore::PostgresStore(PostgresOptions options, std::unique_ptr<Connection> writer)
    : options_(std::move(options)), session_(std::move(writer)) {
  writer_ = std::make_unique<GroupCommitWriter>(session_);
}

PostgresStore::~PostgresStore() { writer_.reset(); }

Result<std::unique_ptr<Connection>> PostgresStore::AcquireReader() {
  {
    std::lock_guard lock(readers_mutex_);
    if (!idle_readers_.empty()) {
      auto conn = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return conn;
    }
  }
  return Connection::Open(options_.connection);
}

void PostgresStore::ReleaseReader(std::unique_ptr<Connection> conn) {
  if (!conn || conn->broken()) return;
  std::lock_guard lock(readers_mutex_);
  if (idle_readers_.size() < options_.max_idle_readers) idle_readers_.push_back(std::move(conn));
}

std::unique_ptr<ReadTransaction> PostgresStore::BeginRead() {
  auto conn = AcquireReader();
  if (!conn.ok()) return std::make_unique<UnavailableRead>(conn.error());
  // A repeatable-read transaction takes its snapshot at its first query, not at BEGIN; the
  // contract has it taken here, so a trivial query goes in the same round trip.
  Status begun = BeginOn(**conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1");
  if (!begun.ok()) {
    ReleaseReader(std::move(conn).value());  // kept only if it is still sound
    return std::make_unique<UnavailableRead>(begun.error());
  }
  return std::make_unique<PooledRead>(*this, std::move(conn).value());
}

Result<std::vector<std::string>> PostgresStore::OtherClients() {
  auto conn = AcquireReader();
  if (!conn.ok()) return conn.error();
  // Every session of this store has this store's application_name; any other "coffer ..." name
  // is another process: a node (its writer or a pooled reader), or another command.
  auto rows = (*conn)->Query("list the other coffer sessions",
                             "SELECT DISTINCT application_name FROM pg_stat_activity WHERE datname = current_database() "
                             "AND application_name LIKE 'coffer%' AND application_name <> $1 ORDER BY 1",
                             Params().Text(options_.connection.application_name));
  if (!rows.ok()) return rows.error();
  std::vector<std::string> clients;
  for (int i = 0; i < rows->size(); ++i) clients.push_back((*rows)[i].Text(0));
  ReleaseReader(std::move(conn).value());
  return clients;
}

// ---- The writer's session ----

Status PostgresStore::WriteSession::Begin() {
  txn_.reset();
  COFFER_TRY(BeginOn(*conn_, "BEGIN ISOLATION LEVEL READ COMMITTED"));
  // The audit tip first, before any row a piece of work locks: nearly every group appends to the
  // chain, and one that took it after locking a credential could wait on another node's group
  // that holds the tip and wants that credential, a deadlock. Taken first, the nodes' groups
  // simply take turns.
  auto locked = conn_->Query("take the write turn", "SELECT 1 FROM audit_tip FOR UPDATE");
  if (!locked.ok()) {
    Rollback();
    return locked.error();
  }
  txn_.emplace(*conn_, /*writing=*/true);
  return Status::Ok();
}

Status PostgresStore::WriteSession::Savepoint() {
  auto done = conn_->Command("start a write", "SAVEPOINT item");
  if (!done.ok()) return done.error();
  return Status::Ok();
}

Status PostgresStore::WriteSession::ReleaseSavepoint() {
  auto released = conn_->Command("finish a write", "RELEASE item");
  if (released.ok()) return Status::Ok();
  // A statement failed inside work that still reported success (PostgreSQL then refuses
  // everything until the rollback): undo this caller's writes so the others can still commit.
  RollbackToSavepoint();
  return released.error();
}

void PostgresStore::WriteSession::RollbackToSavepoint() {
  (void)conn_->Command("undo a write", "ROLLBACK TO item");
  (void)conn_->Command("undo a write", "RELEASE item");
  txn_->ForgetWrittenState();
}

Status PostgresStore::WriteSession::Commit() {
  auto committed = conn_->Command("commit", "COMMIT");
  if (!committed.ok()) return committed.error();
  // An aborted transaction "commits" by rolling back: that is a failure, never a success.
  if (*committed != "COMMIT") return MakeError(ErrorCode::kUnavailable, "the database rolled the transaction back");
  return Status::Ok();
}

void PostgresStore::WriteSession::Rollback() {
  if (!conn_->broken()) (void)conn_->Command("roll back", "ROLLBACK");
}

}  // namespace coffer::store::postgres
