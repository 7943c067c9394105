// The braid command line as users run it: real coordinator, worker and client processes.

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/env.h"
#include "coordinator/journal.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/braid_process.h"
#include "tests/job_outputs.h"
#include "tests/temp_files.h"

namespace braid {
namespace {

using ::testing::AllOf;
using testing::BraidProcess;
using testing::CommandResult;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::PartFiles;
using testing::ProcessCluster;
using testing::RunBraid;

std::map<std::string, int64_t> ReferenceCounts(const std::string& dir) {
  std::map<std::string, int64_t> counts;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    for (absl::string_view word : absl::StrSplit(testing::ReadFile(entry.path().string()),
                                                 absl::ByAnyChar(" \t\n\r\f"), absl::SkipEmpty())) {
      ++counts[std::string(word)];
    }
  }
  return counts;
}

std::map<std::string, int64_t> OutputCounts(const std::string& dir) {
  std::map<std::string, int64_t> counts;
  for (const std::string& part : PartFiles(dir)) {
    for (absl::string_view line :
         absl::StrSplit(testing::ReadFile(part), '\n', absl::SkipEmpty())) {
      std::pair<std::string, std::string> fields = absl::StrSplit(line, '\t');
      int64_t count = 0;
      EXPECT_TRUE(absl::SimpleAtoi(fields.second, &count)) << line;
      EXPECT_TRUE(counts.emplace(fields.first, count).second) << "word twice: " << fields.first;
    }
  }
  return counts;
}

// A generated corpus of `size` in `files` files, under `dir`/in.
std::string Corpus(const testing::TempDir& dir, const std::string& size, int files,
                   const std::string& kind = "words") {
  const std::string in = dir.File("in");
  CommandResult made =
      RunBraid({"gen-corpus", "--size", size, "--files", absl::StrCat(files), "--kind", kind, in});
  EXPECT_EQ(made.exit_code, 0) << made.output;
  return in;
}

TEST(Simulate, CountsWordsExactlyAndShutsTheClusterDown) {
  testing::TempDir dir;
  const std::string in = Corpus(dir, "3MiB", 3);
  CommandResult run = RunBraid({"simulate", "--workers", "2", "--slots", "1", "--", "--job",
                                "wordcount", "--input", in + "/*", "--output", dir.File("out"),
                                "--reducers", "3", "--split-size", "100KiB"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, AllOf(HasSubstr("succeeded"), HasSubstr("MAP_INPUT_RECORDS=")));
  EXPECT_EQ(PartFiles(dir.File("out")).size(), 3u);
  EXPECT_TRUE(std::filesystem::exists(dir.File("out/_SUCCESS")));
  EXPECT_EQ(OutputCounts(dir.File("out")), ReferenceCounts(in));
}

TEST(DataPlane, ReducersCopyMapOutputsFromTheWorkersThatWroteThem) {
  testing::TempDir dir;
  const std::string in = Corpus(dir, "2MiB", 4);
  ProcessCluster::Options options;
  options.workers = 2;
  options.worker_flags = {{"--data-listen", "auto"}, {"--data-listen", "auto"}};
  ProcessCluster cluster(options);
  CommandResult run =
      cluster.Braid({"submit", "--job", "wordcount", "--input", in + "/*", "--output",
                     dir.File("out"), "--reducers", "2", "--split-size", "100KiB"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(OutputCounts(dir.File("out")), ReferenceCounts(in));
  // Each worker says at exit what it served and fetched: some of it crossed between them.
  int64_t served = 0;
  for (int i = 0; i < 2; ++i) {
    cluster.worker(i).Signal(SIGINT);
    ASSERT_TRUE(cluster.worker(i).Wait(absl::Seconds(30)).has_value());
    const int64_t bytes = testing::BytesServedByWorker(cluster.worker(i).output());
    ASSERT_GE(bytes, 0) << cluster.worker(i).output();
    served += bytes;
  }
  EXPECT_GT(served, 0);
}

TEST(Simulate, ExitsNonZeroWithTheReasonWhenTheJobIsRefused) {
  testing::TempDir dir;
  CommandResult run = RunBraid({"simulate", "--workers", "1", "--", "--job", "wordcount", "--input",
                                dir.File("missing"), "--output", dir.File("out")});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.output, HasSubstr(dir.File("missing")));
}

TEST(Simulate, CtrlCStopsEveryProcessOfTheCluster) {
  testing::TempDir dir;
  BraidProcess simulate({"simulate", "--workers", "2", "--slots", "1", "--", "--job", "noop",
                         "--reducers", "0", "--set", "tasks=2", "--set", "task_ms=600000",
                         "--output", dir.File("out")});
  ASSERT_TRUE(simulate.WaitForOutput("maps 0/2", absl::Seconds(60))) << simulate.output();
  // The cluster's processes name its directory on their command lines.
  const std::string output = simulate.output();
  size_t at = output.find("logs in ");
  ASSERT_NE(at, std::string::npos) << output;
  const std::string cluster_dir = output.substr(at + 8, output.find(')', at) - at - 8);
  auto cluster_processes = [&cluster_dir] {
    int found = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      std::string cmdline = testing::ReadFile(entry.path().string() + "/cmdline");
      if (cmdline.find(cluster_dir) != std::string::npos) ++found;
    }
    return found;
  };
  EXPECT_EQ(cluster_processes(), 3) << "a coordinator and two workers";

  simulate.Signal(SIGINT);
  std::optional<int> exit_code = simulate.Wait(absl::Seconds(60));
  ASSERT_TRUE(exit_code.has_value()) << simulate.output();
  EXPECT_EQ(*exit_code, 128 + SIGINT);
  EXPECT_THAT(simulate.output(), HasSubstr("interrupted"));
  EXPECT_EQ(cluster_processes(), 0);
}

TEST(Simulate, CtrlCCancelsTheJobAndLeavesNoOutputBehind) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in.txt"), "a\nb\n");
  const std::string started = dir.File("started");
  BraidProcess simulate({"simulate", "--workers", "1", "--slots", "1", "--", "--mapper",
                         absl::StrCat("touch ", started, "; sleep 600; cat"), "--reducers", "1",
                         "--input", dir.File("in.txt"), "--output", dir.File("out")});
  // Once the mapper runs, the job has made its output directory.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (!std::filesystem::exists(started) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));  // polling for the file, not waiting out a race
  }
  ASSERT_TRUE(std::filesystem::exists(started)) << simulate.output();
  ASSERT_TRUE(std::filesystem::exists(dir.File("out/_temporary")));

