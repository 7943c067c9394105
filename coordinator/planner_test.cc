// PlanJob, ExpandInputs and ParseByteSize: a submission checked and cut into map tasks, against
// files in a temporary directory. (JobDefinition-specific checks are covered by the cluster tests,
// which link the built-in jobs.)

#include "coordinator/planner.h"

#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/temp_files.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::IsOkAndHolds;
using ::braid_compat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TempDir;
using testing::WriteFile;

class PlannerTest : public ::testing::Test {
 protected:
  proto::JobSpec Spec(std::vector<std::string> inputs, uint32_t reducers = 1) {
    proto::JobSpec spec;
    spec.set_job("wordcount");
    for (std::string& input : inputs) spec.add_inputs(std::move(input));
    spec.set_output(dir_.File("out"));
    spec.set_reducers(reducers);
    return spec;
  }
  TempDir dir_;
};

TEST_F(PlannerTest, ACompressedFileIsOneSplitHoweverLarge) {
  WriteFile(dir_.File("packed.gz"), std::string(1000, 'x'));
  proto::JobSpec spec = Spec({dir_.File("packed.gz")});
  spec.set_split_size(100);
  absl::StatusOr<JobPlan> plan = PlanJob(*Env::Default(), spec, nullptr);
  ASSERT_THAT(plan, IsOk());
  ASSERT_EQ(plan->splits.size(), 1u);
  EXPECT_EQ(plan->splits[0].offset(), 0u);
  EXPECT_EQ(plan->splits[0].length(), 1000u);
}

TEST_F(PlannerTest, AJobOfMillionsOfTasksIsRefusedWithTheFigureAndTheFlag) {
  WriteFile(dir_.File("four.txt"), std::string(4 << 20, 'x'));
  proto::JobSpec spec = Spec({dir_.File("four.txt")}, 4);
  spec.set_split_size(1);
  EXPECT_THAT(PlanJob(*Env::Default(), spec, nullptr).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("4194308 tasks (4194304 map, 4 reduce), more than this "
                                 "coordinator's limit of 500000 (its --max-tasks)")));
}

TEST_F(PlannerTest, TheTaskLimitCountsMapsAndReduces) {
  WriteFile(dir_.File("a.txt"), std::string(1000, 'x'));
  proto::JobSpec spec = Spec({dir_.File("a.txt")}, 2);
  spec.set_split_size(100);  // 10 maps
  EXPECT_THAT(PlanJob(*Env::Default(), spec, nullptr, /*max_tasks=*/12), IsOk());
  EXPECT_THAT(PlanJob(*Env::Default(), spec, nullptr, /*max_tasks=*/11).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("12 tasks")));
}

TEST_F(PlannerTest, ATaskBagOfTooManyTasksIsRefused) {
  WriteFile(dir_.File("lines.txt"), "a\nb\nc\nd\n");
  proto::JobSpec spec = Spec({dir_.File("lines.txt")}, 0);
  spec.set_records_per_task(1);
  EXPECT_THAT(PlanJob(*Env::Default(), spec, nullptr, /*max_tasks=*/4), IsOk());
  EXPECT_THAT(PlanJob(*Env::Default(), spec, nullptr, /*max_tasks=*/3).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--records-per-task")));
}

TEST_F(PlannerTest, CompressionBraidDoesNotReadIsRefusedByNameNotReadAsText) {
  WriteFile(dir_.File("plain.txt"), "one two\n");
  WriteFile(dir_.File("packed.xz"), std::string("\xfd"
                                                "7zXZ",
                                                5));
  EXPECT_THAT(PlanJob(*Env::Default(), Spec({dir_.File("*")}), nullptr).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("input '" + dir_.File("packed.xz") + "' is compressed (xz)")));
  EXPECT_THAT(PlanJob(*Env::Default(), Spec({dir_.File("plain.txt")}), nullptr), IsOk());
}

