#include "api/mcp/vault_tools.h"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <limits>

#include "api/mcp/protocol_version.h"
#include "core/did_you_mean.h"
#include "core/secret_mask.h"
#include "core/principal.h"

namespace coffer::mcp {
namespace {

using nlohmann::json;

enum class Tool { kStore, kGet, kList, kDelete, kTotp };

struct ToolSpec {
  Tool tool;
  std::string_view underscore_name;
  std::string_view dotted_name;
  std::string_view title;
  // The tool is offered when the caller has any of these scopes. vault_totp mirrors the
  // authorizer: reading a value implies being allowed to use it.
  std::array<std::string_view, 2> scopes;
  bool read_only;
  bool destructive;
  bool idempotent;
};

// Honest hints: vault_store is destructive because a new version replaces what every reader gets
// and the oldest retained version is discarded; vault_delete is idempotent because a second call
// changes nothing (it reports not found). Reading, listing and code generation change nothing.
constexpr std::array<ToolSpec, 5> kTools = {{
    {Tool::kStore, "vault_store", "vault.store", "Store a credential", {scopes::kVaultWrite, ""},
     /*read_only=*/false, /*destructive=*/true, /*idempotent=*/false},
    {Tool::kGet, "vault_get", "vault.get", "Read a credential", {scopes::kVaultRead, ""},
     true, false, true},
    {Tool::kList, "vault_list", "vault.list", "List credentials", {scopes::kVaultList, ""},
     true, false, true},
    {Tool::kDelete, "vault_delete", "vault.delete", "Delete a credential", {scopes::kVaultDelete, ""},
     false, true, true},
    {Tool::kTotp, "vault_totp", "vault.totp", "Get a one-time code (TOTP)",
     {scopes::kVaultUse, scopes::kVaultRead}, true, false, true},
}};

std::string SpelledName(Tool tool, ToolNaming naming) {
  for (const ToolSpec& spec : kTools) {
    if (spec.tool == tool) {
      return std::string(naming == ToolNaming::kDotted ? spec.dotted_name : spec.underscore_name);
    }
  }
  return std::string();
}

const ToolSpec* FindTool(std::string_view name) {
  for (const ToolSpec& spec : kTools) {
    if (spec.underscore_name == name || spec.dotted_name == name) return &spec;
  }
  return nullptr;
}

bool Offered(const ToolSpec& spec, const CallerInfo& caller) {
  for (std::string_view scope : spec.scopes) {
    if (scope.empty()) continue;
    for (const std::string& held : caller.scopes) {
      if (held == scope) return true;
    }
  }
  return false;
}

// ---- Schemas --------------------------------------------------------------------------------

json NameSchema(std::string_view description) {
  return {{"type", "string"},
          {"minLength", 1},
          {"maxLength", kMaxCredentialNameLength},
          {"pattern", "^[A-Za-z0-9._:-]+$"},
          {"description", description}};
}

json TypeNames() {
  json names = json::array();
  for (CredentialType type : kAllCredentialTypes) names.push_back(CredentialTypeName(type));
  return names;
}

json ObjectSchema(json properties, std::initializer_list<const char*> required) {
  json schema = {{"type", "object"}, {"properties", std::move(properties)}};
  json req = json::array();
  for (const char* r : required) req.push_back(r);
  if (!req.empty()) schema["required"] = std::move(req);
  return schema;
}

json InputSchema(json properties, std::initializer_list<const char*> required) {
  json schema = ObjectSchema(std::move(properties), required);
  schema["additionalProperties"] = false;
  return schema;
}

// A credential's description as every tool returns it. `type` is a plain string in outputs so a
// newer server with more types does not fail an older client's validation.
json InfoProperties() {
  return {
      {"credentialId", {{"type", "string"}, {"description", "Stable id of the credential, \"cred_...\""}}},
      {"name", {{"type", "string"}}},
      {"type", {{"type", "string"}, {"description", "One of " + CredentialTypeList()}}},
      {"version", {{"type", "integer"}, {"minimum", 1}, {"description", "Version number; each store adds one"}}},
      {"metadata", {{"type", "object"}, {"description", "Non-secret descriptive fields"}}},
      {"expiresAt", {{"type", {"string", "null"}}, {"description", "ISO 8601 expiry, or null"}}},
      {"createdAt", {{"type", "string"}, {"description", "When the credential was first stored (ISO 8601)"}}},
      {"updatedAt", {{"type", "string"}, {"description", "When this version was stored (ISO 8601)"}}},
  };
}

constexpr std::initializer_list<const char*> kInfoRequired = {
    "credentialId", "name", "type", "version", "metadata", "expiresAt", "createdAt", "updatedAt"};

json InfoSchemaWith(json extra_properties, std::initializer_list<const char*> extra_required) {
  json properties = InfoProperties();
  for (auto& [key, value] : extra_properties.items()) properties[key] = value;
  json schema = ObjectSchema(std::move(properties), kInfoRequired);
  for (const char* r : extra_required) schema["required"].push_back(r);
  return schema;
}

json InputSchemaFor(Tool tool) {
  switch (tool) {
    case Tool::kStore:
      return InputSchema(
          {{"name", NameSchema("Name to store it under, e.g. \"stripe-production\". Storing an existing "
                               "name adds a new version.")},
           {"type", {{"type", "string"}, {"enum", TypeNames()}, {"description", "Kind of credential"}}},
           {"data", {{"type", "object"},
                     {"minProperties", 1},
                     {"description", "The secret fields, e.g. {\"apiKey\": \"sk_live_...\"}. Encrypted at rest."}}},
           {"metadata", {{"type", "object"},
                         {"description", "Optional non-secret fields shown in listings, e.g. "
                                         "{\"service\": \"stripe\", \"username\": \"bot\"}. Stored in plaintext: "
                                         "never put a secret here."}}},
           {"expiresAt", {{"type", "string"},
                          {"description", "Optional expiry, ISO 8601, e.g. \"2026-12-31T00:00:00Z\" or \"2026-12-31\""}}}},
          {"name", "type", "data"});
    case Tool::kGet:
      return InputSchema(
          {{"name", NameSchema("Name of the credential, as vault_list shows it")},
           {"version", {{"type", "integer"},
                        {"minimum", 1},
                        {"description", "Optional earlier version to read; omit for the current one"}}}},
          {"name"});
    case Tool::kList:
      return InputSchema(
          {{"type", {{"type", "string"}, {"enum", TypeNames()}, {"description", "Only credentials of this type"}}},
           {"prefix", {{"type", "string"}, {"maxLength", kMaxCredentialNameLength},
                       {"description", "Only names starting with this"}}},
           {"cursor", {{"type", "string"}, {"description", "nextCursor from the previous page"}}},
           {"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 500},
                      {"description", "Page size, 1-500 (default 50)"}}}},
          {});
    case Tool::kDelete:
      return InputSchema({{"name", NameSchema("Name of the credential to delete")}}, {"name"});
    case Tool::kTotp:
      return InputSchema({{"name", NameSchema("Name of a TOTP credential, or of a LOGIN with a totpSecret")}},
                         {"name"});
  }
  return InputSchema(json::object(), {});
}

json OutputSchemaFor(Tool tool) {
  switch (tool) {
    case Tool::kStore:
      return InfoSchemaWith(
          {{"created", {{"type", "boolean"}, {"description", "true for a new credential, false for a new version"}}}},
          {"created"});
    case Tool::kGet:
      return InfoSchemaWith(
          {{"data", {{"type", "object"}, {"description", "The secret fields (masked when masked is true)"}}},
           {"masked", {{"type", "boolean"},
                       {"description", "true when this token may not see secret values: each value shows only "
                                       "its last 4 characters"}}}},
          {"data", "masked"});
    case Tool::kList:
      return ObjectSchema(
          {{"credentials", {{"type", "array"}, {"items", ObjectSchema(InfoProperties(), kInfoRequired)}}},
           {"nextCursor", {{"type", {"string", "null"}},
                           {"description", "Pass as cursor to get the next page; null on the last page"}}}},
          {"credentials", "nextCursor"});
    case Tool::kDelete:
      return ObjectSchema({{"deleted", {{"type", "boolean"}}}, {"name", {{"type", "string"}}}},
                          {"deleted", "name"});
    case Tool::kTotp:
      return ObjectSchema(
          {{"name", {{"type", "string"}}},
           {"code", {{"type", "string"}, {"pattern", "^[0-9]{6,10}$"}, {"description", "The current code"}}},
           {"remaining", {{"type", "integer"}, {"minimum", 0},
                          {"description", "Seconds the code stays valid"}}}},
          {"name", "code", "remaining"});
  }
  return ObjectSchema(json::object(), {});
}

// Written for a model: what the tool does, when to use it, and what it will not do.
std::string DescriptionFor(Tool tool, ToolNaming naming) {
  auto n = [naming](Tool t) { return SpelledName(t, naming); };
  switch (tool) {
    case Tool::kStore:
      return "Store a secret in the Coffer vault under a name, encrypted at rest. Storing a name that "
             "exists adds a new version that becomes current; the previous " +
             std::to_string(kRetainedVersions - 1) + " versions stay readable with " + n(Tool::kGet) + "'s version argument and older ones are discarded. Put the credential's fields in "
             "data and free-form notes (service, environment, owner) in metadata, which is stored in plaintext "
             "and shown in listings: never put a secret in metadata. Fields by type (required ones first): "
             "API_KEY {apiKey, apiSecret?, baseUrl?}; LOGIN {password, username?, url?, totpSecret?}; OAUTH "
             "{accessToken and/or refreshToken, tokenUrl?, clientId?, clientSecret?, scopes?}; TOTP {secret (the "
             "base32 seed), digits?, period?, algorithm?}; SSH_KEY {privateKey (PEM or OpenSSH), host?, "
             "username?}; DATABASE {url, or host with user, password, database}; SMTP {host, password, port?, "
             "username?}; AWS {accessKeyId, secretAccessKey, region?}; CERTIFICATE {certificate (PEM), "
             "privateKey?}; CUSTOM any fields. Returns the id and version, never the secret.";
    case Tool::kGet:
      return "Read one credential from the Coffer vault by name: its type, metadata and secret data "
             "fields. Every read is recorded in the audit trail, so read only what the task needs. If the "
             "token behind this connection is marked reveal: false, secret values come back masked (only "
             "their last 4 characters) and masked is true: do not ask the user for the secret then; for a "
             "2FA code use " + n(Tool::kTotp) + ". Use " + n(Tool::kList) + " to find names.";
    case Tool::kList:
      return "List the credentials this connection can see: names, types, versions and metadata, never "
             "secret values. Filter by type or by a name prefix. Results come in pages: when nextCursor "
             "is not null, call again with cursor set to it.";
    case Tool::kDelete:
      return "Permanently delete a credential and all of its versions from the Coffer vault. This cannot "
             "be undone: confirm with the user before calling it.";
    case Tool::kTotp:
      return "Generate the current one-time code (TOTP, RFC 6238) from a credential of type TOTP, or a "
             "LOGIN that stores a totpSecret, e.g. to complete a 2FA login. The seed never leaves the vault, so this works even when " +
             n(Tool::kGet) + " is masked. remaining is how many seconds the code stays valid: if it is "
             "under 5, wait that long and call again for a fresh code.";
  }
  return "";
}

json AnnotationsFor(const ToolSpec& spec) {
  // openWorldHint false: the tools act only on this vault, never on outside systems.
  return {{"title", spec.title},
          {"readOnlyHint", spec.read_only},
          {"destructiveHint", spec.destructive},
          {"idempotentHint", spec.idempotent},
          {"openWorldHint", false}};
}

// ---- Arguments ------------------------------------------------------------------------------

std::string JoinNames(std::initializer_list<const char*> names) {
  std::string out;
  size_t i = 0;
  for (const char* name : names) {
    if (i > 0) out += (i + 1 == names.size()) ? " and " : ", ";
    out += name;
    ++i;
  }
  return out;
}

// Unknown arguments are refused so a typo ("metdata") never silently drops what the model meant.
Status CheckArgumentNames(const json& args, std::string_view tool, std::initializer_list<const char*> allowed) {
  const std::vector<std::string_view> known(allowed.begin(), allowed.end());
  for (const auto& [key, value] : args.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      // Never the name itself: it may be a secret pasted in the wrong place.
      return MakeError(ErrorCode::kInvalidArgument, "unknown argument" + DidYouMean(key, known) + ": " +
                                                        std::string(tool) + " takes " + JoinNames(allowed));
    }
  }
  return Status::Ok();
}

