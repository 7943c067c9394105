// ChooseBackups and StragglerThreshold: which running tasks of a phase get a backup attempt.

#include "coordinator/speculation.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace braid {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

SpeculatedTask Running(absl::Duration for_, bool slow_worker = false) {
  return SpeculatedTask{.candidate = true, .running_for = for_, .on_slow_worker = slow_worker};
}

TEST(StragglerThreshold, IsTwiceTheMedianButAtLeastTheMinimumAge) {
  SpeculationRule rule;
  std::vector<int64_t> durations = {1000, 3000, 2000};
  EXPECT_EQ(StragglerThreshold(MedianDuration(durations), rule), absl::Seconds(4));
  std::vector<int64_t> quick = {10, 20, 30};
  EXPECT_EQ(StragglerThreshold(MedianDuration(quick), rule), absl::Seconds(1));
}

TEST(StragglerThreshold, IsInfiniteBeforeAnyTaskCompleted) {
  EXPECT_EQ(StragglerThreshold(MedianDuration({}), SpeculationRule{}), absl::InfiniteDuration());
}

TEST(ChooseBackups, BacksUpOnlyTasksPastTheThreshold) {
  std::vector<SpeculatedTask> tasks(20, Running(absl::Seconds(1)));
  tasks[7] = Running(absl::Seconds(9));
  EXPECT_THAT(ChooseBackups(tasks, absl::Seconds(4), 0, SpeculationRule{}), ElementsAre(7));
}

TEST(ChooseBackups, ATaskOnASlowWorkerIsBackedUpAtOnce) {
  std::vector<SpeculatedTask> tasks(20, Running(absl::Seconds(1)));
  tasks[3] = Running(absl::Milliseconds(10), /*slow_worker=*/true);
  EXPECT_THAT(ChooseBackups(tasks, absl::InfiniteDuration(), 0, SpeculationRule{}), ElementsAre(3));
}

TEST(ChooseBackups, AtMostOneBackupPerShareOfTheTasks) {
  std::vector<SpeculatedTask> tasks(20, Running(absl::Seconds(9)));
  EXPECT_THAT(ChooseBackups(tasks, absl::Seconds(4), 0, SpeculationRule{}), ElementsAre(0, 1));
  // Backups already running or queued count against the allowance.
  tasks[0].backed_up = true;
  tasks[0].candidate = false;
  EXPECT_THAT(ChooseBackups(tasks, absl::Seconds(4), 0, SpeculationRule{}), ElementsAre(1));
  EXPECT_THAT(ChooseBackups(tasks, absl::Seconds(4), 1, SpeculationRule{}), IsEmpty());
}

TEST(ChooseBackups, ASmallPhaseMayStillHaveOneBackup) {
  std::vector<SpeculatedTask> tasks = {Running(absl::Seconds(1)), Running(absl::Seconds(9))};
  EXPECT_THAT(ChooseBackups(tasks, absl::Seconds(4), 0, SpeculationRule{}), ElementsAre(1));
}

TEST(ChooseBackups, TasksThatAreNotCandidatesAreNeverChosen) {
  std::vector<SpeculatedTask> tasks(3, SpeculatedTask{.running_for = absl::Hours(1)});
  EXPECT_THAT(ChooseBackups(tasks, absl::Seconds(4), 0, SpeculationRule{}), IsEmpty());
}

}  // namespace
}  // namespace braid
