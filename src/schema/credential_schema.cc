#include "schema/credential_schema.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <type_traits>

#include "core/secure_wipe.h"
#include "core/time.h"
#include "formats/otpauth_uri.h"
#include "schema/pem.h"
#include "schema/url.h"

namespace coffer {
namespace {

using K = FieldKind;

constexpr int64_t kMaxPort = 65535;

std::vector<TypeSchema> BuildSchemas() {
  std::vector<TypeSchema> s;
  s.push_back(TypeSchema{
      CredentialType::kLogin,
      "A username and password for a website or service, optionally with its 2FA (TOTP) secret.",
      {
          {.name = "password", .required = true, .secret = true, .description = "The password."},
          {.name = "username", .aliases = {"user", "login"},
           .description = "The account name or email to sign in with."},
          {.name = "url", .aliases = {"uri", "website"}, .kind = K::kUrl, .description = "Where to sign in.",
           .example = "https://github.com/login"},
          {.name = "totpSecret", .aliases = {"totp_secret", "totp"}, .secret = true, .kind = K::kTotpSecret,
           .description = "The 2FA secret: base32, or the otpauth:// URI of its QR code. Coffer then "
                          "generates the codes.",
           .example = "JBSWY3DPEHPK3PXP"},
      }});
  s.push_back(TypeSchema{
      CredentialType::kApiKey,
      "An API key or token for a third-party service.",
      {
          {.name = "apiKey", .aliases = {"key", "api_key", "token"}, .required = true, .secret = true,
           .description = "The API key or token.", .example = "sk_live_..."},
          {.name = "apiSecret", .aliases = {"api_secret", "secret"}, .secret = true,
           .description = "The secret half, for services that issue a key and a secret."},
          {.name = "baseUrl", .aliases = {"base_url", "endpoint"}, .kind = K::kUrl,
           .description = "The API's base URL, when it is not the service's default.",
           .example = "https://api.example.com/v1"},
      }});
  s.push_back(TypeSchema{
      CredentialType::kOAuth,
      "OAuth 2.0 tokens. With a refresh token, token URL and client credentials the access token can be "
      "refreshed before it expires.",
      {
          {.name = "accessToken", .aliases = {"access_token"}, .secret = true,
           .description = "The access token."},
          {.name = "refreshToken", .aliases = {"refresh_token"}, .secret = true,
           .description = "The refresh token, to obtain new access tokens."},
          {.name = "expiresAt", .aliases = {"expires_at"}, .kind = K::kTimestamp,
           .description = "When the access token expires: ISO 8601 or Unix seconds.",
           .example = "2026-12-31T00:00:00Z"},
          {.name = "tokenUrl", .aliases = {"token_url"}, .kind = K::kUrl,
           .description = "The provider's token endpoint, used to refresh.",
           .example = "https://oauth2.googleapis.com/token"},
          {.name = "clientId", .aliases = {"client_id"}, .description = "The OAuth client ID."},
          {.name = "clientSecret", .aliases = {"client_secret"}, .secret = true,
           .description = "The OAuth client secret."},
          {.name = "scopes", .aliases = {"scope"}, .kind = K::kStringList,
           .description = "Granted scopes: space-separated text or an array.", .example = "openid email"},
          {.name = "tokenType", .aliases = {"token_type"}, .description = "The token type, usually Bearer.",
           .example = "Bearer"},
      },
      {{"accessToken", "refreshToken"}}});
  s.push_back(TypeSchema{
      CredentialType::kTotp,
      "A TOTP seed (RFC 6238): Coffer generates the current 2FA code from it.",
      {
          {.name = "secret", .required = true, .secret = true, .kind = K::kBase32,
           .description = "The base32 secret shown when 2FA is set up (or inside its QR code).",
           .example = "JBSWY3DPEHPK3PXP"},
          {.name = "digits", .kind = K::kInteger, .description = "Code length.", .allowed = {6, 8},
           .default_value = 6},
          {.name = "period", .kind = K::kInteger, .description = "Seconds each code is valid.", .minimum = 1,
           .default_value = 30},
          {.name = "algorithm", .kind = K::kEnum, .description = "The HMAC hash.",
           .choices = {"SHA1", "SHA256", "SHA512"}, .default_value = "SHA1"},
      }});
  s.push_back(TypeSchema{
      CredentialType::kSshKey,
      "An SSH private key, optionally with where it logs in.",
      {
          {.name = "privateKey", .aliases = {"private_key", "key"}, .required = true, .secret = true,
           .kind = K::kSshPrivateKey, .description = "The private key file's contents (OpenSSH or PEM format).",
           .example = "-----BEGIN OPENSSH PRIVATE KEY-----"},
          {.name = "publicKey", .aliases = {"public_key"}, .kind = K::kSshPublicKey,
           .description = "The .pub line.", .example = "ssh-ed25519 AAAAC3Nza... agent@host"},
          {.name = "passphrase", .secret = true, .description = "The passphrase, if the key is encrypted."},
          {.name = "username", .aliases = {"user"}, .description = "The user to log in as."},
          {.name = "host", .description = "The server.", .example = "git.example.com"},
          {.name = "port", .kind = K::kInteger, .description = "The SSH port.", .minimum = 1,
           .maximum = kMaxPort, .default_value = 22},
      }});
  s.push_back(TypeSchema{
      CredentialType::kDatabase,
      "Database access: a connection URL, or host and credentials.",
      {
          {.name = "url", .aliases = {"connectionString", "connection_string", "uri", "dsn"}, .secret = true,
           .kind = K::kUrl, .description = "The connection URL (it usually contains the password).",
           .example = "postgres://app:password@db.example.com:5432/app"},
          {.name = "host", .description = "The database server.", .example = "db.example.com"},
          {.name = "port", .kind = K::kInteger, .description = "The port.", .minimum = 1, .maximum = kMaxPort},
          {.name = "user", .aliases = {"username"}, .description = "The database user."},
          {.name = "password", .secret = true, .description = "The user's password."},
          {.name = "database", .aliases = {"dbname", "database_name"}, .description = "The database name."},
      },
      {{"url", "host"}}});
  s.push_back(TypeSchema{
      CredentialType::kSmtp,
      "An SMTP account for sending mail.",
      {
          {.name = "host", .required = true, .description = "The SMTP server.", .example = "smtp.gmail.com"},
          {.name = "port", .kind = K::kInteger, .description = "The port: 587 (STARTTLS) or 465 (TLS).",
           .minimum = 1, .maximum = kMaxPort, .default_value = 587},
          {.name = "username", .aliases = {"user"}, .description = "The login, usually the email address."},
          {.name = "password", .aliases = {"pass"}, .required = true, .secret = true,
           .description = "The password or app password."},
          {.name = "from", .aliases = {"from_address", "fromAddress"}, .description = "The sender address.",
           .example = "agent@example.com"},
      }});
  s.push_back(TypeSchema{
      CredentialType::kAws,
      "AWS access keys.",
      {
          {.name = "accessKeyId", .aliases = {"access_key_id", "aws_access_key_id"}, .required = true,
           .description = "The access key ID.", .example = "AKIAIOSFODNN7EXAMPLE"},
          {.name = "secretAccessKey", .aliases = {"secret_access_key", "aws_secret_access_key"},
           .required = true, .secret = true, .description = "The secret access key."},
          {.name = "region", .aliases = {"aws_region"}, .description = "The default region.",
           .example = "us-east-1"},
          {.name = "sessionToken", .aliases = {"session_token", "aws_session_token"}, .secret = true,
           .description = "The session token of temporary (ASIA...) credentials."},
      }});
  s.push_back(TypeSchema{
      CredentialType::kCertificate,
      "An X.509 certificate in PEM, with its private key and chain when it is used for TLS or signing.",
      {
          {.name = "certificate", .aliases = {"cert"}, .required = true, .kind = K::kPemCertificates,
           .description = "The certificate (PEM).", .example = "-----BEGIN CERTIFICATE-----"},
          {.name = "privateKey", .aliases = {"private_key", "key"}, .secret = true, .kind = K::kPemPrivateKey,
           .description = "The certificate's private key (PEM).", .example = "-----BEGIN PRIVATE KEY-----"},
          {.name = "chain", .aliases = {"ca", "ca_chain", "caChain"}, .kind = K::kPemCertificates,
           .description = "Intermediate certificates (PEM)."},
          {.name = "passphrase", .secret = true,
           .description = "The passphrase, if the private key is encrypted."},
      }});
  s.push_back(TypeSchema{CredentialType::kCustom,
                         "Any fields you choose (at least one); all of them are treated as secret.", {}});
  return s;
}

const std::vector<TypeSchema>& Schemas() {
  static const std::vector<TypeSchema> schemas = BuildSchemas();
  return schemas;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
         });
}

