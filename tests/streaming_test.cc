// Streaming jobs as users run them: scripts and shell commands as mapper, combiner and reducer,
// through `braid simulate` and a cluster of real processes.

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/braid_process.h"
#include "tests/job_outputs.h"
#include "tests/temp_files.h"
#include "tests/word_count_scripts.h"

namespace braid {
namespace {

using ::testing::AllOf;
using testing::BraidProcess;
using testing::CommandResult;
using ::testing::Each;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessCluster;
using testing::RunBraid;

std::string Corpus(const testing::TempDir& dir, const std::string& size, int files) {
  const std::string in = dir.File("in");
  CommandResult made = RunBraid({"gen-corpus", "--size", size, "--files", absl::StrCat(files), in});
  EXPECT_EQ(made.exit_code, 0) << made.output;
  return in;
}

void WriteScript(const std::string& path, const std::string& text) {
  testing::WriteFile(path, text);
  chmod(path.c_str(), 0755);
}

// `braid simulate` with two one-slot workers and these submit flags.
CommandResult Simulate(const std::vector<std::string>& submit_flags) {
  std::vector<std::string> args = {"simulate", "--workers", "2", "--slots", "1", "--"};
  args.insert(args.end(), submit_flags.begin(), submit_flags.end());
  return RunBraid(args, absl::Seconds(90));
}

// Streaming commands (sh -c ...) whose command line contains `marker`.
int ProcessesWith(const std::string& marker) {
  int found = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string cmdline = testing::ReadFile(entry.path().string() + "/cmdline");
    if (absl::StartsWith(cmdline, std::string("sh\0-c\0", 6)) &&
        cmdline.find(marker) != std::string::npos) {
      ++found;
    }
  }
  return found;
}

// Waits up to `timeout` for no process to have `marker` on its command line.
bool NoProcessesWithin(const std::string& marker, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (ProcessesWith(marker) > 0) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return true;
}

TEST(Streaming, APythonWordCountGivesExactlyTheBuiltInWordCountsOutput) {
  testing::TempDir dir;
  const std::string in = Corpus(dir, "256KiB", 2);
  // Shipped from another directory: the tasks find them in their working directories.
  std::filesystem::create_directory(dir.File("scripts"));
  WriteScript(dir.File("scripts/mapper.py"), testing::kWordCountMapper);
  WriteScript(dir.File("scripts/reducer.py"), testing::kWordCountReducer);
  CommandResult streaming = Simulate(
      {"--mapper", "./mapper.py", "--combiner", "./reducer.py", "--reducer", "python3 reducer.py",
       "--file", dir.File("scripts/mapper.py"), "--file", dir.File("scripts/reducer.py"), "--input",
       in, "--output", dir.File("streaming"), "--reducers", "2", "--split-size", "64KiB"});
  ASSERT_EQ(streaming.exit_code, 0) << streaming.output;
  EXPECT_THAT(streaming.output, HasSubstr("COMBINE_INPUT_RECORDS="));
  CommandResult builtin =
      Simulate({"--job", "wordcount", "--input", in, "--output", dir.File("builtin"), "--reducers",
                "2", "--split-size", "64KiB"});
  ASSERT_EQ(builtin.exit_code, 0) << builtin.output;
  std::vector<std::string> expected = testing::SortedOutputLines(dir.File("builtin"));
  ASSERT_GT(expected.size(), 1000u);
  EXPECT_TRUE(testing::SortedOutputLines(dir.File("streaming")) == expected);
  EXPECT_EQ(testing::PartFiles(dir.File("streaming")).size(), 2u);
}

TEST(Streaming, ASortAndUniqWordCountGivesTheBuiltInWordCountsOutput) {
  testing::TempDir dir;
  const std::string in = Corpus(dir, "256KiB", 2);
  // The mapper's lines have no tab: each word is a key with an empty value, and the reducer
  // gets "word<TAB>" lines, all of one word together.
  CommandResult streaming =
      Simulate({"--mapper", "tr -s '[:space:]' '\\n' | grep -v '^$'", "--reducer",
                "uniq -c | awk '{ print $2 \"\\t\" $1 }'", "--cmdenv", "LC_ALL=C", "--input", in,
                "--output", dir.File("streaming"), "--reducers", "3", "--split-size", "100KiB"});
  ASSERT_EQ(streaming.exit_code, 0) << streaming.output;
  CommandResult builtin = Simulate(
      {"--job", "wordcount", "--input", in, "--output", dir.File("builtin"), "--reducers", "3"});
  ASSERT_EQ(builtin.exit_code, 0) << builtin.output;
  EXPECT_TRUE(testing::SortedOutputLines(dir.File("streaming")) ==
              testing::SortedOutputLines(dir.File("builtin")));
}

TEST(Streaming, LinesWithoutTabsAreKeysAndAreWrittenWithHadoopsTrailingTab) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in.txt"), "cherry pie\napple tart\nbanana split\napple crumble\n");
  CommandResult run = Simulate(
      {"--mapper", "cut -d ' ' -f 1", "--input", dir.File("in.txt"), "--output", dir.File("out")});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(testing::ReadFile(dir.File("out/part-r-00000")),
            "apple\t\napple\t\nbanana\t\ncherry\t\n");
}

