// Keeps the audit trail to its retention period: prunes at start-up and then periodically, on a
// thread of its own, through AuditLog::Prune (which refuses when the chain does not verify). With
// several nodes, the one that holds the retention lease prunes, fenced by it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "vault/audit_log.h"
#include "vault/leases.h"

namespace coffer::vault {

class AuditRetention {
 public:
  // `keep` of zero keeps every record forever and starts no thread.
  AuditRetention(AuditLog& audit, Leases& leases, std::chrono::seconds keep);
  ~AuditRetention();
  AuditRetention(const AuditRetention&) = delete;
  AuditRetention& operator=(const AuditRetention&) = delete;

  void Start();
  void Stop();

 private:
  void Run();
  void PruneOnce();

  AuditLog& audit_;
  Leases& leases_;
  std::chrono::seconds keep_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace coffer::vault
