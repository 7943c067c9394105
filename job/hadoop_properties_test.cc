#include "job/hadoop_properties.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

proto::JobSpec With(std::vector<std::pair<std::string, std::string>> config) {
  proto::JobSpec spec;
  spec.set_job("wordcount");
  spec.set_reducers(1);
  spec.add_inputs("/data/in");
  spec.set_output("/data/out");
  for (auto& [key, value] : config) (*spec.mutable_config())[key] = value;
  return spec;
}

TEST(HadoopPropertiesTest, ReducersNameAndTimeoutAreHonouredUnderEitherName) {
  for (const char* reduces : {"mapreduce.job.reduces", "mapred.reduce.tasks"}) {
    proto::JobSpec spec =
        With({{reduces, "3"}, {"mapred.job.name", "counts"}, {"mapreduce.task.timeout", "60000"}});
    std::vector<std::string> warnings;
    ASSERT_THAT(ApplyHadoopProperties(spec, &warnings), IsOk());
    EXPECT_EQ(spec.reducers(), 3u) << reduces;
    EXPECT_EQ(spec.name(), "counts");
    EXPECT_EQ(spec.task_timeout_ms(), 60000u);
    EXPECT_THAT(warnings, IsEmpty());
  }
  proto::JobSpec map_only = With({{"mapreduce.job.reduces", "0"}});
  std::vector<std::string> warnings;
  ASSERT_THAT(ApplyHadoopProperties(map_only, &warnings), IsOk());
  EXPECT_EQ(map_only.reducers(), 0u);
}

TEST(HadoopPropertiesTest, MaxAttemptsAreHonouredAndMustAgreeForMapsAndReduces) {
  std::vector<std::string> warnings;
  proto::JobSpec spec = With({{"mapreduce.map.maxattempts", "2"}});
  ASSERT_THAT(ApplyHadoopProperties(spec, &warnings), IsOk());
  EXPECT_EQ(spec.max_attempts(), 2u);
  spec = With({{"mapred.map.max.attempts", "3"}, {"mapreduce.reduce.maxattempts", "3"}});
  ASSERT_THAT(ApplyHadoopProperties(spec, &warnings), IsOk());
  EXPECT_EQ(spec.max_attempts(), 3u);
  EXPECT_THAT(warnings, IsEmpty());
  spec = With({{"mapreduce.map.maxattempts", "2"}, {"mapreduce.reduce.maxattempts", "5"}});
  EXPECT_THAT(ApplyHadoopProperties(spec, &warnings),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("one limit of attempts")));
  spec = With({{"mapreduce.map.maxattempts", "0"}});
  EXPECT_THAT(ApplyHadoopProperties(spec, &warnings),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 to 1000")));
}

TEST(HadoopPropertiesTest, OutputCompressionIsHonouredWithTheCodecsBraidHas) {
  std::vector<std::string> warnings;
  proto::JobSpec spec = With({{"mapreduce.output.fileoutputformat.compress", "true"},
                              {"mapreduce.output.fileoutputformat.compress.codec",
                               "org.apache.hadoop.io.compress.GzipCodec"}});
  EXPECT_THAT(ApplyHadoopProperties(spec, &warnings), IsOk());
  EXPECT_THAT(warnings, IsEmpty());
  spec = With({{"mapred.output.compress", "true"},
               {"mapred.output.compression.codec", "org.apache.hadoop.io.compress.SnappyCodec"}});
  EXPECT_THAT(ApplyHadoopProperties(spec, &warnings),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("SnappyCodec")));
  spec = With({{"mapreduce.output.fileoutputformat.compress", "yes"}});
  EXPECT_THAT(ApplyHadoopProperties(spec, &warnings),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("true or false")));
}

TEST(HadoopPropertiesTest, FieldSelectionPropertiesAreCheckedWhenTheJobSelectsFields) {
  std::vector<std::string> warnings;
  proto::JobSpec spec = With({{"mapreduce.fieldsel.map.output.key.value.fields.spec", "x:0"}});
  spec.set_job("streaming");
  spec.mutable_streaming()->set_mapper("org.apache.hadoop.mapred.lib.FieldSelectionMapReduce");
  EXPECT_THAT(ApplyHadoopProperties(spec, &warnings),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("mapreduce.fieldsel.map.output.key.value.fields.spec")));
  // A job that selects no fields is told the properties do nothing.
  spec.mutable_streaming()->set_mapper("cat");
  EXPECT_THAT(ApplyHadoopProperties(spec, &warnings), IsOk());
  ASSERT_THAT(warnings, SizeIs(1));
  EXPECT_THAT(warnings[0], HasSubstr("has no effect"));
}

TEST(HadoopPropertiesTest, TheOldAndNewNamesMustAgree) {
  proto::JobSpec spec = With({{"mapreduce.job.reduces", "2"}, {"mapred.reduce.tasks", "5"}});
  std::vector<std::string> warnings;
  EXPECT_THAT(ApplyHadoopProperties(spec, &warnings),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("say different things")));
}