  simulate.Signal(SIGINT);
  std::optional<int> exit_code = simulate.Wait(absl::Seconds(60));
  ASSERT_TRUE(exit_code.has_value()) << simulate.output();
  EXPECT_EQ(*exit_code, 128 + SIGINT);
  EXPECT_FALSE(std::filesystem::exists(dir.File("out"))) << "a rerun would find it there";
}

TEST(Submit, TwoJobsAtOnceBothFinishCorrectly) {
  testing::TempDir dir;
  const std::string words = Corpus(dir, "1MiB", 2);
  testing::TempDir sort_dir;
  const std::string records = Corpus(sort_dir, "200KiB", 2, "terasort");
  ProcessCluster cluster;
  BraidProcess count({"submit", "--coordinator", cluster.endpoint(), "--job", "wordcount",
                      "--input", words, "--output", dir.File("out"), "--reducers", "2",
                      "--split-size", "64KiB"});
  BraidProcess sort({"submit", "--coordinator", cluster.endpoint(), "--job", "sort", "--input",
                     records, "--output", sort_dir.File("out"), "--reducers", "3", "--split-size",
                     "32KiB"});
  ASSERT_EQ(count.Wait(absl::Seconds(120)), 0) << count.output();
  ASSERT_EQ(sort.Wait(absl::Seconds(120)), 0) << sort.output();
  EXPECT_EQ(OutputCounts(dir.File("out")), ReferenceCounts(words));

  std::vector<std::string> input_records;
  for (const auto& entry : std::filesystem::directory_iterator(records)) {
    for (absl::string_view line :
         absl::StrSplit(testing::ReadFile(entry.path().string()), '\n', absl::SkipEmpty())) {
      input_records.emplace_back(line);
    }
  }
  std::vector<std::string> output_records;
  for (const std::string& part : PartFiles(sort_dir.File("out"))) {
    for (absl::string_view line :
         absl::StrSplit(testing::ReadFile(part), '\n', absl::SkipEmpty())) {
      output_records.emplace_back(line);
    }
  }
  EXPECT_TRUE(std::is_sorted(
      output_records.begin(), output_records.end(),
      [](const std::string& a, const std::string& b) { return a.substr(0, 10) < b.substr(0, 10); }))
      << "ordered across part files";
  std::sort(input_records.begin(), input_records.end());
  std::sort(output_records.begin(), output_records.end());
  EXPECT_TRUE(input_records == output_records) << "a permutation of the input";
}

