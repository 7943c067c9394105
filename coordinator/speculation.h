// Speculation: which running tasks of a phase get a backup attempt — Hadoop's speculative
// execution, as a pure function of what the phase has seen, so that the rule is tested on its
// own and JobRun only carries it out.
//
// A task is a straggler once it has run `factor` times the phase's median completed task (and at
// least `min_age`), or at once when its worker is known to be slow (its earlier tasks of the job
// took `factor` times their phase's mean). At most one backup per `share` tasks of the phase is
// running or queued at any time (at least one). Only tasks with exactly one live attempt and no
// backup yet are candidates.

#ifndef BRAID_COORDINATOR_SPECULATION_H_
#define BRAID_COORDINATOR_SPECULATION_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"

namespace braid {

struct SpeculationRule {
  double factor = 2;
  absl::Duration min_age = absl::Seconds(1);
  size_t share = 10;
};

// What the rule sees of one task of the phase.
struct SpeculatedTask {
  // Running with exactly one live attempt, not backed up, not already queued for a backup.
  bool candidate = false;
  // Has (or had) a backup attempt: counts against the phase's allowance.
  bool backed_up = false;
  absl::Duration running_for;
  bool on_slow_worker = false;
};

// The median of `completed_ms` (infinite when empty).
absl::Duration MedianDuration(absl::Span<const int64_t> completed_ms);
// The age after which a task of a phase whose completed tasks took `median` is a straggler:
// max(min_age, factor x median); infinite while no task has completed (an infinite median).
absl::Duration StragglerThreshold(absl::Duration median, const SpeculationRule& rule);

// The indices of `tasks` to back up now, in index order, given `queued` backups already waiting
// to start.
std::vector<uint32_t> ChooseBackups(absl::Span<const SpeculatedTask> tasks,
                                    absl::Duration threshold, size_t queued,
                                    const SpeculationRule& rule);

}  // namespace braid

#endif  // BRAID_COORDINATOR_SPECULATION_H_
