#include "vault/vault.h"

#include <algorithm>
#include <set>

#include "core/json_document.h"
#include "core/secret_mask.h"
#include "core/secure_wipe.h"
#include "crypto/encoding.h"
#include "schema/credential_schema.h"
#include "store/blob_kek_version.h"
#include "vault/cidr.h"
#include "vault/ids.h"
#include "vault/kek_catch_up.h"

namespace coffer::vault {
namespace {

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
  // The type's schema: a LOGIN without a password, a TOTP secret that is not base32 or a
  // certificate that does not parse is refused now, not when an agent first tries to use it.
  return ValidateCredentialData(r.type, r.data);
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

// Seals `plaintext` (the request's data) as the next version at `target` and appends it. With
// `shared_store`, first catches up with KEKs other nodes created, so the seal is under the
// org's newest durable KEK, never one a retirement elsewhere is about to destroy.
Result<CredentialInfo> PutVersion(store::WriteTransaction& txn, keyring::Keyring& keyring, bool shared_store,
                                  const Located& target, const StoreCredentialRequest& request,
                                  const std::string& plaintext) {
  if (shared_store) COFFER_TRY(CatchUpKeks(txn, keyring, target.partition.org_id));
  const UnixMicros now = NowMicros();
  CredentialInfo info;
  if (target.current) {
    info.id = target.current->info.id;
    info.version = target.current->info.version + 1;
    info.created_at = target.current->info.created_at;
  } else {
    info.id = NewId("cred_");
    info.version = 1;
    info.created_at = now;
  }
  info.org_id = target.partition.org_id;
  info.identity_id = target.partition.identity_id;
  info.name = request.name;
  info.type = request.type;
  info.metadata = request.metadata;
  info.expires_at = request.expires_at;
  info.updated_at = now;
  auto blob = keyring.Seal(keyring::BlobContext::Of(info), crypto::AsBytes(plaintext));
  if (!blob.ok()) return blob.error();
  COFFER_TRY(txn.PutCredentialVersion(store::CredentialRecord{info, std::move(blob).value()}));
  return info;
}

}  // namespace

Result<Principal> Vault::ResolveToken(std::string_view bearer_token, const RequestContext& context) {
  if (bearer_token.substr(0, kTokenPrefix.size()) != kTokenPrefix) return Unauthenticated();
  auto read = store_.BeginRead();
  auto token = read->FindTokenByHash(HashToken(bearer_token));
  if (!token.ok()) return token.error();
  if (!*token) return Unauthenticated();
  const store::TokenRecord& t = **token;
  if (t.revoked_at || (t.expires_at && *t.expires_at <= NowMicros())) return Unauthenticated();
  // Revoking any ancestor cuts the identity off on this very request: the chain is read each time.
  auto chain = LoadChain(*read, t.identity_id);
  if (!chain.ok()) {
    if (chain.error().code == ErrorCode::kNotFound) return Unauthenticated();
    return chain.error();
  }
  if (!ChainIsActive(*chain) || chain->back().org_id != t.org_id) return Unauthenticated();
  if (!t.cidrs.empty()) {
    bool inside = std::any_of(t.cidrs.begin(), t.cidrs.end(), [&](const std::string& text) {
      auto cidr = ParseCidr(text);
      return cidr && CidrContains(*cidr, context.source_ip);
    });
    if (!inside) {
      return MakeError(ErrorCode::kPermissionDenied,
                       "this token may only be used from its allowed networks, and this request "
                       "came from elsewhere");
    }
  }
  const store::IdentityRecord& identity = chain->back();
  Principal p;
  p.org_id = t.org_id;
  p.identity_id = identity.id;
  p.identity_name = identity.name;
  p.kind = identity.kind;
  p.role = identity.role;
  p.token_id = t.id;
  p.scopes = t.scopes;
  p.identity_scopes = identity.scopes;
  for (auto& link : *chain) p.chain.push_back(ChainLink{link.id, link.name, link.kind, std::move(link.scopes)});
  // Masked if the token says so or any identity up the chain does.
  p.reveal = t.reveal && std::all_of(chain->begin(), chain->end(), [](const auto& link) { return link.reveal; });
  p.request = context;
  return p;
}

Result<Principal> Vault::Authenticate(std::string_view bearer_token, const RequestContext& context) {
  auto principal = ResolveToken(bearer_token, context);
  if (!principal.ok()) {
    // Who tried is unknown (and the token itself is never recorded); where from is not.
    store::AuditRecord record = AuditLog::Anonymous(context, "auth.token", "");
    AuditLog::SetFailure(record, principal.error());
    if (Status s = audit_.Record(std::move(record), context); !s.ok()) return s.error();
  }
  return principal;
}

Result<CredentialInfo> Vault::StoreCredential(const Principal& principal,
                                              const StoreCredentialRequest& request) {
  auto stored = WriteCredential(principal, request);
  if (!stored.ok()) return audit_.RecordFailure(principal, "credential.write", request.name, stored.error());
  return stored;
}

Result<CredentialInfo> Vault::WriteCredential(const Principal& principal, const StoreCredentialRequest& request) {
  // The scope first: a caller that may not write learns that, not what its data lacks.
  COFFER_TRY(Authorizer::CheckScope(principal, VaultAction::kWrite));
  COFFER_TRY(ValidateStoreRequest(request));

  std::string plaintext = request.data.dump();
  CredentialInfo stored;
  Status written = store_.Write([&](store::WriteTransaction& txn) -> Status {
    auto target = Authorizer::Locate(txn, principal, VaultAction::kWrite, request.name);
    if (!target.ok()) return target.error();
    auto info = PutVersion(txn, keyring_, store_.SharedWithOtherNodes(), *target, request, plaintext);
    if (!info.ok()) return info.error();
    stored = std::move(info).value();
    // In the same transaction: the change and its record are durable together, or neither is.
    return audit_.Append(txn, AuditLog::For(principal, stored.version == 1 ? "credential.create" : "credential.update",
                                            stored.name, stored.version));
  });
  SecureWipe(plaintext);
  if (!written.ok()) return written.error();
  return stored;
}

Result<Credential> Vault::GetCredential(const Principal& principal, const std::string& name,
                                        std::optional<int> version) {
  auto credential = OpenAudited(principal, VaultAction::kRead, "credential.read", name, version);
  if (credential.ok() && !principal.reveal) {
    // A reveal: false token sees the shape of the data and the last characters, never the values.
    nlohmann::json masked = MaskSecretFields(credential->info.type, credential->data);
    WipeJson(credential->data);
    credential->data = std::move(masked);
    credential->masked = true;
  }
  return credential;
}

Result<Credential> Vault::GetCredentialForUse(const Principal& principal, const std::string& name) {
  return OpenAudited(principal, VaultAction::kUse, "credential.use", name, std::nullopt);
}

Result<Credential> Vault::OpenAudited(const Principal& principal, VaultAction action, std::string audit_action,
                                      const std::string& name, std::optional<int> version) {
  auto credential = OpenCredential(principal, action, name, version);
  if (!credential.ok()) return audit_.RecordFailure(principal, std::move(audit_action), name, credential.error());
  // The value leaves only once its read is on disk; if that fails, it does not leave at all.
  Status recorded = audit_.Record(AuditLog::For(principal, std::move(audit_action), name, credential->info.version),
                                   principal.request);
  if (!recorded.ok()) return recorded.error();
  return credential;
}

Result<Credential> Vault::OpenCredential(const Principal& principal, VaultAction action,
                                         const std::string& name, std::optional<int> version) {
  COFFER_TRY(ValidateCredentialName(name));
  if (version && *version < 1) {
    return MakeError(ErrorCode::kInvalidArgument, "version must be a positive integer");
  }
  COFFER_TRY(Authorizer::CheckScope(principal, action));
  auto located = Authorizer::Locate(*store_.BeginRead(), principal, action, name, version);
  if (!located.ok()) return located.error();
  auto& record = located->current;
  if (!record) {
    if (version) {
      return MakeError(ErrorCode::kNotFound, "this credential has no version " +
                                                 std::to_string(*version) +
                                                 " (only the latest " + std::to_string(kRetainedVersions) +
                                                 " versions are kept)");
    }
    return NotFound();
  }
  auto plaintext = keyring_.Open(keyring::BlobContext::Of(record->info), record->blob);
  if (!plaintext.ok() && store_.SharedWithOtherNodes()) {
    // Sealed by another node under a KEK it created since this one loaded its keys?
    auto kek_version = store::BlobKekVersion(record->blob);
    if (kek_version && !keyring_.HasKek(record->info.org_id, *kek_version)) {
      COFFER_TRY(CatchUpKeks(*store_.BeginRead(), keyring_, record->info.org_id));
      plaintext = keyring_.Open(keyring::BlobContext::Of(record->info), record->blob);
    }
  }
  if (!plaintext.ok()) return plaintext.error();
  Credential credential;
  credential.info = std::move(record->info);
  auto data = ParseUntrustedJson(
      std::string_view(reinterpret_cast<const char*>(plaintext->data()), plaintext->size()));
  SecureWipe(plaintext->data(), plaintext->size());
  if (!data.ok()) return MakeError(ErrorCode::kDataCorrupted, "the credential decrypted to data that " + data.error().message);
  credential.data = std::move(*data);
  return credential;
}

Result<CredentialPage> Vault::ListCredentials(const Principal& principal,
                                              const ListCredentialsRequest& request) {
  auto page = ListUnaudited(principal, request);
  if (!page.ok()) return audit_.RecordFailure(principal, "credential.list", request.prefix, page.error());
  store::AuditRecord record = AuditLog::For(principal, "credential.list", request.prefix);
  record.reason = std::to_string(page->items.size()) + " listed";
  if (Status s = audit_.Record(std::move(record), principal.request); !s.ok()) return s.error();
  return page;
}

Result<CredentialPage> Vault::ListUnaudited(const Principal& principal, const ListCredentialsRequest& request) {
  if (request.limit < 1 || request.limit > kMaxListLimit) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "limit must be between 1 and " + std::to_string(kMaxListLimit));
  }
  if (!request.prefix.empty()) COFFER_TRY(ValidateCredentialName(request.prefix));
  auto after = DecodeCursor(request.cursor);
  if (!after.ok()) return after.error();
  COFFER_TRY(Authorizer::CheckScope(principal, VaultAction::kList));
  // Lists the caller's own partition; granted credentials are reached by name.
  const Partition partition = Authorizer::OwnPartition(principal);

  store::CredentialListQuery query;
  query.org_id = partition.org_id;
  query.identity_id = partition.identity_id;
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
  Status deleted = RemoveCredential(principal, name);
  if (!deleted.ok()) return audit_.RecordFailure(principal, "credential.delete", name, deleted.error());
  return deleted;
}

