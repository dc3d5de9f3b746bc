#include "schema/pem.h"

#include <memory>
#include <string>
#include <vector>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/secure_wipe.h"
#include "crypto/encoding.h"

namespace coffer {
namespace {

struct PemBlock {
  std::string label;      // "CERTIFICATE", "RSA PRIVATE KEY"...
  std::string_view text;  // from -----BEGIN to the end of -----END ...-----
  std::string_view body;  // between the two lines: optional headers, then base64
};

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kDashes = "-----";

Error Invalid(std::string_view field, const std::string& what) {
  return MakeError(ErrorCode::kValidation, std::string(field) + " " + what);
}

// Values pasted out of JSON or a one-line .env often carry "\n" as two characters; PEM then cannot
// parse, and saying why saves a puzzled user.
std::string EscapedNewlineHint(std::string_view text) {
  if (text.find('\n') == std::string_view::npos && text.find("\\n") != std::string_view::npos) {
    return " (its line breaks are written as the two characters \\n: use real line breaks)";
  }
  return "";
}

Result<std::vector<PemBlock>> FindPemBlocks(std::string_view field, std::string_view text) {
  std::vector<PemBlock> blocks;
  size_t pos = 0;
  while ((pos = text.find(kBegin, pos)) != std::string_view::npos) {
    const size_t label_begin = pos + kBegin.size();
    const size_t label_end = text.find(kDashes, label_begin);
    const size_t line_end = text.find('\n', label_begin);
    if (label_end == std::string_view::npos || (line_end != std::string_view::npos && label_end > line_end)) {
      return Invalid(field, "has a malformed -----BEGIN line");
    }
    std::string label(text.substr(label_begin, label_end - label_begin));
    const std::string end_line = "-----END " + label + "-----";
    const size_t body_begin = label_end + kDashes.size();
    const size_t end = text.find(end_line, body_begin);
    if (end == std::string_view::npos) {
      // Labels are fixed words such as CERTIFICATE, never secret.
      return Invalid(field, "has a -----BEGIN " + label + "----- line without its matching " + end_line +
                                " line: the text looks truncated" + EscapedNewlineHint(text));
    }
    blocks.push_back(PemBlock{std::move(label), text.substr(pos, end + end_line.size() - pos),
                              text.substr(body_begin, end - body_begin)});
    pos = end + end_line.size();
  }
  return blocks;
}

bool IsPrivateKeyLabel(std::string_view label) { return label.ends_with("PRIVATE KEY"); }

// RFC 1421 headers ("Proc-Type: 4,ENCRYPTED") mark legacy encrypted keys.
bool IsEncrypted(const PemBlock& block) {
  return block.label == "ENCRYPTED PRIVATE KEY" || block.body.find("ENCRYPTED") != std::string_view::npos;
}

// The body's base64 decodes (headers skipped). Used where OpenSSL cannot look inside.
bool Base64BodyDecodes(std::string_view body, std::vector<uint8_t>* decoded_out = nullptr) {
  std::string base64;
  base64.reserve(body.size());
  size_t line_begin = 0;
  while (line_begin < body.size()) {
    size_t line_end = body.find('\n', line_begin);
    if (line_end == std::string_view::npos) line_end = body.size();
    const std::string_view line = body.substr(line_begin, line_end - line_begin);
    if (line.find(':') == std::string_view::npos) {  // not a header
      for (char c : line) {
        if (c != ' ' && c != '\t' && c != '\r') base64.push_back(c);
      }
    }
    line_begin = line_end + 1;
  }
  auto decoded = crypto::Base64Decode(base64);
  SecureWipe(base64);
  if (!decoded || decoded->empty()) return false;
  if (decoded_out != nullptr) {
    *decoded_out = std::move(*decoded);
  } else {
    SecureWipe(decoded->data(), decoded->size());
  }
  return true;
}

struct BioDeleter { void operator()(BIO* b) const { BIO_free(b); } };
struct X509Deleter { void operator()(X509* x) const { X509_free(x); } };
struct PkeyDeleter { void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); } };

