#include "base/metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace braid {
namespace {

using ::testing::HasSubstr;

TEST(HistogramTest, CountsEachObservationInTheFirstBucketThatHoldsIt) {
  Histogram histogram({0.1, 1, 10});
  for (double value : {0.05, 0.1, 0.5, 3.0, 30.0, 40.0}) histogram.Observe(value);
  EXPECT_EQ(histogram.bucket_counts(), (std::vector<uint64_t>{2, 1, 1, 2}));
  EXPECT_EQ(histogram.count(), 6);
  EXPECT_DOUBLE_EQ(histogram.sum(), 73.65);
}

TEST(HistogramTest, ExponentialBoundsGrowByTheFactor) {
  EXPECT_EQ(Histogram::ExponentialBounds(0.001, 10, 4),
            (std::vector<double>{0.001, 0.01, 0.1, 1.0}));
}

TEST(MetricsPageTest, AFamilyHasHelpTypeAndItsSamples) {
  MetricsPage page;
  page.Family("braid_jobs", "gauge", "Jobs by state.");
  page.Sample("braid_jobs", {{"state", "running"}}, 2);
  page.Sample("braid_jobs", {{"state", "succeeded"}}, 0);
  page.Single("braid_up", "gauge", "Always 1.", 1);
  EXPECT_EQ(page.text(),
            "# HELP braid_jobs Jobs by state.\n"
            "# TYPE braid_jobs gauge\n"
            "braid_jobs{state=\"running\"} 2\n"
            "braid_jobs{state=\"succeeded\"} 0\n"
            "# HELP braid_up Always 1.\n"
            "# TYPE braid_up gauge\n"
            "braid_up 1\n");
}

TEST(MetricsPageTest, LabelValuesAndHelpAreEscaped) {
  MetricsPage page;
  page.Family("m", "gauge", "a \\ and\na newline");
  page.Sample("m", {{"name", "say \"hi\"\\\n"}}, 1);
  EXPECT_THAT(page.text(), HasSubstr("# HELP m a \\\\ and\\na newline\n"));
  EXPECT_THAT(page.text(), HasSubstr("m{name=\"say \\\"hi\\\"\\\\\\n\"} 1\n"));
}

TEST(MetricsPageTest, ValuesAreIntegersOrShortestDecimals) {
  MetricsPage page;
  page.Sample("a", {}, 1234567890123);
  page.Sample("b", {}, 0.001);
  page.Sample("c", {}, 2.5);
  EXPECT_EQ(page.text(), "a 1234567890123\nb 0.001\nc 2.5\n");
}

TEST(MetricsPageTest, AHistogramIsCumulativeBucketsSumAndCount) {
  Histogram histogram({0.5, 2});
  for (double value : {0.25, 1.0, 1.5, 9.0}) histogram.Observe(value);
  MetricsPage page;
  page.Histogram("t_seconds", {{"kind", "map"}}, histogram);
  EXPECT_EQ(page.text(),
            "t_seconds_bucket{kind=\"map\",le=\"0.5\"} 1\n"
            "t_seconds_bucket{kind=\"map\",le=\"2\"} 3\n"
            "t_seconds_bucket{kind=\"map\",le=\"+Inf\"} 4\n"
            "t_seconds_sum{kind=\"map\"} 11.75\n"
            "t_seconds_count{kind=\"map\"} 4\n");
}

}  // namespace
}  // namespace braid
