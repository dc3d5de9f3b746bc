// Orgs, KEK rows, and the delegation chain: identities, tokens, grants and people.
#include "store/postgres/postgres_transaction.h"

#include <algorithm>

#include "store/postgres/postgres_queries.h"
#include "store/postgres/row_readers.h"
#include "store/record_readers.h"
#include "store/word_list.h"

namespace coffer::store::postgres {
namespace {

const std::string kIdentityColumns =
    "id, org_id, parent_id, name, kind, role, scopes, created_by, created_at, revoked_at, reveal";


const std::string kTokenColumns =
    "id, org_id, identity_id, token_hash, name, scopes, cidrs, created_at, expires_at, revoked_at, reveal";


const std::string kGrantColumns =
    "id, org_id, granter_id, grantee_id, pattern, scopes, created_by, created_at, expires_at, revoked_at";


const std::string kHumanColumns =
    "identity_id, username, password_hash, coalesce(totp_wrapped, ''::bytea), totp_confirmed, totp_last_step";


}  // namespace

Result<std::vector<OrgRecord>> PostgresTransaction::ListOrgs() {
  return AllRows<OrgRecord>(conn_.Query("list orgs", "SELECT id, name, created_at FROM orgs ORDER BY created_at"),
                            [](const Row& row) { return OrgRecord{row.Text(0), row.Text(1), row.Int(2)}; });
}

Result<std::vector<KekRecord>> PostgresTransaction::ListKeks() {
  return AllRows<KekRecord>(
      conn_.Query("list KEKs", "SELECT org_id, version, wrapped, created_at FROM keks ORDER BY org_id, version"),
      [](const Row& row) {
        return KekRecord{row.Text(0), static_cast<uint32_t>(row.Int(1)), row.Blob(2), row.Int(3)};
      });
}

Result<std::optional<IdentityRecord>> PostgresTransaction::FindIdentity(const std::string& id) {
  return FirstRow<IdentityRecord>(
      conn_.Query("find an identity", "SELECT " + kIdentityColumns + " FROM identities WHERE id = $1",
                  Params().Text(id)),
      ReadIdentity<Row>);
}

Result<std::vector<IdentityRecord>> PostgresTransaction::ListIdentities(const std::string& org_id) {
  return AllRows<IdentityRecord>(
      conn_.Query("list identities",
                  "SELECT " + kIdentityColumns + " FROM identities WHERE org_id = $1 ORDER BY created_at, id",
                  Params().Text(org_id)),
      ReadIdentity<Row>);
}

Result<std::optional<TokenRecord>> PostgresTransaction::FindTokenByHash(const TokenHash& hash) {
  return FirstRow<TokenRecord>(
      conn_.Query("find a token", "SELECT " + kTokenColumns + " FROM tokens WHERE token_hash = $1",
                  Params().Bytes(hash)),
      ReadToken<Row>);
}

Result<std::optional<TokenRecord>> PostgresTransaction::FindToken(const std::string& id) {
  return FirstRow<TokenRecord>(
      conn_.Query("find a token", "SELECT " + kTokenColumns + " FROM tokens WHERE id = $1", Params().Text(id)),
      ReadToken<Row>);
}

Result<std::vector<TokenRecord>> PostgresTransaction::ListTokens(const std::string& identity_id) {
  return AllRows<TokenRecord>(
      conn_.Query("list tokens",
                  "SELECT " + kTokenColumns + " FROM tokens WHERE identity_id = $1 ORDER BY created_at, id",
                  Params().Text(identity_id)),
      ReadToken<Row>);
}

Result<std::optional<GrantRecord>> PostgresTransaction::FindGrant(const std::string& id) {
  return FirstRow<GrantRecord>(
      conn_.Query("find a grant", "SELECT " + kGrantColumns + " FROM grants WHERE id = $1", Params().Text(id)),
      ReadGrant<Row>);
}

Result<std::vector<GrantRecord>> PostgresTransaction::ListGrantsTo(const std::string& grantee_id) {
  return AllRows<GrantRecord>(
      conn_.Query("list grants",
                  "SELECT " + kGrantColumns + " FROM grants WHERE grantee_id = $1 ORDER BY created_at, id",
                  Params().Text(grantee_id)),
      ReadGrant<Row>);
}

Result<std::vector<GrantRecord>> PostgresTransaction::ListGrantsFrom(const std::string& granter_id) {
  return AllRows<GrantRecord>(
      conn_.Query("list grants",
                  "SELECT " + kGrantColumns + " FROM grants WHERE granter_id = $1 ORDER BY created_at, id",
                  Params().Text(granter_id)),
      ReadGrant<Row>);
}

Result<std::optional<HumanRecord>> PostgresTransaction::FindHumanByUsername(const std::string& username) {
  return FirstRow<HumanRecord>(
      conn_.Query("find a person", "SELECT " + kHumanColumns + " FROM humans WHERE username = $1",
                  Params().Text(username)),
      ReadHuman<Row>);
}

Result<std::optional<HumanRecord>> PostgresTransaction::FindHumanByIdentity(const std::string& identity_id) {
  // Locked in a write: of two nodes accepting one TOTP code at once, the second waits, then sees
  // the step the first stored.
  return FirstRow<HumanRecord>(
      conn_.Query("find a person",
                  "SELECT " + kHumanColumns + " FROM humans WHERE identity_id = $1" + LockInWrites(),
                  Params().Text(identity_id)),
      ReadHuman<Row>);
}

Result<std::vector<HumanRecord>> PostgresTransaction::ListHumansWithTotp() {
  return AllRows<HumanRecord>(
      conn_.Query("list people with a second factor",
                  "SELECT " + kHumanColumns + " FROM humans WHERE totp_wrapped IS NOT NULL ORDER BY identity_id"),
      ReadHuman<Row>);
}

Status PostgresTransaction::InsertOrg(const OrgRecord& org) {
  return Done(conn_.Exec("insert an org", "INSERT INTO orgs (id, name, created_at) VALUES ($1, $2, $3)",
                         Params().Text(org.id).Text(org.name).Int(org.created_at)));
}

Status PostgresTransaction::InsertKek(const KekRecord& kek) {
  return Done(conn_.Exec("insert a KEK", "INSERT INTO keks (org_id, version, wrapped, created_at) VALUES ($1, $2, $3, $4)",
                         Params().Text(kek.org_id).Int(kek.version).Bytes(kek.wrapped).Int(kek.created_at)));
}

Status PostgresTransaction::InsertIdentity(const IdentityRecord& r) {
  return Done(conn_.Exec(
      "insert an identity",
      "INSERT INTO identities (id, org_id, parent_id, name, kind, role, scopes, created_by, created_at, revoked_at, "
      "reveal) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
      Params().Text(r.id).Text(r.org_id).OptionalText(r.parent_id).Text(r.name).Text(r.kind).Text(r.role)
          .Text(JoinWords(r.scopes)).OptionalText(r.created_by).Int(r.created_at).OptionalInt(r.revoked_at)
          .Bool(r.reveal)));
}

Status PostgresTransaction::InsertToken(const TokenRecord& r) {
  return Done(conn_.Exec(
      "insert a token",
      "INSERT INTO tokens (id, org_id, identity_id, token_hash, name, scopes, cidrs, created_at, expires_at, "
      "revoked_at, reveal) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
      Params().Text(r.id).Text(r.org_id).Text(r.identity_id).Bytes(r.hash).Text(r.name).Text(JoinWords(r.scopes))
          .Text(JoinWords(r.cidrs)).Int(r.created_at).OptionalInt(r.expires_at).OptionalInt(r.revoked_at)
          .Bool(r.reveal)));
}

Status PostgresTransaction::InsertHuman(const HumanRecord& r) {
  return Done(conn_.Exec("insert a person", "INSERT INTO humans (identity_id, username, password_hash) VALUES ($1, $2, $3)",
                         Params().Text(r.identity_id).Text(r.username).Text(r.password_hash)));
}

Status PostgresTransaction::InsertGrant(const GrantRecord& r) {
  return Done(conn_.Exec(
      "insert a grant",
      "INSERT INTO grants (id, org_id, granter_id, grantee_id, pattern, scopes, created_by, created_at, "
      "expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
      Params().Text(r.id).Text(r.org_id).Text(r.granter_id).Text(r.grantee_id).Text(r.pattern)
          .Text(JoinWords(r.scopes)).Text(r.created_by).Int(r.created_at).OptionalInt(r.expires_at)
          .OptionalInt(r.revoked_at)));
}

Result<bool> PostgresTransaction::SetIdentityRevoked(const std::string& id, std::optional<UnixMicros> at) {
  return TouchedAny(conn_.Exec("revoke an identity", "UPDATE identities SET revoked_at = $1 WHERE id = $2",
                               Params().OptionalInt(at).Text(id)));
}

Result<bool> PostgresTransaction::RevokeToken(const std::string& id, UnixMicros at) {
  return TouchedAny(conn_.Exec("revoke a token", "UPDATE tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2",
                               Params().Int(at).Text(id)));
}

Result<bool> PostgresTransaction::RevokeGrant(const std::string& id, UnixMicros at) {
  return TouchedAny(conn_.Exec("revoke a grant", "UPDATE grants SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2",
                               Params().Int(at).Text(id)));
}

Status PostgresTransaction::SetHumanPassword(const std::string& identity_id, const std::string& password_hash) {
  return Done(conn_.Exec("set a password", "UPDATE humans SET password_hash = $1 WHERE identity_id = $2",
                         Params().Text(password_hash).Text(identity_id)));
}

Status PostgresTransaction::SetHumanTotp(const std::string& identity_id, const std::vector<uint8_t>& wrapped,
                                         bool confirmed) {
  return Done(conn_.Exec(
      "set a second factor",
      "UPDATE humans SET totp_wrapped = $1, totp_confirmed = $2, totp_last_step = 0 WHERE identity_id = $3",
      Params().OptionalBytes(wrapped).Bool(confirmed).Text(identity_id)));
}

Status PostgresTransaction::ReplaceHumanTotpWrap(const std::string& identity_id, const std::vector<uint8_t>& wrapped) {
  return Done(conn_.Exec("re-wrap a second factor",
                         "UPDATE humans SET totp_wrapped = $1 WHERE identity_id = $2 AND totp_wrapped IS NOT NULL",
                         Params().Bytes(wrapped).Text(identity_id)));
}

Status PostgresTransaction::SetHumanTotpLastStep(const std::string& identity_id, int64_t step) {
  return Done(conn_.Exec("record a second-factor step", "UPDATE humans SET totp_last_step = $1 WHERE identity_id = $2",
                         Params().Int(step).Text(identity_id)));
}

}  // namespace coffer::store::postgres
