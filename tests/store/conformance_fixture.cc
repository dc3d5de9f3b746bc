#include "conformance_fixture.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <sstream>

#include "crypto/aead.h"
#include "crypto/secure_key.h"
#include "keyring/sealed_blob.h"

namespace coffer::store::conformance {

std::string CodeOf(const Status& status) {
  if (status.ok()) return "ok";
  switch (status.error().code) {
    case ErrorCode::kInvalidArgument: return "kInvalidArgument";
    case ErrorCode::kValidation: return "kValidation";
    case ErrorCode::kUnauthenticated: return "kUnauthenticated";
    case ErrorCode::kPermissionDenied: return "kPermissionDenied";
    case ErrorCode::kNotFound: return "kNotFound";
    case ErrorCode::kConflict: return "kConflict";
    case ErrorCode::kPayloadTooLarge: return "kPayloadTooLarge";
    case ErrorCode::kRateLimited: return "kRateLimited";
    case ErrorCode::kUnavailable: return "kUnavailable";
    case ErrorCode::kDataCorrupted: return "kDataCorrupted";
    case ErrorCode::kInternal: return "kInternal";
  }
  return "unknown code";
}

std::string Describe(const Status& status) {
  return status.ok() ? "ok" : CodeOf(status) + ": " + status.error().message;
}

// ---- Records ----

OrgRecord Org(const std::string& id, UnixMicros at) { return OrgRecord{id, "name of " + id, at}; }

KekRecord Kek(const std::string& org_id, uint32_t version) {
  return KekRecord{org_id, version, std::vector<uint8_t>(60, static_cast<uint8_t>(version)), kT0 + version};
}

IdentityRecord Identity(const std::string& id, const std::string& org_id, const std::string& kind,
                        std::optional<std::string> parent_id, UnixMicros at) {
  IdentityRecord r;
  r.id = id;
  r.org_id = org_id;
  r.parent_id = std::move(parent_id);
  r.name = "name of " + id;
  r.kind = kind;
  r.role = kind == "human" ? "owner" : "";
  r.scopes = {"vault:read", "vault:write"};
  r.created_by = r.parent_id;
  r.created_at = at;
  return r;
}

HumanRecord Human(const std::string& identity_id, const std::string& username) {
  HumanRecord r;
  r.identity_id = identity_id;
  r.username = username;
  r.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
  return r;
}

TokenRecord Token(const std::string& id, const std::string& org_id, const std::string& identity_id, uint8_t seed) {
  TokenRecord r;
  r.id = id;
  r.org_id = org_id;
  r.identity_id = identity_id;
  for (size_t i = 0; i < r.hash.size(); ++i) r.hash[i] = static_cast<uint8_t>(seed + i * 7);
  r.name = "token " + id;
  r.scopes = {"vault:read"};
  r.cidrs = {"10.0.0.0/8", "2001:db8::/32"};
  r.reveal = true;
  r.created_at = kT0 + seed;
  r.expires_at = kT0 + 1'000'000;
  return r;
}

GrantRecord Grant(const std::string& id, const std::string& org_id, const std::string& granter,
                  const std::string& grantee) {
  GrantRecord r;
  r.id = id;
  r.org_id = org_id;
  r.granter_id = granter;
  r.grantee_id = grantee;
  r.pattern = "stripe-*";
  r.scopes = {"vault:read", "vault:use"};
  r.created_by = granter;
  r.created_at = kT0;
  r.expires_at = kT0 + 5'000'000;
  return r;
}

std::vector<uint8_t> SealedBlobBytes(uint32_t kek_version, uint8_t fill) {
  keyring::SealedBlob blob;
  blob.kek_version = kek_version;
  blob.dek_nonce.assign(crypto::kNonceSize, fill);
  blob.wrapped_dek.assign(crypto::kKeySize, static_cast<uint8_t>(fill + 1));
  blob.dek_tag.assign(crypto::kTagSize, static_cast<uint8_t>(fill + 2));
  blob.data_nonce.assign(crypto::kNonceSize, static_cast<uint8_t>(fill + 3));
  blob.ciphertext.assign(24, static_cast<uint8_t>(fill + 4));
  blob.data_tag.assign(crypto::kTagSize, static_cast<uint8_t>(fill + 5));
  return keyring::EncodeSealedBlob(blob);
}

std::vector<uint8_t> UnreadableBlobBytes() {
  std::vector<uint8_t> bytes = SealedBlobBytes(1);
  bytes[0] = keyring::kBlobFormatV1 + 1;
  return bytes;
}

CredentialRecord Version(const std::string& id, const Partition& p, const std::string& name, int version,
                         uint32_t kek_version, CredentialType type) {
  CredentialRecord r;
  r.info.id = id;
  r.info.org_id = p.org_id;
  r.info.identity_id = p.identity_id;
  r.info.name = name;
  r.info.type = type;
  r.info.version = version;
  r.info.metadata = nlohmann::json{{"version", version}, {"note", "of " + name}};
  r.info.expires_at = kT0 + 86'400'000'000LL * version;
  r.info.created_at = kT0;
  r.info.updated_at = kT0 + version;
  r.blob = SealedBlobBytes(kek_version, static_cast<uint8_t>(version));
  return r;
}

CredentialRecord PutVersions(WriteTransaction& txn, const std::string& id, const Partition& p,
                             const std::string& name, int versions, uint32_t kek_version, CredentialType type) {
  CredentialRecord last;
  for (int v = 1; v <= versions; ++v) {
    last = Version(id, p, name, v, kek_version, type);
    Status put = txn.PutCredentialVersion(last);
    EXPECT_TRUE(put.ok()) << "version " << v << " of " << name << ": " << Describe(put);
  }
  return last;
}

AuditRecord AuditEvent(const std::string& org_id, const std::string& action, UnixMicros at) {
  static std::atomic<int64_t> next_id{0};
  AuditRecord r;
  r.id = "aud_" + std::to_string(next_id.fetch_add(1) + 1) + "_" + action;
  r.at = at;
  r.org_id = org_id;
  r.actor_id = org_id + "-agent";
  r.actor_name = "Build Bot";
  r.actor_kind = "agent";
  r.chain_ids = {org_id + "-owner", org_id + "-agent"};
  r.token_id = "tok_1";
  r.source_ip = "192.0.2.7";
  r.user_agent = "conformance/1";
  r.request_id = "req_" + r.id;
  r.action = action;
  r.target = "stripe";
  r.target_version = 3;
  r.outcome = "ok";
  r.reason = "Routine Check";
  return r;
}

Result<int64_t> AppendNext(WriteTransaction& txn, AuditRecord record) {
  auto tip = txn.ReadAuditChainTip();
  if (!tip.ok()) return tip.error();
  record.seq = std::max(tip->last_seq, tip->last_checkpoint_seq) + 1;
  record.hash = std::vector<uint8_t>(32, static_cast<uint8_t>(record.seq));
  record.hash[0] = static_cast<uint8_t>(record.seq >> 8);
  COFFER_TRY(txn.AppendAudit(record));
  return record.seq;
}

// ---- Dump ----

namespace {

std::string Hex(const std::vector<uint8_t>& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}
std::string Words(const std::vector<std::string>& words) {
  std::string out = "[";
  for (const auto& w : words) out += w + ",";
  return out + "]";
}
template <class T>
std::string Opt(const std::optional<T>& value) {
  if (!value) return "-";
  std::ostringstream out;
  out << *value;
  return out.str();
}

class Dumper {
 public:
  explicit Dumper(ReadTransaction& read) : read_(read) {}

