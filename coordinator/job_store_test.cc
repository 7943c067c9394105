// JobStore on FakeEnv and the fake clock: what reaches the disk when, what a restart replays,
// and what a failing disk does to the promises the coordinator makes.

#include "coordinator/job_store.h"

#include <memory>
#include <string>
#include <vector>

#include "base/fake_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/fake_clock.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

proto::JournalRecord::JobAccepted Accepted(uint64_t number) {
  proto::JournalRecord::JobAccepted accepted;
  accepted.mutable_spec()->set_job("wordcount");
  accepted.set_number(number);
  accepted.set_reducers(2);
  return accepted;
}

proto::TaskResult Committed(uint32_t task) {
  proto::TaskResult result;
  result.mutable_attempt()->set_kind(proto::TASK_KIND_MAP);
  result.mutable_attempt()->set_task(task);
  return result;
}

proto::JournalRecord::JobEnded Ended(uint64_t number, proto::JobState state) {
  proto::JournalRecord::JobEnded ended;
  ended.set_state(state);
  ended.set_number(number);
  ended.mutable_status()->set_state(state);
  return ended;
}

std::vector<std::string> UnfinishedIds(const JobStore::Recovered& recovered) {
  std::vector<std::string> ids;
  for (const auto& job : recovered.unfinished) ids.push_back(job.job_id);
  return ids;
}

std::vector<std::string> EndedIds(const JobStore::Recovered& recovered) {
  std::vector<std::string> ids;
  for (const auto& [id, status] : recovered.ended) ids.push_back(id);
  return ids;
}

std::vector<uint32_t> CommittedTasks(const JobStore::Recovered::Unfinished& job) {
  std::vector<uint32_t> tasks;
  for (const proto::TaskCommitted& committed : job.committed) {
    tasks.push_back(committed.result().attempt().task());
  }
  return tasks;
}

class JobStoreTest : public ::testing::Test {
 protected:
  JobStoreTest() { options_.state_dir = "/state"; }

  std::unique_ptr<JobStore> Open(JobStore::Recovered* recovered) {
    absl::StatusOr<std::unique_ptr<JobStore>> store =
        JobStore::Open(env_, clock_, options_, recovered);
    EXPECT_THAT(store, IsOk());
    return store.ok() ? *std::move(store) : nullptr;
  }
  // Closes `store` as a crash of the machine would: what was not synced is lost.
  JobStore::Recovered CrashAndReopen(std::unique_ptr<JobStore>& store) {
    env_.SimulateCrash();
    store.reset();
    JobStore::Recovered recovered;
    store = Open(&recovered);
    return recovered;
  }

  FakeEnv env_;
  FakeClock clock_;
  JobStore::Options options_;
};

TEST_F(JobStoreTest, AFreshStateDirectoryHoldsNothing) {
  JobStore::Recovered recovered;
  std::unique_ptr<JobStore> store = Open(&recovered);
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(recovered.unfinished, IsEmpty());
  EXPECT_THAT(recovered.ended, IsEmpty());
  EXPECT_EQ(recovered.next_job_number, 1u);
  EXPECT_EQ(store->epoch(), 1u);
  EXPECT_THAT(store->error(), IsOk());
}

TEST_F(JobStoreTest, AnAcceptedJobIsOnDiskWhenJobAcceptedReturns) {
  JobStore::Recovered recovered;
  std::unique_ptr<JobStore> store = Open(&recovered);
  ASSERT_THAT(store->JobAccepted("job_7", Accepted(7)), IsOk());
  JobStore::Recovered after = CrashAndReopen(store);
  EXPECT_THAT(UnfinishedIds(after), ElementsAre("job_7"));
  EXPECT_EQ(after.unfinished[0].accepted.spec().job(), "wordcount");
  EXPECT_EQ(after.next_job_number, 8u);
}

TEST_F(JobStoreTest, CommitsAreSyncedWithinTheSyncInterval) {
  options_.sync_interval = absl::Seconds(1);
  JobStore::Recovered recovered;
  std::unique_ptr<JobStore> store = Open(&recovered);
  ASSERT_THAT(store->JobAccepted("job_1", Accepted(1)), IsOk());
  store->TaskCommitted("job_1", Committed(0));
  store->TaskCommitted("job_1", Committed(1));
  clock_.Advance(absl::Seconds(1));
  JobStore::Recovered after = CrashAndReopen(store);
  ASSERT_THAT(UnfinishedIds(after), ElementsAre("job_1"));
  EXPECT_THAT(CommittedTasks(after.unfinished[0]), ElementsAre(0, 1));
}

