// Operational log lines on stderr. Callers pass only non-secret facts (ids, names, statuses):
// nothing here ever formats a request body, a credential value or a token.
#pragma once

#include <string_view>

namespace coffer {

enum class LogLevel { kInfo, kWarning, kError };

void Log(LogLevel level, std::string_view message);
inline void LogInfo(std::string_view m) { Log(LogLevel::kInfo, m); }
inline void LogWarning(std::string_view m) { Log(LogLevel::kWarning, m); }
inline void LogError(std::string_view m) { Log(LogLevel::kError, m); }

}  // namespace coffer
