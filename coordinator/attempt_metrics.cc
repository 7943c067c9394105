#include "coordinator/attempt_metrics.h"

namespace braid {

// From a millisecond to about 17 minutes, each bound four times the one before.
AttemptMetrics::AttemptMetrics()
    : seconds{Histogram(Histogram::ExponentialBounds(0.001, 4, 11)),
              Histogram(Histogram::ExponentialBounds(0.001, 4, 11))} {}

absl::string_view AttemptMetrics::OutcomeName(int outcome) {
  switch (outcome) {
    case kSucceeded:
      return "succeeded";
    case kFailed:
      return "failed";
    case kLost:
      return "lost";
    default:
      return "cancelled";
  }
}

}  // namespace braid
