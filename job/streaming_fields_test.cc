// StreamingFields: Hadoop Streaming's key, separator, comparator and partitioner properties.

#include "job/streaming_fields.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::HasSubstr;

StreamingFields Fields(std::initializer_list<std::pair<const char*, const char*>> properties) {
  proto::JobSpec spec;
  for (const auto& [key, value] : properties) (*spec.mutable_config())[key] = value;
  absl::StatusOr<StreamingFields> fields = StreamingFields::FromSpec(spec);
  EXPECT_THAT(fields, IsOk());
  return *std::move(fields);
}

absl::Status Refusal(std::initializer_list<std::pair<const char*, const char*>> properties) {
  proto::JobSpec spec;
  for (const auto& [key, value] : properties) (*spec.mutable_config())[key] = value;
  return StreamingFields::FromSpec(spec).status();
}

std::string ReduceOutput(const StreamingFields& fields, absl::string_view line) {
  std::string out;
  fields.AppendReduceOutput(line, &out);
  return out;
}

std::string MapOnlyOutput(const StreamingFields& fields, absl::string_view line) {
  std::string out;
  fields.AppendMapOnlyOutput(line, &out);
  return out;
}

TEST(StreamingFieldsTest, ByDefaultTheKeyEndsAtTheFirstTab) {
  const StreamingFields fields = Fields({});
  StreamingFields::Pair pair = fields.SplitMapOutput("key\tvalue\twith tab");
  EXPECT_EQ(pair.key, "key");
  EXPECT_EQ(pair.value, "value\twith tab");
  pair = fields.SplitMapOutput("no tab at all");
  EXPECT_EQ(pair.key, "no tab at all");
  EXPECT_EQ(pair.value, "");
  std::string scratch;
  EXPECT_EQ(fields.ShuffleKey("key", &scratch), "key");
  EXPECT_EQ(fields.KeyOf("key"), "key");
  EXPECT_EQ(fields.MakePartitioner(), nullptr);
}

TEST(StreamingFieldsTest, OutputLinesCarryTheSeparatorEvenForAnEmptyValue) {
  const StreamingFields fields = Fields({});
  EXPECT_EQ(ReduceOutput(fields, "word\t3"), "word\t3");
  EXPECT_EQ(ReduceOutput(fields, "word"), "word\t");
  EXPECT_EQ(MapOnlyOutput(fields, "line"), "line\t");
  std::string out;
  fields.AppendPairOutput("k", "", &out);
  EXPECT_EQ(out, "k\t");
}

TEST(StreamingFieldsTest, TheKeyIsTheLineUpToTheNthSeparator) {
  const StreamingFields fields = Fields(
      {{"stream.map.output.field.separator", "."}, {"stream.num.map.output.key.fields", "2"}});
  StreamingFields::Pair pair = fields.SplitMapOutput("11.12.1.2");
  EXPECT_EQ(pair.key, "11.12");
  EXPECT_EQ(pair.value, "1.2");
  pair = fields.SplitMapOutput("11");
  EXPECT_EQ(pair.key, "11");
  EXPECT_EQ(pair.value, "");
  // A map-only job writes the key, the output separator, the value.
  EXPECT_EQ(MapOnlyOutput(fields, "11.12.1.2"), "11.12\t1.2");
}

TEST(StreamingFieldsTest, ReducerLinesAreCutAndJoinedAsConfigured) {
  const StreamingFields fields = Fields({{"stream.reduce.output.field.separator", ":"},
                                         {"stream.num.reduce.output.key.fields", "2"},
                                         {"mapreduce.output.textoutputformat.separator", ","}});
  EXPECT_EQ(ReduceOutput(fields, "a:b:c:d"), "a:b,c:d");
  EXPECT_EQ(ReduceOutput(fields, "a:b"), "a:b,");
  EXPECT_EQ(Fields({{"stream.reduce.input.field.separator", "|"}}).reduce_input_separator(), "|");
}