  std::string Run() {
    for (const auto& k : Get(read_.ListKeks(), "keks")) line("kek", k.org_id, k.version, Hex(k.wrapped), k.created_at);
    for (const auto& k : Get(read_.ListKekStates(), "kek states")) line("kek state", k.org_id, k.version, k.encryptions);
    for (const auto& p : Get(read_.ListPendingRootWraps(), "pending")) line("pending", p.kind, p.org_id, p.version, Hex(p.wrapped));
    for (const auto& l : Get(read_.ListLeases(), "leases")) line("lease", l.name, l.holder, l.token, l.expires_at);
    if (auto f = Get(read_.FindLoginFailures("a:alice"), "login failures")) {
      line("login failures", f->key, f->failures, f->blocked_until, f->last_failure_at);
    }
    std::vector<std::string> with_totp;
    for (const auto& h : Get(read_.ListHumansWithTotp(), "totp")) with_totp.push_back(h.identity_id);
    std::sort(with_totp.begin(), with_totp.end());
    line("with totp", Words(with_totp));
    for (const auto& org : Get(read_.ListOrgs(), "orgs")) DumpOrg(org);
    auto tip = Get(read_.ReadAuditChainTip(), "tip");
    line("tip", tip.last_seq, Hex(tip.last_hash), tip.last_checkpoint_seq);
    for (const auto& a : Get(read_.ScanAudit(0, 1'000'000), "audit")) {
      line("audit", a.seq, a.id, a.at, a.org_id, a.actor_id, a.actor_name, a.actor_kind, Words(a.chain_ids), a.token_id,
           a.source_ip, a.user_agent, a.request_id, a.action, a.target, Opt(a.target_version), a.outcome, a.reason,
           Hex(a.hash));
    }
    for (const auto& k : Get(read_.ListAuditKeys(), "audit keys")) line("audit key", k.version, Hex(k.wrapped), k.created_at);
    for (const auto& c : Get(read_.ListAuditCheckpoints(), "checkpoints")) {
      line("checkpoint", c.seq, Hex(c.hash), c.at, Hex(c.signature));
    }
    return out_.str();
  }