TEST(Streaming, AMapOnlyJobWritesTheMappersLinesAsKeyTabValue) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in.txt"), "b\ta\tc\nno tab\n");
  CommandResult run = Simulate({"--mapper", "cat", "--reducers", "0", "--input", dir.File("in.txt"),
                                "--output", dir.File("out")});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(testing::ReadFile(dir.File("out/part-m-00000")), "b\ta\tc\nno tab\t\n");
}

TEST(Streaming, AReducerThatReadsNothingStillRunsAndSucceeds) {
  testing::TempDir dir;
  const std::string in = Corpus(dir, "2MiB", 2);
  CommandResult run = Simulate({"--mapper", "cat", "--reducer", "echo done", "--input", in,
                                "--output", dir.File("out"), "--reducers", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(testing::SortedOutputLines(dir.File("out")),
            (std::vector<std::string>{"done\t", "done\t"}));
}

TEST(Streaming, AScriptThatIgnoresItsInputAndWritesALotSucceeds) {
  testing::TempDir dir;
  const std::string in = Corpus(dir, "2MiB", 1);
  CommandResult run =
      Simulate({"--mapper", "yes 'many lines of output' | head -n 400000", "--reducers", "0",
                "--input", in, "--output", dir.File("out"), "--split-size", "1MiB"});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  std::vector<std::string> parts = testing::PartFiles(dir.File("out"));
  ASSERT_GE(parts.size(), 2u);
  for (const std::string& part : parts) {
    const std::string text = testing::ReadFile(part);
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 400000) << part;
  }
}

TEST(Streaming, AFailingScriptIsRetriedThenFailsTheJobWithItsStderr) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in.txt"), "x\n");
  CommandResult run =
      Simulate({"--mapper", "echo 'the disk is on fire' >&2; exit 1", "--max-attempts", "2",
                "--input", dir.File("in.txt"), "--output", dir.File("out")});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, AllOf(HasSubstr("failed 2 times"), HasSubstr("exited with status 1"),
                                HasSubstr("the disk is on fire"), HasSubstr("command 'echo")));
  EXPECT_FALSE(std::filesystem::exists(dir.File("out")));
}

TEST(Streaming, AScriptSilentPastTheTaskTimeoutFailsItsAttempt) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in.txt"), "x\n");
  const absl::Time start = absl::Now();
  CommandResult run = Simulate({"--mapper", "sleep 60", "--task-timeout", "1s", "--max-attempts",
                                "1", "--input", dir.File("in.txt"), "--output", dir.File("out")});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, AllOf(HasSubstr("command 'sleep 60' made no progress for 1s")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
}