TEST(StreamingFieldsTest, OlderNamesAreReadAsHadoopMapsThem) {
  const StreamingFields fields = Fields({{"mapred.textoutputformat.separator", ";"}});
  EXPECT_EQ(ReduceOutput(fields, "a\tb"), "a;b");
  EXPECT_THAT(Refusal({{"mapred.textoutputformat.separator", ";"},
                       {"mapreduce.output.textoutputformat.separator", ","}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("say different things")));
}

TEST(StreamingFieldsTest, AKeyFieldComparatorOrdersShuffleKeysAndKeepsTheKey) {
  const StreamingFields fields =
      Fields({{"mapreduce.job.output.key.comparator.class",
               "org.apache.hadoop.mapreduce.lib.partition.KeyFieldBasedComparator"},
              {"stream.num.map.output.key.fields", "2"},
              {"mapreduce.partition.keycomparator.options", "-k1,1 -k2,2nr"}});
  std::string a, b, c;
  const std::string first(fields.ShuffleKey("x\t2", &a));
  const std::string second(fields.ShuffleKey("x\t10", &b));
  const std::string third(fields.ShuffleKey("y\t1", &c));
  EXPECT_LT(second, first);  // 10 before 2: numeric, reversed
  EXPECT_LT(first, third);
  EXPECT_EQ(fields.KeyOf(first), "x\t2");
  EXPECT_EQ(fields.KeyOf(second), "x\t10");
  std::string out;
  fields.AppendPairOutput(second, "v", &out);
  EXPECT_EQ(out, "x\t10\tv");
}

TEST(StreamingFieldsTest, KeysTheComparatorFindsEqualStayApart) {
  const StreamingFields fields = Fields({{"mapreduce.job.output.key.comparator.class",
                                          "org.apache.hadoop.mapred.lib.KeyFieldBasedComparator"},
                                         {"mapreduce.partition.keycomparator.options", "-k1n"}});
  std::string a, b;
  EXPECT_NE(fields.ShuffleKey("1.0", &a), fields.ShuffleKey("1", &b));
}

TEST(StreamingFieldsTest, AKeyFieldPartitionerSendsKeysWithTheSameFieldsTogether) {
  const StreamingFields fields = Fields(
      {{"mapreduce.job.partitioner.class", "org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner"},
       {"mapreduce.map.output.key.field.separator", "."},
       {"mapreduce.partition.keypartitioner.options", "-k1,2"}});
  std::unique_ptr<Partitioner> partitioner = fields.MakePartitioner();
  ASSERT_NE(partitioner, nullptr);
  std::set<uint32_t> used;
  for (int i = 0; i < 100; ++i) {
    const std::string prefix = absl::StrCat(i, ".", i * 7);
    const uint32_t partition = partitioner->Partition(absl::StrCat(prefix, ".1.1"), 12);
    EXPECT_EQ(partitioner->Partition(absl::StrCat(prefix, ".9.3"), 12), partition);
    used.insert(partition);
  }
  EXPECT_GT(used.size(), 6u);
}

TEST(StreamingFieldsTest, TheOlderFieldCountPartitionsByTheFirstFields) {
  const StreamingFields fields =
      Fields({{"mapred.partitioner.class", "org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner"},
              {"map.output.key.field.separator", "."},
              {"num.key.fields.for.partition", "1"}});
  std::unique_ptr<Partitioner> partitioner = fields.MakePartitioner();
  ASSERT_NE(partitioner, nullptr);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(partitioner->Partition(absl::StrCat(i, ".a"), 7),
              partitioner->Partition(absl::StrCat(i, ".b"), 7));
  }
}

TEST(StreamingFieldsTest, ClassesBraidDoesNotHaveAreRefusedByName) {
  EXPECT_THAT(Refusal({{"mapreduce.job.output.key.comparator.class", "com.example.MyComparator"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("com.example.MyComparator")));
  EXPECT_THAT(Refusal({{"mapreduce.job.partitioner.class",
                        "org.apache.hadoop.mapreduce.lib.partition.TotalOrderPartitioner"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("TotalOrderPartitioner")));
  // The defaults, named, are accepted.
  EXPECT_THAT(Refusal({{"mapreduce.job.output.key.comparator.class",
                        "org.apache.hadoop.io.Text$Comparator"},
                       {"mapreduce.job.partitioner.class",
                        "org.apache.hadoop.mapreduce.lib.partition.HashPartitioner"}}),
              IsOk());
}

TEST(StreamingFieldsTest, OptionsWithoutTheClassThatReadsThemAreRefused) {
  EXPECT_THAT(Refusal({{"mapreduce.partition.keycomparator.options", "-k2,2nr"}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("mapreduce.job.output.key.comparator.class")));
  EXPECT_THAT(
      Refusal({{"mapreduce.partition.keypartitioner.options", "-k1,1"}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mapreduce.job.partitioner.class")));
  EXPECT_THAT(
      Refusal({{"num.key.fields.for.partition", "2"}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mapreduce.job.partitioner.class")));
}

TEST(StreamingFieldsTest, MalformedValuesAreRefusedByName) {
  EXPECT_THAT(Refusal({{"stream.num.map.output.key.fields", "0"}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("stream.num.map.output.key.fields=0")));
  EXPECT_THAT(
      Refusal({{"stream.map.output.field.separator", ""}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("stream.map.output.field.separator")));
  EXPECT_THAT(Refusal({{"mapreduce.job.output.key.comparator.class",
                        "org.apache.hadoop.mapreduce.lib.partition.KeyFieldBasedComparator"},
                       {"mapreduce.partition.keycomparator.options", "-k1,1 -t."}}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("mapreduce.partition.keycomparator.options")));
}

TEST(StreamingFieldsTest, ReadsKnowsEveryPropertyItHonours) {
  for (const char* property :
       {"stream.map.output.field.separator", "stream.num.map.output.key.fields",
        "stream.reduce.input.field.separator", "stream.reduce.output.field.separator",
        "stream.num.reduce.output.key.fields", "mapreduce.map.output.key.field.separator",
        "map.output.key.field.separator", "mapreduce.job.output.key.comparator.class",
        "mapred.output.key.comparator.class", "mapreduce.partition.keycomparator.options",
        "mapred.text.key.comparator.options", "mapreduce.job.partitioner.class",
        "mapred.partitioner.class", "mapreduce.partition.keypartitioner.options",
        "mapred.text.key.partitioner.options", "num.key.fields.for.partition",
        "mapreduce.output.textoutputformat.separator", "mapred.textoutputformat.separator"}) {
    EXPECT_TRUE(StreamingFields::Reads(property)) << property;
  }
  EXPECT_FALSE(StreamingFields::Reads("stream.map.input.field.separator"));
}

}  // namespace
}  // namespace braid
