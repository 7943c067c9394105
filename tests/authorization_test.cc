// Who may do what on a coordinator with authorized keys: a whole cluster on the fake clock and
// the in-memory network, whose connections carry the keys CURVE would have authenticated.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "coordinator/access_control.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "messaging/curve_keys.h"
#include "tests/cluster.h"
#include "tests/job_outputs.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using testing::OutputLines;
using testing::ParseCounts;
using testing::ReferenceCounts;
using testing::Spec;
using testing::WriteCorpus;

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Optional;

std::string NewKey() {
  absl::StatusOr<CurveKeyPair> pair = GenerateCurveKeyPair();
  EXPECT_THAT(pair, IsOk());
  return pair.ok() ? pair->public_key : "";
}

AuthorizedKeys Keys(const std::string& text) {
  absl::StatusOr<AuthorizedKeys> keys = AuthorizedKeys::Parse(text, "authorized_keys");
  EXPECT_THAT(keys, IsOk());
  return keys.ok() ? *std::move(keys) : AuthorizedKeys();
}

class AuthorizationTest : public ::testing::Test {
 protected:
  AuthorizationTest()
      : worker_key_(NewKey()),
        alice_(NewKey()),
        bob_(NewKey()),
        admin_(NewKey()),
        access_(Keys(KeysText())) {}

  std::string KeysText() const {
    return absl::StrCat("worker ", worker_key_, " the fleet\nclient ", alice_, " alice\nclient ",
                        bob_, " bob\nadmin ", admin_, " operations\n");
  }

  testing::Cluster::Options Options(bool manual_tasks = false) {
    testing::Cluster::Options options;
    options.access = &access_;
    options.worker_key = worker_key_;
    options.client_key = alice_;
    options.manual_tasks = manual_tasks;
    return options;
  }

  // A connected client of `cluster` with `key`; null if the coordinator refused it (`refusal`
  // says why).
  std::unique_ptr<Client> ClientWith(testing::Cluster& cluster, const std::string& key,
                                     absl::Status* refusal = nullptr) {
    auto client =
        std::make_unique<Client>(cluster.clock(), cluster.network().Connect("coordinator", key));
    Result<void> connected = cluster.Await(client->Connect());
    if (refusal != nullptr) *refusal = connected;
    return connected.ok() ? std::move(client) : nullptr;
  }

  std::string worker_key_;
  std::string alice_;
  std::string bob_;
  std::string admin_;
  AccessControl access_;
  testing::TempDir dir_;
};

TEST_F(AuthorizationTest, ListedKeysRunAJobToTheRightAnswer) {
  std::vector<std::string> texts = WriteCorpus(dir_);
  testing::Cluster cluster(Options());
  EXPECT_EQ(cluster.coordinator().workers(), 2u);
  absl::StatusOr<proto::JobStatus> status =
      cluster.Run(Spec("wordcount", dir_.File("in-*"), dir_.File("out"), 2));
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_EQ(ParseCounts(OutputLines(dir_.File("out"))), ReferenceCounts(texts));
  EXPECT_EQ(status->owner(), alice_);
}

TEST_F(AuthorizationTest, UnlistedWorkerKeyIsRefusedAndTheJobFinishesOnTheListedWorkers) {
  std::vector<std::string> texts = WriteCorpus(dir_);
  testing::Cluster cluster(Options());
  Worker& stranger = cluster.AddWorker(JobRegistry::Global().Names(), NewKey());
  EXPECT_EQ(cluster.coordinator().workers(), 2u);
  EXPECT_THAT(stranger.link().closed_reason(),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("not in the coordinator's authorized keys")));
  absl::StatusOr<proto::JobStatus> status =
      cluster.Run(Spec("wordcount", dir_.File("in-*"), dir_.File("out"), 2));
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_EQ(ParseCounts(OutputLines(dir_.File("out"))), ReferenceCounts(texts));
}

TEST_F(AuthorizationTest, ClientKeyCannotRegisterAsAWorker) {
  testing::Cluster cluster(Options());
  Worker& impostor = cluster.AddWorker(JobRegistry::Global().Names(), alice_);
  EXPECT_EQ(cluster.coordinator().workers(), 2u);
  EXPECT_EQ(impostor.link().state(), Link::State::kClosed);
  EXPECT_THAT(impostor.link().closed_reason(),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("(alice) is a client key: only a worker key may register")));
}