Result<std::string> ReadName(const json& args) {
  if (!args.contains("name")) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "name is required: the credential's name, e.g. \"stripe-production\"");
  }
  if (!args["name"].is_string()) return MakeError(ErrorCode::kInvalidArgument, "name must be a string");
  std::string name = args["name"].get<std::string>();
  COFFER_TRY(ValidateCredentialName(name));
  return name;
}

Result<std::optional<CredentialType>> ReadType(const json& args, bool required) {
  if (!args.contains("type") || args["type"].is_null()) {
    if (required) {
      return MakeError(ErrorCode::kInvalidArgument, "type is required: one of " + CredentialTypeList());
    }
    return std::optional<CredentialType>();
  }
  const json& value = args["type"];
  auto type = value.is_string() ? ParseCredentialType(value.get<std::string>()) : std::nullopt;
  if (!type) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "type must be one of " + CredentialTypeList() + " (upper case, as written)");
  }
  return std::optional<CredentialType>(*type);
}

constexpr int kNoMax = std::numeric_limits<int>::max();

// An optional integer argument within [min, max].
Result<std::optional<int>> ReadInt(const json& args, const char* key, int min, int max) {
  if (!args.contains(key) || args[key].is_null()) return std::optional<int>();
  const json& value = args[key];
  if (!value.is_number_integer() || value.get<long long>() < min || value.get<long long>() > max) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(key) + " must be a whole number from " + std::to_string(min) +
                         (max == kNoMax ? " up" : " to " + std::to_string(max)));
  }
  return std::optional<int>(static_cast<int>(value.get<long long>()));
}