// "a", "a or b", "a, b or c"
std::string JoinOr(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " or " : ", ";
    out += items[i];
  }
  return out;
}

template <typename Range>
std::string JoinOr(const Range& items) {
  std::vector<std::string> strings;
  for (const auto& item : items) {
    if constexpr (std::is_arithmetic_v<std::decay_t<decltype(item)>>) {
      strings.push_back(std::to_string(item));
    } else {
      strings.emplace_back(item);
    }
  }
  return JoinOr(strings);
}

// The names a field answers to, canonical first.
std::vector<std::string_view> Spellings(const FieldSpec& field) {
  std::vector<std::string_view> names{field.name};
  names.insert(names.end(), field.aliases.begin(), field.aliases.end());
  return names;
}

const FieldSpec* FindSpec(const TypeSchema& schema, std::string_view name) {
  for (const auto& f : schema.fields) {
    for (std::string_view n : Spellings(f)) {
      if (n == name) return &f;
    }
  }
  return nullptr;
}

// The spellings of `field` present in `data` with a non-null value.
std::vector<std::string_view> PresentSpellings(const FieldSpec& field, const nlohmann::json& data) {
  std::vector<std::string_view> present;
  for (std::string_view n : Spellings(field)) {
    auto it = data.find(n);
    if (it != data.end() && !it->is_null()) present.push_back(n);
  }
  return present;
}

