#include "vault/leases.h"

#include <unistd.h>

#include <climits>

#include "core/log.h"
#include "crypto/encoding.h"
#include "crypto/random.h"

namespace coffer::vault {

std::string NewNodeId(std::string_view name) {
  std::string base(name);
  if (base.empty()) {
    char host[HOST_NAME_MAX + 1] = {};
    base = gethostname(host, sizeof host - 1) == 0 && host[0] != '\0' ? host : "node";
  }
  return base + ":" + std::to_string(getpid()) + ":" + crypto::HexEncode(crypto::RandomBytes(3));
}

Leases::Leases(store::Store& store, std::string node_id, std::chrono::milliseconds ttl)
    : store_(store), node_id_(std::move(node_id)), ttl_(ttl) {}

Leases::~Leases() { ReleaseAll(); }

std::optional<store::LeaseRecord> Leases::Hold(std::string_view name) {
  const auto now = Clock::now();
  std::optional<store::LeaseRecord> before;
  {
    std::lock_guard lock(mutex_);
    auto it = held_.find(name);
    if (it != held_.end()) {
      // Fresh enough: two thirds of the lease are still ahead, by this node's own clock (which a
      // pause does not stop). The store has the last word in every write anyway.
      if (now - it->second.renewed < ttl_ / 3) return it->second.lease;
      before = it->second.lease;
    } else if (auto wait = ask_again_.find(name); wait != ask_again_.end() && now < wait->second) {
      return std::nullopt;  // another node held it a moment ago
    }
  }
  std::optional<store::LeaseRecord> granted;
  Status written = store_.Write([&](store::WriteTransaction& txn) -> Status {
    auto lease = txn.AcquireLease(std::string(name), node_id_,
                                  std::chrono::duration_cast<std::chrono::microseconds>(ttl_).count());
    if (!lease.ok()) return lease.error();
    granted = std::move(lease).value();
    return Status::Ok();
  });
  if (!written.ok()) return std::nullopt;  // renewal failed: no work until the store answers
  if (!granted) {
    if (before) Forget(std::string(name), "another node holds it now");
    std::lock_guard lock(mutex_);
    ask_again_[std::string(name)] = now + ttl_ / 3;
    return std::nullopt;
  }
  // Worth a line only where there are other nodes: on SQLite this node holds every lease.
  if ((!before || before->token != granted->token) && store_.SharedWithOtherNodes()) {
    LogInfo("node " + node_id_ + " holds the lease on " + std::string(name) + " (fencing token " +
            std::to_string(granted->token) + ")");
  }
  std::lock_guard lock(mutex_);
  held_[std::string(name)] = Held{*granted, now};
  if (auto wait = ask_again_.find(name); wait != ask_again_.end()) ask_again_.erase(wait);
  return granted;
}

Status Leases::Write(const store::LeaseRecord& lease, const std::function<Status(store::WriteTransaction&)>& work,
                     bool* lost) {
  bool fenced = false;
  Status written = store_.Write([&](store::WriteTransaction& txn) -> Status {
    fenced = false;
    if (Status held = txn.CheckLease(lease); !held.ok()) {
      fenced = held.error().code == ErrorCode::kConflict;
      return held;
    }
    return work(txn);
  });
  if (fenced) Forget(lease.name, "a write under fencing token " + std::to_string(lease.token) + " was refused");
  if (lost != nullptr) *lost = fenced;
  return written;
}

void Leases::Forget(const std::string& name, const std::string& why) {
  {
    std::lock_guard lock(mutex_);
    if (held_.erase(name) == 0) return;
  }
  LogWarning("node " + node_id_ + " lost the lease on " + name + " (" + why +
             "): it stops that work, and the lease's holder carries it on");
}

void Leases::ReleaseAll() {
  std::map<std::string, Held, std::less<>> held;
  {
    std::lock_guard lock(mutex_);
    held.swap(held_);
  }
  if (held.empty()) return;
  Status released = store_.Write([&](store::WriteTransaction& txn) -> Status {
    for (const auto& [name, h] : held) COFFER_TRY(txn.ReleaseLease(h.lease));
    return Status::Ok();
  });
  if (!released.ok()) {
    LogWarning("node " + node_id_ + " could not release its leases (" + released.error().message +
               "): other nodes take them over once they expire");
  }
}

}  // namespace coffer::vault
