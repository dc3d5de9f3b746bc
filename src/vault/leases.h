// Background work on one node at a time. Each kind of background work (the KEK re-wrap, automatic
// KEK rotation, audit retention, and every later job) runs under a lease in the store: the node
// that holds it does the work, the others wait, and when the holder dies its lease expires (by
// the database's clock) and another node takes over where the work stopped.
//
// Holding a lease is a belief until the store confirms it: every write of such work goes through
// Leases::Write, which checks the lease's fencing token inside that write, so a node that was
// paused past its lease (SIGSTOP, a long GC-like stall, a partition) and wakes up believing it
// still holds it writes nothing. On SQLite the one node holds every lease and the same code runs.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/store.h"

namespace coffer::vault {

// The leases, one per kind of background work.
inline constexpr std::string_view kRewrapLease = "keys.rewrap";
inline constexpr std::string_view kAutoRotationLease = "keys.rotation";
inline constexpr std::string_view kAuditRetentionLease = "audit.retention";

inline constexpr std::chrono::milliseconds kDefaultLeaseTtl{15000};

// A name for this process among the nodes on one database: `name` (the host name when empty), the
// process id and a random part, so a restarted node never passes for the one that held a lease.
std::string NewNodeId(std::string_view name);

class Leases {
 public:
  Leases(store::Store& store, std::string node_id, std::chrono::milliseconds ttl = kDefaultLeaseTtl);
  ~Leases();  // releases what this node holds, so others need not wait for it to expire
  Leases(const Leases&) = delete;
  Leases& operator=(const Leases&) = delete;

  // The lease on `name` while this node holds it: taken when it is free or expired, renewed once a
  // third of its time has passed since the last renewal. Empty while another node holds it (asked
  // again a third of a lease later), or when the store cannot be written. Thread-safe.
  std::optional<store::LeaseRecord> Hold(std::string_view name);

  // Runs `work` in a store write that first checks `lease` (CheckLease): it commits only while
  // the lease is still this node's. A lost lease fails with kConflict and is forgotten, so the
  // next Hold asks the store again; `*lost` (when given) tells the caller that was why.
  Status Write(const store::LeaseRecord& lease, const std::function<Status(store::WriteTransaction&)>& work,
               bool* lost = nullptr);

  // Gives up every lease this node holds (a clean shutdown).
  void ReleaseAll();

  const std::string& node_id() const { return node_id_; }
  std::chrono::milliseconds ttl() const { return ttl_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Held {
    store::LeaseRecord lease;
    Clock::time_point renewed;
  };
  void Forget(const std::string& name, const std::string& why);

  store::Store& store_;
  const std::string node_id_;
  const std::chrono::milliseconds ttl_;
  std::mutex mutex_;
  std::map<std::string, Held, std::less<>> held_;  // the leases this node believes it holds
  // Leases another node held when last asked, and when to ask again: a third of a lease, so the
  // nodes without a lease do not write to the store on every tick.
  std::map<std::string, Clock::time_point, std::less<>> ask_again_;
};

}  // namespace coffer::vault
