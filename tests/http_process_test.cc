// The HTTP side of real `braid coordinator` and `braid worker` processes (--http): the JSON API
// agrees with `braid status --json` and `braid status`, /metrics counts the job's tasks, and the
// flag refuses what it cannot serve safely.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "messaging/http_get.h"
#include "proto/braid.pb.h"
#include "tests/braid_process.h"
#include "tests/job_outputs.h"
#include "tests/temp_files.h"

namespace braid {
namespace {

using ::braid::testing::CommandResult;
using ::braid::testing::ProcessCluster;
using ::braid::testing::RunBraid;
using ::braid::testing::ShortTempDir;
using ::testing::HasSubstr;
using ::testing::Not;

// The port of the "serving HTTP on http://127.0.0.1:PORT" line in `output`; 0 if there is none.
uint16_t ServedPort(const std::string& output) {
  const std::string kLine = "serving HTTP on http://127.0.0.1:";
  const size_t at = output.find(kLine);
  if (at == std::string::npos) return 0;
  const size_t start = at + kLine.size();
  const size_t end = output.find_first_not_of("0123456789", start);
  uint32_t port = 0;
  if (!absl::SimpleAtoi(output.substr(start, end - start), &port) || port > 65535) return 0;
  return static_cast<uint16_t>(port);
}

proto::StatusResponse ParseStatus(const std::string& json) {
  proto::StatusResponse status;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &status).ok()) << json;
  // What changes from one moment to the next.
  for (proto::WorkerStatus& worker : *status.mutable_workers()) worker.clear_last_heard_ms_ago();
  return status;
}

// One worker; both serve HTTP on a port of their choosing; one word count has run.
class HttpProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ProcessCluster::Options options;
    options.workers = 1;
    options.slots = 2;
    options.coordinator_flags = {"--http", "127.0.0.1:0"};
    options.worker_flags = {{"--http", "127.0.0.1:0"}};
    cluster_ = std::make_unique<ProcessCluster>(options);
    coordinator_port_ = ServedPort(cluster_->coordinator().output());
    worker_port_ = ServedPort(cluster_->worker(0).output());
    ASSERT_NE(coordinator_port_, 0) << cluster_->coordinator().output();
    ASSERT_NE(worker_port_, 0) << cluster_->worker(0).output();
    testing::WriteCorpus(dir_);
    const CommandResult submitted =
        cluster_->Braid({"submit", "--job", "wordcount", "--input", dir_.File("in-*"), "--output",
                         dir_.File("out"), "--reducers", "2", "--split-size", "2KiB"});
    ASSERT_EQ(submitted.exit_code, 0) << submitted.output;
  }

  std::string Get(uint16_t port, const std::string& path) {
    absl::StatusOr<HttpReply> reply = HttpGet(port, path);
    EXPECT_TRUE(reply.ok()) << reply.status();
    if (!reply.ok()) return "";
    EXPECT_EQ(reply->status, 200) << path << ": " << reply->body;
    return reply->body;
  }

  testing::TempDir dir_;
  std::unique_ptr<ProcessCluster> cluster_;
  uint16_t coordinator_port_ = 0;
  uint16_t worker_port_ = 0;
};

