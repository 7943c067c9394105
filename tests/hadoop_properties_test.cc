// Jobs submitted the way Hadoop users write them: the properties that decide the answer are
// honoured or refused by name, never ignored. A whole cluster on the fake clock and the
// in-memory network.

#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cluster.h"
#include "tests/job_outputs.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using testing::OutputLines;
using testing::ParseCounts;
using testing::ReferenceCounts;
using testing::Spec;
using testing::WriteCorpus;

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

size_t PartFiles(const std::string& dir) {
  size_t parts = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    parts += entry.path().filename().string().rfind("part-", 0) == 0;
  }
  return parts;
}

TEST(HadoopProperties, TheReducerCountPropertyDecidesThePartFiles) {
  testing::TempDir dir;
  std::vector<std::string> texts = WriteCorpus(dir);
  testing::Cluster cluster;
  for (const char* property : {"mapreduce.job.reduces", "mapred.reduce.tasks"}) {
    const std::string out = dir.File(absl::StrCat("out-", property));
    proto::JobSpec spec = Spec("wordcount", dir.File("in-*"), out, 1);
    (*spec.mutable_config())[property] = "3";
    absl::StatusOr<proto::JobStatus> status = cluster.Run(spec);
    ASSERT_THAT(status, IsOk());
    ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
    EXPECT_EQ(status->reduces_total(), 3u) << property;
    EXPECT_EQ(PartFiles(out), 3u) << property;
    EXPECT_EQ(ParseCounts(OutputLines(out)), ReferenceCounts(texts));
  }
}

TEST(HadoopProperties, APropertyThatWouldChangeTheAnswerIsRefused) {
  testing::TempDir dir;
  WriteCorpus(dir);
  testing::Cluster cluster;
  proto::JobSpec spec = Spec("wordcount", dir.File("in-*"), dir.File("out"), 2);
  (*spec.mutable_config())["mapreduce.partition.keypartitioner.options"] = "-k1,1";
  EXPECT_THAT(cluster.Run(spec),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("mapreduce.partition.keypartitioner.options=-k1,1 is not "
                                 "supported")));
  EXPECT_FALSE(std::filesystem::exists(dir.File("out")));
}

TEST(HadoopProperties, AnUnknownPropertyIsAcceptedWithAWarning) {
  testing::TempDir dir;
  WriteCorpus(dir);
  testing::Cluster cluster;
  proto::JobSpec spec = Spec("wordcount", dir.File("in-*"), dir.File("out"), 1);
  (*spec.mutable_config())["mapreduce.map.memory.mb"] = "2048";
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
  ASSERT_THAT(accepted, IsOk());
  ASSERT_EQ(accepted->warnings_size(), 1);
  EXPECT_THAT(accepted->warnings(0), HasSubstr("mapreduce.map.memory.mb"));
}

TEST(HadoopProperties, PathsOnAnotherFilesystemAreRefusedAtSubmit) {
  testing::Cluster cluster;
  EXPECT_THAT(cluster.Run(Spec("wordcount", "hdfs://namenode/user/me/in", "/tmp/out", 1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("names another filesystem")));
}

}  // namespace
}  // namespace braid
