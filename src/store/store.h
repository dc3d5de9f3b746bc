// The storage seam. The vault layer sees only these interfaces; each engine (SQLite now,
// PostgreSQL later) implements them. No SQL, no engine detail leaks upward.
//
// THE CONTRACT every engine keeps (tests/store/ pins it for each engine; run it on yours):
//
// Threads and lifetimes.
//   - A Store may be used from any number of threads at once: BeginRead, Write, Submit and Stats
//     are thread-safe.
//   - A ReadTransaction is used by one thread at a time, and must be destroyed before its Store.
//   - The WriteTransaction handed to work is valid only while that work runs, on the thread the
//     store runs it on; work must not keep it, nor hand it to another thread.
//   - Destroying a Store first runs every piece of work already queued and calls its callback;
//     only then does the destructor return. Nothing may call the Store while it is destroyed.
//
// Reads. BeginRead takes a consistent snapshot at once: every query on it sees the database as it
// was when BeginRead returned, so a write committed after BeginRead is not seen by that
// transaction (and is seen by the next one). Lists are ordered as each method says, and text
// (names, prefixes, cursors) compares byte by byte, never by a locale's collation.
//
// Writes.
//   - One store runs one piece of work at a time: pieces passed to one Store's Write or Submit
//     never overlap. Pieces from different stores on the same database (several nodes on one
//     PostgreSQL) may run concurrently; the engine keeps them isolated, so that each piece sees
//     the database as if it ran alone, or reports kConflict.
//   - A piece of work is atomic: when it returns an error (or throws, which fails it with
//     kInternal), nothing it wrote is kept, whichever write methods it called, and it alone rolls
//     back: other callers' pieces committed with it keep their writes. A piece sees its own writes.
//   - Write returns the piece's own error unchanged when the work fails, and otherwise an error
//     only if the commit failed.
//   - Work passed to Write or Submit must not call Write or Submit (on any store): it would wait
//     for the writer it runs on. It should not block on anything but the database.
//   - The audit chain: AppendAudit numbers come from ReadAuditChainTip in the same write
//     (max(last_seq, last_checkpoint_seq) + 1, as the audit log does), and the engine guarantees
//     that appends from every writer (every thread, every store on the database) form one chain,
//     1, 2, 3, ... without gaps or duplicates: between a write's ReadAuditChainTip and its commit no
//     other writer may append. A single writer per database gives this for free; an engine with
//     concurrent writers must serialise the chain itself (a lock taken by ReadAuditChainTip inside
//     a write, say). An append whose seq is already taken fails with kConflict.
//
// Errors from a store, and what the caller does with each:
//   - kConflict: a uniqueness conflict (a row with that key or unique value exists, or a row it
//     refers to does not) or a concurrent change (the row changed since it was read; the version
//     check in PutCredentialVersion). The piece is rolled back; retrying it may succeed.
//   - kUnavailable: the database cannot be reached or cannot take the write (disk full, I/O
//     error, busy past the timeout, shutting down, a commit that did not become durable). Fail
//     closed: the outcome of the request is an error, never a guess.
//   - kDataCorrupted: a stored row cannot be read back (a column that does not parse).
//   - kInternal: a bug (bad SQL, a broken invariant, work that threw).
//   Other codes are never returned by the store itself; work may return any code, and Write
//   passes it through.
//
// "No such row":
//   - Find* returning Result<optional<...>>: an empty optional, never kNotFound.
//   - Lists: an empty vector.
//   - Set*/Revoke*/Delete* returning Result<bool>: false.
//   - Updates returning plain Status (SetHuman*, ReplaceHumanTotpWrap, Set/AddKekEncryptions): Ok,
//     and nothing changes. Exception: ReplaceKekWrap fails with kConflict when the KEK is gone,
//     since a root rotation must not lose one silently.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/records.h"

namespace coffer::store {

// A consistent snapshot for reading, taken when BeginRead returns. One thread at a time; destroy it
// before its Store.
class ReadTransaction {
 public:
  virtual ~ReadTransaction() = default;

