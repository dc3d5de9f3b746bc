// Exit codes scripts can rely on (documented in the README).
#pragma once

#include <string>

namespace coffer::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,          // anything not listed below
  kExitUsage = 2,          // bad flags or input the server refused (400, 409, 413, 422)
  kExitNotFound = 3,       // 404
  kExitDenied = 4,         // 401, 403
  kExitUnavailable = 5,    // server unreachable or 5xx
};

int ExitCodeForStatus(long http_status);

// Prints "coffer: <message>" on stderr and returns `code`.
int Fail(int code, const std::string& message);

}  // namespace coffer::cli
