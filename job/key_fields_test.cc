// KeyFields: Hadoop's -k specs parse as KeyFieldBasedComparator parses them, and the sort-key
// encoding orders keys as that comparator does.

#include "job/key_fields.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

KeyFields MustParse(absl::string_view options, std::string separator = "\t") {
  absl::StatusOr<KeyFields> fields = KeyFields::Parse(options, separator, "test.options");
  EXPECT_THAT(fields, IsOk());
  return *std::move(fields);
}

std::string SortKey(const KeyFields& fields, absl::string_view key) {
  std::string out;
  fields.AppendSortKey(key, &out);
  return out;
}

// `keys` in the order of their sort keys (ties in their given order).
std::vector<std::string> Sorted(const KeyFields& fields, std::vector<std::string> keys) {
  std::stable_sort(keys.begin(), keys.end(), [&](const std::string& a, const std::string& b) {
    return SortKey(fields, a) < SortKey(fields, b);
  });
  return keys;
}

TEST(KeyFieldsTest, ParsesHadoopsSpecForms) {
  const KeyFields fields = MustParse("-k1,1 -k2.3,4.5nr -k 3 -k5n");
  ASSERT_EQ(fields.specs().size(), 4u);
  const KeyFields::Spec& second = fields.specs()[1];
  EXPECT_EQ(second.begin_field, 2);
  EXPECT_EQ(second.begin_char, 3);
  EXPECT_EQ(second.end_field, 4);
  EXPECT_EQ(second.end_char, 5);
  EXPECT_TRUE(second.numeric);
  EXPECT_TRUE(second.reverse);
  EXPECT_EQ(fields.specs()[2].begin_field, 3);
  EXPECT_EQ(fields.specs()[2].end_field, 0);
  EXPECT_TRUE(fields.specs()[3].numeric);
  EXPECT_FALSE(fields.specs()[3].reverse);
}

TEST(KeyFieldsTest, GlobalOptionsApplyToSpecsWithoutOptionsOfTheirOwn) {
  const KeyFields fields = MustParse("-nr -k1,1 -k2,2n");
  EXPECT_TRUE(fields.specs()[0].numeric);
  EXPECT_TRUE(fields.specs()[0].reverse);
  EXPECT_TRUE(fields.specs()[1].numeric);
  EXPECT_FALSE(fields.specs()[1].reverse);
  // Without -k, the whole key.
  const KeyFields whole = MustParse("-r");
  ASSERT_EQ(whole.specs().size(), 1u);
  EXPECT_TRUE(whole.specs()[0].reverse);
  EXPECT_EQ(whole.specs()[0].end_field, 0);
}