TEST_F(PlannerTest, ATaskBagCannotReadCompressedInput) {
  WriteFile(dir_.File("lines.gz"), std::string("\x1f\x8b\x08\x00", 4));
  proto::JobSpec spec = Spec({dir_.File("lines.gz")}, 0);
  spec.set_records_per_task(10);
  EXPECT_THAT(PlanJob(*Env::Default(), spec, nullptr).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is compressed: a task bag")));
}

TEST_F(PlannerTest, AFileSmallerThanTheSplitSizeIsOneTask) {
  WriteFile(dir_.File("a.txt"), "one two\nthree\n");
  absl::StatusOr<JobPlan> plan = PlanJob(*Env::Default(), Spec({dir_.File("a.txt")}), nullptr);
  ASSERT_THAT(plan, IsOk());
  ASSERT_EQ(plan->splits.size(), 1u);
  EXPECT_EQ(plan->splits[0].offset(), 0u);
  EXPECT_EQ(plan->splits[0].length(), 14u);
  EXPECT_EQ(plan->input_bytes, 14u);
  EXPECT_EQ(plan->reducers, 1u);
}

TEST_F(PlannerTest, AFileIsCutIntoByteRangesOfTheSplitSizeThatCoverItExactly) {
  WriteFile(dir_.File("a.txt"), std::string(1000, 'x'));
  proto::JobSpec spec = Spec({dir_.File("a.txt")});
  spec.set_split_size(300);
  absl::StatusOr<JobPlan> plan = PlanJob(*Env::Default(), spec, nullptr);
  ASSERT_THAT(plan, IsOk());
  ASSERT_EQ(plan->splits.size(), 4u);
  uint64_t next = 0;
  for (const proto::InputSplit& split : plan->splits) {
    EXPECT_EQ(split.offset(), next);
    EXPECT_LE(split.length(), 300u);
    next += split.length();
  }
  EXPECT_EQ(next, 1000u);
}

TEST_F(PlannerTest, ADirectorySkipsHiddenAndUnderscoreFiles) {
  std::filesystem::create_directories(dir_.File("in"));
  WriteFile(dir_.File("in/b"), "b\n");
  WriteFile(dir_.File("in/a"), "a\n");
  WriteFile(dir_.File("in/_SUCCESS"), "");
  WriteFile(dir_.File("in/.crc"), "x");
  EXPECT_THAT(ExpandInputs(*Env::Default(), {dir_.File("in")}),
              IsOkAndHolds(ElementsAre(dir_.File("in/a"), dir_.File("in/b"))));
}

TEST_F(PlannerTest, GlobsAreExpandedSortedAndWithoutDuplicates) {
  WriteFile(dir_.File("x1"), "1\n");
  WriteFile(dir_.File("x2"), "2\n");
  EXPECT_THAT(ExpandInputs(*Env::Default(), {dir_.File("x*"), dir_.File("x1")}),
              IsOkAndHolds(ElementsAre(dir_.File("x1"), dir_.File("x2"))));
}

TEST_F(PlannerTest, BracesInAGlobAreAlternativesNestedOrWithWildcards) {
  for (const char* name : {"a.txt", "b.txt", "c.txt", "d1.log", "d2.log"}) {
    WriteFile(dir_.File(name), "x\n");
  }
  EXPECT_THAT(ExpandInputs(*Env::Default(), {dir_.File("{a,c}.txt")}),
              IsOkAndHolds(ElementsAre(dir_.File("a.txt"), dir_.File("c.txt"))));
  EXPECT_THAT(ExpandInputs(*Env::Default(), {dir_.File("{b.txt,d{1,9}.log,*.none}")}),
              IsOkAndHolds(ElementsAre(dir_.File("b.txt"), dir_.File("d1.log"))));
  EXPECT_THAT(ExpandInputs(*Env::Default(), {dir_.File("{x,y}.txt")}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("matches no file")));
  // A '{' without its '}' is a character; a later group still expands.
  WriteFile(dir_.File("x{a.txt"), "x\n");
  EXPECT_THAT(ExpandInputs(*Env::Default(), {dir_.File("x{{a,b}.txt")}),
              IsOkAndHolds(ElementsAre(dir_.File("x{a.txt"))));
}

TEST_F(PlannerTest, BraceGlobsThatStandForTooMuchOrNothingAreRefused) {
  std::string doubling;
  for (int i = 0; i < 30; ++i) doubling += "{a,b}";
  EXPECT_THAT(ExpandInputs(*Env::Default(), {dir_.File(doubling)}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than 1024 patterns")));
  std::string many;
  for (int i = 0; i < 10000; ++i) many += "{a}";
  EXPECT_THAT(ExpandInputs(*Env::Default(), {dir_.File(many)}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than 64")));
  EXPECT_THAT(ExpandInputs(*Env::Default(), {dir_.File("{}")}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty {}")));
}

TEST_F(PlannerTest, AMissingInputOrAnEmptyGlobIsNotFound) {
  EXPECT_THAT(PlanJob(*Env::Default(), Spec({dir_.File("missing")}), nullptr),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing")));
  EXPECT_THAT(PlanJob(*Env::Default(), Spec({dir_.File("nothing-*")}), nullptr),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(PlannerTest, AnExistingOutputIsRefusedWithoutOverwrite) {
  WriteFile(dir_.File("a.txt"), "a\n");
  std::filesystem::create_directories(dir_.File("out"));
  proto::JobSpec spec = Spec({dir_.File("a.txt")});
  EXPECT_THAT(PlanJob(*Env::Default(), spec, nullptr), StatusIs(absl::StatusCode::kAlreadyExists));
  spec.set_overwrite(true);
  EXPECT_THAT(PlanJob(*Env::Default(), spec, nullptr), IsOk());
}

TEST_F(PlannerTest, BadReducerCountsAreRefused) {
  WriteFile(dir_.File("a.txt"), "a\n");
  EXPECT_THAT(PlanJob(*Env::Default(), Spec({dir_.File("a.txt")}, kMaxReducers + 1), nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(PlannerTest, NoInputsIsRefused) {
  EXPECT_THAT(PlanJob(*Env::Default(), Spec({}), nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseByteSize, TakesBytesAndBinarySuffixes) {
  EXPECT_THAT(ParseByteSize("4096"), IsOkAndHolds(4096u));
  EXPECT_THAT(ParseByteSize("64MiB"), IsOkAndHolds(uint64_t{64} << 20));
  EXPECT_THAT(ParseByteSize("2G"), IsOkAndHolds(uint64_t{2} << 30));
  EXPECT_THAT(ParseByteSize("1KB"), IsOkAndHolds(1024u));
}

TEST(ParseByteSize, RefusesTextNamingIt) {
  EXPECT_THAT(ParseByteSize("lots"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lots")));
  EXPECT_THAT(ParseByteSize("12QB"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace braid
