// The key lifecycle of a running server: re-encrypting one credential, rotating an org's KEK,
// re-wrapping every DEK under the new KEK in the background, retiring KEKs nothing uses any more,
// and rotating automatically before a KEK nears the AES-GCM limit.
//
// Every step is crash-safe by construction. A new KEK is durable before anything is sealed under it
// (prepare, persist, then activate). The re-wrap moves in bounded batches, each one store write that
// changes blobs and the progress row together, so a crash at any moment leaves every blob readable
// (under its old KEK or its new one, both held) and the job resumes at start-up where it stopped.
// Reads never wait on any of it: they use their own snapshot and the keyring's shared lock.
//
// With several nodes on one database, the background work runs on one node at a time: the re-wrap
// under the lease kRewrapLease, automatic rotation under kAutoRotationLease, every write of it
// fenced (Leases::Write). Any node may rotate on request; the lease holder finds the new job on its
// next tick and does the re-wrap. Encryption counts are each node's own, added to the store's.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/credential.h"
#include "core/principal.h"
#include "core/result.h"
#include "keyring/keyring.h"
#include "store/store.h"
#include "vault/audit_log.h"
#include "vault/leases.h"

namespace coffer::vault {

// 2^30: a quarter of NIST SP 800-38D's 2^32 bound on random-nonce GCM encryptions per key, so a
// rotation that is late by hours, or counts lost in a crash, never come near the bound.
inline constexpr uint64_t kDefaultRotateAfterEncryptions = uint64_t{1} << 30;
// The most an operator may configure: 3 * 2^30 still leaves 2^30 encryptions of headroom.
inline constexpr uint64_t kMaxRotateAfterEncryptions = uint64_t{3} << 30;
inline constexpr int kDefaultRewrapBatchSize = 200;
inline constexpr int kMaxRewrapBatchSize = 10000;

struct KeyPolicy {
  uint64_t rotate_after_encryptions = kDefaultRotateAfterEncryptions;
  int rotate_after_days = 0;  // 0: no rotation by age
  // DEKs re-wrapped per store write: small enough that a batch never holds the writer for long.
  int rewrap_batch_size = kDefaultRewrapBatchSize;
  // How often encryption counts are persisted and the policy is checked.
  std::chrono::milliseconds tick{1000};
};

// The checks behind the serve flags; messages name the flag.
Status ValidateKeyPolicy(const KeyPolicy& policy);

struct KekInfo {
  uint32_t version = 0;
  UnixMicros created_at = 0;
  uint64_t encryptions = 0;
  int64_t deks = 0;  // stored credential versions whose DEK this KEK wraps
  bool current = false;
};

struct RewrapProgress {
  std::string state = "idle";  // "idle" (never run), "running", "finished", "failed"
  uint32_t target_version = 0;
  int64_t rewrapped = 0;
  int64_t remaining = 0;  // DEKs still under an older KEK than the target
  std::optional<UnixMicros> started_at;
  std::optional<UnixMicros> finished_at;
  std::string error;  // why a failed job stopped; never secret
};

struct KeyStatus {
  std::string org_id;
  uint32_t current_version = 0;
  std::vector<KekInfo> keks;
  int64_t unreadable_deks = 0;  // blobs whose header names no KEK (damaged or from a newer Coffer)
  RewrapProgress rewrap;
  std::vector<store::KeyEventRecord> last_events;  // newest of each kind
  std::string root_provider;
  KeyPolicy policy;
};

struct KekRotation {
  uint32_t previous_version = 0;
  uint32_t new_version = 0;
  RewrapProgress rewrap;
};

class KeyManager {
 public:
  // Every operation is audited: "credential.rotate", "keys.rotate", "keys.rotate_all" and
  // "keys.retire", in the transaction that makes the change, and denials on their own.
  KeyManager(store::Store& store, keyring::Keyring& keyring, AuditLog& audit, Leases& leases, KeyPolicy policy);
  ~KeyManager();  // stops the background worker
  KeyManager(const KeyManager&) = delete;
  KeyManager& operator=(const KeyManager&) = delete;

  // Hands the persisted encryption counts to the keyring, resumes any unfinished re-wrap, and starts
  // the background worker. Call after the keyring holds every KEK (Bootstrap).
  Status Start();
  // Persists the counts one last time and stops the worker; a running re-wrap resumes at next start.
  void Stop();

  // Re-encrypts the current version of one credential under a fresh DEK and nonces (and the current
  // KEK), in place: same value, same version number, same history. Needs vault:write on it.
  Result<CredentialInfo> RotateCredential(const Principal& principal, const std::string& name);

  // The rest need keys:admin.
  // A new KEK version, current for new writes at once; the re-wrap of older DEKs starts behind it.
  Result<KekRotation> RotateKek(const Principal& principal);
  // Re-wraps every DEK of the org under its current KEK, in the background.
  Result<RewrapProgress> StartRewrap(const Principal& principal);
  // Destroys KEK versions that wrap no DEK. With a version, that one (409 if it is current or still
  // in use); without, every retirable one. Returns what was retired.
  Result<std::vector<uint32_t>> RetireKeks(const Principal& principal, std::optional<uint32_t> version);
  Result<KeyStatus> GetKeyStatus(const Principal& principal);

  // Status without an authorization check, for the org-wide status page.
  Result<KeyStatus> DescribeKeys(const std::string& org_id);

 private:
  // Fails (and audits the denial of `action`) unless the principal holds keys:admin.
  Status RequireKeysAdmin(const Principal& principal, const std::string& action);
  // Records a failed attempt and hands the error back.
  // `principal` is empty for the server's own (automatic) rotations.
  // `lease`: the automatic rotation's, which its write is fenced by.
  Result<KekRotation> RotateKekFor(const std::string& org_id, const std::string& reason, const Principal* principal,
                                   const store::LeaseRecord* lease = nullptr);
  Status BeginRewrap(const std::string& org_id, const std::string& reason, const Principal& principal);
  void Run();
  // One batch; true when the org's re-wrap is finished (or stopped by an error).
  bool RewrapBatch(const std::string& org_id);
  void PersistEncryptionCounts();
  // Of the keyring's `count` for a KEK, the encryptions this node has not added to the store's.
  uint64_t UnflushedEncryptions(const std::string& org_id, uint32_t version, uint64_t count);
  // Every node's encryptions under `kek`: the store's count and this node's unflushed ones.
  uint64_t TotalEncryptions(const store::KekStateRecord& kek);
  void RotateWhenDue();
  // The lease holder's part of a tick: every unfinished re-wrap in the store, whichever node
  // started it, becomes this node's to run.
  void AdoptUnfinishedRewraps();
  void Wake(const std::string& org_id);

  store::Store& store_;
  keyring::Keyring& keyring_;
  AuditLog& audit_;
  Leases& leases_;
  const KeyPolicy policy_;

  std::mutex rotation_mutex_;  // one KEK rotation at a time

  std::mutex mutex_;  // guards everything below
  std::condition_variable wake_;
  std::set<std::string> active_orgs_;  // orgs with a re-wrap to run
  std::map<std::string, uint64_t> wake_generation_;  // bumped by every Wake
  std::map<std::string, std::string> failures_;  // org -> why its last re-wrap stopped
  std::map<std::string, UnixMicros> last_auto_failure_;  // org -> when automatic rotation last failed
  // The keyring's count of each KEK (org, version) when this node last added it to the store's.
  std::map<std::pair<std::string, uint32_t>, uint64_t> flushed_counts_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace coffer::vault