TEST(KeyFieldsTest, MalformedOrUnsupportedOptionsAreRefusedNamingTheProperty) {
  for (const char* bad : {"-k", "-kx", "-k1,", "-k0,1", "-k1.0", "-k1,2q", "-t.", "-k1 -b"}) {
    EXPECT_THAT(KeyFields::Parse(bad, "\t", "mapreduce.partition.keycomparator.options"),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("mapreduce.partition.keycomparator.options")))
        << bad;
  }
  EXPECT_THAT(KeyFields::Parse("-k1", "", "p"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeyFieldsTest, TextFieldsCompareBytewiseAndAShorterValueFirst) {
  const KeyFields fields = MustParse("-k1,1", ".");
  EXPECT_THAT(Sorted(fields, {"b.1", "ab.2", "a.3", "a\x01.4", std::string("a\0.5", 4), "\xff.6"}),
              ElementsAre("a.3", std::string("a\0.5", 4), "a\x01.4", "ab.2", "b.1", "\xff.6"));
}

TEST(KeyFieldsTest, NumericFieldsCompareByValue) {
  const KeyFields fields = MustParse("-k1n");
  EXPECT_THAT(Sorted(fields, {"10", "9", "-2", "0.5", "-0.25", "007", "1.25", "-10", "1.3", "0"}),
              ElementsAre("-10", "-2", "-0.25", "0", "0.5", "1.25", "1.3", "007", "9", "10"));
}

TEST(KeyFieldsTest, EqualNumbersWrittenDifferentlyAreEqual) {
  const KeyFields fields = MustParse("-k1n");
  EXPECT_EQ(SortKey(fields, "0"), SortKey(fields, "-0.0"));
  EXPECT_EQ(SortKey(fields, "1.50"), SortKey(fields, "001.5"));
  // Text after the number is not compared; text without a number is 0.
  EXPECT_EQ(SortKey(fields, "12abc"), SortKey(fields, "12"));
  EXPECT_EQ(SortKey(fields, "abc"), SortKey(fields, "0"));
}

TEST(KeyFieldsTest, ReverseReversesEveryComparisonOfItsSpec) {
  const KeyFields fields = MustParse("-k1,1 -k2,2nr", ".");
  EXPECT_THAT(Sorted(fields, {"a.1", "b.5", "a.10", "a.-3", "b.20"}),
              ElementsAre("a.10", "a.1", "a.-3", "b.20", "b.5"));
  const KeyFields text = MustParse("-k1,1r", ".");
  EXPECT_THAT(Sorted(text, {"a.1", "ab.1", "b.1"}), ElementsAre("b.1", "ab.1", "a.1"));
}

TEST(KeyFieldsTest, AKeyWithoutTheFieldSortsFirstAndLastWhenReversed) {
  EXPECT_THAT(Sorted(MustParse("-k2,2", "."), {"a.b", "a", "a.a"}), ElementsAre("a", "a.a", "a.b"));
  EXPECT_THAT(Sorted(MustParse("-k2,2r", "."), {"a.b", "a", "a.a"}),
              ElementsAre("a.b", "a.a", "a"));
}

TEST(KeyFieldsTest, CharacterPositionsSelectPartOfAField) {
  // Characters 2 to 3 of field 1: "bc" in "abcd".
  const KeyFields fields = MustParse("-k1.2,1.3", ".");
  EXPECT_EQ(SortKey(fields, "abcd.x"), SortKey(fields, "zbcz.y"));
  EXPECT_LT(SortKey(fields, "zbb.x"), SortKey(fields, "abc.x"));
}

TEST(KeyFieldsTest, ASpecWithoutAnEndRunsToTheEndOfTheKey) {
  const KeyFields fields = MustParse("-k2", ".");
  EXPECT_EQ(SortKey(fields, "x.a.b"), SortKey(fields, "y.a.b"));
  EXPECT_NE(SortKey(fields, "x.a.b"), SortKey(fields, "x.a.c"));
}

TEST(KeyFieldsTest, SeparatorsMayBeLongerThanAByte) {
  const KeyFields fields = MustParse("-k2,2n", "::");
  EXPECT_THAT(Sorted(fields, {"a::10", "b::9", "c::-1"}), ElementsAre("c::-1", "b::9", "a::10"));
}

TEST(KeyFieldsTest, TheSelectedBytesAreWhatThePartitionerHashes) {
  const KeyFields fields = KeyFields::FirstFields(2, ".");
  std::string a, b, c;
  fields.AppendSelected("11.12.1.2", &a);
  fields.AppendSelected("11.12.9.9", &b);
  fields.AppendSelected("11.14.1.2", &c);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

// Against a comparator written from the documented semantics, on well-formed keys: text fields
// bytewise, numbers by value.
TEST(KeyFieldsTest, OrdersRandomKeysAsTheComparatorItDescribes) {
  std::mt19937 random(11);
  const KeyFields fields = MustParse("-k2,2nr -k1,1 -k3,3n", ",");
  auto number = [&random] {
    std::string text = random() % 3 == 0 ? "-" : "";
    absl::StrAppend(&text, random() % 1000);
    if (random() % 2) absl::StrAppend(&text, ".", random() % 100);
    return text;
  };
  std::vector<std::string> keys;
  for (int i = 0; i < 2000; ++i) {
    keys.push_back(
        absl::StrCat(std::string(1 + random() % 2, static_cast<char>('a' + random() % 3)), ",",
                     number(), ",", number()));
  }
  std::vector<std::string> expected = keys;
  std::stable_sort(expected.begin(), expected.end(),
                   [](const std::string& a, const std::string& b) {
                     std::vector<std::string> x = absl::StrSplit(a, ',');
                     std::vector<std::string> y = absl::StrSplit(b, ',');
                     const double x2 = std::stod(x[1]), y2 = std::stod(y[1]);
                     if (x2 != y2) return x2 > y2;
                     if (x[0] != y[0]) return x[0] < y[0];
                     return std::stod(x[2]) < std::stod(y[2]);
                   });
  std::vector<std::string> sorted = Sorted(fields, keys);
  // Equal under the comparator may come in either order: compare what each position holds.
  ASSERT_EQ(sorted.size(), expected.size());
  for (size_t i = 0; i < sorted.size(); ++i) {
    EXPECT_EQ(SortKey(fields, sorted[i]), SortKey(fields, expected[i])) << i;
  }
}

}  // namespace
}  // namespace braid