TEST_F(HttpProcessTest, TheApiAgreesWithBraidStatusJson) {
  const CommandResult json = cluster_->Braid({"status", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  const proto::StatusResponse from_cli = ParseStatus(json.output);
  const proto::StatusResponse from_api = ParseStatus(Get(coordinator_port_, "/api/status"));
  std::string difference;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&difference);
  EXPECT_TRUE(differ.Compare(from_api, from_cli)) << difference;
  ASSERT_EQ(from_api.jobs_size(), 1);
  EXPECT_EQ(from_api.jobs(0).state(), proto::JOB_STATE_SUCCEEDED);
}

TEST_F(HttpProcessTest, TheApiAgreesWithBraidStatus) {
  const proto::StatusResponse api = ParseStatus(Get(coordinator_port_, "/api/status"));
  ASSERT_EQ(api.jobs_size(), 1);
  const CommandResult text = cluster_->Braid({"status"});
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_THAT(text.output, HasSubstr("1 worker\n"));
  EXPECT_THAT(text.output, HasSubstr(api.workers(0).name()));
  EXPECT_THAT(text.output, HasSubstr(absl::StrCat(api.jobs(0).job_id(), "  wordcount")));
  EXPECT_THAT(text.output, HasSubstr("succeeded"));
}

TEST_F(HttpProcessTest, OneJobsApiListsItsTasksWithTheirTimes) {
  const proto::StatusResponse all = ParseStatus(Get(coordinator_port_, "/api/status"));
  ASSERT_EQ(all.jobs_size(), 1);
  const proto::StatusResponse one =
      ParseStatus(Get(coordinator_port_, "/api/status/" + all.jobs(0).job_id()));
  ASSERT_EQ(one.jobs_size(), 1);
  const proto::JobStatus& job = one.jobs(0);
  ASSERT_EQ(job.tasks_size(), job.maps_total() + job.reduces_total());
  for (const proto::TaskStatus& task : job.tasks()) {
    EXPECT_EQ(task.state(), "completed");
    EXPECT_LE(task.started_ms() + task.duration_ms(), job.elapsed_ms() + 1) << task.task();
  }
}

TEST_F(HttpProcessTest, AJobsStartAndEndAreShownAndSurviveARestart) {
  const proto::StatusResponse all = ParseStatus(Get(coordinator_port_, "/api/status"));
  ASSERT_EQ(all.jobs_size(), 1);
  const std::string job_id = all.jobs(0).job_id();
  const CommandResult text = cluster_->Braid({"status", job_id});
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_THAT(text.output, HasSubstr("    started "));
  EXPECT_THAT(text.output, HasSubstr(", ended "));
  EXPECT_THAT(text.output, HasSubstr(", took "));
  const CommandResult before = cluster_->Braid({"status", "--json", job_id});
  ASSERT_EQ(before.exit_code, 0) << before.output;
  const proto::JobStatus ran = ParseStatus(before.output).jobs(0);
  EXPECT_GT(ran.started_at_ms(), 0u);
  EXPECT_GE(ran.ended_at_ms(), ran.started_at_ms());

  cluster_->RestartCoordinator();
  const CommandResult after = cluster_->Braid({"status", "--json", job_id});
  ASSERT_EQ(after.exit_code, 0) << after.output;
  const proto::StatusResponse remembered = ParseStatus(after.output);
  ASSERT_EQ(remembered.jobs_size(), 1);
  EXPECT_EQ(remembered.jobs(0).state(), proto::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(remembered.jobs(0).started_at_ms(), ran.started_at_ms());
  EXPECT_EQ(remembered.jobs(0).ended_at_ms(), ran.ended_at_ms());
  EXPECT_EQ(remembered.jobs(0).tasks_size(), ran.tasks_size());
}

TEST_F(HttpProcessTest, CoordinatorMetricsCountTheJobsTasks) {
  const proto::StatusResponse status = ParseStatus(Get(coordinator_port_, "/api/status"));
  ASSERT_EQ(status.jobs_size(), 1);
  const std::string metrics = Get(coordinator_port_, "/metrics");
  EXPECT_THAT(metrics, HasSubstr("braid_jobs_ended_total{state=\"succeeded\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr(absl::StrCat("braid_tasks_completed_total{kind=\"map\"} ",
                                              status.jobs(0).maps_total(), "\n")));
  EXPECT_THAT(metrics, HasSubstr(absl::StrCat("braid_tasks_completed_total{kind=\"reduce\"} ",
                                              status.jobs(0).reduces_total(), "\n")));
  EXPECT_THAT(metrics, HasSubstr("braid_workers 1\n"));
}

TEST_F(HttpProcessTest, WorkerMetricsCountTheTasksItRan) {
  const proto::StatusResponse status = ParseStatus(Get(coordinator_port_, "/api/status"));
  ASSERT_EQ(status.jobs_size(), 1);
  const proto::JobStatus& job = status.jobs(0);
  const std::string metrics = Get(worker_port_, "/metrics");
  // The only worker ran every attempt; none was given up.
  EXPECT_THAT(metrics, HasSubstr(absl::StrCat(
                           "braid_worker_tasks_total{kind=\"map\",outcome=\"succeeded\"} ",
                           job.maps_total(), "\n")));
  EXPECT_THAT(metrics, HasSubstr(absl::StrCat(
                           "braid_worker_tasks_total{kind=\"reduce\",outcome=\"succeeded\"} ",
                           job.reduces_total(), "\n")));
  EXPECT_THAT(metrics, HasSubstr("braid_worker_slots 2\n"));
  EXPECT_THAT(metrics, HasSubstr("# TYPE braid_worker_task_seconds histogram\n"));
}

TEST_F(HttpProcessTest, TheStatusPageIsServed) {
  const std::string page = Get(coordinator_port_, "/");
  EXPECT_THAT(page, HasSubstr("<title>Braid coordinator</title>"));
}

// `braid coordinator --http http` in a directory of its own, to its end.
CommandResult RunCoordinator(const ShortTempDir& dir, const std::string& http) {
  return RunBraid({"coordinator", "--listen", absl::StrCat("ipc://", dir.path(), "/c"),
                   "--work-dir", dir.path() + "/w", "--http", http},
                  absl::Seconds(60));
}

TEST(HttpFlag, AnAddressOtherThanLoopbackIsRefusedByNameBeforeAnythingIsTouched) {
  ShortTempDir dir;
  const CommandResult result = RunCoordinator(dir, "0.0.0.0:0");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("--http 0.0.0.0:0"));
  EXPECT_THAT(result.output, HasSubstr("loopback"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/w")) << "the work directory was made";
  const CommandResult worker =
      RunBraid({"worker", "--coordinator", "ipc:///nowhere", "--http", "0.0.0.0:0"});
  EXPECT_EQ(worker.exit_code, 2) << worker.output;
  EXPECT_THAT(worker.output, HasSubstr("braid worker: --http 0.0.0.0:0"));
}

TEST(HttpFlag, AMalformedAddressIsRefused) {
  ShortTempDir dir;
  const CommandResult result = RunCoordinator(dir, "127.0.0.1");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("is not HOST:PORT"));
}

TEST(HttpFlag, AnAddressGivenThatIsTakenIsAnError) {
  ProcessCluster::Options options;
  options.workers = 1;
  options.coordinator_flags = {"--http", "127.0.0.1:0"};
  ProcessCluster first(options);
  const uint16_t port = ServedPort(first.coordinator().output());
  ASSERT_NE(port, 0);
  ShortTempDir dir;
  const CommandResult second = RunCoordinator(dir, absl::StrCat("127.0.0.1:", port));
  EXPECT_EQ(second.exit_code, 2) << second.output;
  EXPECT_THAT(second.output, HasSubstr("cannot serve HTTP on"));
}

TEST(HttpFlag, OffServesNothing) {
  ProcessCluster::Options options;
  options.workers = 1;
  options.coordinator_flags = {"--http", "off"};
  ProcessCluster cluster(options);
  EXPECT_THAT(cluster.coordinator().output(), Not(HasSubstr("serving HTTP")));
  EXPECT_THAT(cluster.worker(0).output(), Not(HasSubstr("serving HTTP")));
}

}  // namespace
}  // namespace braid