// How messages name a field: as the user spelled it, "data.key".
std::string PathOf(std::string_view spelling) { return "data." + std::string(spelling); }

Error Invalid(const std::string& path, std::string_view what) {
  return MakeError(ErrorCode::kValidation, path + " " + std::string(what));
}

// JSON integers, and strings of digits (what HTML forms and .env files produce).
std::optional<int64_t> AsInteger(const nlohmann::json& value) {
  if (value.is_number_unsigned()) {
    const uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (value.is_number_integer()) return value.get<int64_t>();
  if (!value.is_string()) return std::nullopt;
  const auto& s = value.get_ref<const std::string&>();
  const bool digits = std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (s.empty() || s.size() > 18 || !digits) return std::nullopt;
  int64_t out = 0;
  std::from_chars(s.data(), s.data() + s.size(), out);
  return out;
}

bool IsNonEmptyString(const nlohmann::json& value) {
  return value.is_string() && !value.get_ref<const std::string&>().empty();
}

std::optional<std::string_view> Passphrase(CredentialType type, const nlohmann::json& data) {
  const nlohmann::json* p = FindField(type, data, "passphrase");
  if (p == nullptr || !p->is_string()) return std::nullopt;
  return std::string_view(p->get_ref<const std::string&>());
}

bool IntegerAllowed(const FieldSpec& field, int64_t n) {
  if (!field.allowed.empty()) {
    return std::find(field.allowed.begin(), field.allowed.end(), n) != field.allowed.end();
  }
  return (!field.minimum || n >= *field.minimum) && (!field.maximum || n <= *field.maximum);
}

std::string IntegerRule(const FieldSpec& field) {
  if (!field.allowed.empty()) return "must be " + JoinOr(field.allowed);
  if (field.minimum && field.maximum) {
    return "must be a whole number from " + std::to_string(*field.minimum) + " to " +
           std::to_string(*field.maximum);
  }
  if (field.minimum) return "must be a whole number of at least " + std::to_string(*field.minimum);
  return "must be a whole number";
}

// Kinds whose value is text; the others also accept numbers or arrays.
bool IsTextKind(FieldKind kind) {
  return kind != K::kInteger && kind != K::kTimestamp && kind != K::kStringList;
}

Status CheckValue(CredentialType type, const FieldSpec& field, const std::string& path,
                  const nlohmann::json& value, const nlohmann::json& data) {
  if (IsTextKind(field.kind) && !IsNonEmptyString(value)) return Invalid(path, "must be a non-empty string");
  const std::string_view text = value.is_string() ? value.get_ref<const std::string&>() : std::string_view();

  switch (field.kind) {
    case K::kString:
      return Status::Ok();
    case K::kBase32:
      if (Status s = crypto::ValidateBase32Secret(text); !s.ok()) return Invalid(path, s.error().message);
      return Status::Ok();
    case K::kTotpSecret:
      if (IsOtpauthUri(text)) {
        auto uri = ParseOtpauthUri(text);
        if (!uri.ok()) return MakeError(ErrorCode::kValidation, path + ": " + uri.error().message);
        return Status::Ok();
      }
      if (Status s = crypto::ValidateBase32Secret(text); !s.ok()) {
        return Invalid(path, "must be a base32 secret or an otpauth:// URI, but it " + s.error().message);
      }
      return Status::Ok();
    case K::kInteger: {
      const std::optional<int64_t> n = AsInteger(value);
      if (!n || !IntegerAllowed(field, *n)) return Invalid(path, IntegerRule(field));
      return Status::Ok();
    }
    case K::kEnum:
      if (std::none_of(field.choices.begin(), field.choices.end(),
                       [&](std::string_view c) { return EqualsIgnoringCase(c, text); })) {
        return Invalid(path, "must be one of " + JoinOr(field.choices));
      }
      return Status::Ok();
    case K::kUrl:
      if (!SplitUrl(text)) {
        return Invalid(path, "must be a URL with a scheme and no spaces, such as " + std::string(field.example));
      }
      return Status::Ok();
    case K::kTimestamp: {
      const bool ok = value.is_string() ? ParseIso8601(text).has_value() : AsInteger(value).has_value();
      if (!ok) {
        return Invalid(path,
                       "must be an ISO 8601 time such as 2026-12-31T00:00:00Z, or a whole number of Unix seconds");
      }
      return Status::Ok();
    }
    case K::kStringList: {
      const bool ok = IsNonEmptyString(value) ||
                      (value.is_array() && std::all_of(value.begin(), value.end(), IsNonEmptyString));
      if (!ok) {
        return Invalid(path, "must be a string of space-separated values or an array of non-empty strings");
      }
      return Status::Ok();
    }
    case K::kPemCertificates:
      return CheckPemCertificates(path, text);
    case K::kPemPrivateKey:
      return CheckPemPrivateKey(path, text, Passphrase(type, data));
    case K::kSshPrivateKey:
      return CheckSshPrivateKey(path, text, Passphrase(type, data));
    case K::kSshPublicKey:
      return CheckSshPublicKey(path, text);
  }
  return Status::Ok();
}

// Checks that need two fields at once: a certificate's private key must be its own.
Status CheckAcrossFields(CredentialType type, const nlohmann::json& data) {
  if (type != CredentialType::kCertificate) return Status::Ok();
  const TypeSchema& schema = SchemaFor(type);
  const std::vector<std::string_view> key = PresentSpellings(*FindSpec(schema, "privateKey"), data);
  const std::vector<std::string_view> cert = PresentSpellings(*FindSpec(schema, "certificate"), data);
  if (key.empty() || cert.empty()) return Status::Ok();
  return CheckKeyMatchesCertificate(PathOf(key[0]), data.at(key[0]).get_ref<const std::string&>(),
                                    PathOf(cert[0]), data.at(cert[0]).get_ref<const std::string&>(),
                                    Passphrase(type, data));
}

nlohmann::json DescribeField(const FieldSpec& f) {
  nlohmann::json out = {
      {"name", f.name},           {"aliases", f.aliases},         {"required", f.required},
      {"secret", f.secret},       {"kind", FieldKindName(f.kind)}, {"description", f.description},
  };
  if (!f.example.empty()) out["example"] = f.example;
  if (!f.choices.empty()) out["choices"] = f.choices;
  if (!f.allowed.empty()) out["allowed"] = f.allowed;
  if (f.minimum) out["minimum"] = *f.minimum;
  if (f.maximum) out["maximum"] = *f.maximum;
  if (!f.default_value.is_null()) out["default"] = f.default_value;
  return out;
}

}  // namespace