std::unique_ptr<BIO, BioDeleter> MemoryBio(std::string_view text) {
  return std::unique_ptr<BIO, BioDeleter>(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Supplies the passphrase, or refuses: with no callback OpenSSL would prompt on the terminal.
int PassphraseCallback(char* buf, int size, int /*rwflag*/, void* user_data) {
  const auto* passphrase = static_cast<const std::optional<std::string_view>*>(user_data);
  if (passphrase == nullptr || !passphrase->has_value()) return -1;
  const std::string_view p = **passphrase;
  if (p.size() > static_cast<size_t>(size)) return -1;
  std::copy(p.begin(), p.end(), buf);
  return static_cast<int>(p.size());
}

std::unique_ptr<EVP_PKEY, PkeyDeleter> ReadPrivateKey(std::string_view block,
                                                      std::optional<std::string_view> passphrase) {
  auto bio = MemoryBio(block);
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, PassphraseCallback, &passphrase));
  ERR_clear_error();  // a failed parse leaves errors queued for whoever calls OpenSSL next
  return key;
}

std::unique_ptr<X509, X509Deleter> ReadCertificate(std::string_view block) {
  auto bio = MemoryBio(block);
  std::unique_ptr<X509, X509Deleter> cert(PEM_read_bio_X509(bio.get(), nullptr, PassphraseCallback, nullptr));
  ERR_clear_error();
  return cert;
}

// The single private key block of `text`, or an error saying what is there instead.
Result<PemBlock> FindPrivateKeyBlock(std::string_view field, std::string_view text) {
  auto blocks = FindPemBlocks(field, text);
  if (!blocks.ok()) return blocks.error();
  std::vector<PemBlock> keys;
  for (auto& b : *blocks) {
    if (IsPrivateKeyLabel(b.label)) keys.push_back(std::move(b));
  }
  if (keys.empty()) {
    const std::string found =
        blocks->empty() ? ": no PEM block was found" + EscapedNewlineHint(text) : ": it has no PRIVATE KEY block";
    return Invalid(field, "must be a PEM private key (-----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY-----)" +
                              found);
  }
  if (keys.size() > 1) return Invalid(field, "has " + std::to_string(keys.size()) + " private keys: store one");
  return std::move(keys.front());
}

}  // namespace

Status CheckPemCertificates(std::string_view field, std::string_view pem) {
  auto blocks = FindPemBlocks(field, pem);
  if (!blocks.ok()) return blocks.error();
  int certificates = 0;
  for (const auto& block : *blocks) {
    if (IsPrivateKeyLabel(block.label)) {
      return Invalid(field, "contains a private key: certificates are public, so put the key in its own "
                            "field (privateKey), where it is kept secret");
    }
    if (block.label != "CERTIFICATE") continue;
    ++certificates;
    if (!ReadCertificate(block.text)) {
      return Invalid(field, "has a certificate (number " + std::to_string(certificates) +
                                ") that does not parse as X.509: its base64 is damaged or truncated" +
                                EscapedNewlineHint(pem));
    }
  }
  if (certificates == 0) {
    const std::string found =
        blocks->empty() ? ": no PEM block was found" + EscapedNewlineHint(pem) : ": it has no CERTIFICATE block";
    return Invalid(field, "must be a PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)" +
                              found);
  }
  return Status::Ok();
}

Status CheckPemPrivateKey(std::string_view field, std::string_view pem,
                          std::optional<std::string_view> passphrase) {
  auto block = FindPrivateKeyBlock(field, pem);
  if (!block.ok()) return block.error();
  if (block->label == "OPENSSH PRIVATE KEY") {
    return Invalid(field, "is an OpenSSH-format key, which TLS software cannot read: convert it with "
                          "`ssh-keygen -p -m PEM -f <file>`");
  }
  const bool encrypted = IsEncrypted(*block);
  if (encrypted && !passphrase) {
    if (!Base64BodyDecodes(block->body)) {
      return Invalid(field, "is an encrypted private key whose base64 is damaged or truncated");
    }
    return Status::Ok();
  }
  if (!ReadPrivateKey(block->text, passphrase)) {
    if (encrypted) return Invalid(field, "could not be decrypted with the passphrase given (or it is damaged)");
    return Invalid(field, "does not parse as a private key: its base64 is damaged or truncated" +
                              EscapedNewlineHint(pem));
  }
  return Status::Ok();
}