TEST(HadoopPropertiesTest, MalformedValuesAreRefusedByName) {
  std::vector<std::string> warnings;
  proto::JobSpec words = With({{"mapreduce.job.reduces", "two"}});
  EXPECT_THAT(ApplyHadoopProperties(words, &warnings),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mapreduce.job.reduces=two")));
  proto::JobSpec no_timeout = With({{"mapred.task.timeout", "0"}});
  EXPECT_THAT(ApplyHadoopProperties(no_timeout, &warnings),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no timeout")));
}

TEST(HadoopPropertiesTest, AStreamingReducerOfNoneMakesTheJobMapOnly) {
  proto::JobSpec spec = With({});
  spec.set_job("streaming");
  spec.set_reducers(4);
  spec.mutable_streaming()->set_mapper("cat");
  spec.mutable_streaming()->set_reducer("NONE");
  std::vector<std::string> warnings;
  ASSERT_THAT(ApplyHadoopProperties(spec, &warnings), IsOk());
  EXPECT_EQ(spec.reducers(), 0u);
  EXPECT_EQ(spec.streaming().reducer(), "");
}

TEST(HadoopPropertiesTest, PropertiesThatWouldChangeTheAnswerAreRefusedUnlessHarmless) {
  std::vector<std::string> warnings;
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"stream.num.map.output.key.fields", "2"},
           {"mapreduce.partition.keypartitioner.options", "-k1,1"},
           {"mapreduce.job.output.key.comparator.class",
            "org.apache.hadoop.mapreduce.lib.partition.KeyFieldBasedComparator"},
           {"mapreduce.job.output.group.comparator.class", "com.example.Grouping"},
           {"stream.map.output.field.separator", "."}}) {
    proto::JobSpec spec = With({{key, value}});
    EXPECT_THAT(ApplyHadoopProperties(spec, &warnings),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(absl::StrCat(key, "=", value, " is not supported"))))
        << key;
  }
  // Set to what Braid does anyway, they change nothing.
  proto::JobSpec harmless = With({{"stream.num.map.output.key.fields", "1"},
                                  {"mapreduce.output.fileoutputformat.compress", "false"},
                                  {"stream.map.output.field.separator", "\t"}});
  EXPECT_THAT(ApplyHadoopProperties(harmless, &warnings), IsOk());
  EXPECT_THAT(warnings, IsEmpty());
}

TEST(HadoopPropertiesTest, StreamingJobsHonourKeyFieldsComparatorsAndPartitioners) {
  proto::JobSpec spec = With(
      {{"stream.map.output.field.separator", "."},
       {"stream.num.map.output.key.fields", "4"},
       {"map.output.key.field.separator", "."},
       {"mapreduce.partition.keypartitioner.options", "-k1,2"},
       {"mapreduce.job.partitioner.class", "org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner"},
       {"mapreduce.job.output.key.comparator.class",
        "org.apache.hadoop.mapreduce.lib.partition.KeyFieldBasedComparator"},
       {"mapreduce.partition.keycomparator.options", "-k2,2nr"}});
  spec.set_job("streaming");
  spec.mutable_streaming()->set_mapper("cat");
  std::vector<std::string> warnings;
  EXPECT_THAT(ApplyHadoopProperties(spec, &warnings), IsOk());
  EXPECT_THAT(warnings, IsEmpty());
  // A wordcount job has no lines to cut: the same property is refused, saying why.
  proto::JobSpec builtin = With({{"stream.num.map.output.key.fields", "4"}});
  EXPECT_THAT(ApplyHadoopProperties(builtin, &warnings),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("streaming jobs only")));
}

TEST(HadoopPropertiesTest, AStreamingJobsBadKeyFieldPropertyIsRefused) {
  proto::JobSpec spec = With({{"mapreduce.partition.keycomparator.options", "-k2,2nr"}});
  spec.set_job("streaming");
  spec.mutable_streaming()->set_mapper("cat");
  std::vector<std::string> warnings;
  EXPECT_THAT(ApplyHadoopProperties(spec, &warnings),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("mapreduce.partition.keycomparator.options")));
}

TEST(HadoopPropertiesTest, UnknownHadoopPropertiesAreWarnedOfAndOthersAreNot) {
  proto::JobSpec spec = With(
      {{"mapreduce.map.memory.mb", "2048"}, {"mapred.map.tasks", "10"}, {"pattern", "needle"}});
  std::vector<std::string> warnings;
  ASSERT_THAT(ApplyHadoopProperties(spec, &warnings), IsOk());
  ASSERT_THAT(warnings, SizeIs(1));
  EXPECT_THAT(warnings[0], HasSubstr("mapreduce.map.memory.mb"));
}

TEST(HadoopPropertiesTest, PathsOnOtherFilesystemsAreRefusedAndFileUrlsAccepted) {
  std::vector<std::string> warnings;
  proto::JobSpec hdfs = With({});
  hdfs.set_inputs(0, "hdfs://namenode/data/in");
  EXPECT_THAT(ApplyHadoopProperties(hdfs, &warnings),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("input 'hdfs://namenode/data/in' names another filesystem")));
  proto::JobSpec s3 = With({});
  s3.set_output("s3a://bucket/out");
  EXPECT_THAT(ApplyHadoopProperties(s3, &warnings),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("output 's3a://bucket/out'")));
  proto::JobSpec local = With({});
  local.set_inputs(0, "file:///data/in");
  local.set_output("file:///data/out");
  ASSERT_THAT(ApplyHadoopProperties(local, &warnings), IsOk());
  EXPECT_THAT(local.inputs(), ElementsAre("/data/in"));
  EXPECT_EQ(local.output(), "/data/out");
}

}  // namespace
}  // namespace braid
