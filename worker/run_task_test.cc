// RunTask: one attempt of a map or reduce task, from its assignment to its result — on a
// temporary directory, with the run time measured on FakeEnv's clock.

#include "worker/run_task.h"

#include <filesystem>
#include <memory>
#include <string>

#include "base/fake_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "job/output_layout.h"
#include "proto/status_coding.h"
#include "tests/temp_files.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

// Emits "word\t1" per word of each line; "advance" lines move the fake clock on by 250 ms, and
// "fail" lines fail the record.
class TestMapper final : public Mapper {
 public:
  explicit TestMapper(FakeEnv* env) : env_(env) {}
  absl::Status Map(const Record& record, Emitter& out) override {
    if (record.line == "advance") env_->AdvanceNow(absl::Milliseconds(250));
    if (record.line == "fail") return absl::InvalidArgumentError("a bad record");
    out.Emit(record.line, "1");
    return absl::OkStatus();
  }

 private:
  FakeEnv* env_;
};

class RunTaskTest : public ::testing::Test {
 protected:
  RunTaskTest() {
    JobDefinition definition;
    definition.name = "lines";
    definition.mapper = [this] { return std::make_unique<TestMapper>(&env_); };
    EXPECT_TRUE(registry_.Register(std::move(definition)).ok());
    environment_.worker_name = "w1";
    environment_.scratch_dir = dir_.File("scratch");
    environment_.registry = &registry_;
    environment_.env = &env_;
  }

  // Job "lines" over `input`'s contents, with `reducers` reduce tasks (0: map-only, written to
  // OUT).
  proto::JobDefinition Job(uint32_t reducers) {
    proto::JobDefinition job;
    job.set_job_id("job_1");
    job.mutable_spec()->set_job("lines");
    job.mutable_spec()->set_output(dir_.File("out"));
    job.set_map_tasks(1);
    job.set_reduce_tasks(reducers);
    return job;
  }
  proto::TaskAssignment Map(const std::string& contents) {
    const std::string input = dir_.File("input");
    testing::WriteFile(input, contents);
    proto::TaskAssignment task;
    task.mutable_attempt()->set_job_id("job_1");
    task.mutable_attempt()->set_kind(proto::TASK_KIND_MAP);
    task.mutable_attempt()->set_task(0);
    task.mutable_attempt()->set_attempt(1);
    task.mutable_split()->set_path(input);
    task.mutable_split()->set_length(contents.size());
    task.mutable_split()->set_file_size(contents.size());
    return task;
  }

  testing::TempDir dir_;
  FakeEnv env_;
  JobRegistry registry_;
  TaskEnvironment environment_;
};

TEST_F(RunTaskTest, TheRunTimeIsMeasuredOnTheInjectedClock) {
  proto::TaskResult result = RunTask(Job(0), Map("a\nadvance\nadvance\n"), environment_);
  EXPECT_EQ(result.code(), 0) << result.message();
  EXPECT_EQ(result.runtime_ms(), 500u);
}

TEST_F(RunTaskTest, AMapOnlyAttemptWritesWhereTheLayoutSays) {
  std::filesystem::create_directories(TemporaryOutputDir(dir_.File("out")));
  const proto::TaskAssignment task = Map("b\na\n");
  proto::TaskResult result = RunTask(Job(0), task, environment_);
  ASSERT_EQ(result.code(), 0) << result.message();
  ASSERT_THAT(result.outputs(), SizeIs(1));
  EXPECT_EQ(result.outputs(0).path(), AttemptOutputPath(dir_.File("out"), task.attempt()));
  EXPECT_EQ(testing::ReadFile(result.outputs(0).path()), "b\t1\na\t1\n");
  EXPECT_EQ(result.attempt().attempt(), 1u);
}

TEST_F(RunTaskTest, AMapWithReducersWritesOneRunPerNonEmptyPartitionInScratch) {
  const proto::TaskAssignment task = Map("x\ny\nz\nx\n");
  proto::TaskResult result = RunTask(Job(4), task, environment_);
  ASSERT_EQ(result.code(), 0) << result.message();
  EXPECT_GE(result.outputs_size(), 1);
  EXPECT_LE(result.outputs_size(), 3);
  uint64_t records = 0;
  for (const proto::MapOutput& output : result.outputs()) {
    EXPECT_THAT(output.path(),
                HasSubstr(MapRunDirectory(environment_.scratch_dir, task.attempt())));
    EXPECT_TRUE(std::filesystem::exists(output.path()));
    records += output.records();
  }
  EXPECT_EQ(records, 4u);
}

TEST_F(RunTaskTest, AFailingRecordFailsTheAttemptNamingTheRecordAndKeepsNoOutput) {
  std::filesystem::create_directories(TemporaryOutputDir(dir_.File("out")));
  proto::TaskResult result = RunTask(Job(0), Map("ok\nfail\n"), environment_);
  EXPECT_EQ(StatusFromWire(result.code(), result.message()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.message(), HasSubstr("record 1"));
  EXPECT_THAT(result.message(), HasSubstr("a bad record"));
  EXPECT_EQ(result.failed_record(), 1);
  EXPECT_THAT(result.outputs(), SizeIs(0));
}

TEST_F(RunTaskTest, AJobThisWorkerDoesNotHaveFailsThePrecondition) {
  proto::JobDefinition job = Job(0);
  job.mutable_spec()->set_job("unknown");
  proto::TaskResult result = RunTask(job, Map("a\n"), environment_);
  EXPECT_EQ(StatusFromWire(result.code(), result.message()).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(result.message(), HasSubstr("no job 'unknown'"));
}

TEST_F(RunTaskTest, AMissingInputFailsTheAttempt) {
  proto::TaskAssignment task = Map("a\n");
  task.mutable_split()->set_path(dir_.File("gone"));
  proto::TaskResult result = RunTask(Job(0), task, environment_);
  EXPECT_EQ(StatusFromWire(result.code(), result.message()).code(), absl::StatusCode::kNotFound)
      << result.message();
}

}  // namespace
}  // namespace braid
