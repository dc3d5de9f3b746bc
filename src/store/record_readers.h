// Turning a selected row into a record, once for every engine. Each engine writes its own SQL
// but selects the columns in the order named above each reader; its row type reads a column by
// index with Text, OptionalText, Int, OptionalInt and Blob (booleans as integers).
#pragma once

#include <optional>
#include <string>

#include "core/credential.h"
#include "core/json_document.h"
#include "core/result.h"
#include "store/records.h"
#include "store/word_list.h"

namespace coffer::store {

// A KEK version column that is NULL for a blob whose header this Coffer cannot read.
template <class Row>
std::optional<uint32_t> ReadOptionalKekVersion(const Row& row, int column) {
  auto value = row.OptionalInt(column);
  if (!value) return std::nullopt;
  return static_cast<uint32_t>(*value);
}

// Columns: org_id, kind, kek_version, detail, at.
template <class Row>
KeyEventRecord ReadKeyEvent(const Row& row) {
  return KeyEventRecord{row.Text(0), row.Text(1), ReadOptionalKekVersion(row, 2), row.Text(3), row.Int(4)};
}

// Columns: id, org_id, parent_id, name, kind, role, scopes, created_by, created_at, revoked_at, reveal.
template <class Row>
IdentityRecord ReadIdentity(const Row& row) {
  IdentityRecord r;
  r.id = row.Text(0);
  r.org_id = row.Text(1);
  r.parent_id = row.OptionalText(2);
  r.name = row.Text(3);
  r.kind = row.Text(4);
  r.role = row.Text(5);
  r.scopes = SplitWords(row.Text(6));
  r.created_by = row.OptionalText(7);
  r.created_at = row.Int(8);
  r.revoked_at = row.OptionalInt(9);
  r.reveal = row.Int(10) != 0;
  return r;
}

// Columns: id, org_id, identity_id, token_hash, name, scopes, cidrs, created_at, expires_at, revoked_at, reveal.
template <class Row>
TokenRecord ReadToken(const Row& row) {
  TokenRecord r;
  r.id = row.Text(0);
  r.org_id = row.Text(1);
  r.identity_id = row.Text(2);
  auto stored = row.Blob(3);
  if (stored.size() == r.hash.size()) std::copy(stored.begin(), stored.end(), r.hash.begin());
  r.name = row.Text(4);
  r.scopes = SplitWords(row.Text(5));
  r.cidrs = SplitWords(row.Text(6));
  r.created_at = row.Int(7);
  r.expires_at = row.OptionalInt(8);
  r.revoked_at = row.OptionalInt(9);
  r.reveal = row.Int(10) != 0;
  return r;
}

// Columns: id, org_id, granter_id, grantee_id, pattern, scopes, created_by, created_at, expires_at, revoked_at.
template <class Row>
GrantRecord ReadGrant(const Row& row) {
  GrantRecord r;
  r.id = row.Text(0);
  r.org_id = row.Text(1);
  r.granter_id = row.Text(2);
  r.grantee_id = row.Text(3);
  r.pattern = row.Text(4);
  r.scopes = SplitWords(row.Text(5));
  r.created_by = row.Text(6);
  r.created_at = row.Int(7);
  r.expires_at = row.OptionalInt(8);
  r.revoked_at = row.OptionalInt(9);
  return r;
}

// Columns: c.id, c.org_id, c.identity_id, c.name, v.version, v.type, v.metadata, v.expires_at, c.created_at, v.created_at.
template <class Row>
Result<CredentialInfo> ReadCredentialInfo(const Row& row) {
  CredentialInfo info;
  info.id = row.Text(0);
  info.org_id = row.Text(1);
  info.identity_id = row.Text(2);
  info.name = row.Text(3);
  info.version = static_cast<int>(row.Int(4));
  info.type = ParseCredentialType(row.Text(5)).value_or(CredentialType::kCustom);
  auto metadata = ParseUntrustedJson(row.Text(6));
  if (!metadata.ok()) {
    return MakeError(ErrorCode::kDataCorrupted, "the stored metadata of credential " + info.name + " " +
                                                    metadata.error().message +
                                                    ": store the credential again with valid metadata");
  }
  info.metadata = std::move(*metadata);
  info.expires_at = row.OptionalInt(7);
  info.created_at = row.Int(8);
  info.updated_at = row.Int(9);
  return info;
}

// Columns: identity_id, username, password_hash, totp_wrapped (empty when none), totp_confirmed, totp_last_step.
template <class Row>
HumanRecord ReadHuman(const Row& row) {
  return HumanRecord{row.Text(0), row.Text(1), row.Text(2), row.Blob(3), row.Int(4) != 0, row.Int(5)};
}

// Columns: seq, id, at, org_id, actor_id, actor_name, actor_kind, chain_ids, token_id, source_ip, user_agent, request_id, action, target, target_version, outcome, reason, hash.
template <class Row>
AuditRecord ReadAudit(const Row& row) {
  AuditRecord r;
  r.seq = row.Int(0);
  r.id = row.Text(1);
  r.at = row.Int(2);
  r.org_id = row.Text(3);
  r.actor_id = row.Text(4);
  r.actor_name = row.Text(5);
  r.actor_kind = row.Text(6);
  r.chain_ids = SplitWords(row.Text(7));
  r.token_id = row.Text(8);
  r.source_ip = row.Text(9);
  r.user_agent = row.Text(10);
  r.request_id = row.Text(11);
  r.action = row.Text(12);
  r.target = row.Text(13);
  if (auto v = row.OptionalInt(14)) r.target_version = static_cast<int>(*v);
  r.outcome = row.Text(15);
  r.reason = row.Text(16);
  r.hash = row.Blob(17);
  return r;
}

}  // namespace coffer::store
