// Small helpers every PostgreSQL query file uses to turn a statement's outcome into what the
// store interface returns.
#pragma once

#include <cstdint>

#include "core/result.h"
#include "store/postgres/connection.h"

namespace coffer::store::postgres {

// A statement's outcome as a Status: how many rows it touched does not matter.
inline Status Done(const Result<int64_t>& touched) {
  if (!touched.ok()) return touched.error();
  return Status::Ok();
}

// A statement's outcome as "did it touch a row", for the methods that return false when there
// was no such row.
inline Result<bool> TouchedAny(const Result<int64_t>& touched) {
  if (!touched.ok()) return touched.error();
  return *touched > 0;
}

}  // namespace coffer::store::postgres
