// Secrets a person types: a root key passphrase or HSM PIN for the server, a password for the CLI.
// Typed at a terminal with echo off, or read as one line of stdin when there is no terminal. The
// line is read into a buffer of fixed capacity so that no partial copy is left behind in freed
// memory when a string grows, which is also why input longer than kMaxSecretLength is refused.
#pragma once

#include <cstddef>
#include <string>

#include "core/result.h"

namespace coffer {

inline constexpr size_t kMaxSecretLength = 1024;

// One line from stdin, the trailing newline (and '\r') dropped. On a terminal: `prompt` and ": "
// on stderr with echo off, and when `confirm` (a new secret) asked twice and compared. Otherwise
// one line of stdin, no prompt and no confirmation (scripts pipe it in). The caller wipes the result.
Result<std::string> ReadSecretLine(const std::string& prompt, bool confirm);

// For the server, whose secrets are read before it detaches from any terminal: `env_var`, which
// is wiped and removed so child processes never inherit it, else a terminal prompt as above.
// Never a flag: flags show up in `ps` and shell history. Fails with a message naming the variable
// when there is no terminal to ask on (as under systemd). The caller wipes the result.
Result<std::string> ReadSecret(const char* env_var, const std::string& prompt, bool confirm);

}  // namespace coffer
