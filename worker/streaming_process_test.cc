#include "worker/streaming_process.h"

#include <signal.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/temp_files.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class Recorder : public StreamingProcess::Listener {
 public:
  void OnOutputLine(absl::string_view line) override {
    ++count;
    bytes += line.size() + 1;
    if (lines.size() < 100) lines.emplace_back(line);
  }
  bool OnErrorLine(absl::string_view line) override {
    errors.emplace_back(line);
    return absl::StartsWith(line, "reporter:");
  }
  std::vector<std::string> lines;  // the first 100
  uint64_t count = 0;
  uint64_t bytes = 0;
  std::vector<std::string> errors;
};

class StreamingProcessTest : public ::testing::Test {
 protected:
  StreamingProcess::Options Options(const std::string& command) {
    StreamingProcess::Options options;
    options.command = command;
    options.working_directory = dir_.path();
    options.environment = {"PATH=/usr/bin:/bin", "GREETING=hello"};
    options.timeout = absl::Seconds(20);
    return options;
  }
  std::unique_ptr<StreamingProcess> Start(StreamingProcess::Options options) {
    absl::StatusOr<std::unique_ptr<StreamingProcess>> process =
        StreamingProcess::Start(std::move(options), &recorder_);
    EXPECT_THAT(process, IsOk());
    return process.ok() ? *std::move(process) : nullptr;
  }
  // True once no live process of group `pgid` is left. A process sent SIGKILL still runs until
  // the kernel has torn it down, so this waits for that, up to `bound`; a straggler that was never
  // killed (the tests' commands sleep for 30 s) outlives the bound.
  static bool GroupGone(pid_t pgid, absl::Duration bound = absl::Seconds(5)) {
    const absl::Time deadline = absl::Now() + bound;
    while (LiveMembers(pgid) > 0) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(1));
    }
    return true;
  }
  // Processes of group `pgid` that are not zombies (killed ones may wait for whoever reaps
  // orphans).
  static int LiveMembers(pid_t pgid) {
    int live = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      const std::string stat = testing::ReadFile(entry.path().string() + "/stat");
      const size_t end_of_name = stat.rfind(')');
      if (end_of_name == std::string::npos) continue;
      // After the name: state, parent, group.
      std::vector<std::string> fields =
          absl::StrSplit(stat.substr(end_of_name + 2), ' ', absl::SkipEmpty());
      if (fields.size() > 2 && fields[2] == absl::StrCat(pgid) && fields[0] != "Z" &&
          fields[0] != "X") {
        ++live;
      }
    }
    return live;
  }

  testing::TempDir dir_;
  Recorder recorder_;
};

TEST_F(StreamingProcessTest, PassesLinesThroughACommand) {
  auto process = Start(Options("cat"));
  ASSERT_NE(process, nullptr);
  EXPECT_THAT(process->WriteLine({"a\tb"}), IsOk());
  EXPECT_THAT(process->WriteLine({"key", "\t", "value"}), IsOk());
  EXPECT_THAT(process->Finish(), IsOk());
  EXPECT_THAT(recorder_.lines, ElementsAre("a\tb", "key\tvalue"));
}

TEST_F(StreamingProcessTest, ALastLineWithoutANewlineCounts) {
  auto process = Start(Options("printf 'one\\ntwo'"));
  ASSERT_NE(process, nullptr);
  EXPECT_THAT(process->Finish(), IsOk());
  EXPECT_THAT(recorder_.lines, ElementsAre("one", "two"));
}

TEST_F(StreamingProcessTest, RunsInTheWorkingDirectoryWithExactlyTheEnvironmentGiven) {
  auto process = Start(Options("pwd; echo \"$GREETING\"; echo \"${HOME:-no home}\""));
  ASSERT_NE(process, nullptr);
  EXPECT_THAT(process->Finish(), IsOk());
  EXPECT_THAT(recorder_.lines, ElementsAre(dir_.path(), "hello", "no home"));
}

