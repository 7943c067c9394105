#include "coordinator/job_metrics.h"

#include "job/counters.h"

namespace braid {

// From a millisecond to about 17 minutes, each bound four times the one before (as attempts).
JobMetrics::JobMetrics()
    : task_seconds{Histogram(Histogram::ExponentialBounds(0.001, 4, 11)),
                   Histogram(Histogram::ExponentialBounds(0.001, 4, 11))} {}

void JobMetrics::Committed(const proto::TaskResult& result) {
  const bool reduce = result.attempt().kind() == proto::TASK_KIND_REDUCE;
  ++tasks_committed[reduce];
  task_seconds[reduce].Observe(static_cast<double>(result.runtime_ms()) / 1000);
  for (const proto::Counter& counter : result.counters()) {
    if (counter.group() != kFileSystemCounters || counter.value() < 0) continue;
    if (counter.name() == kBytesRead) bytes_read += static_cast<uint64_t>(counter.value());
    if (counter.name() == kBytesWritten) bytes_written += static_cast<uint64_t>(counter.value());
  }
}

}  // namespace braid