TEST(Submit, DetachPrintsTheJobThatStatusThenReports) {
  testing::TempDir dir;
  const std::string words = Corpus(dir, "100KiB", 1);
  ProcessCluster cluster;
  CommandResult submitted = cluster.Braid(
      {"submit", "--job", "wordcount", "--input", words, "--output", dir.File("out"), "--detach"});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.output;
  // The id alone on a line (stdout); stderr says more.
  std::string job;
  for (absl::string_view line : absl::StrSplit(submitted.output, '\n')) {
    if (absl::StartsWith(line, "job_")) job = std::string(line);
  }
  ASSERT_FALSE(job.empty()) << submitted.output;
  CommandResult status = cluster.Braid({"status", job});
  ASSERT_EQ(status.exit_code, 0) << status.output;
  EXPECT_THAT(status.output, AllOf(HasSubstr("2 workers"), HasSubstr(job), HasSubstr("map")));
}

TEST(Submit, AMapOnlyJobWritesPartMFiles) {
  testing::TempDir dir;
  const std::string words = Corpus(dir, "200KiB", 2);
  ProcessCluster cluster;
  CommandResult run = cluster.Braid({"submit", "--job", "grep", "--set", "pattern=^a", "--input",
                                     words, "--output", dir.File("out"), "--reducers", "0"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::vector<std::string> parts = PartFiles(dir.File("out"));
  ASSERT_FALSE(parts.empty());
  for (const std::string& part : parts) EXPECT_THAT(part, HasSubstr("part-m-"));
}

TEST(Submit, ATaskBagJobPrintsItsGatheredOutput) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("params.txt"), "alpha\nbeta\ngamma\n");
  ProcessCluster cluster;
  CommandResult run = cluster.Braid({"submit", "--job", "identity", "--input",
                                     dir.File("params.txt"), "--records-per-task", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, AllOf(HasSubstr("alpha\nbeta\ngamma\n")));
}

TEST(Cancel, EndsARunningJobAsCancelled) {
  testing::TempDir dir;
  ProcessCluster cluster;
  BraidProcess submit({"submit", "--coordinator", cluster.endpoint(), "--job", "noop", "--reducers",
                       "0", "--set", "task_ms=600000", "--output", dir.File("out")});
  ASSERT_TRUE(submit.WaitForOutput("submitted job ", absl::Seconds(60))) << submit.output();
  ASSERT_TRUE(submit.WaitForOutput(":", absl::Seconds(60)));
  const std::string& said = submit.output();
  size_t at = said.find("job_");
  const std::string job = said.substr(at, said.find(':', at) - at);
  CommandResult cancel = cluster.Braid({"cancel", job});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.output;
  EXPECT_EQ(submit.Wait(absl::Seconds(60)), 1);
  EXPECT_THAT(submit.output(), HasSubstr("was cancelled"));
  // The coordinator removes the output off its loop once the end is on record, so it may go just
  // after the client hears of the end.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (std::filesystem::exists(dir.File("out")) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_FALSE(std::filesystem::exists(dir.File("out")));
}

// Each bad input: refused with a message naming the problem, and a non-zero exit.
struct BadInput {
  const char* name;
  std::vector<std::string> args;  // after `braid submit --coordinator ...`
  const char* message;
};

class SubmitRefuses : public ::testing::TestWithParam<BadInput> {
 protected:
  // One cluster serves every case.
  static void SetUpTestSuite() {
    ProcessCluster::Options options;
    options.workers = 1;
    cluster = new ProcessCluster(options);
  }
  static void TearDownTestSuite() { delete cluster; }
  static ProcessCluster* cluster;
};
ProcessCluster* SubmitRefuses::cluster = nullptr;

TEST_P(SubmitRefuses, WithAMessageNamingTheProblem) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("words.txt"), "a b c\n");
  std::filesystem::create_directory(dir.File("existing"));
  std::vector<std::string> args = {"submit"};
  for (std::string arg : GetParam().args) {
    // DIR stands for the test's directory.
    if (absl::StartsWith(arg, "DIR")) arg = dir.path() + arg.substr(3);
    args.push_back(arg);
  }
  CommandResult run = cluster->Braid(args);
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.exit_code, -1) << "hung";
  EXPECT_THAT(run.output, HasSubstr(GetParam().message));
  EXPECT_THAT(run.output, Not(HasSubstr("succeeded")));
}