TEST_F(JobStoreTest, ACrashBeforeTheSyncLosesOnlyTheLatestCommits) {
  JobStore::Recovered recovered;
  std::unique_ptr<JobStore> store = Open(&recovered);
  ASSERT_THAT(store->JobAccepted("job_1", Accepted(1)), IsOk());
  store->TaskCommitted("job_1", Committed(0));
  clock_.Advance(absl::ZeroDuration());  // written, not yet synced
  EXPECT_GT(env_.used_bytes(), 0u);
  JobStore::Recovered after = CrashAndReopen(store);
  ASSERT_THAT(UnfinishedIds(after), ElementsAre("job_1"));
  EXPECT_THAT(CommittedTasks(after.unfinished[0]), IsEmpty());
}

TEST_F(JobStoreTest, ARestartResumesUnfinishedJobsInAcceptanceOrderAndRemembersEndedOnes) {
  JobStore::Recovered recovered;
  std::unique_ptr<JobStore> store = Open(&recovered);
  for (uint64_t number : {3, 1, 2}) {
    ASSERT_THAT(store->JobAccepted(absl::StrCat("job_", number), Accepted(number)), IsOk());
  }
  store->TaskCommitted("job_1", Committed(4));
  ASSERT_THAT(store->JobEnded("job_2", Ended(2, proto::JOB_STATE_SUCCEEDED)), IsOk());
  store.reset();  // an orderly stop syncs
  JobStore::Recovered after;
  store = Open(&after);
  EXPECT_THAT(UnfinishedIds(after), ElementsAre("job_1", "job_3"));
  EXPECT_THAT(CommittedTasks(after.unfinished[0]), ElementsAre(4));
  ASSERT_THAT(EndedIds(after), ElementsAre("job_2"));
  EXPECT_EQ(after.ended[0].second.state(), proto::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(after.ended[0].second.job_id(), "job_2");
  EXPECT_EQ(after.next_job_number, 4u);
  EXPECT_EQ(store->epoch(), 2u);
}

TEST_F(JobStoreTest, OnlyTheLatestEndedJobsAreRemembered) {
  options_.kept_ended_jobs = 2;
  JobStore::Recovered recovered;
  std::unique_ptr<JobStore> store = Open(&recovered);
  for (uint64_t number = 1; number <= 4; ++number) {
    const std::string id = absl::StrCat("job_", number);
    ASSERT_THAT(store->JobAccepted(id, Accepted(number)), IsOk());
    ASSERT_THAT(store->JobEnded(id, Ended(number, proto::JOB_STATE_FAILED)), IsOk());
  }
  store.reset();
  JobStore::Recovered after;
  store = Open(&after);
  EXPECT_THAT(EndedIds(after), ElementsAre("job_3", "job_4"));
  // Job numbers go on above the forgotten ones too.
  EXPECT_EQ(after.next_job_number, 5u);
  store.reset();
  JobStore::Recovered again;
  store = Open(&again);
  EXPECT_EQ(again.next_job_number, 5u);
}

TEST_F(JobStoreTest, AFullDiskAtSubmitRefusesTheJobAndEveryLaterOne) {
  JobStore::Recovered recovered;
  std::unique_ptr<JobStore> store = Open(&recovered);
  env_.SetCapacity(env_.used_bytes() + 4);
  EXPECT_THAT(store->JobAccepted("job_1", Accepted(1)),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("cannot journal the job")));
  EXPECT_THAT(store->error(), StatusIs(absl::StatusCode::kResourceExhausted));
  // Sticky: room on the disk again does not make the lost buffer come back.
  env_.SetCapacity(FakeEnv::kUnlimited);
  EXPECT_THAT(store->JobAccepted("job_2", Accepted(2)),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("restarted")));
  JobStore::Recovered after = CrashAndReopen(store);
  EXPECT_THAT(after.unfinished, IsEmpty());
  EXPECT_THAT(store->error(), IsOk());
}

TEST_F(JobStoreTest, ASubmitRefusedForAFailedSyncIsNotReplayedByARestart) {
  JobStore::Recovered recovered;
  std::unique_ptr<JobStore> store = Open(&recovered);
  env_.FailOn(FakeEnv::Op::kSync, "journal", absl::DataLossError("EIO"), 1);
  EXPECT_THAT(store->JobAccepted("job_1", Accepted(1)), StatusIs(absl::StatusCode::kUnavailable));
  // The process restarts; the machine did not crash, so unsynced bytes would still be there.
  store.reset();
  JobStore::Recovered after;
  store = Open(&after);
  EXPECT_THAT(after.unfinished, IsEmpty());
}