TEST(Streaming, TheEnvironmentHasHadoopsVariablesAndCmdenv) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in.txt"), "x\n");
  CommandResult run = Simulate(
      {"--mapper",
       "echo \"$GREETING|$mapreduce_task_ismap|$mapreduce_map_input_file|$map_input_file|"
       "$mapreduce_task_partition|$mapreduce_task_id|$mapreduce_task_attempt_id|$my_setting|"
       "$(basename \"$PWD\" | cut -c1-5)\"",
       "--cmdenv", "GREETING=hello world", "--set", "my.setting=7", "--reducers", "0", "--input",
       dir.File("in.txt"), "--output", dir.File("out")});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string line = testing::ReadFile(dir.File("out/part-m-00000"));
  std::vector<std::string> fields = absl::StrSplit(line, '|');
  ASSERT_EQ(fields.size(), 9u) << line;
  EXPECT_EQ(fields[0], "hello world");
  EXPECT_EQ(fields[1], "true");
  EXPECT_EQ(fields[2], dir.File("in.txt"));
  EXPECT_EQ(fields[3], dir.File("in.txt"));
  EXPECT_EQ(fields[4], "0");
  EXPECT_THAT(fields[5], AllOf(::testing::StartsWith("task_"), ::testing::EndsWith("_m_000000")));
  EXPECT_THAT(fields[6],
              AllOf(::testing::StartsWith("attempt_"), ::testing::EndsWith("_m_000000_0")));
  EXPECT_EQ(fields[7], "7");
  EXPECT_EQ(fields[8], "work-\t\n");  // a line without a tab: a key, an empty value
}

TEST(Streaming, CountersAndStatusFromStderrShowInTheResultAndInStatus) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in.txt"), "a\nb\nc\n");
  ProcessCluster cluster;
  CommandResult run = cluster.Braid(
      {"submit", "--mapper",
       "n=0; while read line; do n=$((n+1)); echo \"$line\"; done; "
       "echo \"reporter:counter:Lines,Seen,$n\" >&2; echo 'reporter:status:read it all' >&2; "
       "echo 'an ordinary warning' >&2",
       "--input", dir.File("in.txt"), "--output", dir.File("out")});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, AllOf(HasSubstr("Lines"), HasSubstr("Seen=3")));
  const size_t at = run.output.find("job_");
  ASSERT_NE(at, std::string::npos);
  const std::string job = run.output.substr(at, run.output.find_first_of(": ", at) - at);
  CommandResult status = cluster.Braid({"status", job});
  ASSERT_EQ(status.exit_code, 0) << status.output;
  EXPECT_THAT(status.output, AllOf(HasSubstr("status: read it all"), HasSubstr("Seen=3")));
  // Ordinary stderr goes to the worker's log, named by the attempt.
  EXPECT_TRUE(cluster.worker(0).WaitForOutput("an ordinary warning", absl::Seconds(1)) ||
              cluster.worker(1).WaitForOutput("an ordinary warning", absl::Seconds(1)));
}

TEST(Streaming, CancellingAJobKillsItsCommands) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in.txt"), "x\n");
  const std::string marker = absl::StrCat("braid-cancel-marker-", getpid());
  ProcessCluster cluster;
  CommandResult submitted =
      cluster.Braid({"submit", "--detach", "--mapper", absl::StrCat("sleep 600; echo ", marker),
                     "--input", dir.File("in.txt"), "--output", dir.File("out")});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.output;
  std::string job;
  for (absl::string_view line : absl::StrSplit(submitted.output, '\n')) {
    if (absl::StartsWith(line, "job_")) job = std::string(line);
  }
  ASSERT_FALSE(job.empty()) << submitted.output;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (ProcessesWith(marker) == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_GT(ProcessesWith(marker), 0) << "the command never started";
  CommandResult cancel = cluster.Braid({"cancel", job});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.output;
  EXPECT_TRUE(NoProcessesWithin(marker, absl::Seconds(10)));
}

