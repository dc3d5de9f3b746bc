#include "core/credential.h"

#include "core/secure_wipe.h"

namespace coffer {
namespace {

struct TypeName {
  CredentialType type;
  std::string_view name;
};

constexpr TypeName kTypeNames[] = {
    {CredentialType::kLogin, "LOGIN"},       {CredentialType::kApiKey, "API_KEY"},
    {CredentialType::kOAuth, "OAUTH"},       {CredentialType::kTotp, "TOTP"},
    {CredentialType::kSshKey, "SSH_KEY"},    {CredentialType::kDatabase, "DATABASE"},
    {CredentialType::kSmtp, "SMTP"},         {CredentialType::kAws, "AWS"},
    {CredentialType::kCertificate, "CERTIFICATE"}, {CredentialType::kCustom, "CUSTOM"},
};

bool IsNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-' || c == ':';
}

}  // namespace

std::string_view CredentialTypeName(CredentialType type) {
  for (const auto& t : kTypeNames) {
    if (t.type == type) return t.name;
  }
  return "CUSTOM";
}

std::optional<CredentialType> ParseCredentialType(std::string_view name) {
  for (const auto& t : kTypeNames) {
    if (t.name == name) return t.type;
  }
  return std::nullopt;
}

std::vector<std::string_view> CredentialTypeNames() {
  std::vector<std::string_view> out;
  for (const auto& t : kTypeNames) out.push_back(t.name);
  return out;
}

std::string CredentialTypeList() {
  std::string out;
  for (const auto& t : kTypeNames) {
    if (!out.empty()) out += ", ";
    out += t.name;
  }
  return out;
}

Status ValidateCredentialName(std::string_view name) {
  if (name.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "credential name is empty: use 1-128 characters of A-Z a-z 0-9 . _ - :");
  }
  if (name.size() > kMaxCredentialNameLength) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "credential name is " + std::to_string(name.size()) +
                         " characters long: the limit is 128");
  }
  if (name == "." || name == "..") {
    // Dot segments: a URL path holding one is rewritten by clients (/v0/vault/. becomes the list).
    return MakeError(ErrorCode::kInvalidArgument, "credential name cannot be . or ..: use at least one other character");
  }
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i])) {
      // Echoing the name is safe (names are not secrets) but a control byte would garble the message.
      return MakeError(ErrorCode::kInvalidArgument,
                       "credential name has a character that is not allowed at position " +
                           std::to_string(i + 1) + ": use only A-Z a-z 0-9 . _ - :");
    }
  }
  return Status::Ok();
}

void WipeJson(nlohmann::json& value) {
  if (value.is_string()) {
    auto& s = value.get_ref<std::string&>();
    SecureWipe(s.data(), s.size());
  } else if (value.is_object() || value.is_array()) {
    for (auto& item : value) WipeJson(item);
  }
}

Credential::~Credential() { WipeJson(data); }

}  // namespace coffer
