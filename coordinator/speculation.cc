#include "coordinator/speculation.h"

#include <algorithm>

namespace braid {

absl::Duration MedianDuration(absl::Span<const int64_t> completed_ms) {
  if (completed_ms.empty()) return absl::InfiniteDuration();
  std::vector<int64_t> durations(completed_ms.begin(), completed_ms.end());
  std::nth_element(durations.begin(), durations.begin() + durations.size() / 2, durations.end());
  return absl::Milliseconds(durations[durations.size() / 2]);
}

absl::Duration StragglerThreshold(absl::Duration median, const SpeculationRule& rule) {
  if (median == absl::InfiniteDuration()) return median;
  return std::max(rule.min_age, median * rule.factor);
}

std::vector<uint32_t> ChooseBackups(absl::Span<const SpeculatedTask> tasks,
                                    absl::Duration threshold, size_t queued,
                                    const SpeculationRule& rule) {
  size_t backed_up = 0;
  for (const SpeculatedTask& task : tasks) backed_up += task.backed_up;
  const size_t allowed = std::max<size_t>(1, tasks.size() / rule.share);
  std::vector<uint32_t> chosen;
  for (uint32_t i = 0; i < tasks.size() && backed_up + queued + chosen.size() < allowed; ++i) {
    const SpeculatedTask& task = tasks[i];
    if (!task.candidate) continue;
    if (!task.on_slow_worker && task.running_for < threshold) continue;
    chosen.push_back(i);
  }
  return chosen;
}

}  // namespace braid
