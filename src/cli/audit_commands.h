// `coffer audit list|tail|export|verify`: read and check the audit trail.
#pragma once

#include <CLI/CLI.hpp>

namespace coffer::cli {

void AddAuditCommands(CLI::App& app);

}  // namespace coffer::cli