Status CheckKeyMatchesCertificate(std::string_view key_field, std::string_view key_pem,
                                  std::string_view cert_field, std::string_view cert_pem,
                                  std::optional<std::string_view> passphrase) {
  auto key_block = FindPrivateKeyBlock(key_field, key_pem);
  auto cert_blocks = FindPemBlocks(cert_field, cert_pem);
  if (!key_block.ok() || !cert_blocks.ok()) return Status::Ok();  // reported by the checks above
  if (IsEncrypted(*key_block) && !passphrase) return Status::Ok();
  auto key = ReadPrivateKey(key_block->text, passphrase);
  std::unique_ptr<X509, X509Deleter> cert;
  for (const auto& b : *cert_blocks) {
    if (b.label == "CERTIFICATE") {
      cert = ReadCertificate(b.text);
      break;
    }
  }
  if (!key || !cert) return Status::Ok();
  if (EVP_PKEY_eq(X509_get0_pubkey(cert.get()), key.get()) != 1) {
    ERR_clear_error();
    return Invalid(key_field,
                   "is not the private key of the (first) certificate in " + std::string(cert_field));
  }
  return Status::Ok();
}

Status CheckSshPrivateKey(std::string_view field, std::string_view text,
                          std::optional<std::string_view> passphrase) {
  if (text.find("PuTTY-User-Key-File") != std::string_view::npos) {
    return Invalid(field, "is a PuTTY key: export it in OpenSSH format (PuTTYgen: Conversions > Export "
                          "OpenSSH key)");
  }
  auto block = FindPrivateKeyBlock(field, text);
  if (!block.ok()) return block.error();
  if (block->label != "OPENSSH PRIVATE KEY") return CheckPemPrivateKey(field, text, passphrase);

  // OpenSSL cannot read this format; its base64 must decode to the "openssh-key-v1\0" magic.
  std::vector<uint8_t> decoded;
  constexpr std::string_view kMagic{"openssh-key-v1\0", 15};
  const bool ok = Base64BodyDecodes(block->body, &decoded) && decoded.size() > kMagic.size() &&
                  std::equal(kMagic.begin(), kMagic.end(), decoded.begin());
  SecureWipe(decoded.data(), decoded.size());
  if (!ok) return Invalid(field, "is not a valid OpenSSH private key: its base64 is damaged or truncated");
  return Status::Ok();
}

Status CheckSshPublicKey(std::string_view field, std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  size_t type_end = 0;
  while (type_end < text.size() && !is_space(text[type_end])) ++type_end;
  const std::string_view type = text.substr(0, type_end);
  std::string_view rest = text.substr(type_end);
  while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
  size_t blob_end = 0;
  while (blob_end < rest.size() && !is_space(rest[blob_end])) ++blob_end;

  const Error error = Invalid(field, "must be an SSH public key line such as \"ssh-ed25519 AAAAC3Nza... "
                                     "comment\" (the contents of a .pub file)");
  auto blob = crypto::Base64Decode(rest.substr(0, blob_end));
  // The blob starts with the key type again, as a length-prefixed string.
  if (type.empty() || !blob || blob->size() < 4 + type.size()) return error;
  const uint32_t length = (uint32_t{(*blob)[0]} << 24) | (uint32_t{(*blob)[1]} << 16) |
                          (uint32_t{(*blob)[2]} << 8) | uint32_t{(*blob)[3]};
  if (length != type.size() || !std::equal(type.begin(), type.end(), blob->begin() + 4)) return error;
  return Status::Ok();
}

}  // namespace coffer
