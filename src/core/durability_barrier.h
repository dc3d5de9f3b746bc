// What one request still waits for before its reply may leave: durable writes it queued without
// blocking a thread on them (its audit records). The reply is held until every one of them is on
// disk and, if any fails, replaced by that failure: fail closed, so a secret whose read was not
// recorded never leaves, exactly as if the request had waited for each write in turn.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "core/result.h"

namespace coffer {

class DurabilityBarrier : public std::enable_shared_from_this<DurabilityBarrier> {
 public:
  using Callback = std::function<void(Status)>;

  // One more write to wait for. Returns what its writer calls, once, when the write is durable
  // or has failed.
  Callback Expect();

  // Runs `then` with Ok, or with the first failure, once every expected write has finished: at
  // once, on this thread, when none is pending; otherwise on the thread that finishes the last.
  // Called once, after the request's handler has expected its last write.
  void WhenDone(Callback then);

 private:
  void Finish(Status outcome);

  std::mutex mutex_;
  int pending_ = 0;
  std::optional<Error> first_failure_;
  Callback then_;
};

}  // namespace coffer