TEST_F(StreamingProcessTest, ACommandThatWritesMuchWithoutReadingDoesNotDeadlock) {
  // 20 MB each way: far beyond any pipe, in both directions at once.
  auto process = Start(Options("yes 0123456789012345678901234567890123456789 | head -n 500000"));
  ASSERT_NE(process, nullptr);
  const std::string line(99, 'x');
  for (int i = 0; i < 200'000; ++i) ASSERT_THAT(process->WriteLine({line}), IsOk());
  EXPECT_THAT(process->Finish(), IsOk());
  EXPECT_EQ(recorder_.count, 500'000u);
}

TEST_F(StreamingProcessTest, ACommandThatReadsEverythingBeforeWritingDoesNotDeadlock) {
  auto process = Start(Options("sort"));
  ASSERT_NE(process, nullptr);
  const std::string line(99, 'x');
  for (int i = 0; i < 200'000; ++i) {
    ASSERT_THAT(process->WriteLine({absl::StrCat(200'000 - i), line}), IsOk());
  }
  EXPECT_THAT(process->Finish(), IsOk());
  EXPECT_EQ(recorder_.count, 200'000u);
}

TEST_F(StreamingProcessTest, ACommandThatExitsWithoutReadingDropsTheInputAndSucceeds) {
  // Writing to its closed stdin raises SIGPIPE in this thread: it must not end the process.
  auto process = Start(Options("echo done"));
  ASSERT_NE(process, nullptr);
  const std::string line(999, 'x');
  for (int i = 0; i < 20'000; ++i) ASSERT_THAT(process->WriteLine({line}), IsOk());
  EXPECT_THAT(process->Finish(), IsOk());
  EXPECT_THAT(recorder_.lines, ElementsAre("done"));
}

TEST_F(StreamingProcessTest, ANonZeroExitNamesTheCommandItsStatusAndItsStderr) {
  auto process = Start(Options("echo 'first words' >&2; echo 'last words' >&2; exit 3"));
  ASSERT_NE(process, nullptr);
  EXPECT_THAT(process->Finish(),
              StatusIs(absl::StatusCode::kAborted,
                       AllOf(HasSubstr("command 'echo 'first words'"),
                             HasSubstr("exited with status 3"), HasSubstr("last words"))));
}

TEST_F(StreamingProcessTest, TheStderrTailLeavesReporterLinesOutAndKeepsTheEnd) {
  StreamingProcess::Options options = Options(
      "echo 'reporter:status:busy' >&2; for i in $(seq 1 500); do echo \"line $i\" >&2; done; "
      "exit 1");
  options.stderr_tail_bytes = 100;
  auto process = Start(options);
  ASSERT_NE(process, nullptr);
  absl::Status finished = process->Finish();
  ASSERT_THAT(finished, StatusIs(absl::StatusCode::kAborted, HasSubstr("stderr ended with:")));
  const std::string tail(finished.message().substr(finished.message().find("ended with:")));
  EXPECT_THAT(
      tail, AllOf(HasSubstr("line 500"), Not(HasSubstr("line 400")), Not(HasSubstr("reporter:"))));
  EXPECT_EQ(recorder_.errors.size(), 501u);
}

TEST_F(StreamingProcessTest, DeathByASignalIsNamed) {
  auto process = Start(Options("kill -SEGV $$"));
  ASSERT_NE(process, nullptr);
  EXPECT_THAT(process->Finish(),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("killed by signal 11")));
}

TEST_F(StreamingProcessTest, NoProgressForTheTimeoutKillsTheGroup) {
  StreamingProcess::Options options = Options("sleep 30 & sleep 30");
  options.timeout = absl::Milliseconds(300);
  auto process = Start(options);
  ASSERT_NE(process, nullptr);
  const pid_t pid = process->pid();
  const absl::Time start = absl::Now();
  EXPECT_THAT(process->WriteLine({"ignored"}), IsOk());
  EXPECT_THAT(process->Finish(),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("no progress for 300ms")));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_TRUE(GroupGone(pid));
}

TEST_F(StreamingProcessTest, OutputOnStderrCountsAsProgress) {
  StreamingProcess::Options options =
      Options("for i in 1 2 3 4 5 6; do echo tick >&2; sleep 0.1; done");
  options.timeout = absl::Milliseconds(400);
  auto process = Start(options);
  ASSERT_NE(process, nullptr);
  EXPECT_THAT(process->Finish(), IsOk());
}

TEST_F(StreamingProcessTest, CancellationKillsTheGroupPromptly) {
  std::atomic<bool> cancelled = false;
  StreamingProcess::Options options = Options("sleep 30 & sleep 30");
  options.cancelled = &cancelled;
  auto process = Start(options);
  ASSERT_NE(process, nullptr);
  const pid_t pid = process->pid();
  std::thread canceller([&cancelled] {
    absl::SleepFor(absl::Milliseconds(100));
    cancelled = true;
  });
  const absl::Time start = absl::Now();
  EXPECT_THAT(process->Finish(), StatusIs(absl::StatusCode::kCancelled, HasSubstr("cancelled")));
  canceller.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_TRUE(GroupGone(pid));
}

TEST_F(StreamingProcessTest, DestroyingARunningProcessKillsItsGroup) {
  auto process = Start(Options("sleep 30 & sleep 30"));
  ASSERT_NE(process, nullptr);
  const pid_t pid = process->pid();
  const absl::Time start = absl::Now();
  process.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_TRUE(GroupGone(pid));
}

TEST_F(StreamingProcessTest, StragglersOfAFinishedCommandAreKilled) {
  auto process = Start(Options("sleep 30 >/dev/null 2>&1 & echo started"));
  ASSERT_NE(process, nullptr);
  const pid_t pid = process->pid();
  EXPECT_THAT(process->Finish(), IsOk());
  EXPECT_TRUE(GroupGone(pid));
}

TEST_F(StreamingProcessTest, AMissingWorkingDirectoryIsRefused) {
  StreamingProcess::Options options = Options("true");
  options.working_directory = dir_.File("missing");
  EXPECT_THAT(StreamingProcess::Start(options, &recorder_),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing")));
}

TEST_F(StreamingProcessTest, AnUnknownProgramFailsWithTheShellsMessage) {
  auto process = Start(Options("no-such-program-anywhere"));
  ASSERT_NE(process, nullptr);
  EXPECT_THAT(process->Finish(),
              StatusIs(absl::StatusCode::kAborted,
                       AllOf(HasSubstr("exited with status 127"), HasSubstr("not found"))));
}

}  // namespace
}  // namespace braid
