// Slows down password guessing: after a few failures an account, and separately a source IP, must
// wait before the next attempt, and the wait doubles with each further failure (capped). Kept in
// memory: a restart forgets it, which costs an attacker a restart they cannot cause.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace coffer::vault {

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  // Seconds the caller must still wait before trying `account` from `ip`, if any.
  std::optional<int> RetryAfter(const std::string& account, const std::string& ip);
  void RecordFailure(const std::string& account, const std::string& ip);
  void RecordSuccess(const std::string& account);

  static constexpr int kFreeAttempts = 5;
  static constexpr int kMaxDelaySeconds = 15 * 60;

 private:
  struct Entry {
    int failures = 0;
    Clock::time_point blocked_until{};
  };
  void Fail(Entry& entry, Clock::time_point now);
  std::optional<int> Remaining(const std::string& key, Clock::time_point now);

  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;  // "a:<account>" and "i:<ip>"
};

}  // namespace coffer::vault
