// Whole jobs through an in-process cluster (coordinator, workers, client) on the fake clock.

#include "tests/cluster.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/envelope.h"
#include "reactor/held_blocking_calls.h"
#include "tests/job_outputs.h"
#include "third_party/absl_compat/status_matchers.h"
#include "worker/run_merger.h"

namespace braid {
namespace {

using testing::OutputLines;
using testing::ParseCounts;
using testing::ReferenceCounts;
using testing::Spec;
using testing::WriteCorpus;

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A job whose mapper fails on every line that contains "bad".
class PickyMapper : public Mapper {
 public:
  absl::Status Map(const Record& record, Emitter& out) override {
    if (record.line.find("bad") != absl::string_view::npos) {
      return absl::InvalidArgumentError("cannot stand this line");
    }
    out.Emit(record.line, "");
    return absl::OkStatus();
  }
};
BRAID_REGISTER_JOB(JobDefinition{
    .name = "picky",
    .mapper = [] { return std::make_unique<PickyMapper>(); },
});

// A cluster with one worker, which runs only grep.
testing::Cluster::Options OneGrepWorker() {
  testing::Cluster::Options options;
  options.workers = 1;
  options.worker_jobs = {"grep"};
  return options;
}

class WordCountTest : public ::testing::TestWithParam<std::tuple<uint32_t, uint64_t>> {};

TEST_P(WordCountTest, EqualsAReferenceCountExactly) {
  const auto [reducers, split_size] = GetParam();
  testing::TempDir dir;
  std::vector<std::string> texts = WriteCorpus(dir);
  testing::Cluster cluster;
  proto::JobSpec spec = Spec("wordcount", dir.File("in-*"), dir.File("out"), reducers);
  spec.set_split_size(split_size);
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out"))), ReferenceCounts(texts));
  EXPECT_TRUE(std::filesystem::exists(dir.File("out/_SUCCESS")));
  EXPECT_FALSE(std::filesystem::exists(dir.File("out/_temporary")));
  // One part file per reducer, keys sorted within each.
  for (uint32_t r = 0; r < reducers; ++r) {
    std::string part = dir.File(absl::StrFormat("out/part-r-%05d", r));
    ASSERT_TRUE(std::filesystem::exists(part)) << part;
    std::vector<std::string> lines =
        OutputLines(dir.File("out"), absl::StrFormat("part-r-%05d", r));
    EXPECT_TRUE(std::is_sorted(lines.begin(), lines.end()));
  }
}

// 1, 3 and 8 reducers; splits of 37 bytes (cutting lines everywhere) and of 64 MiB.
INSTANTIATE_TEST_SUITE_P(ReducersAndSplits, WordCountTest,
                         ::testing::Combine(::testing::Values(1u, 3u, 8u),
                                            ::testing::Values(37u, 64u << 20)));

TEST(Cluster, SortOrdersAcrossPartFilesAndKeepsEveryRecord) {
  testing::TempDir dir;
  std::vector<std::string> records = testing::WriteSortRecords(dir.File("records"), 3000, 5);
  testing::Cluster cluster;
  proto::JobSpec spec = Spec("sort", dir.File("records"), dir.File("out"), 4);
  spec.set_split_size(30'000);
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  std::vector<std::string> got = OutputLines(dir.File("out"));
  EXPECT_TRUE(testing::SortedByKey(got));
  std::sort(got.begin(), got.end());
  std::sort(records.begin(), records.end());
  EXPECT_TRUE(got == records) << "the output is not a permutation of the input";
}

TEST(Cluster, TenThousandTinyFilesAreAFewMapTasksAndCountedExactly) {
  testing::TempDir dir;
  std::filesystem::create_directory(dir.File("in"));
  std::vector<std::string> texts;
  for (int i = 0; i < 10'000; ++i) {
    texts.push_back(absl::StrCat("w", i % 97, " shared w", i % 13, i % 2 == 0 ? "\n" : ""));
    testing::WriteFile(dir.File(absl::StrCat("in/", i, ".txt")), texts.back());
  }
  testing::Cluster cluster;
  absl::StatusOr<proto::JobStatus> status =
      cluster.Run(Spec("wordcount", dir.File("in"), dir.File("out"), 2));
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_LE(status->maps_total(), 24u);
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out"))), ReferenceCounts(texts));
}

TEST(Cluster, AReduceOfMoreMapOutputsThanOneMergeReadsIsExact) {
  testing::TempDir dir;
  std::string text;
  for (int i = 0; i < 4'000; ++i) absl::StrAppend(&text, "w", i % 101, i % 3 == 0 ? "\n" : " ");
  testing::WriteFile(dir.File("in"), text);
  testing::Cluster cluster;
  proto::JobSpec spec = Spec("wordcount", dir.File("in"), dir.File("out"), 2);
  spec.set_split_size(100);
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_GT(status->maps_total(), 2 * kMergeFanIn);  // more than one merge reads
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out"))), ReferenceCounts({text}));
}

TEST(Cluster, AnInvertedIndexOfCombinedFilesNamesEachWordsOwnFiles) {
  testing::TempDir dir;
  std::map<std::string, std::set<std::string>> expected;
  for (int i = 0; i < 40; ++i) {
    const std::string name = absl::StrCat("f", i);
    std::string text;
    for (int w = 0; w < 5; ++w) {
      const std::string word = absl::StrCat("word", (i * 7 + w * 3) % 31);
      absl::StrAppend(&text, word, w % 2 == 0 ? " " : "\n");
      expected[word].insert(name);
    }
    testing::WriteFile(dir.File(name), text);
  }
  testing::Cluster cluster;
  absl::StatusOr<proto::JobStatus> status =
      cluster.Run(Spec("invertedindex", dir.File("f*"), dir.File("out"), 1));
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_EQ(status->maps_total(), 1u);
  std::vector<std::string> want;
  for (const auto& [word, files] : expected) {
    want.push_back(absl::StrCat(word, "\t", absl::StrJoin(files, ",")));
  }
  EXPECT_EQ(OutputLines(dir.File("out")), want);
}

TEST(Cluster, AMapOnlyJobWritesPartMFiles) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in"), "b\tx\na\ty\n");
  testing::Cluster cluster;
  absl::StatusOr<proto::JobStatus> status =
      cluster.Run(Spec("identity", dir.File("in"), dir.File("out"), 0));
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_TRUE(std::filesystem::exists(dir.File("out/part-m-00000")));
  EXPECT_THAT(OutputLines(dir.File("out")), ElementsAre("b\tx", "a\ty"));
}

TEST(Cluster, ATaskBagJobGathersTheMappersOutputInOrder) {
  testing::TempDir dir;
  std::string text;
  for (int i = 0; i < 25; ++i) text += absl::StrCat("param-", i, "\n");
  testing::WriteFile(dir.File("params"), text);
  testing::Cluster cluster;
  proto::JobSpec spec = Spec("identity", dir.File("params"), dir.File("out"), 0);
  spec.set_records_per_task(4);
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_EQ(status->maps_total(), 7u);
  ASSERT_EQ(status->bag_output_size(), 25);
  EXPECT_EQ(status->bag_output(0), "param-0");
  EXPECT_EQ(status->bag_output(24), "param-24");
  EXPECT_EQ(OutputLines(dir.File("out")).size(), 25u);
}

TEST(Cluster, TwoJobsSubmittedTogetherBothFinishCorrectly) {
  testing::TempDir dir;
  std::vector<std::string> texts = WriteCorpus(dir);
  testing::Cluster cluster;
  proto::JobSpec first = Spec("wordcount", dir.File("in-*"), dir.File("out1"), 2);
  first.set_split_size(500);
  proto::JobSpec second = Spec("wordcount", dir.File("in-*"), dir.File("out2"), 3);
  second.set_split_size(700);
  Result<proto::JobAccepted> a = cluster.Await(cluster.client().Submit(first));
  Result<proto::JobAccepted> b = cluster.Await(cluster.client().Submit(second));
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  Result<proto::JobStatus> done_a = cluster.Await(cluster.client().Watch(a->job_id(), nullptr));
  Result<proto::JobStatus> done_b = cluster.Await(cluster.client().Watch(b->job_id(), nullptr));
  ASSERT_THAT(done_a, IsOk());
  ASSERT_THAT(done_b, IsOk());
  EXPECT_EQ(done_a->state(), proto::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done_b->state(), proto::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out1"))), ReferenceCounts(texts));
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out2"))), ReferenceCounts(texts));
}

TEST(Cluster, CountersAddUpTheCommittedAttempts) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in"), "a b a\nc\n\n");
  testing::Cluster cluster;
  absl::StatusOr<proto::JobStatus> status =
      cluster.Run(Spec("wordcount", dir.File("in"), dir.File("out"), 2));
  ASSERT_THAT(status, IsOk());
  std::map<std::string, int64_t> counters;
  for (const proto::Counter& c : status->counters()) counters[c.name()] = c.value();
  EXPECT_EQ(counters["MAP_INPUT_RECORDS"], 3);
  EXPECT_EQ(counters["MAP_OUTPUT_RECORDS"], 3);  // a, b, c (combined in the mapper)
  EXPECT_EQ(counters["REDUCE_INPUT_GROUPS"], 3);
  EXPECT_EQ(counters["REDUCE_OUTPUT_RECORDS"], 3);
  EXPECT_EQ(counters["BYTES_READ"] > 0, true);
}

// ----------------------------------------------------------------------------- bad submissions

absl::Status Refusal(testing::Cluster& cluster, proto::JobSpec spec) {
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(std::move(spec)));
  return accepted.status();
}

TEST(Cluster, AMissingInputIsRefusedNamingIt) {
  testing::TempDir dir;
  testing::Cluster cluster;
  EXPECT_THAT(Refusal(cluster, Spec("wordcount", dir.File("nope.txt"), dir.File("out"), 1)),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope.txt")));
}

TEST(Cluster, AnEmptyGlobIsRefusedNamingIt) {
  testing::TempDir dir;
  testing::Cluster cluster;
  EXPECT_THAT(Refusal(cluster, Spec("wordcount", dir.File("*.none"), dir.File("out"), 1)),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("*.none' matches no file")));
}

TEST(Cluster, AnUnreadableInputIsRefused) {
  // A socket file: it exists, but nobody (root included) can open it to read.
  testing::TempDir dir;
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::string path = absl::StrCat("/tmp/braid-unreadable-", getpid());  // short enough for a socket
  ASSERT_LT(path.size(), sizeof(address.sun_path));
  std::strcpy(address.sun_path, path.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  testing::Cluster cluster;
  EXPECT_THAT(Refusal(cluster, Spec("wordcount", path, dir.File("out"), 1)),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("cannot be read")));
  close(fd);
  unlink(path.c_str());
}

TEST(Cluster, AnExistingOutputIsRefusedUnlessOverwritten) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in"), "x\n");
  // An earlier job's output.
  std::filesystem::create_directory(dir.File("out"));
  testing::WriteFile(dir.File("out/part-r-00003"), "old\t1\n");
  testing::WriteFile(dir.File("out/_SUCCESS"), "");
  testing::Cluster cluster;
  EXPECT_THAT(Refusal(cluster, Spec("wordcount", dir.File("in"), dir.File("out"), 1)),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("--overwrite")));
  proto::JobSpec spec = Spec("wordcount", dir.File("in"), dir.File("out"), 1);
  spec.set_overwrite(true);
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED);
  EXPECT_FALSE(std::filesystem::exists(dir.File("out/part-r-00003")));
}

