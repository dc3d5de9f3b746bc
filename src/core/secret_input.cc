#include "core/secret_input.h"

#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "core/secure_wipe.h"

namespace coffer {
namespace {

// Reads up to the newline byte by byte with read(2): stdio or iostreams would keep their own,
// never wiped, copy of the secret in a buffer.
Result<std::string> ReadLine() {
  std::string line;
  line.reserve(kMaxSecretLength);  // push_back below never reallocates
  bool too_long = false;
  char c = 0;
  while (true) {
    ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      SecureWipe(line);
      return MakeError(ErrorCode::kUnavailable, "cannot read the secret from stdin");
    }
    if (n == 0 || c == '\n') break;
    // Past the limit the rest of the line is still consumed, so none of it is left for whatever
    // reads the terminal next.
    if (line.size() == kMaxSecretLength) too_long = true;
    if (!too_long) line.push_back(c);
  }
  SecureWipe(&c, sizeof c);
  if (too_long) {
    SecureWipe(line);
    return MakeError(ErrorCode::kInvalidArgument,
                     "the secret is longer than " + std::to_string(kMaxSecretLength) + " characters");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// One line from the terminal with echo off; the terminal mode is restored even when reading fails.
Result<std::string> PromptNoEcho(const std::string& prompt) {
  termios saved{};
  if (::tcgetattr(STDIN_FILENO, &saved) != 0) {
    // Without the terminal's mode echo cannot be turned off, and a typed secret must not show.
    return MakeError(ErrorCode::kUnavailable, "cannot turn off echo on the terminal to ask for the secret");
  }
  termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  if (::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0) {
    return MakeError(ErrorCode::kUnavailable, "cannot turn off echo on the terminal to ask for the secret");
  }
  std::fprintf(stderr, "%s", prompt.c_str());
  std::fflush(stderr);
  auto line = ReadLine();
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  std::fprintf(stderr, "\n");
  return line;
}

}  // namespace

Result<std::string> ReadSecretLine(const std::string& prompt, bool confirm) {
  if (!::isatty(STDIN_FILENO)) return ReadLine();
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
  return ReadSecretLine(prompt, confirm);
}

}  // namespace coffer