  virtual Result<std::vector<OrgRecord>> ListOrgs() = 0;  // oldest first
  virtual Result<std::vector<KekRecord>> ListKeks() = 0;  // by org id, then version
  virtual Result<std::optional<IdentityRecord>> FindIdentity(const std::string& id) = 0;
  virtual Result<std::optional<TokenRecord>> FindTokenByHash(const TokenHash& hash) = 0;

  // Identities, tokens, grants and logins (the delegation chain). Lists are ordered by
  // created_at, then id.
  virtual Result<std::vector<IdentityRecord>> ListIdentities(const std::string& org_id) = 0;
  virtual Result<std::optional<TokenRecord>> FindToken(const std::string& id) = 0;
  virtual Result<std::vector<TokenRecord>> ListTokens(const std::string& identity_id) = 0;
  virtual Result<std::optional<GrantRecord>> FindGrant(const std::string& id) = 0;
  virtual Result<std::vector<GrantRecord>> ListGrantsTo(const std::string& grantee_id) = 0;
  virtual Result<std::vector<GrantRecord>> ListGrantsFrom(const std::string& granter_id) = 0;
  virtual Result<std::optional<HumanRecord>> FindHumanByUsername(const std::string& username) = 0;
  virtual Result<std::optional<HumanRecord>> FindHumanByIdentity(const std::string& identity_id) = 0;
  // Every person with a TOTP key stored (confirmed or not), in no particular order.
  virtual Result<std::vector<HumanRecord>> ListHumansWithTotp() = 0;

  // The newest version when `version` is empty. Versions that were pruned are not found.
  virtual Result<std::optional<CredentialRecord>> FindCredential(const std::string& org_id,
                                                                 const std::string& identity_id,
                                                                 const std::string& name,
                                                                 std::optional<int> version) = 0;
  // The current version of each credential in one partition (org, identity), ordered by name in
  // byte order: names greater than after_name that start with name_prefix (compared literally
  // and case-sensitively: '_' and '%' are plain characters), of `type` when set, at most `limit`.
  // Never loads blobs.
  virtual Result<std::vector<CredentialInfo>> ListCredentials(const CredentialListQuery& query) = 0;

  // ---- Key management (issue 7) ----
  virtual Result<std::vector<KekStateRecord>> ListKekStates() = 0;  // by org id, then version
  // DEKs per KEK version among all stored versions (history included) of an org's credentials,
  // ordered by KEK version. The KEK version is the one in each blob's header (keyring/sealed_blob.h);
  // blobs whose header this Coffer cannot read are counted under an empty kek_version.
  virtual Result<std::vector<DekUsageRecord>> CountDeksByKek(const std::string& org_id) = 0;
  // Up to `limit` stored versions of an org's credentials whose DEK is wrapped by a KEK version
  // below `kek_version`: the next batch for the background re-wrap, lowest KEK version first.
  // Blobs whose header cannot be read are never listed.
  virtual Result<std::vector<SealedVersionRecord>> ListVersionsBelowKek(const std::string& org_id,
                                                                        uint32_t kek_version, int limit) = 0;
  virtual Result<std::optional<RewrapJobRecord>> FindRewrapJob(const std::string& org_id) = 0;
  // The newest event of each kind for an org (the last inserted), one per kind.
  virtual Result<std::vector<KeyEventRecord>> LatestKeyEvents(const std::string& org_id) = 0;
  // Current versions of an org's credentials (all partitions), counted by type.
  virtual Result<std::vector<TypeCountRecord>> CountCredentialsByType(const std::string& org_id) = 0;
  // By kind, then org id, then version.
  virtual Result<std::vector<PendingRootWrapRecord>> ListPendingRootWraps() = 0;
  // ---- end of key management reads ----

