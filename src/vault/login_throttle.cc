#include "vault/login_throttle.h"

#include <algorithm>

namespace coffer::vault {
namespace {

std::string AccountKey(const std::string& account) { return "a:" + account; }
std::string AddressKey(const std::string& ip) { return "i:" + ip; }

// Seconds left of the block on `key`, if one is running.
Result<std::optional<int>> Remaining(store::ReadTransaction& read, const std::string& key, UnixMicros now) {
  auto row = read.FindLoginFailures(key);
  if (!row.ok()) return row.error();
  if (!*row || (*row)->blocked_until <= now || (*row)->last_failure_at < now - kForgetLoginFailuresAfter) {
    return std::optional<int>();
  }
  return std::optional<int>(static_cast<int>(((*row)->blocked_until - now + 999'999) / 1'000'000));
}

Status Fail(store::WriteTransaction& txn, const std::string& key, UnixMicros now) {
  auto row = txn.FindLoginFailures(key);
  if (!row.ok()) return row.error();
  store::LoginFailureRecord r{key, 0, 0, now};
  if (*row && (*row)->last_failure_at >= now - kForgetLoginFailuresAfter) r.failures = (*row)->failures;
  ++r.failures;
  if (r.failures >= kFreeLoginAttempts) {
    const int exponent = std::min(r.failures - kFreeLoginAttempts, 10);
    r.blocked_until = now + int64_t{std::min(1 << exponent, kMaxLoginDelaySeconds)} * 1'000'000;
  }
  return txn.PutLoginFailures(r);
}

}  // namespace

Result<std::optional<int>> LoginRetryAfter(store::ReadTransaction& read, const std::string& account,
                                           const std::string& ip, UnixMicros now) {
  auto by_account = Remaining(read, AccountKey(account), now);
  if (!by_account.ok()) return by_account.error();
  auto by_ip = Remaining(read, AddressKey(ip), now);
  if (!by_ip.ok()) return by_ip.error();
  if (*by_account && *by_ip) return std::optional<int>(std::max(**by_account, **by_ip));
  return *by_account ? *by_account : *by_ip;
}

Status CountLoginFailure(store::WriteTransaction& txn, const std::string& account, const std::string& ip,
                         UnixMicros now) {
  COFFER_TRY(txn.PruneLoginFailures(now - kForgetLoginFailuresAfter));
  COFFER_TRY(Fail(txn, AccountKey(account), now));
  return Fail(txn, AddressKey(ip), now);
}

Status ClearLoginFailures(store::WriteTransaction& txn, const std::string& account) {
  return txn.DeleteLoginFailures(AccountKey(account));
}

}  // namespace coffer::vault
