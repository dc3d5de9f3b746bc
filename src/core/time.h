// Wall-clock time in the one representation Coffer stores and prints: microseconds since the Unix
// epoch, rendered as ISO 8601 UTC with a trailing Z.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace coffer {

using UnixMicros = std::int64_t;

UnixMicros NowMicros();

// "2026-03-29T03:00:00Z" (whole seconds) or "...:00.123456Z" when there are microseconds.
std::string FormatIso8601(UnixMicros t);

// Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" and "YYYY-MM-DD" (midnight UTC).
std::optional<UnixMicros> ParseIso8601(std::string_view text);

}  // namespace coffer
