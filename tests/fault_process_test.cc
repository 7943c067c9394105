// Faults with real processes: workers killed with SIGKILL at random moments, a coordinator killed
// and restarted on its journal, a worker drained with SIGTERM. The output must be exact each time.

#include <signal.h>

#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "glog/logging.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/braid_process.h"
#include "tests/job_outputs.h"
#include "tests/temp_files.h"

namespace braid {
namespace {

using testing::BraidProcess;
using testing::CommandResult;
using ::testing::HasSubstr;
using testing::OutputLines;
using testing::ParseCounts;
using testing::ProcessCluster;
using testing::ReferenceCounts;
using testing::RunBraid;

constexpr absl::Duration kJobLimit = absl::Seconds(120);

// A generated corpus: its glob and its files' texts.
struct Corpus {
  std::string glob;
  std::vector<std::string> texts;
};

Corpus MakeCorpus(const testing::TempDir& dir, uint64_t seed, const std::string& size) {
  CommandResult made = RunBraid({"gen-corpus", "--size", size, "--files", "4", "--seed",
                                 absl::StrCat(seed), dir.File("corpus")});
  CHECK_EQ(made.exit_code, 0) << made.output;
  Corpus corpus{dir.File("corpus") + "/*", {}};
  for (const auto& entry : std::filesystem::directory_iterator(dir.File("corpus"))) {
    corpus.texts.push_back(testing::ReadFile(entry.path().string()));
  }
  return corpus;
}

std::vector<std::string> WordCountArgs(const ProcessCluster& cluster, const Corpus& corpus,
                                       const std::string& output) {
  return {"submit",
          "--coordinator",
          cluster.endpoint(),
          "--job",
          "wordcount",
          "--input",
          corpus.glob,
          "--output",
          output,
          "--reducers",
          "3",
          "--split-size",
          "128KiB"};
}

// The journal's "committed" lines, counted by "JOB kind task".
std::map<std::string, int> JournalCommits(const std::string& state_dir) {
  CommandResult journal = RunBraid({"journal", state_dir});
  EXPECT_EQ(journal.exit_code, 0) << journal.output;
  std::map<std::string, int> commits;
  for (absl::string_view line : absl::StrSplit(journal.output, '\n')) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.size() < 4 || fields[0] != "committed") continue;
    ++commits[absl::StrCat(fields[1], " ", fields[2], " ", fields[3])];
  }
  return commits;
}

class Chaos : public ::testing::TestWithParam<int> {};

// Each seed kills one of three workers: with even seeds the worker kills itself after a random
// number of records (so it surely dies mid-map), with odd seeds the test kills it after a random
// time (any phase, or after the job).
TEST_P(Chaos, AWordCountSurvivesAWorkerKilledAtARandomMoment) {
  const int seed = GetParam();
  std::mt19937_64 random(seed);
  testing::TempDir dir;
  Corpus corpus = MakeCorpus(dir, seed, "1MiB");
  const int victim = static_cast<int>(random() % 3);
  ProcessCluster::Options options;
  options.workers = 3;
  options.worker_flags.resize(3);
  if (seed % 2 == 0) {
    // A split of 128 KiB holds about 1,500 lines; the victim's first map task reaches this.
    options.worker_flags[victim] = {"--fault-crash-after-records",
                                    absl::StrCat(1 + random() % 1000)};
  }
  ProcessCluster cluster(options);
  BraidProcess submit(WordCountArgs(cluster, corpus, dir.File("out")));
  if (seed % 2 == 1) {
    submit.WaitForOutput("submitted job", absl::Seconds(30));
    absl::SleepFor(absl::Milliseconds(random() % 1500));  // the random moment of the kill
    cluster.worker(victim).Signal(SIGKILL);
  }
  ASSERT_EQ(submit.Wait(kJobLimit), 0) << submit.output();
  if (seed % 2 == 0) {
    EXPECT_EQ(cluster.worker(victim).Wait(absl::Seconds(10)), 128 + SIGKILL)
        << "the victim did not die";
  }
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out"))), ReferenceCounts(corpus.texts));
}

INSTANTIATE_TEST_SUITE_P(Seeds, Chaos, ::testing::Range(1, 11));

class CoordinatorChaos : public ::testing::TestWithParam<int> {};

