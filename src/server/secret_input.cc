#include "server/secret_input.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "core/secure_wipe.h"

namespace coffer::server {
namespace {

// One line from the terminal with echo off; restored even when reading fails.
Result<std::string> PromptNoEcho(const std::string& prompt) {
  std::fprintf(stderr, "%s", prompt.c_str());
  std::fflush(stderr);
  termios saved{};
  bool restore = ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (restore) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  char c;
  ssize_t n;
  while ((n = ::read(STDIN_FILENO, &c, 1)) == 1 && c != '\n') line.push_back(c);
  if (restore) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  std::fprintf(stderr, "\n");
  if (n < 0) {
    SecureWipe(line);
    return MakeError(ErrorCode::kUnavailable, "cannot read from the terminal");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

Result<std::string> ReadSecret(const char* env_var, const std::string& prompt, bool confirm) {
  if (const char* value = std::getenv(env_var); value != nullptr && *value != '\0') {
    std::string secret(value);
    // Wipe the environment's copy too, then drop it, so children and /proc/self/environ never see it.
    SecureWipe(const_cast<char*>(value), secret.size());
    ::unsetenv(env_var);
    return secret;
  }
  if (!::isatty(STDIN_FILENO)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(env_var) + " is not set and there is no terminal to ask on: set " + env_var);
  }
  auto first = PromptNoEcho(prompt + ": ");
  if (!first.ok() || !confirm) return first;
  auto second = PromptNoEcho("Again, to confirm: ");
  if (!second.ok()) {
    SecureWipe(*first);
    return second;
  }
  bool same = *first == *second;
  SecureWipe(*second);
  if (!same) {
    SecureWipe(*first);
    return MakeError(ErrorCode::kInvalidArgument, "the two entries differ: nothing was changed, try again");
  }
  return first;
}

}  // namespace coffer::server