std::string_view FieldKindName(FieldKind kind) {
  switch (kind) {
    case K::kString: return "string";
    case K::kBase32: return "base32";
    case K::kTotpSecret: return "totp_secret";
    case K::kInteger: return "integer";
    case K::kEnum: return "enum";
    case K::kUrl: return "url";
    case K::kTimestamp: return "timestamp";
    case K::kStringList: return "string_list";
    case K::kPemCertificates: return "pem_certificates";
    case K::kPemPrivateKey: return "pem_private_key";
    case K::kSshPrivateKey: return "ssh_private_key";
    case K::kSshPublicKey: return "ssh_public_key";
  }
  return "string";
}

const TypeSchema& SchemaFor(CredentialType type) {
  for (const auto& s : Schemas()) {
    if (s.type == type) return s;
  }
  return Schemas().back();  // CUSTOM
}

Status ValidateCredentialData(CredentialType type, const nlohmann::json& data) {
  if (!data.is_object()) return MakeError(ErrorCode::kValidation, "data must be a JSON object of fields");
  const TypeSchema& schema = SchemaFor(type);
  if (type == CredentialType::kCustom && data.empty()) {
    return MakeError(ErrorCode::kValidation, "data must have at least one field for a CUSTOM credential");
  }
  for (const FieldSpec& field : schema.fields) {
    const std::vector<std::string_view> present = PresentSpellings(field, data);
    if (present.size() > 1) {
      return Invalid(PathOf(present[0]) + " and " + PathOf(present[1]), "are the same field: keep one");
    }
    if (present.empty()) {
      if (!field.required) continue;
      const std::string also = field.aliases.empty() ? "" : " (also accepted as " + JoinOr(field.aliases) + ")";
      return Invalid(PathOf(field.name) + also, "is required for " + std::string(CredentialTypeName(type)) +
                                                    ": " + std::string(field.description));
    }
    COFFER_TRY(CheckValue(type, field, PathOf(present[0]), data.at(present[0]), data));
  }
  for (const auto& group : schema.require_one_of) {
    const bool any = std::any_of(group.begin(), group.end(),
                                 [&](std::string_view name) { return FindField(type, data, name) != nullptr; });
    if (!any) {
      return MakeError(ErrorCode::kValidation, std::string(CredentialTypeName(type)) + " data needs " +
                                                   JoinOr(group) + " (at least one of them)");
    }
  }
  return CheckAcrossFields(type, data);
}

