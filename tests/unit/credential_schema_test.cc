// Per-type data schemas: validation messages, aliases, PEM checks, GET /v0/types, masking and TOTP.
#include "schema/credential_schema.h"

#include <gtest/gtest.h>

#include <string>

namespace coffer {
namespace {

using json = nlohmann::json;
using T = CredentialType;

// Generated for these tests only; they protect nothing.
constexpr std::string_view kCertificate = R"(-----BEGIN CERTIFICATE-----
MIIBgzCCASmgAwIBAgIUKnMA6NPyqR1qr5uw73MreE4c5mAwCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLY29mZmVyLXRlc3QwIBcNMjYxMTIzMDk1MTM2WhgPMjEyNjEw
MzAwOTUxMzZaMBYxFDASBgNVBAMMC2NvZmZlci10ZXN0MFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEf2Xo+g6Xv29MCG5D68Rx3aZ3T2hy7NHlo6cqjRh1sbOXxSqX
aAmftU9yXlfw49q02Edz8ivBgRyscjbpwunoxaNTMFEwHQYDVR0OBBYEFK3KHs/z
GWZhZmspXDuvjGPAqOGnMB8GA1UdIwQYMBaAFK3KHs/zGWZhZmspXDuvjGPAqOGn
MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAPQ3Gf0fF5O517Je
mqN42ft9XcrQIbLDGk1iCy10+ESAAiBoXpFWNJ8Ez7JAZhuSbq+gLFWYVxDFrJUi
nanUwNEBfg==
-----END CERTIFICATE-----
)";
constexpr std::string_view kCertificateKey = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgd+drI+hLDxyn/iVk
3De/G+PUlr+P8pNhw2X6YHr92v2hRANCAAR/Zej6Dpe/b0wIbkPrxHHdpndPaHLs
0eWjpyqNGHWxs5fFKpdoCZ+1T3JeV/Dj2rTYR3PyK8GBHKxyNunC6ejF
-----END PRIVATE KEY-----
)";
constexpr std::string_view kOtherKey = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgVxDFS/JKXZlM05mt
296cixzq4OGbOwfWAlOOclqYFPGhRANCAATjpX4aujrQYQiVftlfBU7SZTeDoV+S
bUNiduN68IMJLiUnpy79AK8IPL1EgydXf3s8ZoIMV5f8uj955JzpLC44
-----END PRIVATE KEY-----
)";
// kCertificateKey encrypted with the passphrase "correct-horse".
constexpr std::string_view kEncryptedKey = R"(-----BEGIN ENCRYPTED PRIVATE KEY-----
MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAiTVfOyX4UnDAICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEENwsq4Id1uCutNE+VmQf2ygEgZDQ
WlEnCVmYzfRBqr2HiA1kF92PuZL1+cc0kJDuYYydhMptcvakuaFMW5stknt1NOLo
kzjgkXblLSUuLA7kTLgqoFH7foa24wmleGFS9KlBqyc5dODEC1b5pr09gh6ufOKv
1obeDnf3MyOnQe7BCeU/l07w+lmjztLgmIJ+Xk3jLBPgLJiYRCpu0Gcm7oIrwDs=
-----END ENCRYPTED PRIVATE KEY-----
)";
constexpr std::string_view kOpenSshKey = R"(-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACAF5SWsS/6I09pQ/a0idiwfKliEkArrifFo9uBEypLDqgAAAJCbTGqtm0xq
rQAAAAtzc2gtZWQyNTUxOQAAACAF5SWsS/6I09pQ/a0idiwfKliEkArrifFo9uBEypLDqg
AAAEAmuUM+OJmdVJigHYTfBkDIFXx9+Tx2qS5B66/09w00+gXlJaxL/ojT2lD9rSJ2LB8q
WISQCuuJ8Wj24ETKksOqAAAADGFnZW50QGNvZmZlcgE=
-----END OPENSSH PRIVATE KEY-----
)";
constexpr std::string_view kSshPublicKey =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAXlJaxL/ojT2lD9rSJ2LB8qWISQCuuJ8Wj24ETKksOq agent@coffer";