TEST_F(AuthorizationTest, WorkerKeyCannotActAsAClient) {
  testing::Cluster cluster(Options());
  absl::Status refusal;
  EXPECT_EQ(ClientWith(cluster, worker_key_, &refusal), nullptr);
  EXPECT_THAT(refusal, StatusIs(absl::StatusCode::kPermissionDenied,
                                HasSubstr("is a worker key: it may not submit")));
}

TEST_F(AuthorizationTest, UnlistedClientKeyIsRefused) {
  testing::Cluster cluster(Options());
  absl::Status refusal;
  EXPECT_EQ(ClientWith(cluster, NewKey(), &refusal), nullptr);
  EXPECT_THAT(refusal, StatusIs(absl::StatusCode::kPermissionDenied,
                                HasSubstr("not in the coordinator's authorized keys")));
}

TEST_F(AuthorizationTest, TheSubmittingKeyOwnsTheJobWhateverTheSpecSays) {
  WriteCorpus(dir_);
  testing::Cluster cluster(Options(/*manual_tasks=*/true));
  proto::JobSpec spec = Spec("wordcount", dir_.File("in-*"), dir_.File("out"), 2);
  spec.set_owner(bob_);
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
  ASSERT_THAT(accepted, IsOk());
  ASSERT_NE(cluster.coordinator().job(accepted->job_id()), nullptr);
  EXPECT_EQ(cluster.coordinator().job(accepted->job_id())->spec().owner(), alice_);
  // Bob, named in the spec, may not cancel it.
  std::unique_ptr<Client> bob = ClientWith(cluster, bob_);
  ASSERT_NE(bob, nullptr);
  EXPECT_THAT(cluster.Await(bob->Cancel(accepted->job_id())),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("(alice)")));
}

TEST_F(AuthorizationTest, OnlyTheOwnerOrAnAdminMayCancel) {
  WriteCorpus(dir_);
  testing::Cluster cluster(Options(/*manual_tasks=*/true));
  std::unique_ptr<Client> bob = ClientWith(cluster, bob_);
  std::unique_ptr<Client> admin = ClientWith(cluster, admin_);
  ASSERT_NE(bob, nullptr);
  ASSERT_NE(admin, nullptr);
  Result<proto::JobAccepted> first = cluster.Await(
      cluster.client().Submit(Spec("wordcount", dir_.File("in-*"), dir_.File("out1"), 2)));
  Result<proto::JobAccepted> second = cluster.Await(
      cluster.client().Submit(Spec("wordcount", dir_.File("in-*"), dir_.File("out2"), 2)));
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());

  EXPECT_THAT(
      cluster.Await(bob->Cancel(first->job_id())),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("only the job's owner (key ")));
  EXPECT_FALSE(cluster.coordinator().job(first->job_id())->finished());

  EXPECT_THAT(cluster.Await(cluster.client().Cancel(first->job_id())), IsOk());
  EXPECT_THAT(cluster.Await(admin->Cancel(second->job_id())), IsOk());
  EXPECT_EQ(cluster.Await(cluster.client().Watch(first->job_id(), nullptr))->state(),
            proto::JOB_STATE_CANCELLED);
  EXPECT_EQ(cluster.Await(cluster.client().Watch(second->job_id(), nullptr))->state(),
            proto::JOB_STATE_CANCELLED);
}

TEST_F(AuthorizationTest, WorkersLearnTheirFleetsKeysAndEachChange) {
  testing::Cluster cluster(Options());
  // Welcomed with the fleet's worker keys (theirs), not the clients'.
  EXPECT_EQ(cluster.fleet(0).size(), 1u);
  EXPECT_THAT(cluster.fleet(0).Admit(worker_key_), IsOk());
  EXPECT_THAT(cluster.fleet(0).Admit(alice_), StatusIs(absl::StatusCode::kPermissionDenied));
  const std::string joining = NewKey();
  cluster.coordinator().ReplaceAuthorizedKeys(Keys(KeysText() + "worker " + joining + "\n"));
  cluster.Pass(absl::Milliseconds(50));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(cluster.fleet(i).size(), 2u) << i;
    EXPECT_THAT(cluster.fleet(i).Admit(joining), IsOk());
  }
}

