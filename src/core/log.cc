#include "core/log.h"

#include <cstdio>
#include <mutex>
#include <string>

#include "core/time.h"

namespace coffer {

void Log(LogLevel level, std::string_view message) {
  static std::mutex mutex;
  const char* tag = level == LogLevel::kError ? "error" : level == LogLevel::kWarning ? "warn" : "info";
  std::string line = FormatIso8601(NowMicros()) + " " + tag + " " + std::string(message) + "\n";
  std::lock_guard lock(mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace coffer
