// Slows down password guessing: after a few failures an account, and separately a source IP, must
// wait before the next attempt, and the wait doubles with each further failure (capped). Counted in
// the store, inside the writes that record each attempt, so every node on a shared database
// throttles the same guesses and a restart forgets none. An account or address without a failure
// for an hour starts afresh, which also bounds the table under a spray of made-up usernames.
//
// `account` is stored as given, so callers pass a keyed digest of the username, never the
// username: whatever was typed there (a password pasted one field early) would reach the disk.
#pragma once

#include <optional>
#include <string>

#include "core/result.h"
#include "core/time.h"
#include "store/store.h"

namespace coffer::vault {

inline constexpr int kFreeLoginAttempts = 5;
inline constexpr int kMaxLoginDelaySeconds = 15 * 60;
inline constexpr UnixMicros kForgetLoginFailuresAfter = int64_t{3600} * 1000000;

// Seconds the caller must still wait before trying `account` from `ip`, if any.
Result<std::optional<int>> LoginRetryAfter(store::ReadTransaction& read, const std::string& account,
                                           const std::string& ip, UnixMicros now);
// Counts a failed attempt, in the write that records it.
Status CountLoginFailure(store::WriteTransaction& txn, const std::string& account, const std::string& ip,
                         UnixMicros now);
// A successful login clears the account's count (not the address's), in the write that logs it in.
Status ClearLoginFailures(store::WriteTransaction& txn, const std::string& account);

}  // namespace coffer::vault