TEST(Cluster, OverwriteRefusesADirectoryThatIsNoJobsOutput) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in"), "x\n");
  std::filesystem::create_directory(dir.File("home"));
  testing::WriteFile(dir.File("home/thesis.tex"), "years of work");
  testing::Cluster cluster;
  proto::JobSpec spec = Spec("wordcount", dir.File("in"), dir.File("home"), 1);
  spec.set_overwrite(true);
  EXPECT_THAT(Refusal(cluster, spec),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("'thesis.tex'")));
  EXPECT_TRUE(std::filesystem::exists(dir.File("home/thesis.tex")));
  testing::WriteFile(dir.File("file"), "a file");
  spec.set_output(dir.File("file"));
  EXPECT_THAT(Refusal(cluster, spec),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not a directory")));
}

TEST(Cluster, AnOutputAmongTheInputsIsRefused) {
  testing::TempDir dir;
  std::filesystem::create_directory(dir.File("data"));
  testing::WriteFile(dir.File("data/a.txt"), "x\n");
  testing::Cluster cluster;
  // The glob would read this job's output on the next run.
  EXPECT_THAT(Refusal(cluster, Spec("wordcount", dir.File("data/*"), dir.File("data/out"), 1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("matches the input glob")));
  // An output already there, inside an input directory, would be read now.
  std::filesystem::create_directory(dir.File("data/counts"));
  testing::WriteFile(dir.File("data/counts/part-r-00000"), "x\t1\n");
  proto::JobSpec spec = Spec("wordcount", dir.File("data/counts"), dir.File("data/counts"), 1);
  spec.set_overwrite(true);
  EXPECT_THAT(Refusal(cluster, spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is inside the input")));
}

TEST(Cluster, AnInputThatExistsIsTakenLiterallyBeforeAsAGlob) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("report[1].txt"), "one two\n");
  testing::WriteFile(dir.File("report1.txt"), "other\n");
  testing::Cluster cluster;
  absl::StatusOr<proto::JobStatus> status =
      cluster.Run(Spec("wordcount", dir.File("report[1].txt"), dir.File("out"), 1));
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_EQ(testing::SortedOutputLines(dir.File("out")),
            (std::vector<std::string>{"one\t1", "two\t1"}));
}

TEST(Cluster, AnUnknownJobIsRefusedListingTheKnownOnes) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in"), "x\n");
  testing::Cluster cluster;
  EXPECT_THAT(Refusal(cluster, Spec("wordcont", dir.File("in"), dir.File("out"), 1)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown job 'wordcont'; known jobs: distinct, grep")));
}

TEST(Cluster, AbsurdReducersAreRefused) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in"), "x\n");
  testing::Cluster cluster;
  EXPECT_THAT(Refusal(cluster, Spec("wordcount", dir.File("in"), dir.File("out"), 1'000'000)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("absurd")));
}

TEST(Cluster, ATaskBagWithReducersIsRefused) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in"), "x\n");
  testing::Cluster cluster;
  proto::JobSpec spec = Spec("identity", dir.File("in"), "", 2);
  spec.set_records_per_task(1);
  EXPECT_THAT(Refusal(cluster, spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--reducers 0")));
}

TEST(Cluster, AJobsOwnConfigurationCheckIsApplied) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in"), "x\n");
  testing::Cluster cluster;
  proto::JobSpec spec = Spec("grep", dir.File("in"), dir.File("out"), 1);
  (*spec.mutable_config())["pattern"] = "(unclosed";
  EXPECT_THAT(Refusal(cluster, spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a valid RE2")));
}

// ------------------------------------------------------------------------ workers and failures

TEST(Cluster, AJobNoWorkerCanRunWaitsAndStatusSaysWhy) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in"), "x y\n");
  testing::Cluster cluster(OneGrepWorker());
  Result<proto::JobAccepted> accepted =
      cluster.Await(cluster.client().Submit(Spec("wordcount", dir.File("in"), dir.File("out"), 1)));
  ASSERT_THAT(accepted, IsOk());
  cluster.clock().Advance(absl::Seconds(1));
  Result<proto::StatusResponse> status = cluster.Await(cluster.client().Status(accepted->job_id()));
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->jobs(0).state(), proto::JOB_STATE_MAPPING);
  EXPECT_THAT(status->jobs(0).message(), HasSubstr("no connected worker runs job 'wordcount'"));
  EXPECT_EQ(cluster.worker(0).running(), 0u);
  // A worker that has the job arrives; the job runs.
  cluster.AddWorker({"wordcount"});
  Result<proto::JobStatus> done =
      cluster.Await(cluster.client().Watch(accepted->job_id(), nullptr));
  ASSERT_THAT(done, IsOk());
  EXPECT_EQ(done->state(), proto::JOB_STATE_SUCCEEDED);
}

TEST(Cluster, ATaskThatKeepsFailingFailsTheJobNamingItAndLeavesNoOutput) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in"), "fine\nbad line\n");
  testing::Cluster cluster;
  proto::JobSpec spec = Spec("picky", dir.File("in"), dir.File("out"), 1);
  spec.set_max_attempts(3);
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->state(), proto::JOB_STATE_FAILED);
  EXPECT_THAT(status->message(), HasSubstr("map task 0 failed 3 times"));
  EXPECT_THAT(status->message(), HasSubstr("record 1"));
  EXPECT_THAT(status->message(), HasSubstr("cannot stand this line"));
  EXPECT_FALSE(std::filesystem::exists(dir.File("out")));
  Result<proto::StatusResponse> detail = cluster.Await(cluster.client().Status(status->job_id()));
  ASSERT_THAT(detail, IsOk());
  EXPECT_EQ(detail->jobs(0).tasks(0).errors_size(), 3);
}

