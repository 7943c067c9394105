// FaultInjection: faults a worker inflicts on itself when a test asks for them (braid worker
// --fault-slowdown, --fault-fail-fraction, --fault-crash-after-records). All are off by default.
//
//   slowdown             each attempt takes this many times as long: after its work it waits
//                        (slowdown - 1) times its run time before it reports (cancellable).
//   fail_fraction        this fraction of attempts fail with kInternal "injected fault"; which
//                        ones is a hash of the attempt's name, so a retry draws afresh.
//   crash_after_records  the process kills itself (SIGKILL, no clean-up) once its map tasks
//                        have read this many records in all.
//
// Threading: the fields are set before tasks run; the record count is atomic.

#ifndef BRAID_WORKER_FAULT_INJECTION_H_
#define BRAID_WORKER_FAULT_INJECTION_H_

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "proto/braid.pb.h"

namespace braid {

struct FaultInjection {
  double slowdown = 1;
  double fail_fraction = 0;
  uint64_t crash_after_records = 0;
  std::atomic<uint64_t> records_read{0};

  bool active() const { return slowdown != 1 || fail_fraction > 0 || crash_after_records > 0; }
  // An injected failure for `attempt`, or OK.
  absl::Status FailureFor(const proto::TaskAttempt& attempt) const;
  // Counts one record read; dies if that was the last one allowed.
  void RecordRead();
  // Waits out the slowdown of an attempt that worked for `took`; returns early once `cancelled`
  // is set.
  void SlowDown(absl::Duration took, const std::atomic<bool>* cancelled) const;
};

}  // namespace braid

#endif  // BRAID_WORKER_FAULT_INJECTION_H_
