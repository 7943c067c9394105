// What one client may cost the coordinator: each limit refuses the request beyond it with
// RESOURCE_EXHAUSTED naming the limit's flag, and other clients go on. A whole cluster on the
// fake clock and the in-memory network.

#include <memory>
#include <string>
#include <vector>

#include "coordinator/access_control.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "messaging/curve_keys.h"
#include "reactor/held_blocking_calls.h"
#include "tests/cluster.h"
#include "tests/job_outputs.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using testing::Spec;
using testing::WriteCorpus;

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::HasSubstr;

std::string NewKey() {
  absl::StatusOr<CurveKeyPair> pair = GenerateCurveKeyPair();
  EXPECT_THAT(pair, IsOk());
  return pair.ok() ? pair->public_key : "";
}

class ClientLimitsTest : public ::testing::Test {
 protected:
  ClientLimitsTest() : worker_key_(NewKey()), alice_(NewKey()), bob_(NewKey()), access_(Keys()) {
    WriteCorpus(dir_);
  }

  AuthorizedKeys Keys() {
    auto keys = AuthorizedKeys::Parse(absl::StrCat("worker ", worker_key_, "\nclient ", alice_,
                                                   " alice\nclient ", bob_, " bob\n"),
                                      "keys");
    EXPECT_THAT(keys, IsOk());
    return keys.ok() ? *std::move(keys) : AuthorizedKeys();
  }

  testing::Cluster::Options Options() {
    testing::Cluster::Options options;
    options.access = &access_;
    options.worker_key = worker_key_;
    options.client_key = alice_;
    options.manual_tasks = true;  // jobs stay unfinished until the test runs their tasks
    return options;
  }

  proto::JobSpec Job(int n) {
    return Spec("wordcount", dir_.File("in-*"), dir_.File(absl::StrCat("out-", n)), 1);
  }

  std::string worker_key_;
  std::string alice_;
  std::string bob_;
  AccessControl access_;
  testing::TempDir dir_;
};

TEST_F(ClientLimitsTest, UnfinishedJobsPerKeyAreBounded) {
  testing::Cluster::Options options = Options();
  options.limits.unfinished_jobs_per_key = 2;
  testing::Cluster cluster(options);
  EXPECT_THAT(cluster.Await(cluster.client().Submit(Job(1))), IsOk());
  EXPECT_THAT(cluster.Await(cluster.client().Submit(Job(2))), IsOk());
  EXPECT_THAT(cluster.Await(cluster.client().Submit(Job(3))),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("(alice) has 2 jobs that have not ended, the most the "
                                 "coordinator's --max-jobs-per-client allows")));
  // Another key has its own allowance.
  auto bob =
      std::make_unique<Client>(cluster.clock(), cluster.network().Connect("coordinator", bob_));
  ASSERT_THAT(cluster.Await(bob->Connect()), IsOk());
  EXPECT_THAT(cluster.Await(bob->Submit(Job(4))), IsOk());
}

TEST_F(ClientLimitsTest, EndedJobsMakeRoomAgain) {
  testing::Cluster::Options options = Options();
  options.limits.unfinished_jobs_per_key = 1;
  testing::Cluster cluster(options);
  Result<proto::JobAccepted> first = cluster.Await(cluster.client().Submit(Job(1)));
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(cluster.Await(cluster.client().Submit(Job(2))),
              StatusIs(absl::StatusCode::kResourceExhausted));
  ASSERT_THAT(cluster.Await(cluster.client().Cancel(first->job_id())), IsOk());
  cluster.Pass(absl::Milliseconds(100));
  EXPECT_THAT(cluster.Await(cluster.client().Submit(Job(2))), IsOk());
}

TEST_F(ClientLimitsTest, SubmitsInFlightAreBounded) {
  HeldBlockingCalls held;
  testing::Cluster::Options options = Options();
  options.limits.submits_in_flight_per_client = 1;
  options.coordinator_blocking_calls = &held;
  testing::Cluster cluster(options);
  Deferred<proto::JobAccepted> planning = cluster.client().Submit(Job(1));
  cluster.Pass(absl::Milliseconds(50));
  ASSERT_EQ(held.held(), 1u);
  EXPECT_THAT(cluster.Await(cluster.client().Submit(Job(2))),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("1 submits being planned, the most the coordinator's "
                                 "--max-submits-in-flight allows")));
  held.RunNext();
  EXPECT_THAT(cluster.Await(planning), IsOk());
  // Once the first is answered, the next may be planned (the first job's own calls, making its
  // output directory, are held too: run whatever waits).
  Deferred<proto::JobAccepted> next = cluster.client().Submit(Job(3));
  for (int i = 0; i < 100 && !HasResult(next); ++i) {
    while (held.held() > 0) held.RunNext();
    cluster.Pass(absl::Milliseconds(10));
  }
  EXPECT_THAT(cluster.Await(next), IsOk());
}

TEST_F(ClientLimitsTest, WatchesPerClientAreBounded) {
  testing::Cluster::Options options = Options();
  options.limits.watches_per_client = 1;
  testing::Cluster cluster(options);
  Result<proto::JobAccepted> first = cluster.Await(cluster.client().Submit(Job(1)));
  Result<proto::JobAccepted> second = cluster.Await(cluster.client().Submit(Job(2)));
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  Deferred<proto::JobStatus> watching = cluster.client().Watch(first->job_id(), nullptr);
  cluster.Pass(absl::Milliseconds(50));
  EXPECT_THAT(cluster.Await(cluster.client().Watch(second->job_id(), nullptr)),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("watches 1 jobs already, the most the coordinator's "
                                 "--max-watches-per-client allows")));
  EXPECT_FALSE(HasResult(watching)) << "the first watch must go on";
}

TEST_F(ClientLimitsTest, ShippedFileBytesPerJobAreBounded) {
  testing::Cluster::Options options = Options();
  options.limits.file_bytes_per_job = 1 << 20;
  testing::Cluster cluster(options);
  proto::JobSpec spec = Spec("streaming", dir_.File("in-*"), dir_.File("out"), 0);
  spec.mutable_streaming()->set_mapper("cat");
  proto::ShippedFile* file = spec.mutable_streaming()->add_files();
  file->set_name("big.bin");
  file->set_content(std::string((1 << 20) + 1, 'x'));
  EXPECT_THAT(cluster.Await(cluster.client().Submit(spec)),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("ships 1.0 MiB of files, over the 1.0 MiB the coordinator's "
                                 "--max-file-bytes allows")));
  file->set_content(std::string(1 << 20, 'x'));
  EXPECT_THAT(cluster.Await(cluster.client().Submit(spec)), IsOk());
}

TEST_F(ClientLimitsTest, TasksPerJobAreBoundedByTheCoordinatorsLimit) {
  testing::Cluster::Options options = Options();
  options.limits.tasks_per_job = 5;
  testing::Cluster cluster(options);
  proto::JobSpec spec;
  spec.set_job("noop");
  (*spec.mutable_config())["tasks"] = "6";
  EXPECT_THAT(cluster.Await(cluster.client().Submit(spec)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("6 tasks (6 map, 0 reduce), more than this coordinator's limit "
                                 "of 5 (its --max-tasks)")));
  (*spec.mutable_config())["tasks"] = "5";
  EXPECT_THAT(cluster.Await(cluster.client().Submit(spec)), IsOk());
}

}  // namespace
}  // namespace braid