Result<std::string> ReadOptionalString(const json& args, const char* key) {
  if (!args.contains(key) || args[key].is_null()) return std::string();
  if (!args[key].is_string()) return MakeError(ErrorCode::kInvalidArgument, std::string(key) + " must be a string");
  return args[key].get<std::string>();
}

// ---- Results --------------------------------------------------------------------------------

std::string Dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

json TextContent(std::string text) {
  return json::array({{{"type", "text"}, {"text", std::move(text)}}});
}

// A success: the structured result and, as the spec asks for older clients, its JSON as text.
json Success(json structured, std::string_view protocol_version) {
  json result = {{"content", TextContent(Dump(structured))}};
  if (HasStructuredContent(protocol_version)) {
    result["structuredContent"] = std::move(structured);
  } else {
    WipeJson(structured);
  }
  return result;
}

json Failure(std::string message) {
  return {{"content", TextContent(std::move(message))}, {"isError", true}};
}

std::string StringField(const json& in, const char* key) {
  return in.is_object() && in.contains(key) && in[key].is_string() ? in[key].get<std::string>() : std::string();
}

// The backend's credential description, reduced to exactly what the output schema promises, so
// a server that adds fields cannot break a client's validation.
json InfoOf(const json& in) {
  json out;
  out["credentialId"] = StringField(in, "credentialId");
  out["name"] = StringField(in, "name");
  out["type"] = StringField(in, "type");
  out["version"] = in.contains("version") && in["version"].is_number_integer() ? in["version"].get<int>() : 1;
  out["metadata"] = in.contains("metadata") && in["metadata"].is_object() ? in["metadata"] : json::object();
  out["expiresAt"] = in.contains("expiresAt") && in["expiresAt"].is_string() ? in["expiresAt"] : json(nullptr);
  out["createdAt"] = StringField(in, "createdAt");
  out["updatedAt"] = StringField(in, "updatedAt");
  return out;
}

}  // namespace

