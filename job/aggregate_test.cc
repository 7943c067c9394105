// Hadoop's Aggregate package: each aggregator's report, its combiner's partial state, and Java's
// way of writing a double.

#include "job/aggregate.h"

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

std::string Aggregate(absl::string_view type, const std::vector<std::string>& values,
                      uint64_t max_unique = UINT64_MAX) {
  absl::StatusOr<std::unique_ptr<ValueAggregator>> aggregator =
      MakeValueAggregator(type, max_unique);
  EXPECT_THAT(aggregator, IsOk());
  for (const std::string& value : values) EXPECT_THAT((*aggregator)->Add(value), IsOk()) << value;
  return (*aggregator)->Report();
}

// The report after a combiner folded `first` and another `second`, and a reducer folded both.
std::string Combined(absl::string_view type, const std::vector<std::string>& first,
                     const std::vector<std::string>& second) {
  std::vector<std::string> partial;
  for (const std::vector<std::string>* values : {&first, &second}) {
    absl::StatusOr<std::unique_ptr<ValueAggregator>> combiner = MakeValueAggregator(type, 100);
    for (const std::string& value : *values) EXPECT_THAT((*combiner)->Add(value), IsOk());
    for (std::string& value : (*combiner)->CombinerOutput()) partial.push_back(value);
  }
  return Aggregate(type, partial, 100);
}

TEST(AggregateTest, LongAggregatorsSumAndFindTheExtremes) {
  EXPECT_EQ(Aggregate("LongValueSum", {"1", "2", "-5", "+10"}), "8");
  EXPECT_EQ(Aggregate("LongValueMax", {"3", "-7", "12"}), "12");
  EXPECT_EQ(Aggregate("LongValueMin", {"3", "-7", "12"}), "-7");
}

TEST(AggregateTest, TypesMatchIgnoringCase) {
  EXPECT_EQ(Aggregate("longvaluesum", {"1", "1"}), "2");
}

TEST(AggregateTest, StringAggregatorsCompareBytewise) {
  EXPECT_EQ(Aggregate("StringValueMax", {"pear", "apple", "zebra", "Zebra"}), "zebra");
  EXPECT_EQ(Aggregate("StringValueMin", {"pear", "apple", "Zebra"}), "Zebra");
}

TEST(AggregateTest, DoubleValueSumWritesTheSumAsJavaDoes) {
  EXPECT_EQ(Aggregate("DoubleValueSum", {"1", "2"}), "3.0");
  EXPECT_EQ(Aggregate("DoubleValueSum", {"0.1", "0.2"}), "0.30000000000000004");
}

TEST(AggregateTest, UniqValueCountCountsDistinctValuesUpToItsLimit) {
  EXPECT_EQ(Aggregate("UniqValueCount", {"a", "b", "a", "c"}), "3");
  EXPECT_EQ(Aggregate("UniqValueCount", {"a", "b", "c", "d"}, 2), "2");
}

TEST(AggregateTest, ValueHistogramReportsItsCountsStatistics) {
  // a: 3, b: 1, c: 2 (one of them given as "c<TAB>2").
  EXPECT_EQ(Aggregate("ValueHistogram", {"a", "b", "a", "c\t2", "a"}),
            "3\t1\t2\t3\t2.0\t" + JavaDoubleString(0.816496580927726));
}

TEST(AggregateTest, ACombinersPartialStateGivesTheSameReport) {
  const std::vector<std::string> first = {"1", "5", "5", "x"};
  const std::vector<std::string> second = {"5", "2", "x", "y"};
  std::vector<std::string> all = first;
  all.insert(all.end(), second.begin(), second.end());
  for (const char* type : {"UniqValueCount", "ValueHistogram", "StringValueMax"}) {
    EXPECT_EQ(Combined(type, first, second), Aggregate(type, all)) << type;
  }
  EXPECT_EQ(Combined("LongValueSum", {"1", "2"}, {"3"}), "6");
  EXPECT_EQ(Combined("LongValueMin", {"4", "2"}, {"3"}), "2");
  EXPECT_EQ(Combined("DoubleValueSum", {"1.5"}, {"2"}), "3.5");
}

TEST(AggregateTest, UnreadableValuesAndUnknownTypesAreRefusedByName) {
  absl::StatusOr<std::unique_ptr<ValueAggregator>> sum = MakeValueAggregator("LongValueSum", 1);
  ASSERT_THAT(sum, IsOk());
  EXPECT_THAT((*sum)->Add("1.5"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'1.5'")));
  EXPECT_THAT((*sum)->Add(" 1"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeValueAggregator("LongValueAverage", 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("LongValueAverage")));
}

TEST(AggregateTest, KeysAreTypeColonId) {
  absl::StatusOr<AggregateKey> key = SplitAggregateKey("LongValueSum:word:with:colons");
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(key->type, "LongValueSum");
  EXPECT_EQ(key->id, "word:with:colons");
  EXPECT_THAT(SplitAggregateKey("nocolon"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(AggregateTest, DoublesAreWrittenAsJavasDoubleToString) {
  EXPECT_EQ(JavaDoubleString(3.0), "3.0");
  EXPECT_EQ(JavaDoubleString(-2.5), "-2.5");
  EXPECT_EQ(JavaDoubleString(0.001), "0.001");
  EXPECT_EQ(JavaDoubleString(0.0001), "1.0E-4");
  EXPECT_EQ(JavaDoubleString(1.5e-4), "1.5E-4");
  EXPECT_EQ(JavaDoubleString(123456.789), "123456.789");
  EXPECT_EQ(JavaDoubleString(9999999.0), "9999999.0");
  EXPECT_EQ(JavaDoubleString(1e7), "1.0E7");
  EXPECT_EQ(JavaDoubleString(12345678.9), "1.23456789E7");
  EXPECT_EQ(JavaDoubleString(0.0), "0.0");
  EXPECT_EQ(JavaDoubleString(-0.0), "-0.0");
  EXPECT_EQ(JavaDoubleString(1.0 / 0.0), "Infinity");
}

}  // namespace
}  // namespace braid
