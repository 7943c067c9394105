// AttemptMetrics: what the scheduler counts of task attempts as they start and end — the
// figures behind the coordinator's /metrics on attempts.

#ifndef BRAID_COORDINATOR_ATTEMPT_METRICS_H_
#define BRAID_COORDINATOR_ATTEMPT_METRICS_H_

#include <array>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "base/metrics.h"

namespace braid {

struct AttemptMetrics {
  // How an attempt ended: its worker's result said success or failure; its worker was lost (or
  // could not be reached); the coordinator cancelled it (a backup won, the job ended).
  enum Outcome { kSucceeded, kFailed, kLost, kCancelled };
  static constexpr int kOutcomes = 4;
  static absl::string_view OutcomeName(int outcome);
  // Index 0 for maps, 1 for reduces.
  static absl::string_view KindName(int kind) { return kind == 0 ? "map" : "reduce"; }

  AttemptMetrics();

  void Ended(bool reduce, Outcome outcome) { ++ended[reduce][outcome]; }

  std::array<uint64_t, 2> started{};
  std::array<std::array<uint64_t, kOutcomes>, 2> ended{};
  // The run time its worker reported, of each attempt that came back with a result.
  std::array<Histogram, 2> seconds;
};

}  // namespace braid

#endif  // BRAID_COORDINATOR_ATTEMPT_METRICS_H_
