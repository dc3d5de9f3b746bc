// Turning a result's rows into records, for every query file of the PostgreSQL store.
#pragma once

#include <optional>
#include <type_traits>
#include <vector>

#include "core/result.h"
#include "store/postgres/connection.h"

namespace coffer::store::postgres {

// A reader returns the Record, or a Result<Record> when a row can be unreadable (a column that
// fails to parse): then its error is the query's.
template <class Record, class Reader>
Result<Record> ReadRow(const Row& row, Reader& read) {
  if constexpr (std::is_same_v<std::invoke_result_t<Reader&, const Row&>, Result<Record>>) {
    return read(row);
  } else {
    return Result<Record>(read(row));
  }
}

// The first row read with `read`, or nothing when the query returned no rows.
template <class Record, class Reader>
Result<std::optional<Record>> FirstRow(Result<Rows> rows, Reader read) {
  if (!rows.ok()) return rows.error();
  if (rows->size() == 0) return std::optional<Record>();
  auto record = ReadRow<Record>((*rows)[0], read);
  if (!record.ok()) return record.error();
  return std::optional<Record>(std::move(*record));
}

// Every row, each read with `read`.
template <class Record, class Reader>
Result<std::vector<Record>> AllRows(Result<Rows> rows, Reader read) {
  if (!rows.ok()) return rows.error();
  std::vector<Record> out;
  out.reserve(static_cast<size_t>(rows->size()));
  for (int i = 0; i < rows->size(); ++i) {
    auto record = ReadRow<Record>((*rows)[i], read);
    if (!record.ok()) return record.error();
    out.push_back(std::move(*record));
  }
  return out;
}

}  // namespace coffer::store::postgres
