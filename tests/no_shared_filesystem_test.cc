// A fleet that shares no filesystem with its coordinator: the inputs and the output exist only on
// the coordinator's disk (here a FakeEnv, which the workers' disk does not hold), workers fetch
// the splits they read from it and send it their part files, and the job's output is exact and
// committed as on a shared filesystem. An in-process cluster on the fake clock.

#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/fake_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/held_blocking_calls.h"
#include "tests/cluster.h"
#include "tests/compressors.h"
#include "tests/job_outputs.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using testing::ParseCounts;
using testing::ReferenceCounts;
using testing::Spec;

using ::braid_compat::testing::IsOk;
using ::testing::HasSubstr;

// Where the coordinator's files are: a directory the workers' disk does not have.
constexpr char kRoot[] = "/braid-coordinator-only";

std::string At(absl::string_view name) { return absl::StrCat(kRoot, "/", name); }

// Texts with the three line endings, long and empty lines, and a last line without an ending.
std::vector<std::string> WriteTexts(FakeEnv& env, int files) {
  EXPECT_TRUE(env.CreateDirs(kRoot).ok());
  std::mt19937_64 random(5);
  std::vector<std::string> texts;
  for (int f = 0; f < files; ++f) {
    std::string text;
    for (int line = 0; line < 200; ++line) {
      for (int w = random() % 10; w > 0; --w) absl::StrAppend(&text, "w", random() % 150, " ");
      static constexpr const char* kEndings[] = {"\n", "\n", "\r\n", "\r"};
      text += kEndings[random() % 4];
    }
    absl::StrAppend(&text, std::string(3000, 'L'), " last");
    EXPECT_TRUE(env.WriteStringToFile(At(absl::StrCat("in-", f, ".txt")), text).ok());
    texts.push_back(std::move(text));
  }
  return texts;
}

// The lines of the part files in `output` on `env`, in part order.
std::vector<std::string> PartLines(FakeEnv& env, const std::string& output) {
  absl::StatusOr<std::vector<std::string>> children = env.GetChildren(output);
  EXPECT_THAT(children, IsOk());
  std::vector<std::string> parts;
  for (const std::string& child : children.value_or(std::vector<std::string>())) {
    if (absl::StartsWith(child, "part-")) parts.push_back(child);
  }
  std::sort(parts.begin(), parts.end());
  std::vector<std::string> lines;
  for (const std::string& part : parts) {
    absl::StatusOr<std::string> text = env.ReadFile(absl::StrCat(output, "/", part));
    EXPECT_THAT(text, IsOk());
    for (absl::string_view line : absl::StrSplit(text.value_or(""), '\n', absl::SkipEmpty())) {
      lines.emplace_back(line);
    }
  }
  return lines;
}

testing::Cluster::Options NoSharedFilesystem(FakeEnv& coordinator_disk, int workers) {
  testing::Cluster::Options options;
  options.workers = workers;
  options.data_plane = true;
  options.coordinator_env = &coordinator_disk;
  return options;
}

uint64_t PartBytesSent(testing::Cluster& cluster, int workers) {
  uint64_t sent = 0;
  for (int i = 0; i < workers; ++i) sent += cluster.part_sender(i).bytes_sent();
  return sent;
}

TEST(NoSharedFilesystem, WordCountReadsTheCoordinatorsInputAndWritesItsOutput) {
  FakeEnv disk;
  const std::vector<std::string> texts = WriteTexts(disk, 4);
  testing::Cluster cluster(NoSharedFilesystem(disk, 3));
  proto::JobSpec spec = Spec("wordcount", At("in-*"), At("out"), 3);
  spec.set_split_size(700);  // splits cut lines, and the long line crosses several
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_EQ(ParseCounts(PartLines(disk, At("out"))), ReferenceCounts(texts));
  EXPECT_TRUE(disk.Exists(At("out/_SUCCESS")));
  EXPECT_FALSE(disk.Exists(At("out/_temporary")));
  EXPECT_FALSE(Env::Default()->Exists(kRoot)) << "a worker wrote where only the coordinator may";
  EXPECT_GT(cluster.coordinator().data_service().bytes_served(), 0u);
  EXPECT_EQ(cluster.coordinator().data_service().bytes_received(), PartBytesSent(cluster, 3));
  EXPECT_GT(PartBytesSent(cluster, 3), 0u);
  EXPECT_EQ(cluster.coordinator().data_service().uploads(), 0u);
}