TEST(Streaming, CtrlCOfASimulationKillsTheCommands) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in.txt"), "x\n");
  const std::string marker = absl::StrCat("braid-interrupt-marker-", getpid());
  BraidProcess simulate({"simulate", "--workers", "1", "--", "--mapper",
                         absl::StrCat("sleep 600; echo ", marker), "--input", dir.File("in.txt"),
                         "--output", dir.File("out")});
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (ProcessesWith(marker) == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_GT(ProcessesWith(marker), 0) << simulate.output();
  simulate.Signal(SIGINT);
  EXPECT_TRUE(simulate.Wait(absl::Seconds(30)).has_value()) << simulate.output();
  EXPECT_TRUE(NoProcessesWithin(marker, absl::Seconds(10)));
}

// Each bad streaming submission: refused by the client with a message naming the problem.
struct BadStreaming {
  const char* name;
  std::vector<std::string> args;  // after `braid submit`
  const char* message;
};

class StreamingRefuses : public ::testing::TestWithParam<BadStreaming> {};

TEST_P(StreamingRefuses, WithAMessageNamingTheProblem) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in.txt"), "a\n");
  // A sparse file over the limit: refused by its size, before it is read.
  testing::WriteFile(dir.File("big.bin"), "");
  std::filesystem::resize_file(dir.File("big.bin"), 17 << 20);
  std::vector<std::string> args = {"submit", "--coordinator", "ipc:///tmp/braid-nobody-streams"};
  for (std::string arg : GetParam().args) {
    if (absl::StartsWith(arg, "DIR")) arg = dir.path() + arg.substr(3);
    args.push_back(arg);
  }
  CommandResult run = RunBraid(args, absl::Seconds(30));
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_NE(run.exit_code, -1) << "hung";
  EXPECT_THAT(run.output, AllOf(HasSubstr(GetParam().message), Not(HasSubstr("cannot reach"))));
}

INSTANTIATE_TEST_SUITE_P(
    BadSubmissions, StreamingRefuses,
    ::testing::Values(
        BadStreaming{"NoMapper",
                     {"--job", "streaming", "--input", "DIR/in.txt", "--output", "DIR/out"},
                     "a streaming job needs a command: --mapper CMD"},
        BadStreaming{"ReducerWithoutMapper",
                     {"--reducer", "cat", "--input", "DIR/in.txt", "--output", "DIR/out"},
                     "--mapper CMD"},
        BadStreaming{"MapperForAnotherJob",
                     {"--job", "wordcount", "--mapper", "cat", "--input", "DIR/in.txt", "--output",
                      "DIR/out"},
                     "are for streaming jobs, not 'wordcount'"},
        BadStreaming{"UnreadableFile",
                     {"--mapper", "cat", "--file", "DIR/nope.py", "--input", "DIR/in.txt",
                      "--output", "DIR/out"},
                     "nope.py' cannot be read"},
        BadStreaming{"FileTooBig",
                     {"--mapper", "cat", "--file", "DIR/big.bin", "--input", "DIR/in.txt",
                      "--output", "DIR/out"},
                     "at most 16 MiB"},
        BadStreaming{
            "DirectoryAsFile",
            {"--mapper", "cat", "--file", "DIR", "--input", "DIR/in.txt", "--output", "DIR/out"},
            "is not a regular file"},
        BadStreaming{"BadCmdenv",
                     {"--mapper", "cat", "--cmdenv", "NOVALUE", "--input", "DIR/in.txt", "--output",
                      "DIR/out"},
                     "--cmdenv 'NOVALUE' is not NAME=VALUE"},
        BadStreaming{"ZeroTimeout",
                     {"--mapper", "cat", "--task-timeout", "0s", "--input", "DIR/in.txt",
                      "--output", "DIR/out"},
                     "--task-timeout must be at least 1ms"},
        BadStreaming{"UnknownFlag", {"--mapper", "cat", "--mapperr", "x"}, "mapperr"}),
    [](const ::testing::TestParamInfo<BadStreaming>& info) { return info.param.name; });

}  // namespace
}  // namespace braid
