// The coordinator's HTTP side (coordinator/status_pages.h), read from an in-process cluster.

#include "coordinator/status_pages.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/cluster.h"
#include "tests/job_outputs.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;

HttpResponse Get(testing::Cluster& cluster, std::string path) {
  HttpRequest request;
  request.method = "GET";
  request.path = std::move(path);
  return ServeCoordinatorPage(cluster.coordinator(), request);
}

proto::StatusResponse Parse(const HttpResponse& response) {
  proto::StatusResponse status;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(response.body, &status).ok())
      << response.body;
  return status;
}

// A cluster that has run one word count to its end.
class StatusPagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::WriteCorpus(dir_);
    proto::JobSpec spec =
        testing::Spec("wordcount", dir_.File("in-*"), dir_.File("out"), /*reducers=*/2);
    absl::StatusOr<proto::JobStatus> ran = cluster_.Run(spec);
    ASSERT_THAT(ran.status(), IsOk());
    job_ = ran->job_id();
  }

  testing::TempDir dir_;
  testing::Cluster cluster_;
  std::string job_;
};

TEST_F(StatusPagesTest, ApiStatusIsWhatStatusAnswers) {
  const HttpResponse response = Get(cluster_, "/api/status");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  absl::StatusOr<proto::StatusResponse> expected = cluster_.coordinator().Status("");
  ASSERT_THAT(expected.status(), IsOk());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(Parse(response), *expected));
  ASSERT_EQ(expected->jobs_size(), 1);
  EXPECT_EQ(expected->jobs(0).state(), proto::JOB_STATE_SUCCEEDED);
}

TEST_F(StatusPagesTest, ApiStatusOfAJobListsItsTasks) {
  const proto::StatusResponse status = Parse(Get(cluster_, "/api/status/" + job_));
  ASSERT_EQ(status.jobs_size(), 1);
  const proto::JobStatus& job = status.jobs(0);
  EXPECT_EQ(job.job_id(), job_);
  EXPECT_EQ(job.tasks_size(), job.maps_total() + job.reduces_total());
  for (const proto::TaskStatus& task : job.tasks()) {
    EXPECT_EQ(task.state(), "completed");
    EXPECT_FALSE(task.worker().empty());
  }
}

TEST_F(StatusPagesTest, AnUnknownJobIsNotFound) {
  const HttpResponse response = Get(cluster_, "/api/status/j-none");
  EXPECT_EQ(response.status, 404);
  EXPECT_THAT(response.body, HasSubstr("no job j-none"));
  EXPECT_EQ(Get(cluster_, "/api/status/" + job_ + "/more").status, 404);
}

TEST_F(StatusPagesTest, MetricsAreInPrometheusTextFormat) {
  const HttpResponse response = Get(cluster_, "/metrics");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, MetricsPage::kContentType);
  EXPECT_THAT(response.body, HasSubstr("# TYPE braid_jobs gauge\n"));
  EXPECT_THAT(response.body, HasSubstr("braid_jobs{state=\"succeeded\"} 1\n"));
  EXPECT_THAT(response.body, HasSubstr("braid_jobs_ended_total{state=\"succeeded\"} 1\n"));
  EXPECT_THAT(response.body, HasSubstr("braid_workers 2\n"));
  EXPECT_THAT(response.body, HasSubstr("# TYPE braid_attempt_seconds histogram\n"));
}

TEST_F(StatusPagesTest, MetricsCountTheJobsTasks) {
  absl::StatusOr<proto::StatusResponse> status = cluster_.coordinator().Status(job_);
  ASSERT_THAT(status.status(), IsOk());
  const proto::JobStatus& job = status->jobs(0);
  const std::string body = Get(cluster_, "/metrics").body;
  EXPECT_THAT(body, HasSubstr(absl::StrCat("braid_tasks_completed_total{kind=\"map\"} ",
                                           job.maps_total(), "\n")));
  EXPECT_THAT(body, HasSubstr(absl::StrCat("braid_tasks_completed_total{kind=\"reduce\"} ",
                                           job.reduces_total(), "\n")));
}

TEST_F(StatusPagesTest, TheRootIsTheStatusPage) {
  const HttpResponse response = Get(cluster_, "/");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(response.body, HasSubstr("<title>Braid coordinator</title>"));
  EXPECT_THAT(response.body, HasSubstr("fetch(\"api/status\""));
}

TEST_F(StatusPagesTest, AnyOtherPathIsNotFound) {
  const HttpResponse response = Get(cluster_, "/nothing-here");
  EXPECT_EQ(response.status, 404);
  EXPECT_THAT(response.body, HasSubstr("/nothing-here"));
  EXPECT_THAT(Get(cluster_, "/api/statusx").status, 404);
  EXPECT_THAT(response.body, Not(HasSubstr("<html")));
}

}  // namespace
}  // namespace braid