// The message of a validation failure, checked to name `field` and never to contain `secret`.
std::string Violation(T type, const json& data, std::string_view field, std::string_view secret = {}) {
  Status status = ValidateCredentialData(type, data);
  EXPECT_FALSE(status.ok()) << data.dump();
  if (status.ok()) return "";
  EXPECT_EQ(status.error().code, ErrorCode::kValidation);
  EXPECT_NE(status.error().message.find(field), std::string::npos) << status.error().message;
  if (!secret.empty()) {
    EXPECT_EQ(status.error().message.find(secret), std::string::npos) << status.error().message;
  }
  return status.error().message;
}

void ExpectValid(T type, const json& data) {
  Status status = ValidateCredentialData(type, data);
  EXPECT_TRUE(status.ok()) << CredentialTypeName(type) << " " << data.dump() << ": "
                           << (status.ok() ? "" : status.error().message);
}

std::string Damage(std::string_view pem) {
  std::string damaged(pem);
  damaged.replace(damaged.find('\n') + 20, 8, "!!!!!!!!");
  return damaged;
}

TEST(CredentialSchemaTest, AcceptsTheSeedsExamples) {
  ExpectValid(T::kApiKey, {{"apiKey", "sk_live_4eC39HqLyjWDqB"}});
  ExpectValid(T::kApiKey, {{"key", "sk_live_abc123"}});
  ExpectValid(T::kOAuth, {{"access_token", "CLH7sqK"}, {"refresh_token", "CJH7sqK"}});
  ExpectValid(T::kLogin, {{"password", "s3cret!"}});
  ExpectValid(T::kTotp, {{"secret", "JBSWY3DPEHPK3PXP"}});
}

