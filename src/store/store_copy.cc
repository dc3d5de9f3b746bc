#include "store/store_copy.h"

#include <set>

namespace coffer::store {
namespace {

// The source's contents as one snapshot, and a target write that takes it all.
class Copier {
 public:
  Copier(ReadTransaction& from, WriteTransaction& to, const CopyOptions& options)
      : from_(from), to_(to), options_(options) {}

  Status Run() {
    COFFER_TRY(CopyOrgsAndKeks());
    COFFER_TRY(CopyIdentities());
    COFFER_TRY(CopyDelegation());
    COFFER_TRY(CopyCredentials());
    COFFER_TRY(CopyKeyManagement());
    return CopyAudit();
  }

 private:
  void Progress(std::string_view kind, int64_t copied, bool done) {
    if (options_.progress) options_.progress(kind, copied, done);
  }

  Status CopyOrgsAndKeks() {
    auto orgs = from_.ListOrgs();
    if (!orgs.ok()) return orgs.error();
    for (const auto& org : *orgs) COFFER_TRY(to_.InsertOrg(org));
    org_ids_.reserve(orgs->size());
    for (const auto& org : *orgs) org_ids_.push_back(org.id);
    Progress("orgs", static_cast<int64_t>(orgs->size()), true);

    auto keks = from_.ListKeks();
    if (!keks.ok()) return keks.error();
    // Wrapped under the root key as they are: the same root key opens them on the target.
    for (const auto& kek : *keks) COFFER_TRY(to_.InsertKek(kek));
    auto states = from_.ListKekStates();
    if (!states.ok()) return states.error();
    for (const auto& s : *states) COFFER_TRY(to_.SetKekEncryptions(s.org_id, s.version, s.encryptions));
    Progress("keks", static_cast<int64_t>(keks->size()), true);
    return Status::Ok();
  }

  // An identity refers to its parent and its creator, which must be stored before it. Lists come
  // by creation time, which nearly always puts them first, but two identities created in the
  // same microsecond may come in either order, and a creator may belong to another org (the
  // server's operator creating an org): so each pass stores what it can until all are stored.
  Status CopyIdentities() {
    std::vector<IdentityRecord> waiting;
    for (const auto& org : org_ids_) {
      auto listed = from_.ListIdentities(org);
      if (!listed.ok()) return listed.error();
      for (auto& i : *listed) waiting.push_back(std::move(i));
    }
    std::set<std::string> stored;
    auto ready = [&stored](const std::optional<std::string>& ref) { return !ref || stored.count(*ref) > 0; };
    int64_t copied = 0;
    while (!waiting.empty()) {
      std::vector<IdentityRecord> next;
      for (auto& identity : waiting) {
        if (!ready(identity.parent_id) || !ready(identity.created_by)) {
          next.push_back(std::move(identity));
          continue;
        }
        COFFER_TRY(to_.InsertIdentity(identity));
        stored.insert(identity.id);
        identities_.push_back(identity.id);
        if (++copied % 1000 == 0) Progress("identities", copied, false);
      }
      if (next.size() == waiting.size()) {
        return MakeError(ErrorCode::kDataCorrupted,
                         "identity " + next.front().id + " refers to a parent or creator that is not in the source");
      }
      waiting = std::move(next);
    }
    Progress("identities", copied, true);
    return Status::Ok();
  }

  // People, tokens and grants hang off identities, all of which are stored by now.
  Status CopyDelegation() {
    int64_t humans = 0, tokens = 0, grants = 0;
    for (const auto& id : identities_) {
      auto human = from_.FindHumanByIdentity(id);
      if (!human.ok()) return human.error();
      if (*human) {
        const HumanRecord& h = **human;
        COFFER_TRY(to_.InsertHuman(h));
        // InsertHuman takes the login; the second factor and its replay guard follow, in the order
        // SetHumanTotp requires (it starts the last step again at 0).
        if (!h.totp_wrapped.empty()) COFFER_TRY(to_.SetHumanTotp(h.identity_id, h.totp_wrapped, h.totp_confirmed));
        if (h.totp_last_step != 0) COFFER_TRY(to_.SetHumanTotpLastStep(h.identity_id, h.totp_last_step));
        ++humans;
      }
      auto listed = from_.ListTokens(id);
      if (!listed.ok()) return listed.error();
      for (const auto& t : *listed) COFFER_TRY(to_.InsertToken(t));  // hash and revocation as they are
      tokens += static_cast<int64_t>(listed->size());
      auto granted = from_.ListGrantsFrom(id);
      if (!granted.ok()) return granted.error();
      for (const auto& g : *granted) COFFER_TRY(to_.InsertGrant(g));
      grants += static_cast<int64_t>(granted->size());
    }
    Progress("humans", humans, true);
    Progress("tokens", tokens, true);
    Progress("grants", grants, true);
    return Status::Ok();
  }