  // ---- Moving between engines ----
  // What a faithful copy of a whole store reads (store/store_copy.h: `coffer migrate`), beyond
  // the methods above. Not for the request path: these walk whole tables.
  //
  // Every stored version of every credential (history included; pruned versions are gone),
  // blobs included, ordered by credential id, then version: the versions after
  // (after_credential_id, after_version) in that order, at most `limit`. Start from ("", 0).
  // info.created_at is the credential's, info.updated_at the version's.
  virtual Result<std::vector<CredentialRecord>> ScanCredentialVersions(const std::string& after_credential_id,
                                                                       int after_version, int limit) = 0;
  // Every key event of an org, in the order they were inserted (LatestKeyEvents' "last" is the
  // last of these per kind).
  virtual Result<std::vector<KeyEventRecord>> ListKeyEvents(const std::string& org_id) = 0;
  // How many rows of each kind the store holds: whether it is empty, and whether a copy is whole.
  virtual Result<StoreRowCounts> CountRows() = 0;
  // ---- end of moving between engines (reads) ----

  // ---- Audit trail ----
  // Inside a write: the tip as that write leaves it so far (its own appends included), and no
  // other writer can append until it commits (see the audit chain in the contract above).
  virtual Result<AuditChainTip> ReadAuditChainTip() = 0;
  // Newest first, at most `limit`, every set filter applied (see AuditQuery): records of org_id
  // (and org "" too with include_server_records); chain filters match a whole id in chain_ids;
  // action matches exactly or as a family ("credential" matches "credential.read"); target
  // matches target or target_digest; text is a case-insensitive substring of actor name, action,
  // target, reason or source ip; since <= at < until; seq < before_seq.
  virtual Result<std::vector<AuditRecord>> QueryAudit(const AuditQuery& query) = 0;
  // Oldest first, seq > after_seq: for walking the chain.
  virtual Result<std::vector<AuditRecord>> ScanAudit(int64_t after_seq, int limit) = 0;
  virtual Result<std::vector<AuditKeyRecord>> ListAuditKeys() = 0;
  virtual Result<std::vector<AuditCheckpointRecord>> ListAuditCheckpoints() = 0;  // oldest first
  // The seq of the newest record with `at` strictly before `cutoff`, if any.
  virtual Result<std::optional<int64_t>> LastAuditSeqBefore(UnixMicros cutoff) = 0;

  // ---- Leases on background work ----
  // Every lease ever taken, by name (expired ones included: their holder is the last one).
  virtual Result<std::vector<LeaseRecord>> ListLeases() = 0;

  // ---- Login throttling ----
  // Inside a write on an engine with concurrent writers, the row stays locked until commit, so
  // two nodes counting failures of one account take turns.
  virtual Result<std::optional<LoginFailureRecord>> FindLoginFailures(const std::string& key) = 0;
};

// A write transaction. Its changes become visible and durable together when the store commits it.
// Handed to work by the store; valid only while that work runs. Reads on it see its own writes.
class WriteTransaction : public ReadTransaction {
 public:
  // Inserts fail with kConflict when the key (or a unique value: org name, token hash, username)
  // is taken, or a row they refer to (org, identity) does not exist.
  virtual Status InsertOrg(const OrgRecord& org) = 0;
  virtual Status InsertKek(const KekRecord& kek) = 0;
  virtual Status InsertIdentity(const IdentityRecord& identity) = 0;
  virtual Status InsertToken(const TokenRecord& token) = 0;
  virtual Status InsertHuman(const HumanRecord& human) = 0;
  virtual Status InsertGrant(const GrantRecord& grant) = 0;
  // Sets or clears (restore) revoked_at. False when there is no such row.
  virtual Result<bool> SetIdentityRevoked(const std::string& id, std::optional<UnixMicros> at) = 0;
  // Keep the first revocation time of a row already revoked (and still answer true).
  virtual Result<bool> RevokeToken(const std::string& id, UnixMicros at) = 0;
  virtual Result<bool> RevokeGrant(const std::string& id, UnixMicros at) = 0;
  // The SetHuman* updates succeed and change nothing when there is no such person.
  virtual Status SetHumanPassword(const std::string& identity_id, const std::string& password_hash) = 0;
  // Empty `wrapped` removes the second factor. Either way the last accepted step starts again at 0.
  virtual Status SetHumanTotp(const std::string& identity_id, const std::vector<uint8_t>& wrapped, bool confirmed) = 0;
  virtual Status SetHumanTotpLastStep(const std::string& identity_id, int64_t step) = 0;
  // Root rotation: the same key, wrapped under the new root. Keeps confirmed and the last step;
  // changes nothing for a person without a second factor.
  virtual Status ReplaceHumanTotpWrap(const std::string& identity_id, const std::vector<uint8_t>& wrapped) = 0;
  // Deletes every credential (all versions) in one identity's partition; returns how many
  // credentials (not versions).
  virtual Result<int64_t> PurgeCredentials(const std::string& org_id, const std::string& identity_id) = 0;

