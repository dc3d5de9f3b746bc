// KeyManager's background worker: the tick (encryption counts, automatic rotation, adopting
// re-wraps other nodes started) and the re-wrap batches, each under its lease (vault/leases.h).
#include <algorithm>
#include <map>
#include <set>

#include "core/log.h"
#include "vault/kek_catch_up.h"
#include "vault/key_manager.h"
#include "vault/key_manager_internal.h"

namespace coffer::vault {
namespace {

using key_manager_internal::kRewrapFinished;
using key_manager_internal::NewestKekVersions;

constexpr int64_t kMicrosPerDay = int64_t{86400} * 1000000;

keyring::BlobContext ContextOf(const store::SealedVersionRecord& r) {
  return keyring::BlobContext{r.org_id, r.credential_id, r.version, std::string(CredentialTypeName(r.type)),
                              r.name};
}

}  // namespace

void KeyManager::Run() {
  std::unique_lock lock(mutex_);
  auto next_tick = std::chrono::steady_clock::now();
  while (!stopping_) {
    if (std::chrono::steady_clock::now() >= next_tick) {
      lock.unlock();
      PersistEncryptionCounts();
      RotateWhenDue();
      AdoptUnfinishedRewraps();
      lock.lock();
      next_tick = std::chrono::steady_clock::now() + policy_.tick;
      continue;
    }
    if (active_orgs_.empty()) {
      wake_.wait_until(lock, next_tick, [this] { return stopping_ || !active_orgs_.empty(); });
      continue;
    }
    // One batch per org per pass, so several orgs progress together; no pause between passes:
    // each batch already waits for its own commit, and user writes share those commits.
    std::vector<std::pair<std::string, uint64_t>> orgs;
    for (const auto& org : active_orgs_) orgs.emplace_back(org, wake_generation_[org]);
    lock.unlock();
    for (const auto& [org, generation] : orgs) {
      bool done = RewrapBatch(org);
      if (!done) continue;
      std::lock_guard relock(mutex_);
      // A rotation that woke the org during this batch has a job this batch did not see.
      if (wake_generation_[org] == generation) active_orgs_.erase(org);
    }
    lock.lock();
  }
}

void KeyManager::AdoptUnfinishedRewraps() {
  // Alone on its database, this node started every job itself (Wake) or resumed it at Start.
  if (!store_.SharedWithOtherNodes()) return;
  if (!leases_.Hold(kRewrapLease)) return;
  auto read = store_.BeginRead();
  auto orgs = read->ListOrgs();
  if (!orgs.ok()) return;
  std::vector<std::string> unfinished;
  for (const auto& org : *orgs) {
    auto job = read->FindRewrapJob(org.id);
    if (job.ok() && *job && !(*job)->finished_at) unfinished.push_back(org.id);
  }
  std::lock_guard lock(mutex_);
  for (const auto& org : unfinished) {
    // A re-wrap that failed here stays stopped until someone starts it again (`rotate-all`).
    if (!failures_.count(org)) active_orgs_.insert(org);
  }
}

bool KeyManager::RewrapBatch(const std::string& org_id) {
  // Another node holds the re-wrap: it finds this org's job on its next tick.
  auto lease = leases_.Hold(kRewrapLease);
  if (!lease) return true;
  const int batch = policy_.rewrap_batch_size;
  bool finished = false;
  bool lost = false;
  Status written = leases_.Write(*lease, [&](store::WriteTransaction& txn) -> Status {
    finished = false;
    auto job = txn.FindRewrapJob(org_id);
    if (!job.ok()) return job.error();
    if (!*job || (*job)->finished_at) {
      finished = true;
      return Status::Ok();
    }
    store::RewrapJobRecord next = **job;
    // The job may come from a rotation on another node, under a KEK this keyring lacks yet.
    if (!keyring_.HasKek(org_id, next.target_version)) COFFER_TRY(CatchUpKeks(txn, keyring_, org_id));
    auto rows = txn.ListVersionsBelowKek(org_id, next.target_version, batch);
    if (!rows.ok()) return rows.error();
    int64_t rewrapped = 0;
    for (const auto& row : *rows) {
      auto blob = keyring_.RewrapDek(ContextOf(row), row.blob, next.target_version);
      if (!blob.ok()) return blob.error();
      auto replaced = txn.ReplaceVersionBlob(row.credential_id, row.version, row.blob, *blob);
      if (!replaced.ok()) return replaced.error();
      if (*replaced) ++rewrapped;
    }
    next.rewrapped += rewrapped;
    // Fewer rows than asked for: this batch took the last ones below the target.
    if (rows->size() < static_cast<size_t>(batch)) {
      next.finished_at = NowMicros();
      COFFER_TRY(txn.InsertKeyEvent(store::KeyEventRecord{org_id, kRewrapFinished, next.target_version,
                                                          std::to_string(next.rewrapped) + " DEKs re-wrapped",
                                                          *next.finished_at}));
      finished = true;
    }
    return txn.PutRewrapJob(next);
  }, &lost);
  if (lost) return true;  // the lease's new holder carries the job on
  if (!written.ok()) {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;  // the store is closing: the job resumes at the next start
    LogError("the re-wrap of org " + org_id + " stopped: " + written.error().message +
             " (start it again with `coffer keys rotate-all`)");
    failures_[org_id] = written.error().message;
    return true;
  }
  if (finished) LogInfo("the re-wrap of org " + org_id + " is finished");
  return finished;
}

uint64_t KeyManager::UnflushedEncryptions(const std::string& org_id, uint32_t version, uint64_t count) {
  std::lock_guard lock(mutex_);
  auto flushed = flushed_counts_.find({org_id, version});
  const uint64_t base = flushed == flushed_counts_.end() ? 0 : flushed->second;
  return count > base ? count - base : 0;
}

uint64_t KeyManager::TotalEncryptions(const store::KekStateRecord& kek) {
  return kek.encryptions + UnflushedEncryptions(kek.org_id, kek.version, keyring_.EncryptionCount(kek.org_id, kek.version));
}

void KeyManager::PersistEncryptionCounts() {
  auto states = store_.BeginRead()->ListKekStates();
  if (!states.ok()) return;
  // Each node adds what it counted since its last flush: the store's count is every node's sum.
  struct Flush {
    store::KekStateRecord kek;
    uint64_t count = 0;  // the keyring's count that this flush brings the store up to
    uint64_t added = 0;
  };
  std::vector<Flush> flushes;
  for (const auto& s : *states) {
    const uint64_t count = keyring_.EncryptionCount(s.org_id, s.version);
    const uint64_t added = UnflushedEncryptions(s.org_id, s.version, count);
    if (added > 0) flushes.push_back(Flush{s, count, added});
  }
  if (flushes.empty()) return;
  Status written = store_.Write([&](store::WriteTransaction& txn) -> Status {
    for (const auto& f : flushes) COFFER_TRY(txn.AddKekEncryptions(f.kek.org_id, f.kek.version, f.added));
    return Status::Ok();
  });
  if (!written.ok()) {
    LogWarning("cannot persist KEK encryption counts: " + written.error().message);
    return;
  }
  std::lock_guard lock(mutex_);
  for (const auto& f : flushes) flushed_counts_[{f.kek.org_id, f.kek.version}] = f.count;
}

void KeyManager::RotateWhenDue() {
  auto lease = leases_.Hold(kAutoRotationLease);
  if (!lease) return;  // the lease's holder watches every org's KEK
  auto states = store_.BeginRead()->ListKekStates();
  if (!states.ok()) return;
  const std::map<std::string, uint32_t> current = NewestKekVersions(*states);
  const UnixMicros now = NowMicros();
  std::set<std::string> due_orgs;
  for (const auto& s : *states) {
    if (due_orgs.count(s.org_id) || s.version != current.at(s.org_id)) continue;
    const uint64_t count = TotalEncryptions(s);
    std::string reason;
    if (count >= policy_.rotate_after_encryptions) {
      reason = "automatic: " + std::to_string(count) + " encryptions reached the limit of " +
               std::to_string(policy_.rotate_after_encryptions);
    } else if (policy_.rotate_after_days > 0 && now - s.created_at >= policy_.rotate_after_days * kMicrosPerDay) {
      reason = "automatic: older than " + std::to_string(policy_.rotate_after_days) + " days";
    }
    if (reason.empty()) continue;
    due_orgs.insert(s.org_id);
    {
      std::lock_guard lock(mutex_);
      // After a failure, try again a minute later rather than every tick.
      auto last = last_auto_failure_.find(s.org_id);
      if (last != last_auto_failure_.end() && now - last->second < 60 * int64_t{1000000}) continue;
    }
    auto rotated = RotateKekFor(s.org_id, reason, nullptr, &*lease);
    std::lock_guard lock(mutex_);
    if (rotated.ok()) {
      last_auto_failure_.erase(s.org_id);
    } else {
      LogError("automatic KEK rotation of org " + s.org_id + " failed: " + rotated.error().message);
      last_auto_failure_[s.org_id] = now;
    }
  }
}

}  // namespace coffer::vault
