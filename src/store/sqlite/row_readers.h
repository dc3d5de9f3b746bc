// Turning a stepped statement's rows into records, for every query file of the SQLite store.
#pragma once

#include <optional>
#include <vector>

#include "core/result.h"
#include "store/sqlite/connection.h"

namespace coffer::store::sqlite {

// The first row read with `read`, or nothing when the statement returns no rows.
template <class Record, class Reader>
Result<std::optional<Record>> FirstRow(Statement& stmt, Reader read) {
  auto row = stmt.Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<Record>();
  return std::optional<Record>(read(stmt));
}

// Every row, each read with `read`.
template <class Record, class Reader>
Result<std::vector<Record>> AllRows(Statement& stmt, Reader read) {
  std::vector<Record> out;
  while (true) {
    auto row = stmt.Step();
    if (!row.ok()) return row.error();
    if (!*row) return out;
    out.push_back(read(stmt));
  }
}

}  // namespace coffer::store::sqlite