TEST(NoSharedFilesystem, SortKeepsEveryRecordInOrder) {
  FakeEnv disk;
  ASSERT_TRUE(disk.CreateDirs(kRoot).ok());
  std::mt19937_64 random(9);
  std::vector<std::string> records;
  std::string text;
  for (int i = 0; i < 2000; ++i) {
    records.push_back(absl::StrCat("key", random() % 100000, "\tvalue", i));
    absl::StrAppend(&text, records.back(), "\n");
  }
  ASSERT_TRUE(disk.WriteStringToFile(At("records"), text).ok());
  testing::Cluster cluster(NoSharedFilesystem(disk, 2));
  proto::JobSpec spec = Spec("sort", At("records"), At("out"), 3);
  spec.set_split_size(5000);
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  std::vector<std::string> got = PartLines(disk, At("out"));
  EXPECT_TRUE(testing::SortedByKey(got));
  std::sort(got.begin(), got.end());
  std::sort(records.begin(), records.end());
  EXPECT_TRUE(got == records) << "the output is not a permutation of the input";
}

TEST(NoSharedFilesystem, AMapOnlyJobSendsItsMapsPartFiles) {
  FakeEnv disk;
  ASSERT_TRUE(disk.CreateDirs(kRoot).ok());
  ASSERT_TRUE(disk.WriteStringToFile(At("in"), "apple\nbanana\napricot\ncherry\navocado\n").ok());
  testing::Cluster cluster(NoSharedFilesystem(disk, 2));
  proto::JobSpec spec = Spec("grep", At("in"), At("out"), 0);
  (*spec.mutable_config())["pattern"] = "^a";
  spec.set_split_size(10);
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  // Each map's matches of "a" at a line's start, counted (Hadoop's Grep), in the map's part file.
  EXPECT_THAT(PartLines(disk, At("out")), ::testing::ElementsAre("a\t1", "a\t1", "a\t1"));
  EXPECT_TRUE(disk.Exists(At("out/part-m-00000")));
}

TEST(NoSharedFilesystem, ACompressedInputIsFetchedWholeAndDecompressed) {
  FakeEnv disk;
  ASSERT_TRUE(disk.CreateDirs(kRoot).ok());
  const std::string text = "one two\ntwo three\nthree three\n";
  ASSERT_TRUE(disk.WriteStringToFile(At("in.gz"), testing::Zlib(text, /*gzip=*/true)).ok());
  testing::Cluster cluster(NoSharedFilesystem(disk, 2));
  absl::StatusOr<proto::JobStatus> status =
      cluster.Run(Spec("wordcount", At("in.gz"), At("out"), 1));
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_EQ(ParseCounts(PartLines(disk, At("out"))), ReferenceCounts({text}));
}

TEST(NoSharedFilesystem, SmallFilesAreFetchedOneByOneEvenWhenTheyShareAName) {
  FakeEnv disk;
  std::vector<std::string> texts;
  for (int d = 0; d < 30; ++d) {
    ASSERT_TRUE(disk.CreateDirs(At(absl::StrCat("d", d))).ok());
    texts.push_back(absl::StrCat("only", d, " in", d, " common\n"));
    ASSERT_TRUE(disk.WriteStringToFile(At(absl::StrCat("d", d, "/same.txt")), texts.back()).ok());
  }
  texts.push_back("one two\ntwo three\nthree three\n");
  ASSERT_TRUE(disk.WriteStringToFile(At("d3/packed.gz"), testing::Zlib(texts.back(), true)).ok());
  testing::Cluster cluster(NoSharedFilesystem(disk, 2));
  absl::StatusOr<proto::JobStatus> status =
      cluster.Run(Spec("wordcount", At("d*/*"), At("out"), 2));
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_EQ(status->maps_total(), 1u);
  EXPECT_EQ(ParseCounts(PartLines(disk, At("out"))), ReferenceCounts(texts));
  EXPECT_GT(cluster.coordinator().data_service().bytes_served(), 0u);
}

