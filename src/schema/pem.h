// Checks that PEM (RFC 7468) and OpenSSH key text really parse, through OpenSSL, so a truncated or
// mangled certificate is refused when stored instead of failing when an agent first uses it.
// Each function takes the name of the field being checked (e.g. "data.certificate") and returns a
// message that starts with it, says what the field must be, and never quotes the text.
#pragma once

#include <optional>
#include <string_view>

#include "core/result.h"

namespace coffer {

// One or more -----BEGIN CERTIFICATE----- blocks, every one a valid X.509 certificate.
Status CheckPemCertificates(std::string_view field, std::string_view pem);

// A PEM private key (PKCS#8, PKCS#1 RSA, SEC1 EC...). An encrypted key is decrypted with
// `passphrase` when one is given; without one only its armour and base64 are checked.
Status CheckPemPrivateKey(std::string_view field, std::string_view pem,
                          std::optional<std::string_view> passphrase);

// The first certificate's public key is the public half of the private key. Both are assumed to
// have passed the checks above; an encrypted key without a passphrase is not compared.
Status CheckKeyMatchesCertificate(std::string_view key_field, std::string_view key_pem,
                                  std::string_view cert_field, std::string_view cert_pem,
                                  std::optional<std::string_view> passphrase);

// An SSH private key: OpenSSH's own format (-----BEGIN OPENSSH PRIVATE KEY-----) or PEM.
Status CheckSshPrivateKey(std::string_view field, std::string_view text,
                          std::optional<std::string_view> passphrase);

// An SSH public key line: "<type> <base64> [comment]", e.g. "ssh-ed25519 AAAAC3... me@host".
Status CheckSshPublicKey(std::string_view field, std::string_view text);

}  // namespace coffer
