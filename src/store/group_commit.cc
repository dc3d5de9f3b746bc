#include "store/group_commit.h"

#include <exception>
#include <future>

namespace coffer::store {
namespace {

// Bounded so one group's latency stays small even under a flood of writes.
constexpr size_t kMaxGroupSize = 512;

}  // namespace

GroupCommitWriter::GroupCommitWriter(GroupCommitSession& session) : session_(session) {
  writer_ = std::thread([this] { WriterLoop(); });
}

GroupCommitWriter::~GroupCommitWriter() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  writer_.join();
}

Status GroupCommitWriter::Write(WriteWork work) {
  std::promise<Status> outcome;
  std::future<Status> done = outcome.get_future();
  Submit(std::move(work), [&outcome](Status s) { outcome.set_value(std::move(s)); });
  return done.get();
}

void GroupCommitWriter::Submit(WriteWork work, std::function<void(Status)> on_done) {
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

void GroupCommitWriter::WriterLoop() {
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

void GroupCommitWriter::CommitGroup(std::vector<PendingWrite>& group) {
  std::vector<Status> outcomes(group.size());
  Status begun = session_.Begin();
  if (!begun.ok()) {
    for (auto& w : group) w.done(begun);
    return;
  }
  WriteTransaction& txn = session_.transaction();
  for (size_t i = 0; i < group.size(); ++i) {
    // A savepoint per caller: one failing piece of work rolls back alone.
    Status s = session_.Savepoint();
    if (s.ok()) {
      try {
        s = group[i].work(txn);
      } catch (const std::exception&) {
        s = MakeError(ErrorCode::kInternal, "internal error while writing");
      }
      if (s.ok()) {
        s = session_.ReleaseSavepoint();
      } else {
        session_.RollbackToSavepoint();
      }
    }
    outcomes[i] = std::move(s);
  }
  Status committed = session_.Commit();
  if (!committed.ok()) {
    session_.Rollback();
    Error failed = MakeError(ErrorCode::kUnavailable, "the write could not be made durable: " +
                                                          committed.error().message);
    for (auto& w : group) w.done(failed);
    return;
  }
  commits_.fetch_add(1, std::memory_order_relaxed);
  writes_.fetch_add(static_cast<int64_t>(group.size()), std::memory_order_relaxed);
  for (size_t i = 0; i < group.size(); ++i) group[i].done(std::move(outcomes[i]));
}

}  // namespace coffer::store
