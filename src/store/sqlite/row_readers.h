// Turning a stepped statement's rows into records, for every query file of the SQLite store.
#pragma once

#include <optional>
#include <type_traits>
#include <vector>

#include "core/result.h"
#include "store/sqlite/connection.h"

namespace coffer::store::sqlite {

// A reader returns the Record, or a Result<Record> when a row can be unreadable (a column that
// fails to parse): then its error is the query's.
template <class Record, class Reader>
Result<Record> ReadRow(const Statement& stmt, Reader& read) {
  if constexpr (std::is_same_v<std::invoke_result_t<Reader&, const Statement&>, Result<Record>>) {
    return read(stmt);
  } else {
    return Result<Record>(read(stmt));
  }
}

// The first row read with `read`, or nothing when the statement returns no rows.
template <class Record, class Reader>
Result<std::optional<Record>> FirstRow(Statement& stmt, Reader read) {
  auto row = stmt.Step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<Record>();
  auto record = ReadRow<Record>(stmt, read);
  if (!record.ok()) return record.error();
  return std::optional<Record>(std::move(*record));
}

// Every row, each read with `read`.
template <class Record, class Reader>
Result<std::vector<Record>> AllRows(Statement& stmt, Reader read) {
  std::vector<Record> out;
  while (true) {
    auto row = stmt.Step();
    if (!row.ok()) return row.error();
    if (!*row) return out;
    auto record = ReadRow<Record>(stmt, read);
    if (!record.ok()) return record.error();
    out.push_back(std::move(*record));
  }
}

}  // namespace coffer::store::sqlite
