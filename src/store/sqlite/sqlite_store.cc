#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <future>

#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_transaction.h"

namespace coffer::store::sqlite {
namespace {

// Bounded so one group's latency stays small even under a flood of writes.
constexpr size_t kMaxGroupSize = 512;

}  // namespace

// A read snapshot on a pooled connection, returned to the pool when the transaction ends.
class SqliteStore::PooledRead : public SqliteTransaction {
 public:
  PooledRead(SqliteStore& store, std::unique_ptr<Connection> conn)
      : SqliteTransaction(*conn), store_(store), owned_(std::move(conn)) {
    began_ = owned_->ExecCached("BEGIN").ok();
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
    : path_(std::move(path)), writer_conn_(std::move(writer)) {
  writer_ = std::thread([this] { WriterLoop(); });
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  writer_.join();
}

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

namespace {

// Stands in for a read transaction when no connection could be opened: every call fails closed.
class UnavailableRead : public ReadTransaction {
 public:
  static Error Fail() { return MakeError(ErrorCode::kUnavailable, "the database cannot be opened for reading"); }
  Result<std::vector<OrgRecord>> ListOrgs() override { return Fail(); }
  Result<std::vector<KekRecord>> ListKeks() override { return Fail(); }
  Result<std::optional<IdentityRecord>> FindIdentity(const std::string&) override { return Fail(); }
  Result<std::optional<TokenRecord>> FindTokenByHash(const TokenHash&) override { return Fail(); }
  Result<std::vector<IdentityRecord>> ListIdentities(const std::string&) override { return Fail(); }
  Result<std::optional<TokenRecord>> FindToken(const std::string&) override { return Fail(); }
  Result<std::vector<TokenRecord>> ListTokens(const std::string&) override { return Fail(); }
  Result<std::optional<GrantRecord>> FindGrant(const std::string&) override { return Fail(); }
  Result<std::vector<GrantRecord>> ListGrantsTo(const std::string&) override { return Fail(); }
  Result<std::vector<GrantRecord>> ListGrantsFrom(const std::string&) override { return Fail(); }
  Result<std::optional<HumanRecord>> FindHumanByUsername(const std::string&) override { return Fail(); }
  Result<std::optional<HumanRecord>> FindHumanByIdentity(const std::string&) override { return Fail(); }
  Result<std::vector<HumanRecord>> ListHumansWithTotp() override { return Fail(); }
  Result<AuditChainTip> ReadAuditChainTip() override { return Fail(); }
  Result<std::vector<AuditRecord>> QueryAudit(const AuditQuery&) override { return Fail(); }
  Result<std::vector<AuditRecord>> ScanAudit(int64_t, int) override { return Fail(); }
  Result<std::vector<AuditKeyRecord>> ListAuditKeys() override { return Fail(); }
  Result<std::vector<AuditCheckpointRecord>> ListAuditCheckpoints() override { return Fail(); }
  Result<std::optional<int64_t>> LastAuditSeqBefore(UnixMicros) override { return Fail(); }
  Result<std::optional<CredentialRecord>> FindCredential(const std::string&, const std::string&,
                                                         const std::string&, std::optional<int>) override {
    return Fail();
  }
  Result<std::vector<CredentialInfo>> ListCredentials(const CredentialListQuery&) override { return Fail(); }
  // ---- Key management (issue 7) ----
  Result<std::vector<KekStateRecord>> ListKekStates() override { return Fail(); }
  Result<std::vector<DekUsageRecord>> CountDeksByKek(const std::string&) override { return Fail(); }
  Result<std::vector<SealedVersionRecord>> ListVersionsBelowKek(const std::string&, uint32_t, int) override {
    return Fail();
  }
  Result<std::optional<RewrapJobRecord>> FindRewrapJob(const std::string&) override { return Fail(); }
  Result<std::vector<KeyEventRecord>> LatestKeyEvents(const std::string&) override { return Fail(); }
  Result<std::vector<TypeCountRecord>> CountCredentialsByType(const std::string&) override { return Fail(); }
  Result<std::vector<PendingRootWrapRecord>> ListPendingRootWraps() override { return Fail(); }
  // ---- end of key management ----
};

}  // namespace

std::unique_ptr<ReadTransaction> SqliteStore::BeginRead() {
  auto conn = AcquireReader();
  if (!conn) return std::make_unique<UnavailableRead>();
  return std::make_unique<PooledRead>(*this, std::move(conn));
}

Status SqliteStore::Write(WriteWork work) {
  std::promise<Status> outcome;
  std::future<Status> done = outcome.get_future();
  Submit(std::move(work), [&outcome](Status s) { outcome.set_value(std::move(s)); });
  return done.get();
}

void SqliteStore::Submit(WriteWork work, std::function<void(Status)> on_done) {
  {
    std::lock_guard lock(queue_mutex_);
    if (!stopping_) {
      queue_.push_back(PendingWrite{std::move(work), std::move(on_done)});
      queue_cv_.notify_one();
      return;
    }
  }
  on_done(MakeError(ErrorCode::kUnavailable, "the server is shutting down"));
}

void SqliteStore::WriterLoop() {
  std::vector<PendingWrite> group;
  while (true) {
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && group.size() < kMaxGroupSize) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    CommitGroup(group);
    group.clear();
  }
}

void SqliteStore::CommitGroup(std::vector<PendingWrite>& group) {
  Connection& conn = *writer_conn_;
  std::vector<Status> outcomes(group.size());
  Status begun = conn.ExecCached("BEGIN IMMEDIATE");
  if (!begun.ok()) {
    for (auto& w : group) w.done(begun);
    return;
  }
  SqliteTransaction txn(conn);
  for (size_t i = 0; i < group.size(); ++i) {
    // A savepoint per caller: one failing piece of work rolls back alone.
    Status s = conn.ExecCached("SAVEPOINT item");
    if (s.ok()) {
      try {
        s = group[i].work(txn);
      } catch (const std::exception&) {
        s = MakeError(ErrorCode::kInternal, "internal error while writing");
      }
      if (s.ok()) {
        s = conn.ExecCached("RELEASE item");
      } else {
        (void)conn.ExecCached("ROLLBACK TO item");
        (void)conn.ExecCached("RELEASE item");
        txn.ForgetWrittenState();
      }
    }
    outcomes[i] = std::move(s);
  }
  Status committed = conn.ExecCached("COMMIT");
  if (!committed.ok()) {
    (void)conn.ExecCached("ROLLBACK");
    Error failed = MakeError(ErrorCode::kUnavailable, "the write could not be made durable: " +
                                                          committed.error().message);
    for (auto& w : group) w.done(failed);
    return;
  }
  commits_.fetch_add(1, std::memory_order_relaxed);
  writes_.fetch_add(static_cast<int64_t>(group.size()), std::memory_order_relaxed);
  for (size_t i = 0; i < group.size(); ++i) group[i].done(std::move(outcomes[i]));
}

}  // namespace coffer::store::sqlite
