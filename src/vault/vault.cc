#include "vault/vault.h"

#include "core/secure_wipe.h"
#include "crypto/encoding.h"
#include "vault/ids.h"

namespace coffer::vault {
namespace {

keyring::BlobContext ContextFor(const CredentialInfo& info) {
  return keyring::BlobContext{info.org_id, info.id, info.version,
                              std::string(CredentialTypeName(info.type)), info.name};
}

Error Unauthenticated() {
  return MakeError(ErrorCode::kUnauthenticated,
                   "the bearer token is missing, unknown, expired or revoked: send "
                   "`Authorization: Bearer <token>` with a valid token");
}

// The name is not repeated: the caller knows it, and a secret pasted into a URL must not echo.
Error NotFound() {
  return MakeError(ErrorCode::kNotFound, "no credential with this name in your vault");
}

Status ValidateStoreRequest(const StoreCredentialRequest& r) {
  COFFER_TRY(ValidateCredentialName(r.name));
  if (!r.data.is_object() || r.data.empty()) {
    return MakeError(ErrorCode::kValidation, "data must be a non-empty JSON object of secret fields");
  }
  if (!r.metadata.is_object()) {
    return MakeError(ErrorCode::kValidation, "metadata must be a JSON object");
  }
  return Status::Ok();
}

std::string EncodeCursor(const std::string& last_name) {
  return crypto::Base64Encode(crypto::AsBytes(last_name));
}

Result<std::string> DecodeCursor(const std::string& cursor) {
  if (cursor.empty()) return std::string();
  auto bytes = crypto::Base64Decode(cursor);
  if (!bytes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cursor is not one this server issued: pass the nextCursor of the previous page");
  }
  std::string name(bytes->begin(), bytes->end());
  if (!ValidateCredentialName(name).ok()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cursor is not one this server issued: pass the nextCursor of the previous page");
  }
  return name;
}

}  // namespace

Result<Principal> Vault::Authenticate(std::string_view bearer_token, const RequestContext&) {
  if (bearer_token.substr(0, kTokenPrefix.size()) != kTokenPrefix) return Unauthenticated();
  auto read = store_.BeginRead();
  auto token = read->FindTokenByHash(HashToken(bearer_token));
  if (!token.ok()) return token.error();
  if (!*token) return Unauthenticated();
  const store::TokenRecord& t = **token;
  const UnixMicros now = NowMicros();
  if (t.revoked_at || (t.expires_at && *t.expires_at <= now)) return Unauthenticated();
  auto identity = read->FindIdentity(t.identity_id);
  if (!identity.ok()) return identity.error();
  if (!*identity || (*identity)->revoked_at) return Unauthenticated();
  Principal p;
  p.org_id = t.org_id;
  p.identity_id = t.identity_id;
  p.identity_name = (*identity)->name;
  p.kind = (*identity)->kind;
  p.role = (*identity)->role;
  p.token_id = t.id;
  p.scopes = t.scopes;
  return p;
}

Result<CredentialInfo> Vault::StoreCredential(const Principal& principal,
                                              const StoreCredentialRequest& request) {
  COFFER_TRY(ValidateStoreRequest(request));
  auto partition = authorizer_.Authorize(principal, VaultAction::kWrite, request.name);
  if (!partition.ok()) return partition.error();

  std::string plaintext = request.data.dump();
  CredentialInfo stored;
  Status written = store_.Write([&](store::WriteTransaction& txn) -> Status {
    auto current = txn.FindCredential(partition->org_id, partition->identity_id, request.name, std::nullopt);
    if (!current.ok()) return current.error();
    const UnixMicros now = NowMicros();
    CredentialInfo info;
    if (*current) {
      info.id = (*current)->info.id;
      info.version = (*current)->info.version + 1;
      info.created_at = (*current)->info.created_at;
    } else {
      info.id = NewId("cred_");
      info.version = 1;
      info.created_at = now;
    }
    info.org_id = partition->org_id;
    info.identity_id = partition->identity_id;
    info.name = request.name;
    info.type = request.type;
    info.metadata = request.metadata;
    info.expires_at = request.expires_at;
    info.updated_at = now;
    auto blob = keyring_.Seal(ContextFor(info), crypto::AsBytes(plaintext));
    if (!blob.ok()) return blob.error();
    COFFER_TRY(txn.PutCredentialVersion(store::CredentialRecord{info, std::move(blob).value()}));
    stored = std::move(info);
    return Status::Ok();
  });
  SecureWipe(plaintext);
  if (!written.ok()) return written.error();
  return stored;
}

Result<Credential> Vault::GetCredential(const Principal& principal, const std::string& name,
                                        std::optional<int> version) {
  COFFER_TRY(ValidateCredentialName(name));
  if (version && *version < 1) {
    return MakeError(ErrorCode::kInvalidArgument, "version must be a positive integer");
  }
  auto partition = authorizer_.Authorize(principal, VaultAction::kRead, name);
  if (!partition.ok()) return partition.error();
  auto record = store_.BeginRead()->FindCredential(partition->org_id, partition->identity_id, name, version);
  if (!record.ok()) return record.error();
  if (!*record) {
    if (version) {
      return MakeError(ErrorCode::kNotFound, "this credential has no version " +
                                                 std::to_string(*version) +
                                                 " (only the latest " + std::to_string(kRetainedVersions) +
                                                 " versions are kept)");
    }
    return NotFound();
  }
  auto plaintext = keyring_.Open(ContextFor((*record)->info), (*record)->blob);
  if (!plaintext.ok()) return plaintext.error();
  Credential credential;
  credential.info = std::move((*record)->info);
  credential.data = nlohmann::json::parse(plaintext->begin(), plaintext->end(), nullptr, false);
  SecureWipe(plaintext->data(), plaintext->size());
  if (credential.data.is_discarded()) {
    return MakeError(ErrorCode::kDataCorrupted, "credential '" + name + "' decrypted to malformed data");
  }
  return credential;
}

Result<CredentialPage> Vault::ListCredentials(const Principal& principal,
                                              const ListCredentialsRequest& request) {
  if (request.limit < 1 || request.limit > kMaxListLimit) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "limit must be between 1 and " + std::to_string(kMaxListLimit));
  }
  if (!request.prefix.empty()) COFFER_TRY(ValidateCredentialName(request.prefix));
  auto after = DecodeCursor(request.cursor);
  if (!after.ok()) return after.error();
  auto partition = authorizer_.Authorize(principal, VaultAction::kList, request.prefix);
  if (!partition.ok()) return partition.error();

  store::CredentialListQuery query;
  query.org_id = partition->org_id;
  query.identity_id = partition->identity_id;
  query.type = request.type;
  query.name_prefix = request.prefix;
  query.after_name = *after;
  query.limit = request.limit + 1;  // one extra row tells whether another page exists
  auto rows = store_.BeginRead()->ListCredentials(query);
  if (!rows.ok()) return rows.error();
  CredentialPage page;
  page.items = std::move(rows).value();
  if (page.items.size() > static_cast<size_t>(request.limit)) {
    page.items.pop_back();
    page.next_cursor = EncodeCursor(page.items.back().name);
  }
  return page;
}

Status Vault::DeleteCredential(const Principal& principal, const std::string& name) {
  COFFER_TRY(ValidateCredentialName(name));
  auto partition = authorizer_.Authorize(principal, VaultAction::kDelete, name);
  if (!partition.ok()) return partition.error();
  bool found = false;
  Status written = store_.Write([&](store::WriteTransaction& txn) -> Status {
    auto deleted = txn.DeleteCredential(partition->org_id, partition->identity_id, name);
    if (!deleted.ok()) return deleted.error();
    found = *deleted;
    return Status::Ok();
  });
  if (!written.ok()) return written;
  if (!found) return NotFound();
  return Status::Ok();
}

}  // namespace coffer::vault
