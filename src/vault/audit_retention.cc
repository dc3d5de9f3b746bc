#include "vault/audit_retention.h"

#include <algorithm>

#include "core/log.h"
#include "core/time.h"

namespace coffer::vault {

AuditRetention::AuditRetention(AuditLog& audit, Leases& leases, std::chrono::seconds keep)
    : audit_(audit), leases_(leases), keep_(keep) {}

AuditRetention::~AuditRetention() { Stop(); }

void AuditRetention::Start() {
  if (keep_.count() <= 0) return;
  worker_ = std::thread([this] { Run(); });
}

void AuditRetention::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void AuditRetention::Run() {
  // Hourly, or more often for short retention periods, so a record outlives its period by at most
  // a tenth of it.
  const auto interval = std::clamp<std::chrono::seconds>(keep_ / 10, std::chrono::seconds(1), std::chrono::hours(1));
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    PruneOnce();
    lock.lock();
    wake_.wait_for(lock, interval, [this] { return stopping_; });
  }
}

void AuditRetention::PruneOnce() {
  auto lease = leases_.Hold(kAuditRetentionLease);
  if (!lease) return;  // another node holds retention
  const UnixMicros cutoff = NowMicros() - std::chrono::duration_cast<std::chrono::microseconds>(keep_).count();
  auto pruned = audit_.Prune(cutoff, [&](const store::WriteWork& work) { return leases_.Write(*lease, work); });
  if (!pruned.ok()) {
    LogError("audit retention: " + pruned.error().message);
  } else if (pruned->pruned_through > 0) {
    LogInfo("audit retention: pruned records up to " + std::to_string(pruned->pruned_through));
  }
}

}  // namespace coffer::vault