INSTANTIATE_TEST_SUITE_P(
    BadInputs, SubmitRefuses,
    ::testing::Values(
        BadInput{"MissingInput",
                 {"--job", "wordcount", "--input", "DIR/nope.txt", "--output", "DIR/out"},
                 "nope.txt"},
        BadInput{"EmptyGlob",
                 {"--job", "wordcount", "--input", "DIR/*.csv", "--output", "DIR/out"},
                 "*.csv"},
        BadInput{"ExistingOutput",
                 {"--job", "wordcount", "--input", "DIR/words.txt", "--output", "DIR/existing"},
                 "--overwrite"},
        BadInput{"UnknownJob",
                 {"--job", "wordcont", "--input", "DIR/words.txt", "--output", "DIR/out"},
                 "known jobs: distinct, grep"},
        BadInput{"AbsurdReducers",
                 {"--job", "wordcount", "--input", "DIR/words.txt", "--output", "DIR/out",
                  "--reducers", "10000000"},
                 "reducers"},
        BadInput{"NegativeReducers",
                 {"--job", "wordcount", "--input", "DIR/words.txt", "--output", "DIR/out",
                  "--reducers", "-1"},
                 "--reducers cannot be negative"},
        BadInput{"MalformedSet",
                 {"--job", "wordcount", "--input", "DIR/words.txt", "--output", "DIR/out", "--set",
                  "novalue"},
                 "--set 'novalue' is not KEY=VALUE"},
        BadInput{"BadSize",
                 {"--job", "wordcount", "--input", "DIR/words.txt", "--output", "DIR/out",
                  "--split-size", "12XB"},
                 "'12XB' is not a size"},
        BadInput{"BadCombineInputs",
                 {"--job", "wordcount", "--input", "DIR/words.txt", "--output", "DIR/out",
                  "--combine-inputs", "maybe"},
                 "--combine-inputs maybe: expected on, off or auto"},
        BadInput{
            "MissingJob", {"--input", "DIR/words.txt", "--output", "DIR/out"}, "--job is required"},
        BadInput{"UnknownFlag", {"--job", "wordcount", "--bogus"}, "bogus"},
        BadInput{"BadJobConfiguration",
                 {"--job", "grep", "--set", "pattern=(", "--input", "DIR/words.txt", "--output",
                  "DIR/out"},
                 "pattern"}),
    [](const ::testing::TestParamInfo<BadInput>& info) { return info.param.name; });