  Status CopyCredentials() {
    std::string after_id;
    int after_version = 0;
    int64_t versions = 0;
    std::set<std::string> credentials;
    while (true) {
      auto batch = from_.ScanCredentialVersions(after_id, after_version, options_.batch);
      if (!batch.ok()) return batch.error();
      if (batch->empty()) break;
      for (const auto& record : *batch) {
        COFFER_TRY(to_.ImportCredentialVersion(record));
        credentials.insert(record.info.id);
      }
      after_id = batch->back().info.id;
      after_version = batch->back().info.version;
      versions += static_cast<int64_t>(batch->size());
      Progress("credential versions", versions, false);
    }
    Progress("credentials", static_cast<int64_t>(credentials.size()), true);
    Progress("credential versions", versions, true);
    return Status::Ok();
  }

  Status CopyKeyManagement() {
    int64_t jobs = 0, events = 0;
    for (const auto& org : org_ids_) {
      auto job = from_.FindRewrapJob(org);
      if (!job.ok()) return job.error();
      if (*job) {
        COFFER_TRY(to_.PutRewrapJob(**job));
        ++jobs;
      }
      // Inserted in the source's order, so the newest of each kind stays the newest.
      auto listed = from_.ListKeyEvents(org);
      if (!listed.ok()) return listed.error();
      for (const auto& e : *listed) COFFER_TRY(to_.InsertKeyEvent(e));
      events += static_cast<int64_t>(listed->size());
    }
    Progress("rewrap jobs", jobs, true);
    Progress("key events", events, true);
    return Status::Ok();
  }

  Status CopyAudit() {
    auto keys = from_.ListAuditKeys();
    if (!keys.ok()) return keys.error();
    for (const auto& k : *keys) COFFER_TRY(to_.PutAuditKey(k));
    Progress("audit keys", static_cast<int64_t>(keys->size()), true);

    // The records keep their numbers and hashes: the chain is the source's, link for link. The
    // target's tip is read (and, on an engine with several writers, locked) first, as every
    // append must; it is empty, so the first record may carry any number (retention may have
    // pruned the ones before it).
    auto tip = to_.ReadAuditChainTip();
    if (!tip.ok()) return tip.error();
    int64_t after = 0, records = 0;
    while (true) {
      auto batch = from_.ScanAudit(after, options_.batch);
      if (!batch.ok()) return batch.error();
      if (batch->empty()) break;
      for (const auto& r : *batch) COFFER_TRY(to_.AppendAudit(r));
      after = batch->back().seq;
      records += static_cast<int64_t>(batch->size());
      Progress("audit records", records, false);
    }
    Progress("audit records", records, true);

    // After the records, so a checkpoint never stands ahead of them while they are copied; they
    // carry last_checkpoint_seq, which keeps the numbering going past a pruned tail.
    auto checkpoints = from_.ListAuditCheckpoints();
    if (!checkpoints.ok()) return checkpoints.error();
    for (const auto& c : *checkpoints) COFFER_TRY(to_.PutAuditCheckpoint(c));
    Progress("audit checkpoints", static_cast<int64_t>(checkpoints->size()), true);
    return Status::Ok();
  }

