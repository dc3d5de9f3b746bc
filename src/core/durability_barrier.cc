#include "core/durability_barrier.h"

#include <utility>

namespace coffer {

DurabilityBarrier::Callback DurabilityBarrier::Expect() {
  {
    std::lock_guard lock(mutex_);
    ++pending_;
  }
  return [self = shared_from_this()](Status outcome) { self->Finish(std::move(outcome)); };
}

void DurabilityBarrier::Finish(Status outcome) {
  Callback run;
  Status result;
  {
    std::lock_guard lock(mutex_);
    if (!outcome.ok() && !first_failure_) first_failure_ = outcome.error();
    if (--pending_ > 0 || !then_) return;
    run = std::move(then_);
    result = first_failure_ ? Status(*first_failure_) : Status::Ok();
  }
  run(std::move(result));
}

void DurabilityBarrier::WhenDone(Callback then) {
  Status result;
  {
    std::lock_guard lock(mutex_);
    if (pending_ > 0) {
      then_ = std::move(then);
      return;
    }
    result = first_failure_ ? Status(*first_failure_) : Status::Ok();
  }
  then(std::move(result));
}

}  // namespace coffer