  // Appends a version (record.info.version must be the current version + 1, or 1 for a new
  // credential), makes it current, and prunes versions older than the retention window
  // (kRetainedVersions, the new one included). Any other version fails with kConflict: another
  // writer got there first. info.updated_at is this version's time; info.created_at is kept
  // from version 1.
  virtual Status PutCredentialVersion(const CredentialRecord& record) = 0;
  // Removes a credential and all its versions. False when there was none.
  virtual Result<bool> DeleteCredential(const std::string& org_id, const std::string& identity_id,
                                        const std::string& name) = 0;

  // ---- Key management (issue 7) ----
  // Replaces one stored version's blob if it still equals `expected` (false otherwise): re-wrap and
  // re-encryption change key material in place and leave versions and history alone. The
  // version's KEK version follows the new blob's header.
  virtual Result<bool> ReplaceVersionBlob(const std::string& credential_id, int version,
                                          const std::vector<uint8_t>& expected,
                                          const std::vector<uint8_t>& blob) = 0;
  // Raises the count to `encryptions`; never lowers it, whatever order two flushes land in.
  virtual Status SetKekEncryptions(const std::string& org_id, uint32_t version, uint64_t encryptions) = 0;
  // Adds `count` encryptions to a KEK's persisted count (a node's encryptions since its last
  // flush): nodes that share the database each add their own, so the total counts them all.
  virtual Status AddKekEncryptions(const std::string& org_id, uint32_t version, uint64_t count) = 0;
  // Root rotation, phase one: a key wrapped under the new root, kept beside its current wrap.
  // Replaces a pending wrap for the same (kind, org_id, version).
  virtual Status PutPendingRootWrap(const PendingRootWrapRecord& pending) = 0;
  virtual Status ClearPendingRootWraps() = 0;
  // Root rotation, last phase: the new wrap replaces the old one. kConflict when the KEK is gone.
  virtual Status ReplaceKekWrap(const std::string& org_id, uint32_t version,
                                const std::vector<uint8_t>& wrapped) = 0;
  // Destroys a KEK for good (retirement). False when there was none.
  virtual Result<bool> DeleteKek(const std::string& org_id, uint32_t version) = 0;
  // Creates or replaces the org's one job.
  virtual Status PutRewrapJob(const RewrapJobRecord& job) = 0;
  virtual Status InsertKeyEvent(const KeyEventRecord& event) = 0;
  // ---- end of key management writes ----

  // ---- Moving between engines ----
  // Stores one credential version exactly as it was read from another store: its number, type,
  // metadata, times and blob byte for byte (its KEK version follows the blob's header). The
  // credential row (id, partition, name, created_at) is created with the first version imported
  // for it; the highest version imported becomes current. Unlike PutCredentialVersion, versions
  // need not follow one another and nothing is pruned. kConflict when that version is stored
  // already, when the id belongs to a credential in another partition or under another name, or
  // when the name is taken by another credential.
  virtual Status ImportCredentialVersion(const CredentialRecord& record) = 0;
  // ---- end of moving between engines (writes) ----