TEST(NoSharedFilesystem, AnInputChangedOnTheCoordinatorAfterPlanningFailsTheJobNamingIt) {
  FakeEnv disk;
  ASSERT_TRUE(disk.CreateDirs(kRoot).ok());
  ASSERT_TRUE(disk.WriteStringToFile(At("in"), "one two\nthree\n").ok());
  testing::Cluster::Options options = NoSharedFilesystem(disk, 1);
  HeldBlockingCalls data_calls;  // the worker's: nothing is copied until the file has changed
  options.data_plane_calls = &data_calls;
  testing::Cluster cluster(options);
  proto::JobSpec spec = Spec("wordcount", At("in"), At("out"), 1);
  spec.set_max_attempts(1);
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
  ASSERT_THAT(accepted, IsOk());
  // Other records, of the same size: never read as the planned file's.
  disk.AdvanceNow(absl::Seconds(1));
  ASSERT_TRUE(disk.WriteStringToFile(At("in"), "ONE TWO\nTHREE\n").ok());
  Deferred<proto::JobStatus> done = cluster.client().Watch(accepted->job_id(), nullptr);
  for (int turn = 0; turn < 1000 && !HasResult(done); ++turn) {
    while (data_calls.held() > 0) data_calls.RunNext();
    cluster.Pass(absl::Milliseconds(50));
  }
  Result<proto::JobStatus> status = cluster.Await(done);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->state(), proto::JOB_STATE_FAILED);
  EXPECT_THAT(status->message(), HasSubstr("changed on the coordinator"));
  EXPECT_FALSE(disk.Exists(At("out/part-r-00000")));
}

TEST(NoSharedFilesystem, AWorkerThatCannotFetchNeverReadsAnotherFileOfTheSameName) {
  // The worker's disk has a file at the input's path, of the same size, with other words.
  testing::TempDir dir;
  const std::string path = dir.File("in");
  testing::WriteFile(path, "theirs words\n");
  FakeEnv disk;
  ASSERT_TRUE(disk.CreateDirs(dir.path()).ok());
  ASSERT_TRUE(disk.WriteStringToFile(path, "mine! words\n").ok());
  testing::Cluster::Options options;
  options.workers = 1;
  options.coordinator_env = &disk;  // and no data plane: the worker can only read by path
  testing::Cluster cluster(options);
  proto::JobSpec spec = Spec("wordcount", path, At("out"), 1);
  spec.set_max_attempts(1);
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->state(), proto::JOB_STATE_FAILED);
  EXPECT_THAT(status->message(), HasSubstr("not the file the coordinator planned"));
}

TEST(NoSharedFilesystem, AWorkerThatCannotSendNeverWritesAnOutputTheCoordinatorDoesNotSee) {
  FakeEnv disk;
  ASSERT_TRUE(disk.CreateDirs(kRoot).ok());
  testing::Cluster::Options options;
  options.workers = 1;
  options.coordinator_env = &disk;  // and no data plane
  testing::Cluster cluster(options);
  proto::JobSpec spec;
  spec.set_job("noop");
  spec.set_output(At("out"));
  spec.set_max_attempts(1);
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->state(), proto::JOB_STATE_FAILED);
  EXPECT_THAT(status->message(), HasSubstr("is not the coordinator's on this worker"));
  EXPECT_FALSE(Env::Default()->Exists(kRoot));
}

TEST(NoSharedFilesystem, WorkersThatShareTheFilesystemReadAndWriteInPlace) {
  testing::TempDir dir;
  const std::vector<std::string> texts = testing::WriteCorpus(dir);
  testing::Cluster::Options options;
  options.workers = 2;
  options.data_plane = true;
  testing::Cluster cluster(options);
  proto::JobSpec spec = Spec("wordcount", dir.File("in-*"), dir.File("out"), 2);
  spec.set_split_size(400);
  absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_EQ(ParseCounts(testing::OutputLines(dir.File("out"))), ReferenceCounts(texts));
  EXPECT_EQ(cluster.coordinator().data_service().bytes_served(), 0u);
  EXPECT_EQ(cluster.coordinator().data_service().bytes_received(), 0u);
}

}  // namespace
}  // namespace braid
