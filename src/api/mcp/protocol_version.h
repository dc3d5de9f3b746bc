// The MCP revisions Coffer speaks, and what each one added. Revision names are dates, so they
// order as strings; older clients are sent only the fields their revision defines.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace coffer::mcp {

inline constexpr std::string_view kLatestProtocolVersion = "2025-11-25";

// Newest first: initialize answers with the client's version when it is here, else the newest.
inline constexpr std::array<std::string_view, 4> kSupportedProtocolVersions = {
    "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};

inline bool IsSupportedProtocolVersion(std::string_view version) {
  for (std::string_view v : kSupportedProtocolVersions) {
    if (v == version) return true;
  }
  return false;
}

// "2025-11-25, 2025-06-18, 2025-03-26, 2024-11-05", for error messages.
inline std::string SupportedProtocolVersionList() {
  std::string out;
  for (std::string_view v : kSupportedProtocolVersions) {
    if (!out.empty()) out += ", ";
    out += v;
  }
  return out;
}

// Tool annotations (readOnlyHint, destructiveHint, ...) arrived in 2025-03-26.
inline bool HasToolAnnotations(std::string_view version) { return version >= "2025-03-26"; }

// Tool titles, outputSchema and structuredContent arrived in 2025-06-18.
inline bool HasStructuredContent(std::string_view version) { return version >= "2025-06-18"; }

// JSON-RPC batches: 2024-11-05 inherits them from JSON-RPC 2.0, 2025-03-26 spells them out,
// 2025-06-18 removed them.
inline bool AllowsBatches(std::string_view version) { return version < "2025-06-18"; }

}  // namespace coffer::mcp
