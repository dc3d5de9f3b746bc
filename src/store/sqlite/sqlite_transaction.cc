#include "store/sqlite/sqlite_transaction.h"

#include <sstream>

namespace coffer::store::sqlite {
namespace {

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

std::vector<std::string> SplitScopes(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string s; in >> s;) out.push_back(s);
  return out;
}

// Columns: c.id, c.org_id, c.identity_id, c.name, v.version, v.type, v.metadata, v.expires_at,
// c.created_at, v.created_at
constexpr const char* kCredentialColumns =
    "c.id, c.org_id, c.identity_id, c.name, v.version, v.type, v.metadata, v.expires_at, "
    "c.created_at, v.created_at";

CredentialInfo ReadCredentialInfo(const Statement& row) {
  CredentialInfo info;
  info.id = row.Text(0);
  info.org_id = row.Text(1);
  info.identity_id = row.Text(2);
  info.name = row.Text(3);
  info.version = static_cast<int>(row.Int(4));
  info.type = ParseCredentialType(row.Text(5)).value_or(CredentialType::kCustom);
  info.metadata = nlohmann::json::parse(row.Text(6), nullptr, /*allow_exceptions=*/false);
  if (info.metadata.is_discarded()) info.metadata = nlohmann::json::object();
  info.expires_at = row.OptionalInt(7);
  info.created_at = row.Int(8);
  info.updated_at = row.Int(9);
  return info;
}

}  // namespace

Result<std::vector<OrgRecord>> SqliteTransaction::ListOrgs() {
  auto stmt = conn_.Prepare("SELECT id, name, created_at FROM orgs ORDER BY created_at");
  if (!stmt.ok()) return stmt.error();
  std::vector<OrgRecord> out;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back(OrgRecord{stmt->Text(0), stmt->Text(1), stmt->Int(2)});
  }
  return out;
}

Result<std::vector<KekRecord>> SqliteTransaction::ListKeks() {
  auto stmt = conn_.Prepare("SELECT org_id, version, wrapped, created_at FROM keks ORDER BY org_id, version");
  if (!stmt.ok()) return stmt.error();
  std::vector<KekRecord> out;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back(KekRecord{stmt->Text(0), static_cast<uint32_t>(stmt->Int(1)), stmt->Blob(2), stmt->Int(3)});
  }
  return out;
}

Result<std::optional<IdentityRecord>> SqliteTransaction::FindIdentity(const std::string& id) {
  auto stmt = conn_.Prepare(
      "SELECT id, org_id, parent_id, name, kind, role, created_at, revoked_at FROM identities WHERE id = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, id);
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<IdentityRecord>();
  IdentityRecord r;
  r.id = stmt->Text(0);
  r.org_id = stmt->Text(1);
  r.parent_id = stmt->OptionalText(2);
  r.name = stmt->Text(3);
  r.kind = stmt->Text(4);
  r.role = stmt->Text(5);
  r.created_at = stmt->Int(6);
  r.revoked_at = stmt->OptionalInt(7);
  return std::optional<IdentityRecord>(std::move(r));
}

Result<std::optional<TokenRecord>> SqliteTransaction::FindTokenByHash(const TokenHash& hash) {
  auto stmt = conn_.Prepare(
      "SELECT id, org_id, identity_id, token_hash, name, scopes, created_at, expires_at, revoked_at "
      "FROM tokens WHERE token_hash = ?");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, std::span<const uint8_t>(hash));
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<TokenRecord>();
  TokenRecord r;
  r.id = stmt->Text(0);
  r.org_id = stmt->Text(1);
  r.identity_id = stmt->Text(2);
  auto stored = stmt->Blob(3);
  if (stored.size() == r.hash.size()) std::copy(stored.begin(), stored.end(), r.hash.begin());
  r.name = stmt->Text(4);
  r.scopes = SplitScopes(stmt->Text(5));
  r.created_at = stmt->Int(6);
  r.expires_at = stmt->OptionalInt(7);
  r.revoked_at = stmt->OptionalInt(8);
  return std::optional<TokenRecord>(std::move(r));
}

Result<std::optional<CredentialRecord>> SqliteTransaction::FindCredential(
    const std::string& org_id, const std::string& identity_id, const std::string& name,
    std::optional<int> version) {
  auto stmt = conn_.Prepare(
      std::string("SELECT ") + kCredentialColumns +
      ", v.blob FROM credentials c JOIN credential_versions v ON v.credential_id = c.id "
      "AND v.version = COALESCE(?4, c.current_version) "
      "WHERE c.org_id = ?1 AND c.identity_id = ?2 AND c.name = ?3");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, org_id).Bind(2, identity_id).Bind(3, name);
  stmt->Bind(4, version ? std::optional<int64_t>(*version) : std::nullopt);
  auto row = stmt->Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<CredentialRecord>();
  CredentialRecord record{ReadCredentialInfo(*stmt), stmt->Blob(10)};
  return std::optional<CredentialRecord>(std::move(record));
}