TEST_F(AuthorizationTest, RemovedWorkerKeyIsCutOffAndItsTasksRunElsewhere) {
  std::vector<std::string> texts = WriteCorpus(dir_);
  const std::string leaving = NewKey();
  access_.Replace(Keys(KeysText() + "worker " + leaving + " leaving\n"));
  testing::Cluster::Options options = Options(/*manual_tasks=*/true);
  options.workers = 1;
  testing::Cluster cluster(options);
  Worker& leaving_worker = cluster.AddWorker(JobRegistry::Global().Names(), leaving);
  ASSERT_EQ(cluster.coordinator().workers(), 2u);
  absl::Status closed;
  leaving_worker.SetOnClosed([&](absl::Status why) { closed = why; });
  proto::JobSpec spec = Spec("wordcount", dir_.File("in-*"), dir_.File("out"), 2);
  spec.set_split_size(500);
  Result<proto::JobAccepted> accepted = cluster.Await(cluster.client().Submit(spec));
  ASSERT_THAT(accepted, IsOk());
  Deferred<proto::JobStatus> done = cluster.client().Watch(accepted->job_id(), nullptr);
  cluster.Pass(absl::Milliseconds(100));
  ASSERT_GT(cluster.executor(1).pending(), 0u) << "the leaving worker was given no task";

  cluster.coordinator().ReplaceAuthorizedKeys(Keys(KeysText()));
  EXPECT_EQ(cluster.coordinator().workers(), 1u);
  cluster.Pass(absl::Milliseconds(100));
  EXPECT_THAT(closed, StatusIs(absl::StatusCode::kPermissionDenied,
                               HasSubstr("not in the coordinator's authorized keys")));
  // Only the worker still listed runs anything; the job ends on it alone.
  for (int turn = 0; turn < 1000 && !HasResult(done); ++turn) {
    while (cluster.executor(0).pending() > 0) cluster.executor(0).RunNext();
    cluster.Pass(absl::Milliseconds(50));
  }
  Result<proto::JobStatus> status = cluster.Await(done);
  ASSERT_THAT(status, IsOk());
  ASSERT_EQ(status->state(), proto::JOB_STATE_SUCCEEDED) << status->message();
  EXPECT_EQ(ParseCounts(OutputLines(dir_.File("out"))), ReferenceCounts(texts));
  EXPECT_EQ(cluster.coordinator().workers(), 1u) << "the cut-off worker came back";
}

TEST_F(AuthorizationTest, RemovedClientKeyIsCutOffAndItsWatchesEnd) {
  WriteCorpus(dir_);
  testing::Cluster cluster(Options(/*manual_tasks=*/true));
  std::unique_ptr<Client> bob = ClientWith(cluster, bob_);
  ASSERT_NE(bob, nullptr);
  Result<proto::JobAccepted> job = cluster.Await(
      cluster.client().Submit(Spec("wordcount", dir_.File("in-*"), dir_.File("out"), 2)));
  ASSERT_THAT(job, IsOk());
  Deferred<proto::JobStatus> watching = bob->Watch(job->job_id(), nullptr);
  cluster.Pass(absl::Milliseconds(100));
  ASSERT_FALSE(HasResult(watching));

  cluster.coordinator().ReplaceAuthorizedKeys(
      Keys(absl::StrCat("worker ", worker_key_, "\nclient ", alice_, "\n")));
  cluster.Pass(absl::Milliseconds(100));
  EXPECT_THAT(ResultNow(watching),
              Optional(StatusIs(absl::StatusCode::kPermissionDenied,
                                HasSubstr("not in the coordinator's authorized keys"))));
  EXPECT_THAT(cluster.Await(bob->Status()),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("not in the coordinator's authorized keys")));
  // Alice, still listed, is untouched.
  EXPECT_THAT(cluster.Await(cluster.client().Status()), IsOk());
}

}  // namespace
}  // namespace braid
