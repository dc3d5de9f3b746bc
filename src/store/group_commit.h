// The one writer every engine shares: a thread that takes queued work in groups and commits each
// group as one transaction, with a savepoint per caller so a failing piece of work rolls back
// alone. Each caller is answered only once the group's COMMIT has returned: one durable commit
// (one fsync) carries many callers' writes.
//
// Thread safety: Write, Submit and Stats may be called from any thread. Work runs on the writer
// thread, one piece at a time, and must not call Write (it would wait for its own thread).
// Lifetime: the session must outlive the writer; destroying the writer drains the queue first.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"

namespace coffer::store {

// What an engine gives the writer: its one write connection, as transaction verbs. Used only by
// the writer thread.
class GroupCommitSession {
 public:
  virtual ~GroupCommitSession() = default;

  // Starts the group's transaction; the transaction object starts with no remembered state.
  virtual Status Begin() = 0;
  virtual WriteTransaction& transaction() = 0;
  virtual Status Savepoint() = 0;
  // Keeps the item's writes. If that fails, the item's writes are rolled back and the group's
  // transaction is left usable for the next item.
  virtual Status ReleaseSavepoint() = 0;
  // Undoes the item's writes, and makes the transaction forget what it remembered of them.
  virtual void RollbackToSavepoint() = 0;
  // OK only when the whole group is durable.
  virtual Status Commit() = 0;
  virtual void Rollback() = 0;
};

class GroupCommitWriter {
 public:
  explicit GroupCommitWriter(GroupCommitSession& session);  // starts the writer thread
  ~GroupCommitWriter();  // refuses new work, drains the queue, then stops the thread
  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;

  // Store::Write and Store::Submit, as store.h describes them.
  Status Write(WriteWork work);
  void Submit(WriteWork work, std::function<void(Status)> on_done);
  WriteStats Stats() const { return {writes_.load(), commits_.load()}; }

 private:
  struct PendingWrite {
    WriteWork work;
    std::function<void(Status)> done;
  };

  void WriterLoop();
  void CommitGroup(std::vector<PendingWrite>& group);

  GroupCommitSession& session_;
  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<PendingWrite> queue_;  // guarded by queue_mutex_
  bool stopping_ = false;           // guarded by queue_mutex_
  std::atomic<int64_t> writes_{0};
  std::atomic<int64_t> commits_{0};
  std::thread writer_;  // last: starts once everything above exists
};

}  // namespace coffer::store