TEST(Client, AnUnreachableCoordinatorIsNamed) {
  CommandResult run =
      RunBraid({"status", "--coordinator", "ipc:///tmp/braid-test-nobody-here", "--timeout", "1s"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.output,
              HasSubstr("cannot reach the coordinator at ipc:///tmp/braid-test-nobody"));
  EXPECT_THAT(run.output, HasSubstr("no answer since, in 1s"));
}

TEST(Client, ACoordinatorThatIsNotUpYetIsWaitedFor) {
  testing::ShortTempDir dir;
  const std::string endpoint = absl::StrCat("ipc://", dir.path(), "/c");
  BraidProcess status({"status", "--coordinator", endpoint, "--timeout", "60s"});
  // The client's first hello goes unanswered (its Link waits 3 s for it); then it keeps trying.
  ASSERT_FALSE(status.WaitForOutput("~never~", absl::Seconds(4)));
  BraidProcess coordinator(
      {"coordinator", "--listen", endpoint, "--work_dir", dir.path() + "/w", "--http", "off"});
  ASSERT_TRUE(coordinator.WaitForOutput("listening on", absl::Seconds(30))) << coordinator.output();
  EXPECT_EQ(status.Wait(absl::Seconds(60)), 0) << status.output();
  EXPECT_THAT(status.output(), HasSubstr("0 workers"));
  coordinator.Signal(SIGINT);
  EXPECT_EQ(coordinator.Wait(absl::Seconds(30)), 0);
}

TEST(Cli, AnUnknownCommandIsNamedWithTheUsage) {
  CommandResult run = RunBraid({"frobnicate"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.output,
              AllOf(HasSubstr("unknown command 'frobnicate'"), HasSubstr("braid simulate")));
}

// What `braid ARGS` prints on stdout alone, and its exit code.
std::pair<std::string, int> StdoutOfBraid(const std::string& args) {
  const std::string command = absl::StrCat(testing::BraidPath(), " ", args, " 2>/dev/null");
  std::FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {"", -1};
  std::string out;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;) out.append(buffer, n);
  const int status = pclose(pipe);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

TEST(Cli, EveryCommandExplainsItsFlagsOnStdoutAndExitsZero) {
  for (const char* command : {"coordinator", "worker", "submit", "status", "jobs", "cancel",
                              "simulate", "gen-corpus", "journal"}) {
    auto [out, exit_code] = StdoutOfBraid(absl::StrCat(command, " --help"));
    EXPECT_EQ(exit_code, 0) << command;
    EXPECT_THAT(out, HasSubstr(absl::StrCat("usage: braid ", command))) << command;
  }
}

TEST(Cli, HelpListsEveryFlagOfTheCommandWithDashesAndItsDefault) {
  auto [out, exit_code] = StdoutOfBraid("worker --help");
  EXPECT_EQ(exit_code, 0);
  EXPECT_THAT(out, HasSubstr("  --data-listen\n"));
  EXPECT_THAT(out, HasSubstr("  --coordinator (default tcp://127.0.0.1:7070)\n"));
  EXPECT_THAT(out, HasSubstr("  --http\n"));
  EXPECT_THAT(out, Not(HasSubstr("--data_listen")));
  EXPECT_THAT(out, Not(HasSubstr("--reducers")));  // submit's, not the worker's
  auto [submit, submit_exit] = StdoutOfBraid("submit --help");
  EXPECT_EQ(submit_exit, 0);
  EXPECT_THAT(submit, HasSubstr("  --split-size"));
  EXPECT_THAT(submit, HasSubstr("  --mapper\n"));  // the streaming ones too
}

TEST(Cli, AnUnknownFlagIsRefusedWithTheNearestOne) {
  CommandResult run = RunBraid({"submit", "--reducrs", "2", "--job", "wordcount"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.output,
              HasSubstr("braid submit: unknown flag --reducrs; did you mean --reducers?"));
  run = RunBraid({"status", "--jsno"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.output, HasSubstr("did you mean --json?"));
  run = RunBraid({"submit", "--json", "--job", "wordcount"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.output, HasSubstr("braid submit: --json is not a flag of this command"));
  run = RunBraid({"status", "--entirely-unlike-anything"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.output, HasSubstr("unknown flag --entirely-unlike-anything (--help"));
}

TEST(Cli, JobsListsTheKindsTheWorkersRunWithTheirDescriptions) {
  ProcessCluster cluster;
  const CommandResult jobs = cluster.Braid({"jobs"});
  EXPECT_EQ(jobs.exit_code, 0) << jobs.output;
  EXPECT_THAT(jobs.output, HasSubstr("wordcount"));
  EXPECT_THAT(jobs.output, HasSubstr("distinct         each distinct line once, sorted\n"));
  EXPECT_THAT(jobs.output, Not(HasSubstr("of 2 workers")));  // both run every kind
}

TEST(Cli, HelpIsPrintedOnStdoutAndExitsZero) {
  for (const char* asked : {"--help", "-h", "help"}) {
    auto [out, exit_code] = StdoutOfBraid(asked);
    EXPECT_EQ(exit_code, 0) << asked;
    EXPECT_THAT(out, HasSubstr("usage: braid COMMAND")) << asked;
  }
}

TEST(Journal, ADirectoryWithoutAJournalIsRefusedNotPrintedEmpty) {
  testing::TempDir dir;
  CommandResult run = RunBraid({"journal", dir.path()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.output, HasSubstr("holds no journal"));
  testing::WriteFile(dir.File("file"), "x");
  run = RunBraid({"journal", dir.File("file")});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.output, HasSubstr("is not a directory"));
}

TEST(Journal, ADamagedJournalStopsTheCoordinatorUntilRepairKeepsEveryIntactRecord) {
  testing::ShortTempDir dir;
  const std::string state_dir = dir.path() + "/work/state";
  std::string damaged_frame;
  {
    Journal::Contents contents;
    absl::StatusOr<std::unique_ptr<Journal>> journal =
        Journal::Open(*Env::Default(), state_dir, &contents);
    ASSERT_TRUE(journal.ok()) << journal.status();
    for (int number : {1, 2, 3}) {
      proto::JournalRecord record;
      record.set_job_id(absl::StrCat("job_", (*journal)->cluster_id(), "_000", number));
      record.mutable_job_ended()->set_state(proto::JOB_STATE_SUCCEEDED);
      record.mutable_job_ended()->set_number(number);
      record.mutable_job_ended()->mutable_status()->set_job_id(record.job_id());
      record.mutable_job_ended()->mutable_status()->set_state(proto::JOB_STATE_SUCCEEDED);
      ASSERT_TRUE((*journal)->Append(record).ok());
      if (number == 2) damaged_frame = EncodeJournalFrame(record);
    }
    ASSERT_TRUE((*journal)->Sync().ok());
  }
  std::string data = testing::ReadFile(state_dir + "/journal");
  const size_t at = data.find(damaged_frame);
  ASSERT_NE(at, std::string::npos);
  data[at + 20] ^= 0x04;
  testing::WriteFile(state_dir + "/journal", data);

  CommandResult shown = RunBraid({"journal", state_dir});
  EXPECT_EQ(shown.exit_code, 1);
  EXPECT_THAT(shown.output, HasSubstr(absl::StrCat("damaged at byte ", at)));
  EXPECT_THAT(shown.output, HasSubstr("_0003 JOB_STATE_SUCCEEDED"));

  const std::string endpoint = absl::StrCat("ipc://", dir.path(), "/c");
  CommandResult refused = RunBraid(
      {"coordinator", "--listen", endpoint, "--work_dir", dir.path() + "/work", "--http", "off"},
      absl::Seconds(60));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.output, HasSubstr(absl::StrCat("braid journal repair ", state_dir)));
  EXPECT_EQ(testing::ReadFile(state_dir + "/journal"), data);

  CommandResult repaired = RunBraid({"journal", "repair", state_dir});
  EXPECT_EQ(repaired.exit_code, 0) << repaired.output;
  EXPECT_THAT(repaired.output, HasSubstr("kept      2 intact records"));
  EXPECT_THAT(repaired.output, HasSubstr("moved     the journal to"));

  BraidProcess coordinator(
      {"coordinator", "--listen", endpoint, "--work_dir", dir.path() + "/work", "--http", "off"});
  ASSERT_TRUE(coordinator.WaitForOutput("listening on", absl::Seconds(30))) << coordinator.output();
  CommandResult status = RunBraid({"status", "--coordinator", endpoint});
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_THAT(status.output, HasSubstr("_0001"));
  EXPECT_THAT(status.output, HasSubstr("_0003"));
  EXPECT_THAT(status.output, Not(HasSubstr("_0002")));
  coordinator.Signal(SIGINT);
  EXPECT_EQ(coordinator.Wait(absl::Seconds(30)), 0);
}

TEST(GenCorpus, TheSameSeedWritesTheSameBytes) {
  testing::TempDir dir;
  for (const char* name : {"a", "b"}) {
    ASSERT_EQ(
        RunBraid({"gen-corpus", "--size", "64KiB", "--files", "2", "--seed", "7", dir.File(name)})
            .exit_code,
        0);
  }
  for (const char* file : {"/part-00000.txt", "/part-00001.txt"}) {
    EXPECT_EQ(testing::ReadFile(dir.File("a") + file), testing::ReadFile(dir.File("b") + file));
  }
}

}  // namespace
}  // namespace braid