 private:
  template <class T>
  T Get(Result<T> r, const char* what) {
    if (r.ok()) return std::move(r).value();
    line("FAILED", what, Describe(r));
    return T{};
  }
  template <class... Parts>
  void line(const Parts&... parts) {
    ((out_ << parts << '|'), ...);
    out_ << '\n';
  }

  void DumpOrg(const OrgRecord& org) {
    line("org", org.id, org.name, org.created_at);
    for (const auto& d : Get(read_.CountDeksByKek(org.id), "deks")) line("deks", Opt(d.kek_version), d.deks);
    for (const auto& t : Get(read_.CountCredentialsByType(org.id), "types")) line("type", CredentialTypeName(t.type), t.count);
    for (const auto& v : Get(read_.ListVersionsBelowKek(org.id, std::numeric_limits<uint32_t>::max(), 1'000'000), "below")) {
      line("sealed", v.credential_id, v.version, Hex(v.blob));
    }
    if (auto job = Get(read_.FindRewrapJob(org.id), "job")) {
      line("job", job->target_version, job->started_at, Opt(job->finished_at), job->rewrapped);
    }
    for (const auto& e : Get(read_.LatestKeyEvents(org.id), "events")) line("event", e.kind, Opt(e.kek_version), e.detail, e.at);
    for (const auto& i : Get(read_.ListIdentities(org.id), "identities")) DumpIdentity(i);
  }

  void DumpIdentity(const IdentityRecord& i) {
    line("identity", i.id, i.org_id, Opt(i.parent_id), i.name, i.kind, i.role, Words(i.scopes), Opt(i.created_by),
         i.created_at, Opt(i.revoked_at), i.reveal);
    if (auto h = Get(read_.FindHumanByIdentity(i.id), "human")) {
      line("human", h->username, h->password_hash, Hex(h->totp_wrapped), h->totp_confirmed, h->totp_last_step);
    }
    for (const auto& t : Get(read_.ListTokens(i.id), "tokens")) {
      line("token", t.id, Hex(std::vector<uint8_t>(t.hash.begin(), t.hash.end())), t.name, Words(t.scopes),
           Words(t.cidrs), t.reveal, t.created_at, Opt(t.expires_at), Opt(t.revoked_at));
    }
    for (const auto& g : Get(read_.ListGrantsFrom(i.id), "grants")) {
      line("grant", g.id, g.granter_id, g.grantee_id, g.pattern, Words(g.scopes), g.created_by, g.created_at,
           Opt(g.expires_at), Opt(g.revoked_at));
    }
    CredentialListQuery q{i.org_id, i.id, std::nullopt, "", "", 1'000'000};
    for (const auto& c : Get(read_.ListCredentials(q), "credentials")) {
      for (int v = 1; v <= c.version; ++v) {
        auto found = Get(read_.FindCredential(i.org_id, i.id, c.name, v), "credential");
        if (!found) continue;
        const CredentialInfo& f = found->info;
        line("credential", f.id, f.name, f.version, CredentialTypeName(f.type), f.metadata.dump(), Opt(f.expires_at),
             f.created_at, f.updated_at, Hex(found->blob));
      }
    }
  }

  ReadTransaction& read_;
  std::ostringstream out_;
};

}  // namespace

std::string Dump(ReadTransaction& read) { return Dumper(read).Run(); }

// ---- The fixture ----

void ConformanceTest::SetUp() {
  db_ = GetParam().make_database();
  ASSERT_NE(db_, nullptr);
  auto opened = db_->Open();
  ASSERT_TRUE(opened.ok()) << Describe(opened);
  store_ = std::move(opened).value();
}

void ConformanceTest::TearDown() {
  store_.reset();
  db_.reset();
}

std::unique_ptr<Store> ConformanceTest::OpenAgain() {
  auto opened = db_->Open();
  EXPECT_TRUE(opened.ok()) << Describe(opened);
  return opened.ok() ? std::move(opened).value() : nullptr;
}

void ConformanceTest::MustWrite(WriteWork work) {
  Status written = store_->Write(std::move(work));
  EXPECT_TRUE(written.ok()) << Describe(written);
}

void ConformanceTest::SeedOrg(const std::string& org_id) {
  MustWrite([&](WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.InsertOrg(Org(org_id)));
    COFFER_TRY(txn.InsertKek(Kek(org_id, 1)));
    COFFER_TRY(txn.InsertIdentity(Identity(Owner(org_id).identity_id, org_id, "human")));
    COFFER_TRY(txn.InsertIdentity(Identity(Agent(org_id).identity_id, org_id, "agent", Owner(org_id).identity_id,
                                           kT0 + 1)));
    return Status::Ok();
  });
}

std::string EngineName(const ::testing::TestParamInfo<EngineUnderTest>& info) { return info.param.name; }

}  // namespace coffer::store::conformance
