// Password hashing for human logins: Argon2id through libsodium, stored as its self-describing
// string (algorithm, parameters and salt travel with the hash, so parameters can grow later).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace coffer::crypto {

// Empty when the hash could not be computed (out of memory).
std::optional<std::string> HashPassword(std::string_view password);

// Constant-time; false for a malformed hash as well as a wrong password.
bool VerifyPassword(const std::string& encoded_hash, std::string_view password);

// Runs the same work as a verification against a fixed hash, so a login for an unknown account
// takes as long as one for a known account with a wrong password.
void BurnPasswordVerification(std::string_view password);

}  // namespace coffer::crypto