Result<std::vector<CredentialInfo>> SqliteTransaction::ListCredentials(const CredentialListQuery& q) {
  auto stmt = conn_.Prepare(
      std::string("SELECT ") + kCredentialColumns +
      " FROM credentials c JOIN credential_versions v ON v.credential_id = c.id "
      "AND v.version = c.current_version "
      "WHERE c.org_id = ?1 AND c.identity_id = ?2 AND c.name > ?3 "
      "AND (?4 IS NULL OR v.type = ?4) "
      "AND substr(c.name, 1, length(?5)) = ?5 "
      "ORDER BY c.name LIMIT ?6");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, q.org_id).Bind(2, q.identity_id).Bind(3, q.after_name);
  if (q.type) {
    stmt->Bind(4, CredentialTypeName(*q.type));
  } else {
    stmt->BindNull(4);
  }
  stmt->Bind(5, q.name_prefix).Bind(6, int64_t{q.limit});
  std::vector<CredentialInfo> out;
  while (true) {
    auto row = stmt->Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    out.push_back(ReadCredentialInfo(*stmt));
  }
  return out;
}

Status SqliteTransaction::InsertOrg(const OrgRecord& org) {
  auto stmt = conn_.Prepare("INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, org.id).Bind(2, org.name).Bind(3, org.created_at).Run();
}

Status SqliteTransaction::InsertKek(const KekRecord& kek) {
  auto stmt = conn_.Prepare("INSERT INTO keks (org_id, version, wrapped, created_at) VALUES (?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, kek.org_id).Bind(2, int64_t{kek.version}).Bind(3, kek.wrapped).Bind(4, kek.created_at).Run();
}

Status SqliteTransaction::InsertIdentity(const IdentityRecord& r) {
  auto stmt = conn_.Prepare(
      "INSERT INTO identities (id, org_id, parent_id, name, kind, role, created_at, revoked_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  stmt->Bind(1, r.id).Bind(2, r.org_id);
  if (r.parent_id) {
    stmt->Bind(3, *r.parent_id);
  } else {
    stmt->BindNull(3);
  }
  return stmt->Bind(4, r.name).Bind(5, r.kind).Bind(6, r.role).Bind(7, r.created_at).Bind(8, r.revoked_at).Run();
}

Status SqliteTransaction::InsertToken(const TokenRecord& r) {
  auto stmt = conn_.Prepare(
      "INSERT INTO tokens (id, org_id, identity_id, token_hash, name, scopes, created_at, expires_at, revoked_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.error();
  return stmt->Bind(1, r.id).Bind(2, r.org_id).Bind(3, r.identity_id)
      .Bind(4, std::span<const uint8_t>(r.hash)).Bind(5, r.name).Bind(6, JoinScopes(r.scopes))
      .Bind(7, r.created_at).Bind(8, r.expires_at).Bind(9, r.revoked_at).Run();
}

Status SqliteTransaction::PutCredentialVersion(const CredentialRecord& record) {
  const CredentialInfo& info = record.info;
  if (info.version == 1) {
    auto insert = conn_.Prepare(
        "INSERT INTO credentials (id, org_id, identity_id, name, current_version, created_at) "
        "VALUES (?, ?, ?, ?, 1, ?)");
    if (!insert.ok()) return insert.error();
    COFFER_TRY(insert->Bind(1, info.id).Bind(2, info.org_id).Bind(3, info.identity_id)
                   .Bind(4, info.name).Bind(5, info.created_at).Run());
  } else {
    // The version check makes a lost update impossible even if two writers raced.
    auto bump = conn_.Prepare(
        "UPDATE credentials SET current_version = ?1 WHERE id = ?2 AND current_version = ?1 - 1");
    if (!bump.ok()) return bump.error();
    COFFER_TRY(bump->Bind(1, int64_t{info.version}).Bind(2, info.id).Run());
    if (conn_.Changes() != 1) {
      return MakeError(ErrorCode::kConflict, "credential '" + info.name + "' changed during the write: retry");
    }
  }
  auto version = conn_.Prepare(
      "INSERT INTO credential_versions (credential_id, version, type, metadata, expires_at, created_at, blob) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!version.ok()) return version.error();
  COFFER_TRY(version->Bind(1, info.id).Bind(2, int64_t{info.version}).Bind(3, CredentialTypeName(info.type))
                 .Bind(4, info.metadata.dump()).Bind(5, info.expires_at).Bind(6, info.updated_at)
                 .Bind(7, record.blob).Run());
  auto prune = conn_.Prepare("DELETE FROM credential_versions WHERE credential_id = ? AND version <= ?");
  if (!prune.ok()) return prune.error();
  return prune->Bind(1, info.id).Bind(2, int64_t{info.version - kRetainedVersions}).Run();
}

Result<bool> SqliteTransaction::DeleteCredential(const std::string& org_id,
                                                 const std::string& identity_id,
                                                 const std::string& name) {
  auto stmt = conn_.Prepare("DELETE FROM credentials WHERE org_id = ? AND identity_id = ? AND name = ?");
  if (!stmt.ok()) return stmt.error();
  COFFER_TRY(stmt->Bind(1, org_id).Bind(2, identity_id).Bind(3, name).Run());
  return conn_.Changes() > 0;
}

}  // namespace coffer::store::sqlite