TEST_F(JobStoreTest, AJobNumberIsReservedInTheIdentityBeforeTheJobIsAccepted) {
  JobStore::Recovered recovered;
  std::unique_ptr<JobStore> store = Open(&recovered);
  // Past the bound written at open: the IDENTITY is written first, and it cannot be.
  const uint64_t far = 5 * Journal::kJobNumberLease;
  env_.FailOn(FakeEnv::Op::kRename, "IDENTITY", absl::ResourceExhaustedError("ENOSPC"), 1);
  EXPECT_THAT(store->JobAccepted("job_far", Accepted(far)),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("ENOSPC")));
  store.reset();
  JobStore::Recovered after;
  store = Open(&after);
  EXPECT_THAT(after.unfinished, IsEmpty());
  // Once it can be written, the job is accepted and its number survives the journal's loss.
  ASSERT_THAT(store->JobAccepted("job_far", Accepted(far)), IsOk());
  store.reset();
  ASSERT_THAT(env_.RemoveFile("/state/journal"), IsOk());
  ASSERT_THAT(Journal::Repair(env_, "/state"), IsOk());
  store = Open(&after);
  EXPECT_GT(after.next_job_number, far);
}

TEST_F(JobStoreTest, JobNumbersAreNeverGivenTwiceWhateverOrderJobsEndIn) {
  options_.kept_ended_jobs = 2;
  JobStore::Recovered recovered;
  std::unique_ptr<JobStore> store = Open(&recovered);
  for (uint64_t number : {1, 2, 3}) {
    ASSERT_THAT(store->JobAccepted(absl::StrCat("job_", number), Accepted(number)), IsOk());
  }
  for (uint64_t number : {3, 1, 2}) {
    ASSERT_THAT(
        store->JobEnded(absl::StrCat("job_", number), Ended(number, proto::JOB_STATE_SUCCEEDED)),
        IsOk());
  }
  for (int restart = 0; restart < 2; ++restart) {
    store.reset();
    JobStore::Recovered after;
    store = Open(&after);
    EXPECT_THAT(EndedIds(after), ElementsAre("job_1", "job_2"));
    EXPECT_EQ(after.next_job_number, 4u) << "restart " << restart;
  }
}

TEST_F(JobStoreTest, AFailedSyncOfCommitsMakesTheEndOfAJobUnrecorded) {
  JobStore::Recovered recovered;
  std::unique_ptr<JobStore> store = Open(&recovered);
  ASSERT_THAT(store->JobAccepted("job_1", Accepted(1)), IsOk());
  env_.FailOn(FakeEnv::Op::kSync, "journal", absl::ResourceExhaustedError("ENOSPC"));
  store->TaskCommitted("job_1", Committed(0));
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(store->error(), StatusIs(absl::StatusCode::kResourceExhausted));
  env_.ClearFailures();
  // The caller must not act as if the end were on disk (a failed job's output stays).
  EXPECT_THAT(store->JobEnded("job_1", Ended(1, proto::JOB_STATE_FAILED)),
              StatusIs(absl::StatusCode::kResourceExhausted));
  JobStore::Recovered after = CrashAndReopen(store);
  EXPECT_THAT(UnfinishedIds(after), ElementsAre("job_1"));
}

TEST_F(JobStoreTest, CompactionIsDueOnceTheJournalGrewByTheThreshold) {
  options_.compaction_threshold_bytes = 200;
  JobStore::Recovered recovered;
  std::unique_ptr<JobStore> store = Open(&recovered);
  ASSERT_THAT(store->JobAccepted("job_1", Accepted(1)), IsOk());
  EXPECT_FALSE(store->compaction_due());
  for (uint32_t task = 0; task < 50; ++task) store->TaskCommitted("job_1", Committed(task));
  EXPECT_TRUE(store->compaction_due());
  proto::JournalRecord end;
  end.set_job_id("job_1");
  *end.mutable_job_ended() = Ended(1, proto::JOB_STATE_SUCCEEDED);
  ASSERT_THAT(store->Compact({end}), IsOk());
  EXPECT_FALSE(store->compaction_due());
  store.reset();
  JobStore::Recovered after;
  store = Open(&after);
  EXPECT_THAT(after.unfinished, IsEmpty());
  EXPECT_THAT(EndedIds(after), ElementsAre("job_1"));
}

TEST_F(JobStoreTest, AFailedCompactionKeepsTheJournalAndTheStoreWorking) {
  JobStore::Recovered recovered;
  std::unique_ptr<JobStore> store = Open(&recovered);
  ASSERT_THAT(store->JobAccepted("job_1", Accepted(1)), IsOk());
  env_.FailOn(FakeEnv::Op::kRename, "journal", absl::PermissionDeniedError("EROFS"), 1);
  EXPECT_THAT(store->Compact({}), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(store->error(), IsOk());
  ASSERT_THAT(store->JobAccepted("job_2", Accepted(2)), IsOk());
  JobStore::Recovered after = CrashAndReopen(store);
  EXPECT_THAT(UnfinishedIds(after), ElementsAre("job_1", "job_2"));
}

TEST_F(JobStoreTest, AnotherCoordinatorOnTheStateDirectoryIsRefused) {
  JobStore::Recovered recovered;
  std::unique_ptr<JobStore> store = Open(&recovered);
  EXPECT_THAT(JobStore::Open(env_, clock_, options_, &recovered).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("another coordinator")));
}

}  // namespace
}  // namespace braid
