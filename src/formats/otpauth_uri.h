// otpauth:// URIs, the text inside 2FA enrolment QR codes (Google Authenticator's "Key Uri
// Format", which every authenticator follows):
//   otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer&algorithm=SHA1&digits=6&period=30
// Importing one gives a TOTP credential without retyping the secret.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/totp.h"

namespace coffer {

struct OtpauthUri {
  std::string issuer;   // the issuer parameter, else the label's "Issuer:" prefix; may be empty
  std::string account;  // the label without its issuer prefix; may be empty
  std::string secret;   // base32, as written in the URI (already checked to decode)
  crypto::TotpParams params;  // absent parameters keep the RFC 6238 defaults

  ~OtpauthUri();  // wipes the secret
};

// Whether `text` is meant as an otpauth URI (it starts with "otpauth:", in any case), for fields
// that hold either a URI or a bare base32 secret.
bool IsOtpauthUri(std::string_view text);

// Only time-based URIs: counter-based (hotp) ones are refused, since a stored counter would drift
// from the server's. Messages name the part or parameter at fault and never quote the URI, which
// contains the secret.
Result<OtpauthUri> ParseOtpauthUri(std::string_view uri);

}  // namespace coffer
