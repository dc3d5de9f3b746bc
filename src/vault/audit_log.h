// The audit trail: one record per operation, written durably before the response leaves, and
// chained: each record's hash is an HMAC, under a key sealed by the root key, over the record and
// the previous record's hash. Editing, removing, inserting or reordering a row breaks the chain at
// that row, and Verify names it. Records never hold secret values, tokens or key material, and a
// failed request's target (a name that may not exist, typed by anyone: a secret pasted into the
// wrong field included) is kept only as a keyed digest, which a name filter still finds.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "core/principal.h"
#include "core/result.h"
#include "crypto/secure_key.h"
#include "crypto/signature.h"
#include "keyring/keyring.h"
#include "store/store.h"

namespace coffer::vault {

// What the audit chain key is wrapped under the root key for (root rotation re-wraps it).
inline constexpr std::string_view kAuditKeyPurpose = "audit-chain";

struct VerifyReport {
  int64_t checked = 0;
  int64_t first_seq = 0;    // the oldest record kept; above 1 once retention has pruned
  int64_t checkpoints = 0;  // signed checkpoints whose signature and hash were checked
  std::optional<int64_t> first_bad_seq;  // empty: the whole chain verifies
  std::string problem;
};

struct AuditOptions {
  // A signed checkpoint every this many records (and at every prune).
  int64_t checkpoint_every = 1000;
  // Tests only: while a file exists at this path (COFFER_AUDIT_FAULT_FILE), every append fails,
  // to prove that requests then fail closed. It can make auditing fail, never skip it.
  std::string fault_file;
};

struct PruneOutcome {
  int64_t pruned_through = 0;  // 0: nothing was old enough
};

class AuditLog {
 public:
  // Loads the chain key, creating and storing it (sealed by the root key) on a fresh store.
  static Result<std::unique_ptr<AuditLog>> Open(store::Store& store, const keyring::Keyring& keyring,
                                                AuditOptions options = {});

  // Appends `record` inside `txn`, numbering it and chaining it to the last record, so it commits
  // (durably) with the change it describes, or not at all.
  Status Append(store::WriteTransaction& txn, store::AuditRecord record) const;
  // Appends in a write of its own, for reads, denials and failures. Durable on return, unless
  // `request` carries a reply barrier: then the write is queued and the barrier holds the reply
  // until it is durable (or turns the reply into this failure). Server events pass `{}`.
  Status Record(store::AuditRecord record, const RequestContext& request);

  // Records `principal` doing `action` on `target` with `result`'s outcome (ok, or its error) and
  // returns `result`; or the audit failure instead, when the record cannot be written.
  // `result` is taken by reference so that a target computed from it in the same call
  // (`RecordOutcome(p, "x", r->id, std::move(r))`) reads it before it is moved: a by-value
  // parameter may be move-constructed first, since argument order is unspecified.
  template <class T>
    requires(!std::is_lvalue_reference_v<T>)
  T RecordOutcome(const Principal& principal, std::string action, std::string target, T&& result) {
    store::AuditRecord record = For(principal, std::move(action), std::move(target));
    if (!result.ok()) SetFailure(record, result.error());
    if (Status s = Record(std::move(record), principal.request); !s.ok()) return s.error();
    return std::move(result);
  }
  // RecordOutcome for a failure: returns `error`, or the audit failure.
  Error RecordFailure(const Principal& principal, std::string action, std::string target, const Error& error) {
    return RecordOutcome(principal, std::move(action), std::move(target), Status(error)).error();
  }

  // Walks the whole chain from the first record kept (from the checkpoint before it, once pruned),
  // checking every checkpoint's signature on the way. The chain spans every org, so this is for
  // owners and admins of the server's first org (audit:read).
  Result<VerifyReport> Verify(const Principal& caller) const;
  // The same walk without a caller, for offline tools that opened the root key themselves with
  // the server stopped (`coffer migrate` checks its copy with it). Never reachable from a request.
  VerifyReport VerifyOffline() const { return VerifyChain(); }

  // Retention: deletes the records older than `cutoff`, but only after the chain up to them
  // verifies, and only behind a signed checkpoint of the last one deleted, so the rest still
  // verifies. The newest record is never deleted; the prune is itself recorded. Its one write goes
  // through `write`: the retention lease's fenced write (Leases::Write), so one node prunes.
  Result<PruneOutcome> Prune(UnixMicros cutoff, const std::function<Status(const store::WriteWork&)>& write);

  // The checkpoints and the public key that checks them: copy them somewhere the server cannot
  // write, and a later truncation or rewrite of the trail shows against them.
  Result<std::vector<store::AuditCheckpointRecord>> Checkpoints(const Principal& caller) const;
  const crypto::Ed25519PublicKey& checkpoint_public_key() const { return checkpoint_public_key_; }

  // Records the caller may see, newest first: an org admin sees the whole org (and, in the
  // server's first org, server events); anyone else its own delegation subtree. Needs audit:read.
  Result<std::vector<store::AuditRecord>> Query(const Principal& caller, store::AuditQuery query) const;

  // A record of `principal` (its chain, token and request) doing `action` on `target`.
  static store::AuditRecord For(const Principal& principal, std::string action, std::string target,
                                std::optional<int> version = std::nullopt);
  // A record of the server itself (start, stop, retention).
  static store::AuditRecord ServerEvent(std::string action, std::string target);
  // A record of an unauthenticated caller (a failed login, a bad token).
  static store::AuditRecord Anonymous(const RequestContext& request, std::string action, std::string target);
  // Sets outcome and reason from an error: denied, not_found or error.
  static void SetFailure(store::AuditRecord& record, const Error& error);

  // "digest:" and the hex HMAC of `target` under the chain key: equal names give equal digests,
  // and nobody without the root key can test a guess against the table. How a name typed by
  // anyone is kept (a failed request's target here, a failed login's username in the throttle).
  std::string TargetDigest(std::string_view target) const;

  AuditLog(store::Store& store, crypto::SecureKey key, AuditOptions options);

 private:
  std::vector<uint8_t> Chain(const std::vector<uint8_t>& previous_hash, const store::AuditRecord& record) const;
  store::AuditCheckpointRecord SignCheckpoint(int64_t seq, std::vector<uint8_t> hash) const;
  VerifyReport VerifyChain() const;
  Status CheckOperator(const Principal& caller) const;

  store::Store& store_;
  crypto::SecureKey key_;
  // Derived from key_, so a root rotation that re-wraps key_ carries it along.
  crypto::SecureKey signing_seed_;
  crypto::Ed25519PublicKey checkpoint_public_key_;
  AuditOptions options_;
};

}  // namespace coffer::vault