nlohmann::json DescribeTypes() {
  nlohmann::json types = nlohmann::json::array();
  for (const TypeSchema& schema : Schemas()) {
    nlohmann::json fields = nlohmann::json::array();
    for (const FieldSpec& f : schema.fields) fields.push_back(DescribeField(f));
    nlohmann::json type = {{"type", CredentialTypeName(schema.type)},
                           {"description", schema.description},
                           {"fields", std::move(fields)},
                           {"requireOneOf", schema.require_one_of},
                           {"extraFields", schema.type == CredentialType::kCustom ? "secret" : "allowed"}};
    types.push_back(std::move(type));
  }
  return {{"types", std::move(types)}};
}

const nlohmann::json* FindField(CredentialType type, const nlohmann::json& data,
                                std::string_view canonical_name) {
  if (!data.is_object()) return nullptr;
  const FieldSpec* spec = FindSpec(SchemaFor(type), canonical_name);
  if (spec == nullptr) return nullptr;
  for (std::string_view n : Spellings(*spec)) {
    auto it = data.find(n);
    if (it != data.end() && !it->is_null()) return &*it;
  }
  return nullptr;
}

std::vector<std::string> SecretFieldNames(CredentialType type) {
  std::vector<std::string> names;
  for (const FieldSpec& f : SchemaFor(type).fields) {
    if (!f.secret) continue;
    for (std::string_view n : Spellings(f)) names.emplace_back(n);
  }
  return names;
}

bool IsSecretField(CredentialType type, std::string_view field_name) {
  const FieldSpec* spec = FindSpec(SchemaFor(type), field_name);
  return spec == nullptr || spec->secret;
}

std::vector<std::string_view> TotpSecretFieldNames(CredentialType type) {
  if (type == CredentialType::kTotp) return Spellings(*FindSpec(SchemaFor(type), "secret"));
  if (type == CredentialType::kLogin) return Spellings(*FindSpec(SchemaFor(type), "totpSecret"));
  return {};
}

TotpSetup::~TotpSetup() { SecureWipe(secret); }

Result<TotpSetup> ReadTotpSetup(CredentialType type, const nlohmann::json& data) {
  const std::vector<std::string_view> names = TotpSecretFieldNames(type);
  if (names.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(CredentialTypeName(type)) +
                         " credentials have no TOTP secret: codes come from TOTP credentials and from LOGIN "
                         "credentials with a totpSecret");
  }
  if (FindField(type, data, names[0]) == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "this credential has no data." + std::string(names[0]) + " to generate TOTP codes from");
  }
  // Validation has then checked every value read below.
  COFFER_TRY(ValidateCredentialData(type, data));
  const std::string& text = FindField(type, data, names[0])->get_ref<const std::string&>();
  TotpSetup setup;
  if (IsOtpauthUri(text)) {
    auto uri = ParseOtpauthUri(text);
    if (!uri.ok()) return uri.error();
    setup.secret = uri->secret;
    setup.params = uri->params;
    return setup;
  }
  setup.secret = text;
  if (const nlohmann::json* digits = FindField(type, data, "digits")) {
    setup.params.digits = static_cast<int>(*AsInteger(*digits));
  }
  if (const nlohmann::json* period = FindField(type, data, "period")) {
    setup.params.period_seconds = *AsInteger(*period);
  }
  if (const nlohmann::json* algorithm = FindField(type, data, "algorithm")) {
    setup.params.algorithm = *crypto::ParseOtpAlgorithm(algorithm->get_ref<const std::string&>());
  }
  return setup;
}

}  // namespace coffer