  // ---- Audit trail ----
  // Stores `record` as given, its seq included (numbered from ReadAuditChainTip in this write);
  // kConflict when that seq or id is taken.
  virtual Status AppendAudit(const AuditRecord& record) = 0;
  // Creates or replaces the key of that version (root rotation re-wraps it).
  virtual Status PutAuditKey(const AuditKeyRecord& key) = 0;
  // Keeps an existing checkpoint for the same record: one that verified is never replaced.
  virtual Status PutAuditCheckpoint(const AuditCheckpointRecord& checkpoint) = 0;
  // Deletes the records numbered up to `through_seq`: retention, behind a checkpoint. The tip's
  // last_checkpoint_seq keeps the numbering going even when every record is pruned.
  virtual Status PruneAudit(int64_t through_seq) = 0;

  // ---- Login throttling ----
  // Creates or replaces the row for record.key.
  virtual Status PutLoginFailures(const LoginFailureRecord& record) = 0;
  virtual Status DeleteLoginFailures(const std::string& key) = 0;
  // Forgets every row whose last failure came before `before`.
  virtual Status PruneLoginFailures(UnixMicros before) = 0;

  // ---- Leases on background work ----
  // Takes or renews lease `name` for `holder` until `ttl_micros` from now by the database's
  // clock. Granted when nobody holds it, when it has expired, or when `holder` holds it already;
  // the token stays the same only for a renewal of a lease that had not expired, and is raised
  // otherwise, so a write checked against an older token fails. Empty when another holder's lease
  // runs. An engine that is never shared with other nodes (SharedWithOtherNodes() false: one
  // process has the database to itself) grants every request: its one node holds every lease.
  virtual Result<std::optional<LeaseRecord>> AcquireLease(const std::string& name, const std::string& holder,
                                                          int64_t ttl_micros) = 0;
  // Fencing: Ok when `lease` (its name, holder and token) is still held and has not expired; then
  // nobody can take the lease over until this write commits or rolls back. kConflict otherwise,
  // and the work should fail with it, so that it writes nothing.
  virtual Status CheckLease(const LeaseRecord& lease) = 0;
  // Lets the lease go at once (a clean shutdown), if `lease` still holds it; else changes nothing.
  virtual Status ReleaseLease(const LeaseRecord& lease) = 0;
};

using WriteWork = std::function<Status(WriteTransaction&)>;

// How well group commit is sharing fsyncs, since the store opened.
struct WriteStats {
  int64_t writes = 0;   // pieces of work committed or rolled back
  int64_t commits = 0;  // durable commits (one fsync each) that carried them: never above writes
};

class Store {
 public:
  virtual ~Store() = default;

  virtual std::string_view engine() const = 0;  // "sqlite", ...

  // Whether stores in other processes (other nodes) may write this database too. Then anything a
  // process keeps from it between requests (the keyring's KEKs) can go stale and must be checked
  // against the store where being stale would do harm.
  virtual bool SharedWithOtherNodes() const { return false; }

  // The other processes connected to the database now, by the client name each gave
  // (StoreLocation::client_name), for operations that need every node stopped. Empty where no
  // other process can be (SQLite, behind its data directory's lock).
  virtual Result<std::vector<std::string>> OtherClients() { return std::vector<std::string>(); }

  // Never null. When the database cannot be read, every query on the transaction fails with
  // kUnavailable.
  virtual std::unique_ptr<ReadTransaction> BeginRead() = 0;

  // Runs `work` in a write transaction and returns once its outcome is durable. The store may
  // commit several callers' work together (group commit); each caller's work is isolated, so a
  // failing one rolls back alone. When `work` fails, nothing it wrote is kept, and Write returns
  // work's error unchanged. REQUIRES: not called from inside work or an on_done callback.
  virtual Status Write(WriteWork work) = 0;

  // Queues `work` like Write, and returns at once. `on_done` is called exactly once with the
  // outcome Write would have returned, once that is durable (or has failed), on the store's
  // writer thread: it must be quick and must not call Write, which would wait for the very thread
  // it runs on. (When the store is shutting down, `on_done` gets the refusal, kUnavailable, at
  // once, on the caller's thread.) REQUIRES: not called from inside work.
  virtual void Submit(WriteWork work, std::function<void(Status)> on_done) = 0;

  // Since this store opened; counts only this store's pieces of work.

  virtual WriteStats Stats() const = 0;
};

}  // namespace coffer::store
