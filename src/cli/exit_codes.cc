#include "cli/exit_codes.h"

#include <cstdio>

namespace coffer::cli {

int ExitCodeForStatus(long status) {
  if (status >= 200 && status < 300) return kExitOk;
  if (status == 404) return kExitNotFound;
  if (status == 401 || status == 403) return kExitDenied;
  if (status == 400 || status == 409 || status == 413 || status == 422) return kExitUsage;
  if (status >= 500) return kExitUnavailable;
  return kExitError;
}

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "coffer: %s\n", message.c_str());
  return code;
}

}  // namespace coffer::cli
