#include "worker/fault_injection.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "proto/attempt_name.h"

namespace braid {

absl::Status FaultInjection::FailureFor(const proto::TaskAttempt& attempt) const {
  if (fail_fraction <= 0) return absl::OkStatus();
  const std::string name = absl::StrCat(attempt.job_id(), "/", AttemptName(attempt));
  // A fixed hash (not absl::Hash, which is seeded per process), mapped to [0, 1).
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : name) hash = (hash ^ c) * 1099511628211ull;
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdull;
  hash ^= hash >> 33;
  const double draw = static_cast<double>(hash >> 11) / static_cast<double>(uint64_t{1} << 53);
  if (draw >= fail_fraction) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("injected fault (--fault-fail-fraction=", fail_fraction, ")"));
}

void FaultInjection::RecordRead() {
  if (crash_after_records == 0) return;
  if (records_read.fetch_add(1, std::memory_order_relaxed) + 1 >= crash_after_records) {
    kill(getpid(), SIGKILL);
  }
}

void FaultInjection::SlowDown(absl::Duration took, const std::atomic<bool>* cancelled) const {
  if (slowdown <= 1) return;
  const absl::Time until = absl::Now() + took * (slowdown - 1);
  while (absl::Now() < until) {
    if (cancelled != nullptr && cancelled->load(std::memory_order_relaxed)) return;
    absl::SleepFor(std::min(absl::Milliseconds(5), until - absl::Now()));
  }
}

}  // namespace braid