Status Vault::RemoveCredential(const Principal& principal, const std::string& name) {
  COFFER_TRY(ValidateCredentialName(name));
  COFFER_TRY(Authorizer::CheckScope(principal, VaultAction::kDelete));
  bool found = false;
  Status written = store_.Write([&](store::WriteTransaction& txn) -> Status {
    auto target = Authorizer::Locate(txn, principal, VaultAction::kDelete, name);
    if (!target.ok()) return target.error();
    found = target->current.has_value();
    if (!found) return Status::Ok();
    auto deleted = txn.DeleteCredential(target->partition.org_id, target->partition.identity_id, name);
    if (!deleted.ok()) return deleted.error();
    return audit_.Append(txn, AuditLog::For(principal, "credential.delete", name));
  });
  if (!written.ok()) return written;
  if (!found) return NotFound();
  return Status::Ok();
}

Result<ImportOutcome> Vault::ImportCredentials(const Principal& principal,
                                               std::span<const StoreCredentialRequest> requests,
                                               const ImportOptions& options) {
  auto outcome = ImportUnaudited(principal, requests, options);
  if (!outcome.ok()) return audit_.RecordFailure(principal, "credential.import", "", outcome.error());
  if (!outcome->written) {  // a preview or a refused batch; a stored one was recorded with it
    store::AuditRecord record = AuditLog::For(principal, "credential.import", "");
    record.outcome = options.dry_run ? "ok" : "error";
    record.reason = std::string(options.dry_run ? "dry run of " : "refused batch of ") +
                    std::to_string(requests.size()) + " entries";
    if (Status s = audit_.Record(std::move(record), principal.request); !s.ok()) return s.error();
  }
  return outcome;
}

