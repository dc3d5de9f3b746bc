// Secrets an operator hands the server at start-up (a root key passphrase, an HSM PIN): from an
// environment variable, which is then removed so child processes never inherit it, or typed at a
// terminal prompt with echo off. Never from a flag: flags show up in `ps` and shell history.
#pragma once

#include <string>

#include "core/result.h"

namespace coffer::server {

// Reads `env_var`, else prompts on the terminal (twice when `confirm`, for a new secret). Fails
// with a message naming the variable when neither is possible (no terminal, as under systemd).
// The caller wipes the result.
Result<std::string> ReadSecret(const char* env_var, const std::string& prompt, bool confirm);

}  // namespace coffer::server
