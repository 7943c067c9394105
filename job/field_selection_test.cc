// FieldSelectionMapReduce: Hadoop's field selection, its specs and its edge cases.

#include "job/field_selection.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Optional;

FieldSelection Selection(std::vector<std::pair<std::string, std::string>> properties) {
  proto::JobSpec spec;
  for (auto& [key, value] : properties) (*spec.mutable_config())[key] = value;
  absl::StatusOr<FieldSelection> selection = FieldSelection::FromSpec(spec);
  EXPECT_THAT(selection, IsOk());
  return *std::move(selection);
}

absl::Status Refusal(std::vector<std::pair<std::string, std::string>> properties) {
  proto::JobSpec spec;
  for (auto& [key, value] : properties) (*spec.mutable_config())[key] = value;
  return FieldSelection::FromSpec(spec).status();
}

TEST(FieldSelectionTest, TheMapperKeysAndValuesByTheFieldsItsSpecNames) {
  const FieldSelection selection =
      Selection({{"mapreduce.fieldsel.data.field.separator", ","},
                 {"mapreduce.fieldsel.map.output.key.value.fields.spec", "6,5,1-3:0-"},
                 {"mapreduce.fieldsel.reduce.output.key.value.fields.spec", "0-2:5-"}});
  FieldSelection::Selected mapped = selection.Map("a,b,c,d,e,f,g");
  EXPECT_THAT(mapped.key, Optional(std::string("g,f,b,c,d")));
  EXPECT_THAT(mapped.value, Optional(std::string("a,b,c,d,e,f,g")));
  // The reducer reads KEY, the separator, the value.
  FieldSelection::Selected reduced = selection.Reduce(*mapped.key, *mapped.value);
  EXPECT_THAT(reduced.key, Optional(std::string("g,f,b")));
  EXPECT_THAT(reduced.value, Optional(std::string("a,b,c,d,e,f,g")));
}

TEST(FieldSelectionTest, FieldsALineLacksAreEmptyAndTrailingEmptyFieldsAreDropped) {
  const FieldSelection selection =
      Selection({{"mapreduce.fieldsel.data.field.separator", ","},
                 {"mapreduce.fieldsel.map.output.key.value.fields.spec", "0,3:1-"}});
  FieldSelection::Selected mapped = selection.Map("a,b,,");
  EXPECT_THAT(mapped.key, Optional(std::string("a,")));
  EXPECT_THAT(mapped.value, Optional(std::string("b")));
}

TEST(FieldSelectionTest, AMapperWithoutKeyFieldsKeysByTheValue) {
  const FieldSelection selection =
      Selection({{"mapreduce.fieldsel.map.output.key.value.fields.spec", ":1"}});
  FieldSelection::Selected mapped = selection.Map("a\tb\tc");
  EXPECT_THAT(mapped.key, Optional(std::string("b")));
  EXPECT_THAT(mapped.value, Optional(std::string("")));
  // Hadoop's default spec, "0-:", selects nothing at all: an open range is no key.
  FieldSelection::Selected nothing = Selection({}).Map("a\tb");
  EXPECT_THAT(nothing.key, Optional(std::string("")));
  EXPECT_THAT(nothing.value, Optional(std::string("")));
}

TEST(FieldSelectionTest, AReducerMayWriteTheKeyAloneTheValueAloneOrNothing) {
  FieldSelection::Selected key_only =
      Selection({{"mapreduce.fieldsel.reduce.output.key.value.fields.spec", "0:"}})
          .Reduce("k", "v");
  EXPECT_THAT(key_only.key, Optional(std::string("k")));
  EXPECT_EQ(key_only.value, std::nullopt);
  FieldSelection::Selected value_only =
      Selection({{"mapreduce.fieldsel.reduce.output.key.value.fields.spec", ":1"}})
          .Reduce("k", "v");
  EXPECT_EQ(value_only.key, std::nullopt);
  EXPECT_THAT(value_only.value, Optional(std::string("v")));
  FieldSelection::Selected none =
      Selection({{"mapreduce.fieldsel.reduce.output.key.value.fields.spec", ":"}}).Reduce("k", "v");
  EXPECT_EQ(none.key, std::nullopt);
  EXPECT_EQ(none.value, std::nullopt);
}

TEST(FieldSelectionTest, OlderNamesAreRead) {
  const FieldSelection selection = Selection(
      {{"mapred.data.field.separator", ":"}, {"map.output.key.value.fields.spec", "1:0"}});
  FieldSelection::Selected mapped = selection.Map("x:y");
  EXPECT_THAT(mapped.key, Optional(std::string("y")));
  EXPECT_THAT(mapped.value, Optional(std::string("x")));
}

TEST(FieldSelectionTest, SeparatorsThatHadoopReadsAsPatternsAreRefused) {
  for (const char* separator : {".", "|", "::", ""}) {
    EXPECT_THAT(Refusal({{"mapreduce.fieldsel.data.field.separator", separator}}),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("mapreduce.fieldsel.data.field.separator")))
        << separator;
  }
}

TEST(FieldSelectionTest, MalformedSpecsAreRefusedNamingTheProperty) {
  for (const char* spec : {"x:1", "1:2-y", "1-2-3:0", " 1:0", "2-:0", "0:1:2", "0:1-,2-",
                           "0-999999:0", "0:0-5000,0-5000"}) {
    EXPECT_THAT(Refusal({{"mapreduce.fieldsel.map.output.key.value.fields.spec", spec}}),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("mapreduce.fieldsel.map.output.key.value.fields.spec")))
        << spec;
  }
}

}  // namespace
}  // namespace braid