Result<ImportOutcome> Vault::ImportUnaudited(const Principal& principal,
                                             std::span<const StoreCredentialRequest> requests,
                                             const ImportOptions& options) {
  COFFER_TRY(Authorizer::CheckScope(principal, VaultAction::kWrite));
  if (requests.empty()) return MakeError(ErrorCode::kInvalidArgument, "there is nothing to import");
  ImportOutcome outcome;
  outcome.items.resize(requests.size());
  std::set<std::string_view> names;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (Status valid = ValidateStoreRequest(requests[i]); !valid.ok()) {
      outcome.items[i].problem = valid.error().message;
    } else if (!names.insert(requests[i].name).second) {
      outcome.items[i].problem = "the name is used by another entry of this import";
    }
  }
  const bool invalid = std::any_of(outcome.items.begin(), outcome.items.end(),
                                   [](const ImportItemOutcome& item) { return !item.problem.empty(); });

  // A preview, or a batch that cannot be stored anyway, still reports which names exist.
  if (options.dry_run || invalid) {
    auto read = store_.BeginRead();
    for (size_t i = 0; i < requests.size(); ++i) {
      if (!outcome.items[i].problem.empty()) continue;
      auto target = Authorizer::Locate(*read, principal, VaultAction::kWrite, requests[i].name);
      if (!target.ok()) return target.error();
      outcome.items[i].exists = target->current.has_value();
    }
    return outcome;
  }

  std::vector<std::string> plaintexts;
  plaintexts.reserve(requests.size());
  for (const auto& request : requests) plaintexts.push_back(request.data.dump());
  // One transaction for the whole batch: existence is checked where it is written, so a
  // credential created meanwhile is a conflict too, and a refusal leaves nothing behind.
  bool conflict = false;
  Status written = store_.Write([&](store::WriteTransaction& txn) -> Status {
    conflict = false;
    std::vector<std::optional<CredentialInfo>> stored(requests.size());
    for (size_t i = 0; i < requests.size(); ++i) {
      auto target = Authorizer::Locate(txn, principal, VaultAction::kWrite, requests[i].name);
      if (!target.ok()) return target.error();
      outcome.items[i].exists = target->current.has_value();
      if (outcome.items[i].exists && !options.overwrite) conflict = true;
      if (conflict) continue;  // keep checking the rest, to report every conflict
      auto info = PutVersion(txn, keyring_, store_.SharedWithOtherNodes(), *target, requests[i], plaintexts[i]);
      if (!info.ok()) return info.error();
      stored[i] = std::move(info).value();
    }
    if (conflict) return MakeError(ErrorCode::kConflict, "some names already exist");  // rolls back
    for (size_t i = 0; i < requests.size(); ++i) outcome.items[i].stored = std::move(stored[i]);
    store::AuditRecord record = AuditLog::For(principal, "credential.import", "");
    record.reason = std::to_string(requests.size()) + " credentials stored";
    return audit_.Append(txn, std::move(record));
  });
  for (auto& plaintext : plaintexts) SecureWipe(plaintext);
  if (!written.ok() && !conflict) return written.error();
  outcome.written = written.ok();
  return outcome;
}

Result<crypto::TotpCode> Vault::GetTotp(const Principal& principal, const std::string& name) {
  // Recorded as a TOTP use: the secret never leaves, only the code.
  auto credential = OpenAudited(principal, VaultAction::kUse, "credential.totp", name, std::nullopt);
  if (!credential.ok()) return credential.error();
  auto setup = ReadTotpSetup(credential->info.type, credential->data);  // wipes its secret too
  if (!setup.ok()) {
    // The request was well-formed; the credential is what cannot give a code: 422, not 400.
    return MakeError(ErrorCode::kValidation, setup.error().message);
  }
  constexpr int64_t kMicrosPerSecond = 1'000'000;
  return crypto::TotpFromBase32(setup->secret, NowMicros() / kMicrosPerSecond, setup->params);
}

}  // namespace coffer::vault
