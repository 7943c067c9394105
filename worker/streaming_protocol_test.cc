#include "worker/streaming_protocol.h"

#include "gtest/gtest.h"

namespace braid {
namespace {

TEST(ParseReporterLine, ReadsCounters) {
  ReporterLine line = ParseReporterLine("reporter:counter:Words,Long,12");
  EXPECT_EQ(line.kind, ReporterLine::Kind::kCounter);
  EXPECT_EQ(line.group, "Words");
  EXPECT_EQ(line.counter, "Long");
  EXPECT_EQ(line.amount, 12);
  EXPECT_EQ(ParseReporterLine("reporter:counter:G,C,-3\r").amount, -3);
}

TEST(ParseReporterLine, ReadsStatus) {
  ReporterLine line = ParseReporterLine("reporter:status:half done, 50%");
  EXPECT_EQ(line.kind, ReporterLine::Kind::kStatus);
  EXPECT_EQ(line.status, "half done, 50%");
}

TEST(ParseReporterLine, AnythingMalformedIsOrdinaryStderr) {
  for (const char* text :
       {"", "warning: x", "reporter:counter:G,C", "reporter:counter:G,C,x", "reporter:counter:,C,1",
        "reporter:counter:G,C,1,2", "reporter:other:x", "Reporter:status:x"}) {
    EXPECT_EQ(ParseReporterLine(text).kind, ReporterLine::Kind::kNone) << text;
  }
}

}  // namespace
}  // namespace braid
