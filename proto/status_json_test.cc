#include "proto/status_json.h"

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace braid {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

proto::StatusResponse Example() {
  proto::StatusResponse status;
  proto::WorkerStatus* worker = status.add_workers();
  worker->set_name("w1");
  worker->set_slots(4);
  proto::JobStatus* job = status.add_jobs();
  job->set_job_id("j1");
  job->set_state(proto::JOB_STATE_MAPPING);
  job->set_maps_total(10);
  job->set_elapsed_ms(1500);
  return status;
}

TEST(StatusJsonTest, UsesTheProtosFieldNamesAndEnumNames) {
  const std::string json = StatusJson(Example());
  EXPECT_THAT(json, HasSubstr("\"job_id\":\"j1\""));
  EXPECT_THAT(json, HasSubstr("\"state\":\"JOB_STATE_MAPPING\""));
  EXPECT_THAT(json, HasSubstr("\"maps_total\":10"));
  EXPECT_THAT(json, HasSubstr("\"elapsed_ms\":\"1500\""));
}

TEST(StatusJsonTest, PrintsZerosAndEmptyFieldsToo) {
  const std::string json = StatusJson(Example());
  EXPECT_THAT(json, HasSubstr("\"maps_done\":0"));
  EXPECT_THAT(json, HasSubstr("\"journal_error\":\"\""));
}

TEST(StatusJsonTest, PrettyIsIndentedAndEndsTheLine) {
  const std::string pretty = StatusJson(Example(), /*pretty=*/true);
  EXPECT_THAT(pretty, HasSubstr("\n "));
  EXPECT_EQ(pretty.back(), '\n');
  EXPECT_THAT(StatusJson(Example()), Not(HasSubstr("\n")));
}

TEST(StatusJsonTest, ReadsBackAsTheSameStatus) {
  proto::StatusResponse parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(StatusJson(Example()), &parsed).ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, Example()));
}

}  // namespace
}  // namespace braid