json VaultTools::List(const CallerInfo& caller, std::string_view protocol_version) const {
  json tools = json::array();
  for (const ToolSpec& spec : kTools) {
    if (!Offered(spec, caller)) continue;
    json tool = {{"name", SpelledName(spec.tool, naming_)},
                 {"description", DescriptionFor(spec.tool, naming_)},
                 {"inputSchema", InputSchemaFor(spec.tool)}};
    if (HasStructuredContent(protocol_version)) {
      tool["title"] = spec.title;
      tool["outputSchema"] = OutputSchemaFor(spec.tool);
    }
    if (HasToolAnnotations(protocol_version)) tool["annotations"] = AnnotationsFor(spec);
    tools.push_back(std::move(tool));
  }
  return tools;
}

bool VaultTools::Knows(std::string_view name) const { return FindTool(name) != nullptr; }

std::string VaultTools::Names() const {
  std::string out;
  for (const ToolSpec& spec : kTools) {
    if (!out.empty()) out += ", ";
    out += SpelledName(spec.tool, naming_);
  }
  return out;
}

json VaultTools::Call(McpVaultBackend& backend, std::string_view name, const json& arguments,
                      std::string_view protocol_version) const {
  const ToolSpec* spec = FindTool(name);
  if (spec == nullptr) return Failure("unknown tool: use one of " + Names());
  const std::string tool = SpelledName(spec->tool, naming_);
  // Failures become results the model can act on: what was wrong, and what to do instead.
  auto fail = [&](const Error& error) {
    std::string message = error.message;
    if (error.code == ErrorCode::kNotFound && spec->tool != Tool::kList) {
      message += ": call " + SpelledName(Tool::kList, naming_) + " to see the names this connection can use";
    } else if (error.code == ErrorCode::kUnauthenticated) {
      message = "Coffer refused the token this MCP connection uses (" + message +
                "). The user must configure the MCP client with a valid Coffer token; retrying will not help.";
    }
    return Failure(tool + " failed: " + message);
  };

  switch (spec->tool) {
    case Tool::kStore: {
      if (Status s = CheckArgumentNames(arguments, tool, {"name", "type", "data", "metadata", "expiresAt"}); !s.ok()) {
        return fail(s.error());
      }
      auto name_arg = ReadName(arguments);
      if (!name_arg.ok()) return fail(name_arg.error());
      auto type = ReadType(arguments, /*required=*/true);
      if (!type.ok()) return fail(type.error());
      if (!arguments.contains("data")) {
        return fail(MakeError(ErrorCode::kInvalidArgument,
                              "data is required: a JSON object of secret fields, e.g. {\"apiKey\": \"...\"}"));
      }
      if (!arguments["data"].is_object() || arguments["data"].empty()) {
        return fail(MakeError(ErrorCode::kInvalidArgument,
                              "data must be a non-empty JSON object of secret fields, e.g. {\"apiKey\": \"...\"}"));
      }
      json metadata = json::object();
      if (arguments.contains("metadata") && !arguments["metadata"].is_null()) {
        if (!arguments["metadata"].is_object()) {
          return fail(MakeError(ErrorCode::kInvalidArgument, "metadata must be a JSON object of non-secret fields"));
        }
        metadata = arguments["metadata"];
      }
      std::optional<UnixMicros> expires_at;
      if (arguments.contains("expiresAt") && !arguments["expiresAt"].is_null()) {
        const json& value = arguments["expiresAt"];
        expires_at = value.is_string() ? ParseIso8601(value.get<std::string>()) : std::nullopt;
        if (!expires_at) {
          return fail(MakeError(ErrorCode::kInvalidArgument,
                                "expiresAt must be an ISO 8601 timestamp such as 2026-12-31T00:00:00Z"));
        }
      }
      auto stored = backend.Store(*name_arg, **type, arguments["data"], metadata, expires_at);
      if (!stored.ok()) return fail(stored.error());
      json out = InfoOf(*stored);
      out["created"] = out["version"] == 1;
      return Success(std::move(out), protocol_version);
    }

    case Tool::kGet: {
      if (Status s = CheckArgumentNames(arguments, tool, {"name", "version"}); !s.ok()) return fail(s.error());
      auto name_arg = ReadName(arguments);
      if (!name_arg.ok()) return fail(name_arg.error());
      auto version = ReadInt(arguments, "version", 1, kNoMax);
      if (!version.ok()) return fail(version.error());
      // Asked first, so a caller whose reveal flag cannot be learned gets nothing (fail closed).
      auto caller = backend.Caller();
      if (!caller.ok()) return fail(caller.error());
      auto got = backend.Get(*name_arg, *version);
      if (!got.ok()) return fail(got.error());
      json out = InfoOf(*got);
      json empty = json::object();
      json& data = got->contains("data") && (*got)["data"].is_object() ? (*got)["data"] : empty;
      if (caller->reveal) {
        out["data"] = data;
      } else {
        CredentialType type = ParseCredentialType(StringField(*got, "type")).value_or(CredentialType::kCustom);
        out["data"] = MaskSecretFields(type, data);
      }
      out["masked"] = !caller->reveal;
      WipeJson(*got);
      return Success(std::move(out), protocol_version);
    }

    case Tool::kList: {
      if (Status s = CheckArgumentNames(arguments, tool, {"type", "prefix", "cursor", "limit"}); !s.ok()) {
        return fail(s.error());
      }
      auto type = ReadType(arguments, /*required=*/false);
      if (!type.ok()) return fail(type.error());
      auto prefix = ReadOptionalString(arguments, "prefix");
      if (!prefix.ok()) return fail(prefix.error());
      if (!prefix->empty()) {
        if (Status s = ValidateCredentialName(*prefix); !s.ok()) {
          return fail(MakeError(ErrorCode::kInvalidArgument, "prefix: " + s.error().message));
        }
      }
      auto cursor = ReadOptionalString(arguments, "cursor");
      if (!cursor.ok()) return fail(cursor.error());
      auto limit = ReadInt(arguments, "limit", 1, 500);
      if (!limit.ok()) return fail(limit.error());
      auto page = backend.List(*type, *prefix, *cursor, limit->value_or(50));
      if (!page.ok()) return fail(page.error());
      json items = json::array();
      if (page->contains("credentials") && (*page)["credentials"].is_array()) {
        for (const json& item : (*page)["credentials"]) items.push_back(InfoOf(item));
      }
      json next = page->contains("nextCursor") && (*page)["nextCursor"].is_string() ? (*page)["nextCursor"]
                                                                                     : json(nullptr);
      return Success({{"credentials", std::move(items)}, {"nextCursor", std::move(next)}}, protocol_version);
    }

    case Tool::kDelete: {
      if (Status s = CheckArgumentNames(arguments, tool, {"name"}); !s.ok()) return fail(s.error());
      auto name_arg = ReadName(arguments);
      if (!name_arg.ok()) return fail(name_arg.error());
      auto deleted = backend.Delete(*name_arg);
      if (!deleted.ok()) return fail(deleted.error());
      return Success({{"deleted", true}, {"name", *name_arg}}, protocol_version);
    }

    case Tool::kTotp: {
      if (Status s = CheckArgumentNames(arguments, tool, {"name"}); !s.ok()) return fail(s.error());
      auto name_arg = ReadName(arguments);
      if (!name_arg.ok()) return fail(name_arg.error());
      auto code = backend.Totp(*name_arg);
      if (!code.ok()) return fail(code.error());
      std::string text = StringField(*code, "code");
      if (text.empty() || !code->contains("remaining") || !(*code)["remaining"].is_number_integer()) {
        return fail(MakeError(ErrorCode::kInternal, "the server's TOTP answer had no code: report this to the admin"));
      }
      return Success({{"name", *name_arg}, {"code", text}, {"remaining", (*code)["remaining"].get<int>()}},
                     protocol_version);
    }
  }
  return Failure("unknown tool: use one of " + Names());
}

}  // namespace coffer::mcp
