// PlanJob, ExpandInputs and ParseByteSize: a submission checked and cut into map tasks, against
// files in a temporary directory. (JobDefinition-specific checks are covered by the cluster tests,
// which link the built-in jobs.)

#include "coordinator/planner.h"

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

// A job whose mapper allows combined splits, and one whose mapper does not.
const JobDefinition kCombinable{.name = "wordcount", .combinable_inputs = true};
const JobDefinition kNotCombinable{.name = "byfile"};

// The files each map task of `plan` reads, one string per task ("a b" for a combined split).
std::vector<std::string> FilesPerTask(const JobPlan& plan) {
  std::vector<std::string> tasks;
  for (const proto::InputSplit& split : plan.splits) {
    std::string files;
    if (split.parts().empty()) files = std::filesystem::path(split.path()).filename();
    for (const proto::InputSplit& part : split.parts()) {
      absl::StrAppend(&files, files.empty() ? "" : " ",
                      std::filesystem::path(part.path()).filename().string());
    }
    tasks.push_back(files);
  }
  return tasks;
}

TEST_F(PlannerTest, TenThousandTinyFilesAreAFewCombinedTasksThatReadEachWhole) {
  std::filesystem::create_directory(dir_.File("in"));
  for (int i = 0; i < 10'000; ++i) {
    WriteFile(dir_.File(absl::StrFormat("in/%05d.txt", i)), absl::StrCat("word", i, "\n"));
  }
  absl::StatusOr<JobPlan> plan = PlanJob(*Env::Default(), Spec({dir_.File("in")}), &kCombinable);
  ASSERT_THAT(plan, IsOk());
  ASSERT_EQ(plan->splits.size(), 10'000u / kMaxSplitParts);
  uint64_t bytes = 0;
  int next = 0;
  for (const proto::InputSplit& split : plan->splits) {
    EXPECT_TRUE(split.path().empty());
    for (const proto::InputSplit& part : split.parts()) {
      EXPECT_EQ(part.path(), dir_.File(absl::StrFormat("in/%05d.txt", next++)));
      EXPECT_EQ(part.offset(), 0u);
      EXPECT_EQ(part.length(), part.file_size());
      EXPECT_EQ(part.identity().size(), part.file_size());
      bytes += part.length();
    }
  }
  EXPECT_EQ(next, 10'000);
  EXPECT_EQ(bytes, plan->input_bytes);
}

TEST_F(PlannerTest, SmallFilesArePackedInOrderUpToTheSplitSizeAndALargeFileEndsAPack) {
  WriteFile(dir_.File("a"), std::string(10, 'a'));
  WriteFile(dir_.File("b"), std::string(10, 'b'));
  WriteFile(dir_.File("c"), std::string(10, 'c'));
  WriteFile(dir_.File("d"), std::string(250, 'd'));  // not small: a split of its own
  WriteFile(dir_.File("e"), std::string(20, 'e'));
  WriteFile(dir_.File("f"), std::string(24, 'f'));
  proto::JobSpec spec = Spec({dir_.File("?")});
  spec.set_split_size(100);  // small: under 25 bytes; a pack holds at most 100
  absl::StatusOr<JobPlan> plan = PlanJob(*Env::Default(), spec, &kCombinable);
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT(FilesPerTask(*plan), ElementsAre("a b c", "d", "d", "d", "e f"));
  spec.set_split_size(60);  // small: under 15 bytes, so e and f are tasks of their own
  plan = PlanJob(*Env::Default(), spec, &kCombinable);
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT(FilesPerTask(*plan), ElementsAre("a b c", "d", "d", "d", "d", "d", "e", "f"));
}

TEST_F(PlannerTest, ACompressedFileIsPackedAsFourTimesItsSize) {
  WriteFile(dir_.File("a.gz"), std::string(5, 'x'));
  WriteFile(dir_.File("b.gz"), std::string(5, 'x'));
  WriteFile(dir_.File("c.gz"), std::string(10, 'x'));  // as 40 bytes: not small
  proto::JobSpec spec = Spec({dir_.File("?.gz")});
  spec.set_split_size(100);
  absl::StatusOr<JobPlan> plan = PlanJob(*Env::Default(), spec, &kCombinable);
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT(FilesPerTask(*plan), ElementsAre("a.gz b.gz", "c.gz"));
}

TEST_F(PlannerTest, APackNeverPassesTheSplitSize) {
  for (const char* name : {"a", "b", "c", "d"}) WriteFile(dir_.File(name), std::string(24, 'x'));
  proto::JobSpec spec = Spec({dir_.File("?")});
  spec.set_split_size(100);
  absl::StatusOr<JobPlan> plan = PlanJob(*Env::Default(), spec, &kCombinable);
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT(FilesPerTask(*plan), ElementsAre("a b c d"));
  WriteFile(dir_.File("e"), std::string(5, 'x'));
  plan = PlanJob(*Env::Default(), spec, &kCombinable);
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT(FilesPerTask(*plan), ElementsAre("a b c d", "e"));
  EXPECT_TRUE(plan->splits[1].parts().empty());  // a pack of one file is that file's split
}

TEST_F(PlannerTest, CombiningCanBeTurnedOffAndIsOffForStreamingJobsUnlessAsked) {
  for (const char* name : {"a", "b", "c"}) WriteFile(dir_.File(name), "line\n");
  proto::JobSpec spec = Spec({dir_.File("?")});
  spec.set_combine_inputs(proto::INPUT_COMBINING_OFF);
  absl::StatusOr<JobPlan> plan = PlanJob(*Env::Default(), spec, &kCombinable);
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT(FilesPerTask(*plan), ElementsAre("a", "b", "c"));

  spec.set_combine_inputs(proto::INPUT_COMBINING_DEFAULT);
  spec.set_job("streaming");
  spec.mutable_streaming()->set_mapper("cat");
  const JobDefinition streaming{.name = "streaming"};
  plan = PlanJob(*Env::Default(), spec, &streaming);
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT(FilesPerTask(*plan), ElementsAre("a", "b", "c"));
  spec.set_combine_inputs(proto::INPUT_COMBINING_ON);
  plan = PlanJob(*Env::Default(), spec, &streaming);
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT(FilesPerTask(*plan), ElementsAre("a b c"));
}

TEST_F(PlannerTest, AJobWhoseMapperNeedsEachFileAloneIsNotCombinedAndRefusesToBe) {
  for (const char* name : {"a", "b"}) WriteFile(dir_.File(name), "line\n");
  proto::JobSpec spec = Spec({dir_.File("?")});
  spec.set_job("byfile");
  absl::StatusOr<JobPlan> plan = PlanJob(*Env::Default(), spec, &kNotCombinable);
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT(FilesPerTask(*plan), ElementsAre("a", "b"));
  plan = PlanJob(*Env::Default(), spec, nullptr);  // a job only the workers know
  ASSERT_THAT(plan, IsOk());
  EXPECT_THAT(FilesPerTask(*plan), ElementsAre("a", "b"));
  spec.set_combine_inputs(proto::INPUT_COMBINING_ON);
  EXPECT_THAT(PlanJob(*Env::Default(), spec, &kNotCombinable).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("job 'byfile' cannot combine its input files")));
}

TEST_F(PlannerTest, TheTaskLimitCountsCombinedTasks) {
  std::filesystem::create_directory(dir_.File("in"));
  for (int i = 0; i < 2'500; ++i) WriteFile(dir_.File(absl::StrCat("in/", i)), "x\n");
  proto::JobSpec spec = Spec({dir_.File("in")}, 0);
  EXPECT_THAT(PlanJob(*Env::Default(), spec, &kCombinable, /*max_tasks=*/3), IsOk());
  EXPECT_THAT(PlanJob(*Env::Default(), spec, &kCombinable, /*max_tasks=*/2).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("3 tasks (3 map, 0 reduce)")));
  spec.set_combine_inputs(proto::INPUT_COMBINING_OFF);
  EXPECT_THAT(PlanJob(*Env::Default(), spec, &kCombinable, /*max_tasks=*/2'499).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2500 tasks")));
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
