// The error CheckLease gives, the same on every engine: the work it guards must not write.
#pragma once

#include <string>

#include "core/result.h"
#include "store/records.h"

namespace coffer::store {

inline Error LeaseLost(const LeaseRecord& lease) {
  return MakeError(ErrorCode::kConflict, "the lease on " + lease.name + " with token " + std::to_string(lease.token) +
                                             " is no longer held by " + lease.holder +
                                             ": another node may hold it now, so this work wrote nothing");
}

}  // namespace coffer::store