TEST(Cluster, CancellingAJobEndsItAsCancelled) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("in"), "x\n");
  testing::Cluster cluster(OneGrepWorker());  // nobody runs wordcount
  Result<proto::JobAccepted> accepted =
      cluster.Await(cluster.client().Submit(Spec("wordcount", dir.File("in"), dir.File("out"), 1)));
  ASSERT_THAT(accepted, IsOk());
  Deferred<proto::JobStatus> watched = cluster.client().Watch(accepted->job_id(), nullptr);
  ASSERT_THAT(cluster.Await(cluster.client().Cancel(accepted->job_id())), IsOk());
  Result<proto::JobStatus> done = cluster.Await(watched);
  ASSERT_THAT(done, IsOk());
  EXPECT_EQ(done->state(), proto::JOB_STATE_CANCELLED);
  EXPECT_THAT(cluster.Await(cluster.client().Cancel(accepted->job_id())),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(Cluster, StatusOfAnUnknownJobIsNotFound) {
  testing::Cluster cluster;
  EXPECT_THAT(cluster.Await(cluster.client().Status("job_nope")),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(Cluster, ALostWorkersTasksRunElsewhere) {
  testing::TempDir dir;
  std::vector<std::string> texts = WriteCorpus(dir);
  testing::Cluster cluster;
  proto::JobSpec spec = Spec("wordcount", dir.File("in-*"), dir.File("out"), 2);
  spec.set_split_size(400);
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
  ASSERT_THAT(accepted, IsOk());
  // Worker 0 goes silent: the coordinator declares it lost and reschedules its work.
  cluster.network().Isolate(
      static_cast<const MemoryClientTransport&>(cluster.worker(0).link().transport()).peer_id());
  Result<proto::JobStatus> done =
      cluster.Await(cluster.client().Watch(accepted->job_id(), nullptr));
  ASSERT_THAT(done, IsOk());
  EXPECT_EQ(done->state(), proto::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out"))), ReferenceCounts(texts));
}

TEST(Cluster, DrainingAnIdleWorkerFiresAtOnceEveryTime) {
  testing::Cluster cluster;
  EXPECT_THAT(cluster.Await(cluster.worker(0).Drain("test")), IsOk());
  EXPECT_THAT(cluster.Await(cluster.worker(0).Drain("again")), IsOk());
  EXPECT_TRUE(cluster.worker(0).draining());
}

TEST(Cluster, DrainingFinishesTheRunningTaskAndHandsTheQueuedOnesBack) {
  testing::TempDir dir;
  std::vector<std::string> texts = WriteCorpus(dir);
  testing::Cluster::Options options;
  options.slots = 1;
  options.manual_tasks = true;
  // Each task takes 1 ms on this clock: quick, but not so quick that the worker batches them,
  // however loaded the machine.
  struct OneMillisecondTasks : EnvWrapper {
    OneMillisecondTasks() : EnvWrapper(Env::Default()) {}
    absl::Duration Monotonic() override { return now += absl::Milliseconds(1); }
    absl::Duration now;
  } task_clock;
  options.task_clock = &task_clock;
  testing::Cluster cluster(options);
  proto::JobSpec spec = Spec("wordcount", dir.File("in-*"), dir.File("out"), 2);
  spec.set_split_size(400);
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
  ASSERT_THAT(accepted, IsOk());
  Deferred<proto::JobStatus> done = cluster.client().Watch(accepted->job_id(), nullptr);
  cluster.clock().Advance(absl::Milliseconds(100));
  // Once tasks are seen to be quick, each worker is given more than it has slots for.
  Worker& drained = cluster.worker(0);
  for (int steps = 0; steps < 100 && !(cluster.executor(0).pending() == 1 && drained.queued() > 0);
       ++steps) {
    if (cluster.executor(0).pending() > 0) cluster.executor(0).RunNext();
    if (cluster.executor(1).pending() > 0) cluster.executor(1).RunNext();
    cluster.clock().Advance(absl::Milliseconds(100));
  }
  ASSERT_EQ(cluster.executor(0).pending(), 1u);
  ASSERT_GT(drained.queued(), 0u);

  Deferred<void> drain = drained.Drain("test");
  EXPECT_EQ(drained.queued(), 0u);
  cluster.clock().Advance(absl::Milliseconds(100));
  EXPECT_FALSE(HasResult(drain)) << "the running task has not finished";
  cluster.executor(0).RunNext();
  EXPECT_THAT(cluster.Await(drain), IsOk());

  // Worker 1 runs everything else, including what worker 0 handed back.
  for (int steps = 0; steps < 10000 && !HasResult(done); ++steps) {
    while (cluster.executor(1).pending() > 0) cluster.executor(1).RunNext();
    cluster.clock().Advance(absl::Milliseconds(10));
  }
  ASSERT_TRUE(HasResult(done));
  EXPECT_EQ(ResultNow(done)->value().state(), proto::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out"))), ReferenceCounts(texts));
}

TEST(Cluster, ShortTasksRunInBatchesOnAWorker) {
  testing::Cluster::Options options;
  options.workers = 1;
  options.slots = 1;
  options.manual_tasks = true;
  testing::Cluster cluster(options);
  proto::JobSpec spec;
  spec.set_job("noop");
  (*spec.mutable_config())["tasks"] = "200";
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
  ASSERT_THAT(accepted, IsOk());
  Deferred<proto::JobStatus> done = cluster.client().Watch(accepted->job_id(), nullptr);
  cluster.clock().Advance(absl::Milliseconds(100));
  // Nothing is known of the job's tasks yet: one at a time.
  ASSERT_EQ(cluster.executor(0).pending(), 1u);
  EXPECT_EQ(cluster.executor(0).next_batch_size(), 1u);
  cluster.executor(0).RunNext();
  cluster.clock().Advance(absl::Milliseconds(100));
  // They take under a millisecond: the worker is given many and runs them many at a time.
  ASSERT_EQ(cluster.executor(0).pending(), 1u);
  EXPECT_GT(cluster.executor(0).next_batch_size(), 100u);
  for (int steps = 0; steps < 1000 && !HasResult(done); ++steps) {
    while (cluster.executor(0).pending() > 0) cluster.executor(0).RunNext();
    cluster.clock().Advance(absl::Milliseconds(10));
  }
  ASSERT_TRUE(HasResult(done));
  proto::JobStatus status = ResultNow(done)->value();
  EXPECT_EQ(status.state(), proto::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(status.maps_done(), 200u);
}

TEST(Cluster, AMapOnlyJobWithoutOutputKeepsNothing) {
  testing::Cluster cluster;
  proto::JobSpec spec;
  spec.set_job("noop");
  (*spec.mutable_config())["tasks"] = "5";
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_FALSE(std::filesystem::exists("/_temporary"));
  EXPECT_FALSE(std::filesystem::exists("_temporary"));
}

TEST(Cluster, AJobWithReducersNeedsAnOutput) {
  testing::Cluster cluster;
  proto::JobSpec spec;
  spec.set_job("noop");
  spec.set_reducers(1);
  EXPECT_THAT(Refusal(cluster, spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--output")));
}

TEST(Cluster, StoppingTheCoordinatorCancelsEveryJob) {
  testing::Cluster::Options options;
  options.workers = 0;
  testing::Cluster cluster(options);
  for (int tasks : {10, 1000, 5000}) {
    proto::JobSpec spec;
    spec.set_job("noop");
    (*spec.mutable_config())["tasks"] = absl::StrCat(tasks);
    Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
    ASSERT_THAT(accepted, IsOk());
  }
  cluster.StopCoordinator();
}

TEST(Cluster, ASubmitIsPlannedOffTheLoopAndCheckedAgainOncePlanned) {
  HeldBlockingCalls held;
  testing::Cluster::Options options;
  options.coordinator_blocking_calls = &held;
  testing::Cluster cluster(options);
  testing::TempDir dir;
  proto::JobSpec spec;
  spec.set_job("noop");
  spec.set_output(dir.File("out"));
  Deferred<proto::JobAccepted> first = cluster.client().Submit(spec);
  Deferred<proto::JobAccepted> second = cluster.client().Submit(spec);
  cluster.Pass(absl::Milliseconds(50));
  // Both wait for their planning; neither has an answer.
  ASSERT_EQ(held.held(), 2u);
  EXPECT_FALSE(HasResult(first));
  held.RunNext();
  cluster.Pass(absl::Milliseconds(50));
  ASSERT_TRUE(HasResult(first));
  EXPECT_THAT(*ResultNow(first), IsOk());
  // The second was planned against the same output: it is refused once it comes back.
  held.RunNext();
  cluster.Pass(absl::Milliseconds(50));
  ASSERT_TRUE(HasResult(second));
  EXPECT_THAT(ResultNow(second)->status(),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("is writing to")));
  while (held.held() > 0) held.RunNext();  // the first job's output preparation
}

// Says hello as worker `name` of process `pid` on `host`, from a connection of its own; the answer.
proto::Envelope HelloFrom(testing::Cluster& cluster, std::unique_ptr<ClientTransport>& connection,
                          const std::string& name, const std::string& host, uint32_t pid) {
  connection = cluster.network().Connect("coordinator");
  auto answers = std::make_shared<std::vector<proto::Envelope>>();
  connection->SetReceiver([answers](absl::string_view frame) {
    absl::StatusOr<proto::Envelope> answer = DecodeEnvelope(frame);
    if (answer.ok()) answers->push_back(*answer);
  });
  proto::Envelope hello;
  hello.set_protocol_version(kProtocolVersion);
  hello.set_message_id(1);
  hello.mutable_worker_hello()->set_name(name);
  hello.mutable_worker_hello()->set_host(host);
  hello.mutable_worker_hello()->set_pid(pid);
  hello.mutable_worker_hello()->set_slots(1);
  EXPECT_THAT(connection->Send(EncodeEnvelope(hello)), IsOk());
  cluster.Pass(absl::Milliseconds(50));
  return answers->empty() ? proto::Envelope() : answers->front();
}

TEST(Cluster, AWorkerProcessThatConnectsAgainReplacesItsEarlierConnection) {
  testing::Cluster::Options options;
  options.workers = 0;
  testing::Cluster cluster(options);
  std::unique_ptr<ClientTransport> first, second;
  ASSERT_TRUE(HelloFrom(cluster, first, "w", "host-a", 42).has_welcome());
  ASSERT_TRUE(HelloFrom(cluster, second, "w", "host-a", 42).has_welcome());
  EXPECT_EQ(cluster.coordinator().workers(), 1u);
}

TEST(Cluster, AWorkerNameTakenByAnotherProcessIsRefused) {
  testing::Cluster::Options options;
  options.workers = 0;
  testing::Cluster cluster(options);
  std::unique_ptr<ClientTransport> taken, same_host, other_host;
  ASSERT_TRUE(HelloFrom(cluster, taken, "w", "host-a", 42).has_welcome());
  for (auto [connection, host, pid] :
       {std::tuple(&same_host, "host-a", 43), std::tuple(&other_host, "host-b", 42)}) {
    proto::Envelope answer = HelloFrom(cluster, *connection, "w", host, pid);
    ASSERT_TRUE(answer.has_reject()) << host << " " << pid;
    EXPECT_EQ(answer.reject().code(), static_cast<int>(absl::StatusCode::kAlreadyExists));
    EXPECT_THAT(answer.reject().message(), HasSubstr("pid 42 on host-a"));
  }
  EXPECT_EQ(cluster.coordinator().workers(), 1u);
}

TEST(Cluster, WhileAnOlderWorkerIsConnectedSmallFilesAreNotCombined) {
  testing::TempDir dir;
  std::vector<std::string> texts = {"a b\n", "b c\n", "c d\n"};
  for (size_t i = 0; i < texts.size(); ++i) {
    testing::WriteFile(dir.File(absl::StrCat("in-", i)), texts[i]);
  }
  testing::Cluster cluster;
  std::unique_ptr<ClientTransport> older;  // its hello does not say it reads combined splits
  ASSERT_TRUE(HelloFrom(cluster, older, "older", "host-b", 7).has_welcome());
  absl::StatusOr<proto::JobStatus> status =
      cluster.Run(Spec("wordcount", dir.File("in-*"), dir.File("out"), 1));
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_EQ(status->maps_total(), 3u);
  EXPECT_EQ(ParseCounts(OutputLines(dir.File("out"))), ReferenceCounts(texts));
  older.reset();
  cluster.Pass(absl::Seconds(60));  // until the coordinator has lost it
  status = cluster.Run(Spec("wordcount", dir.File("in-*"), dir.File("out2"), 1));
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->maps_total(), 1u);
}

}  // namespace
}  // namespace braid
