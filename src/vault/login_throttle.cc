#include "vault/login_throttle.h"

#include <algorithm>

namespace coffer::vault {

std::optional<int> LoginThrottle::Remaining(const std::string& key, Clock::time_point now) {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.blocked_until <= now) return std::nullopt;
  auto left = std::chrono::ceil<std::chrono::seconds>(it->second.blocked_until - now);
  return static_cast<int>(left.count());
}

std::optional<int> LoginThrottle::RetryAfter(const std::string& account, const std::string& ip) {
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  auto by_account = Remaining("a:" + account, now);
  auto by_ip = Remaining("i:" + ip, now);
  if (by_account && by_ip) return std::max(*by_account, *by_ip);
  return by_account ? by_account : by_ip;
}

void LoginThrottle::Fail(Entry& entry, Clock::time_point now) {
  ++entry.failures;
  if (entry.failures < kFreeAttempts) return;
  int exponent = std::min(entry.failures - kFreeAttempts, 10);
  int delay = std::min(1 << exponent, kMaxDelaySeconds);
  entry.blocked_until = now + std::chrono::seconds(delay);
}

void LoginThrottle::RecordFailure(const std::string& account, const std::string& ip) {
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  // Bound memory under a spray of random usernames: forget entries whose block has expired.
  if (entries_.size() > 100000) {
    std::erase_if(entries_, [now](const auto& kv) { return kv.second.blocked_until <= now; });
  }
  Fail(entries_["a:" + account], now);
  Fail(entries_["i:" + ip], now);
}

void LoginThrottle::RecordSuccess(const std::string& account) {
  std::lock_guard lock(mutex_);
  entries_.erase("a:" + account);
}

}  // namespace coffer::vault