  ReadTransaction& from_;
  WriteTransaction& to_;
  const CopyOptions& options_;
  std::vector<std::string> org_ids_;
  std::vector<std::string> identities_;  // every identity, parents before children
};

std::string Describe(const StoreRowCounts& counts) {
  std::string out;
  for (const auto& [kind, n] : RowKinds(counts)) {
    if (n == 0) continue;
    out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + std::string(kind);
  }
  return out.empty() ? "no rows" : out;
}

bool SameTip(const AuditChainTip& a, const AuditChainTip& b) {
  return a.last_seq == b.last_seq && a.last_hash == b.last_hash && a.last_checkpoint_seq == b.last_checkpoint_seq;
}

}  // namespace

std::vector<std::pair<std::string_view, int64_t>> RowKinds(const StoreRowCounts& c) {
  return {{"orgs", c.orgs},
          {"keks", c.keks},
          {"identities", c.identities},
          {"humans", c.humans},
          {"tokens", c.tokens},
          {"grants", c.grants},
          {"credentials", c.credentials},
          {"credential versions", c.credential_versions},
          {"rewrap jobs", c.rewrap_jobs},
          {"key events", c.key_events},
          {"pending root wraps", c.pending_root_wraps},
          {"audit keys", c.audit_keys},
          {"audit records", c.audit_records},
          {"audit checkpoints", c.audit_checkpoints}};
}

bool IsEmpty(const StoreRowCounts& counts, const AuditChainTip& tip) {
  return counts == StoreRowCounts{} && tip.last_seq == 0 && tip.last_checkpoint_seq == 0;
}

Result<CopyOutcome> CopyStore(Store& source, Store& target, const CopyOptions& options) {
  if (options.batch < 1) return MakeError(ErrorCode::kInvalidArgument, "the copy's batch size must be at least 1");
  auto from = source.BeginRead();  // one snapshot for the whole copy
  CopyOutcome outcome;
  {
    auto counts = from->CountRows();
    if (!counts.ok()) return counts.error();
    auto tip = from->ReadAuditChainTip();
    if (!tip.ok()) return tip.error();
    outcome.counts = *counts;
    outcome.tip = std::move(tip).value();
  }
  if (outcome.counts.pending_root_wraps > 0) {
    return MakeError(ErrorCode::kConflict,
                     "the source is in the middle of a root key rotation (" +
                         std::to_string(outcome.counts.pending_root_wraps) +
                         " pending root wraps): start a server on it once, which finishes or undoes the rotation, "
                         "stop it, then copy");
  }
  Status written = target.Write([&](WriteTransaction& to) -> Status {
    // Checked inside the write, so nothing can land in the target between the check and the copy.
    auto counts = to.CountRows();
    if (!counts.ok()) return counts.error();
    auto tip = to.ReadAuditChainTip();
    if (!tip.ok()) return tip.error();
    if (!IsEmpty(*counts, *tip)) {
      return MakeError(ErrorCode::kConflict, "the target is not empty (it holds " + Describe(*counts) +
                                                 "): copy only into an empty store");
    }
    return Copier(*from, to, options).Run();
  });
  if (!written.ok()) return written.error();

  // The copy as the target committed it: every kind of row as many times as in the source, and
  // the audit chain ending where the source's does.
  auto check = target.BeginRead();
  auto counts = check->CountRows();
  if (!counts.ok()) return counts.error();
  if (!(*counts == outcome.counts)) {
    return MakeError(ErrorCode::kDataCorrupted, "the copy is incomplete: the source holds " + Describe(outcome.counts) +
                                                    ", the target " + Describe(*counts));
  }
  auto tip = check->ReadAuditChainTip();
  if (!tip.ok()) return tip.error();
  if (!SameTip(*tip, outcome.tip)) {
    return MakeError(ErrorCode::kDataCorrupted,
                     "the copy's audit chain ends elsewhere than the source's: the source's ends at record " +
                         std::to_string(outcome.tip.last_seq) + " (last checkpoint " +
                         std::to_string(outcome.tip.last_checkpoint_seq) + "), the target's at " +
                         std::to_string(tip->last_seq) + " (last checkpoint " +
                         std::to_string(tip->last_checkpoint_seq) + ")");
  }
  return outcome;
}

}  // namespace coffer::store