// Twenty jobs submitted at once while the coordinator is killed with SIGKILL at random moments
// and started again on its journal (with odd seeds a worker is killed too): every job's output is
// exact, every `braid submit` prints its own job's success, and no submit makes a second job.
TEST_P(CoordinatorChaos, ConcurrentSubmitsAllSucceedOnceThroughCoordinatorKills) {
  const int seed = GetParam();
  std::mt19937_64 random(seed);
  testing::TempDir dir;
  Corpus corpus = MakeCorpus(dir, seed, "256KiB");
  ProcessCluster::Options options;
  options.workers = 3;
  options.slots = 2;
  ProcessCluster cluster(options);
  constexpr int kJobs = 20;
  std::vector<std::unique_ptr<BraidProcess>> submits;
  for (int i = 0; i < kJobs; ++i) {
    submits.push_back(std::make_unique<BraidProcess>(
        WordCountArgs(cluster, corpus, dir.File(absl::StrCat("out-", i)))));
  }
  const int kills = 1 + static_cast<int>(random() % 2);
  for (int kill = 0; kill < kills; ++kill) {
    absl::SleepFor(absl::Milliseconds(random() % 1500));  // the random moment of the kill
    cluster.RestartCoordinator();
  }
  if (seed % 2 == 1) cluster.worker(static_cast<int>(random() % 3)).Signal(SIGKILL);
  std::set<std::string> job_ids;
  const std::map<std::string, int64_t> expected = ReferenceCounts(corpus.texts);
  for (int i = 0; i < kJobs; ++i) {
    SCOPED_TRACE(absl::StrCat("submit ", i));
    ASSERT_EQ(submits[i]->Wait(kJobLimit), 0) << submits[i]->output();
    const std::string& output = submits[i]->output();
    const std::string kSubmitted = "submitted job ";
    const size_t at = output.find(kSubmitted);
    ASSERT_NE(at, std::string::npos) << output;
    const size_t start = at + kSubmitted.size();
    const std::string job = output.substr(start, output.find(':', start) - start);
    EXPECT_THAT(output, HasSubstr(absl::StrCat("job ", job, " succeeded")));
    job_ids.insert(job);
    EXPECT_EQ(ParseCounts(OutputLines(dir.File(absl::StrCat("out-", i)))), expected);
  }
  EXPECT_EQ(job_ids.size(), static_cast<size_t>(kJobs));
  CommandResult status = cluster.Braid({"status"});
  EXPECT_THAT(status.output, HasSubstr(absl::StrCat(kJobs, " jobs\n"))) << status.output;
}

INSTANTIATE_TEST_SUITE_P(Seeds, CoordinatorChaos, ::testing::Range(1, 21));

TEST(CoordinatorRestart, AJobResumesFromTheJournalAndItsClientFollows) {
  testing::TempDir dir;
  Corpus corpus = MakeCorpus(dir, 42, "2MiB");
  ProcessCluster::Options options;
  // Slow workers, so that the coordinator dies in the middle of the job.
  options.worker_flags = {{"--fault-slowdown", "10"}, {"--fault-slowdown", "10"}};
  ProcessCluster cluster(options);
  BraidProcess submit(WordCountArgs(cluster, corpus, dir.File("out")));
  ASSERT_TRUE(submit.WaitForOutput("submitted job", absl::Seconds(30))) << submit.output();
  // Wait (bounded) until some map tasks have committed.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (JournalCommits(cluster.state_dir()).size() < 2 && absl::Now() < deadline) {
    submit.WaitForOutput("\n~never~", absl::Milliseconds(100));
  }
  const size_t committed_before = JournalCommits(cluster.state_dir()).size();
  ASSERT_GE(committed_before, 2u);

  cluster.RestartCoordinator();
  ASSERT_EQ(submit.Wait(kJobLimit), 0) << submit.output();
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out"))), ReferenceCounts(corpus.texts));
  std::map<std::string, int> commits = JournalCommits(cluster.state_dir());
  for (const auto& [task, times] : commits) {
    EXPECT_EQ(times, 1) << task << " committed " << times << " times";
  }
  EXPECT_THAT(cluster.coordinator().output(), HasSubstr("resumed job"));
  EXPECT_THAT(submit.output(), HasSubstr("succeeded"));
}

TEST(WorkerDrain, SigtermFinishesOrHandsBackTheWorkersTasksAndLosesNone) {
  testing::TempDir dir;
  Corpus corpus = MakeCorpus(dir, 7, "2MiB");
  ProcessCluster::Options options;
  options.slots = 2;
  options.worker_flags = {{"--fault-slowdown", "10"}, {}};
  ProcessCluster cluster(options);
  BraidProcess submit(WordCountArgs(cluster, corpus, dir.File("out")));
  ASSERT_TRUE(submit.WaitForOutput("maps ", absl::Seconds(30))) << submit.output();
  cluster.worker(0).Signal(SIGTERM);
  EXPECT_EQ(cluster.worker(0).Wait(absl::Seconds(60)), 0) << cluster.worker(0).output();
  ASSERT_EQ(submit.Wait(kJobLimit), 0) << submit.output();
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out"))), ReferenceCounts(corpus.texts));
}

}  // namespace
}  // namespace braid