TEST(CredentialSchemaTest, AcceptsAMinimalCredentialOfEveryType) {
  ExpectValid(T::kLogin, {{"password", "p"},
                          {"username", "u"},
                          {"url", "https://x.test"},
                          {"totpSecret", "JBSWY3DPEHPK3PXP"}});
  ExpectValid(T::kApiKey, {{"token", "t"}, {"baseUrl", "https://api.test/v1"}});
  ExpectValid(T::kOAuth, {{"accessToken", "a"}, {"expiresAt", "2026-12-31T00:00:00Z"}, {"scopes", {"a", "b"}},
                          {"tokenUrl", "https://auth.test/token"}, {"clientId", "c"}, {"clientSecret", "s"}});
  ExpectValid(T::kOAuth, {{"refreshToken", "r"}, {"expires_at", 1798675200}, {"scope", "openid email"}});
  ExpectValid(T::kTotp,
              {{"secret", "jbsw y3dp ehpk 3pxp"}, {"digits", 8}, {"period", "60"}, {"algorithm", "sha512"}});
  ExpectValid(T::kSshKey, {{"privateKey", kOpenSshKey}, {"publicKey", kSshPublicKey}, {"port", 22}});
  ExpectValid(T::kDatabase, {{"url", "postgres://app:pw@db:5432/app"}});
  ExpectValid(T::kDatabase,
              {{"host", "db"}, {"port", "5432"}, {"user", "app"}, {"password", "pw"}, {"database", "app"}});
  ExpectValid(T::kSmtp, {{"host", "smtp.test"}, {"port", 587}, {"username", "u"}, {"password", "p"}});
  ExpectValid(T::kAws, {{"accessKeyId", "AKIAIOSFODNN7EXAMPLE"},
                        {"secretAccessKey", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
                        {"region", "us-east-1"}});
  ExpectValid(T::kCertificate,
              {{"certificate", kCertificate}, {"privateKey", kCertificateKey}, {"chain", kCertificate}});
  ExpectValid(T::kCustom, {{"anything", 1}});
}

TEST(CredentialSchemaTest, UnknownFieldsAreAllowed) {
  ExpectValid(T::kApiKey, {{"apiKey", "k"}, {"webhookSecret", "w"}, {"note", {{"any", "json"}}}});
}

TEST(CredentialSchemaTest, MissingRequiredFieldNamesItAndItsAliases) {
  const std::string message = Violation(T::kApiKey, {{"apikey_typo", "k"}}, "data.apiKey");
  EXPECT_NE(message.find("key, api_key or token"), std::string::npos) << message;
  EXPECT_NE(message.find("required"), std::string::npos);
  Violation(T::kLogin, {{"username", "u"}}, "data.password");
  Violation(T::kAws, {{"accessKeyId", "AKIAIOSFODNN7EXAMPLE"}}, "data.secretAccessKey");
  Violation(T::kSmtp, {{"password", "p"}}, "data.host");
  Violation(T::kTotp, {{"secret", nullptr}}, "data.secret");  // null counts as absent
}

TEST(CredentialSchemaTest, OneOfGroups) {
  Violation(T::kOAuth, {{"clientId", "c"}}, "accessToken or refreshToken");
  Violation(T::kDatabase, {{"password", "p"}}, "url or host");
}

TEST(CredentialSchemaTest, TwoSpellingsOfOneFieldAreAmbiguous) {
  Violation(T::kApiKey, {{"apiKey", "a"}, {"key", "b"}}, "data.apiKey and data.key");
}

TEST(CredentialSchemaTest, WrongShapesNameTheFieldAsSpelledAndWhatItMustBe) {
  EXPECT_NE(Violation(T::kApiKey, {{"key", 42}}, "data.key").find("non-empty string"), std::string::npos);
  Violation(T::kLogin, {{"password", ""}}, "data.password");
  EXPECT_NE(Violation(T::kTotp, {{"secret", "JBSWY3DPEHPK3PXP"}, {"digits", 7}}, "data.digits").find("6 or 8"),
            std::string::npos);
  EXPECT_NE(Violation(T::kTotp, {{"secret", "JBSWY3DPEHPK3PXP"}, {"period", 0}}, "data.period").find("at least 1"),
            std::string::npos);
  EXPECT_NE(
      Violation(T::kTotp, {{"secret", "JBSWY3DPEHPK3PXP"}, {"algorithm", "MD5"}}, "data.algorithm").find("SHA256"),
      std::string::npos);
  EXPECT_NE(
      Violation(T::kSmtp, {{"host", "h"}, {"password", "p"}, {"port", 70000}}, "data.port").find("1 to 65535"),
      std::string::npos);
  Violation(T::kSmtp, {{"host", "h"}, {"password", "p"}, {"port", 58.7}}, "data.port");
  Violation(T::kDatabase, {{"connection_string", "dbhost.internal/app"}}, "data.connection_string", "dbhost");
  Violation(T::kOAuth, {{"accessToken", "a"}, {"expiresAt", "next tuesday"}}, "data.expiresAt");
  Violation(T::kOAuth, {{"accessToken", "a"}, {"scopes", {"ok", 3}}}, "data.scopes");
  Violation(T::kSshKey, {{"privateKey", kOpenSshKey}, {"publicKey", "ssh-ed25519 not-base64!"}}, "data.publicKey");
}

TEST(CredentialSchemaTest, InvalidBase32TotpSecretIsRefusedWithItsPosition) {
  const std::string message = Violation(T::kTotp, {{"secret", "JBSWY3DPEHPK3PX1"}}, "data.secret", "JBSWY3DP");
  EXPECT_NE(message.find("position 16"), std::string::npos) << message;
  Violation(T::kLogin, {{"password", "p"}, {"totp_secret", "not base32!"}}, "data.totp_secret", "base32!");
}

TEST(CredentialSchemaTest, LoginTotpSecretMayBeAnOtpauthUri) {
  ExpectValid(T::kLogin, {{"password", "p"}, {"totpSecret", "otpauth://totp/GitHub:bot?secret=JBSWY3DPEHPK3PXP"}});
  const std::string message =
      Violation(T::kLogin, {{"password", "p"}, {"totpSecret", "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP"}},
                "data.totpSecret", "JBSWY3DP");
  EXPECT_NE(message.find("HOTP"), std::string::npos);
}

TEST(CredentialSchemaTest, CertificatesAndKeysMustParse) {
  Violation(T::kCertificate, {{"certificate", Damage(kCertificate)}}, "data.certificate");
  Violation(T::kCertificate, {{"cert", "not a certificate"}}, "data.cert");
  Violation(T::kCertificate, {{"certificate", std::string(kCertificate).substr(0, 200)}}, "truncated");
  Violation(T::kCertificate, {{"certificate", kCertificate}, {"key", Damage(kCertificateKey)}}, "data.key");
  EXPECT_NE(Violation(T::kCertificate, {{"certificate", std::string(kCertificate) + std::string(kCertificateKey)}},
                      "data.certificate")
                .find("private key"),
            std::string::npos);
  Violation(T::kCertificate, {{"certificate", kCertificate}, {"chain", "junk"}}, "data.chain");
}

TEST(CredentialSchemaTest, EscapedNewlinesGetAHint) {
  std::string one_line(kCertificate);
  for (size_t pos; (pos = one_line.find('\n')) != std::string::npos;) one_line.replace(pos, 1, "\\n");
  EXPECT_NE(Violation(T::kCertificate, {{"certificate", one_line}}, "data.certificate").find("real line breaks"),
            std::string::npos);
}

TEST(CredentialSchemaTest, PrivateKeyMustBelongToTheCertificate) {
  const std::string message =
      Violation(T::kCertificate, {{"certificate", kCertificate}, {"privateKey", kOtherKey}}, "data.privateKey");
  EXPECT_NE(message.find("data.certificate"), std::string::npos) << message;
}

TEST(CredentialSchemaTest, EncryptedKeysAreCheckedWithTheirPassphrase) {
  ExpectValid(T::kCertificate, {{"certificate", kCertificate}, {"privateKey", kEncryptedKey}});
  ExpectValid(T::kCertificate,
              {{"certificate", kCertificate}, {"privateKey", kEncryptedKey}, {"passphrase", "correct-horse"}});
  Violation(T::kCertificate,
            {{"certificate", kCertificate}, {"privateKey", kEncryptedKey}, {"passphrase", "wrong"}}, "passphrase",
            "wrong");
}

TEST(CredentialSchemaTest, SshKeys) {
  ExpectValid(T::kSshKey, {{"private_key", kCertificateKey}});  // PEM keys work for SSH too
  Violation(T::kSshKey, {{"privateKey", Damage(kOpenSshKey)}}, "data.privateKey");
  Violation(T::kSshKey, {{"key", "PuTTY-User-Key-File-3: ssh-ed25519\n"}}, "PuTTY");
  Violation(T::kCertificate, {{"certificate", kCertificate}, {"privateKey", kOpenSshKey}}, "OpenSSH");
}

TEST(CredentialSchemaTest, CustomNeedsAnObjectWithAField) {
  Violation(T::kCustom, json::object(), "at least one field");
  Violation(T::kApiKey, json::array({"k"}), "JSON object");
  Violation(T::kCustom, "text", "JSON object");
}

TEST(CredentialSchemaTest, DescribeTypesCoversEveryType) {
  const json doc = DescribeTypes();
  ASSERT_EQ(doc["types"].size(), kAllCredentialTypes.size());
  for (size_t i = 0; i < kAllCredentialTypes.size(); ++i) {
    EXPECT_EQ(doc["types"][i]["type"], CredentialTypeName(kAllCredentialTypes[i]));
    EXPECT_FALSE(doc["types"][i]["description"].get<std::string>().empty());
  }
  const json& login = doc["types"][0];
  EXPECT_EQ(login["fields"][0]["name"], "password");
  EXPECT_EQ(login["fields"][0]["required"], true);
  EXPECT_EQ(login["fields"][0]["secret"], true);
  const json& totp = doc["types"][3];
  EXPECT_EQ(totp["fields"][1]["name"], "digits");
  EXPECT_EQ(totp["fields"][1]["allowed"], json::array({6, 8}));
  EXPECT_EQ(totp["fields"][1]["default"], 6);
  EXPECT_EQ(totp["fields"][3]["choices"], json::array({"SHA1", "SHA256", "SHA512"}));
  EXPECT_EQ(doc["types"][5]["requireOneOf"], json::array({json::array({"url", "host"})}));
  EXPECT_EQ(doc["types"][1]["fields"][0]["aliases"], json::array({"key", "api_key", "token"}));
}

TEST(CredentialSchemaTest, SecretFieldsForMasking) {
  const std::vector<std::string> api = SecretFieldNames(T::kApiKey);
  for (const char* name : {"apiKey", "key", "api_key", "token", "apiSecret"}) {
    EXPECT_NE(std::find(api.begin(), api.end(), name), api.end()) << name;
  }
  EXPECT_FALSE(IsSecretField(T::kApiKey, "baseUrl"));
  EXPECT_FALSE(IsSecretField(T::kAws, "access_key_id"));
  EXPECT_TRUE(IsSecretField(T::kAws, "secretAccessKey"));
  EXPECT_TRUE(IsSecretField(T::kApiKey, "somethingUnknown"));
  EXPECT_TRUE(IsSecretField(T::kCustom, "note"));
}

TEST(CredentialSchemaTest, FindFieldLooksUpAliases) {
  const json data = {{"access_token", "a"}};
  ASSERT_NE(FindField(T::kOAuth, data, "accessToken"), nullptr);
  EXPECT_EQ(*FindField(T::kOAuth, data, "accessToken"), "a");
  EXPECT_EQ(FindField(T::kOAuth, data, "refreshToken"), nullptr);
}

TEST(CredentialSchemaTest, TotpSecretFields) {
  EXPECT_EQ(TotpSecretFieldNames(T::kTotp), (std::vector<std::string_view>{"secret"}));
  EXPECT_EQ(TotpSecretFieldNames(T::kLogin).front(), "totpSecret");
  EXPECT_TRUE(TotpSecretFieldNames(T::kApiKey).empty());
}

TEST(CredentialSchemaTest, ReadTotpSetup) {
  auto totp = ReadTotpSetup(
      T::kTotp, {{"secret", "JBSWY3DPEHPK3PXP"}, {"digits", "8"}, {"period", 60}, {"algorithm", "sha256"}});
  ASSERT_TRUE(totp.ok()) << totp.error().message;
  EXPECT_EQ(totp->secret, "JBSWY3DPEHPK3PXP");
  EXPECT_EQ(totp->params.digits, 8);
  EXPECT_EQ(totp->params.period_seconds, 60);
  EXPECT_EQ(totp->params.algorithm, crypto::OtpAlgorithm::kSha256);

  auto login =
      ReadTotpSetup(T::kLogin, {{"password", "p"}, {"totp", "otpauth://totp/x?secret=GEZDGNBV&period=45"}});
  ASSERT_TRUE(login.ok()) << login.error().message;
  EXPECT_EQ(login->secret, "GEZDGNBV");
  EXPECT_EQ(login->params.period_seconds, 45);

  auto plain_login = ReadTotpSetup(T::kLogin, {{"password", "p"}, {"totpSecret", "GEZDGNBV"}});
  ASSERT_TRUE(plain_login.ok());
  EXPECT_EQ(plain_login->params.digits, 6);

  auto none = ReadTotpSetup(T::kLogin, {{"password", "p"}});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("totpSecret"), std::string::npos);
  EXPECT_FALSE(ReadTotpSetup(T::kApiKey, {{"apiKey", "k"}}).ok());
  EXPECT_FALSE(ReadTotpSetup(T::kTotp, {{"secret", "JBSWY3DPEHPK3PXP"}, {"digits", 9}}).ok());
}

}  // namespace
}  // namespace coffer
