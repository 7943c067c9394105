// DataService: a worker gets the bytes of the split its map attempt reads and sends the part file
// its attempt writes, and nothing else, on the fake clock, the in-memory network and FakeEnv.

#include "coordinator/data_service.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/fake_env.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "job/file_identity.h"
#include "messaging/memory_transport.h"
#include "proto/attempt_name.h"
#include "proto/envelope.h"
#include "proto/status_coding.h"
#include "reactor/blocking_calls.h"
#include "reactor/fake_clock.h"
#include "reactor/held_blocking_calls.h"
#include "third_party/absl_compat/crc32c.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::testing::HasSubstr;

proto::TaskAttempt Attempt(proto::TaskKind kind, uint32_t task, uint32_t number = 1) {
  proto::TaskAttempt attempt;
  attempt.set_job_id("job_1");
  attempt.set_kind(kind);
  attempt.set_task(task);
  attempt.set_attempt(number);
  return attempt;
}

// The coordinator's jobs, as the test sets them: job_1's map 0 reads /in; the attempts in
// `running` run on the one worker; part files go under /out/_temporary.
class FakeCatalog : public DataService::Catalog {
 public:
  absl::StatusOr<const proto::InputSplit*> SplitFor(const PeerId&,
                                                    const proto::TaskAttempt& attempt) override {
    if (attempt.job_id() != "job_1") return absl::NotFoundError("no running job");
    if (attempt.kind() != proto::TASK_KIND_MAP || !Runs(attempt) || attempt.task() != 0) {
      return absl::PermissionDeniedError("not a map attempt this worker runs");
    }
    return &split;
  }
  absl::StatusOr<std::string> PartFileOf(const PeerId&,
                                         const proto::TaskAttempt& attempt) override {
    if (attempt.job_id() != "job_1") return absl::NotFoundError("no running job");
    if (attempt.kind() != proto::TASK_KIND_REDUCE || !Runs(attempt)) {
      return absl::PermissionDeniedError("not this worker's part file");
    }
    return absl::StrCat("/out/_temporary/", AttemptName(attempt), "/part-r-0000", attempt.task());
  }
  bool Runs(const proto::TaskAttempt& attempt) const {
    for (const proto::TaskAttempt& running : this->running) {
      if (running.SerializeAsString() == attempt.SerializeAsString()) return true;
    }
    return false;
  }
  proto::InputSplit split;
  std::vector<proto::TaskAttempt> running;
};

class DataServiceTest : public ::testing::Test {
 protected:
  DataServiceTest() : network_(clock_) {
    hub_ = std::make_unique<Hub>(clock_, *network_.Listen("coordinator"));
    service_ = std::make_unique<DataService>(*hub_, catalog_, env_, calls_);
    hub_->SetHandlers(
        [this](const PeerId& peer, proto::Envelope& message) {
          if (message.has_worker_hello()) return hub_->Welcome(peer, message.message_id(), {});
          if (message.has_locate_split()) return service_->OnLocateSplit(peer, message);
          if (message.has_fetch_request()) return service_->OnFetch(peer, message);
          if (message.has_part_chunk()) return service_->OnPartChunk(peer, message);
        },
        [](const PeerId&, absl::Status) {});
    worker_ = network_.Connect("coordinator");
    worker_->SetReceiver([this](absl::string_view frame) {
      absl::StatusOr<proto::Envelope> decoded = DecodeEnvelope(frame);
      ASSERT_THAT(decoded, IsOk());
      if (decoded->reply_to() != 0) answers_[decoded->reply_to()] = *decoded;
    });
    proto::Envelope hello;
    hello.mutable_worker_hello()->set_name("w1");
    Ask(hello);

    EXPECT_TRUE(env_.CreateDirs("/out/_temporary").ok());
    EXPECT_TRUE(env_.WriteStringToFile("/in", "aaaa\nbbbb\ncccc\ndddd\n").ok());
    catalog_.split.set_path("/in");
    catalog_.split.set_offset(6);
    catalog_.split.set_length(5);  // owns "cccc"
    *catalog_.split.mutable_identity() = IdentifyFile(env_, "/in").value();
    catalog_.running = {Attempt(proto::TASK_KIND_MAP, 0), Attempt(proto::TASK_KIND_REDUCE, 2)};
  }

  // Sends `request` and returns the answer (an empty envelope if none came).
  proto::Envelope Ask(proto::Envelope request) {
    const uint64_t id = next_id_++;
    request.set_protocol_version(kProtocolVersion);
    request.set_message_id(id);
    EXPECT_THAT(worker_->Send(EncodeEnvelope(request)), IsOk());
    clock_.Advance(absl::ZeroDuration());
    return answers_[id];
  }
  static absl::Status Refusal(const proto::Envelope& answer) {
    if (!answer.has_reject()) return absl::OkStatus();
    return ErrorFromWire(answer.reject().code(), answer.reject().message());
  }

  proto::Envelope Locate(const proto::TaskAttempt& attempt, uint32_t part = 0) {
    proto::Envelope request;
    request.mutable_locate_split()->set_job_id(attempt.job_id());
    request.mutable_locate_split()->set_map_task(attempt.task());
    *request.mutable_locate_split()->mutable_attempt() = attempt;
    request.mutable_locate_split()->set_part(part);
    return Ask(request);
  }
  proto::Envelope Fetch(const proto::TaskAttempt& attempt, const std::string& path, uint64_t offset,
                        uint32_t length, uint32_t part = 0) {
    proto::Envelope request;
    proto::FetchRequest* fetch = request.mutable_fetch_request();
    fetch->set_split_part(part);
    fetch->set_job_id(attempt.job_id());
    fetch->set_map_task(attempt.task());
    fetch->set_path(path);
    fetch->set_offset(offset);
    fetch->set_length(length);
    *fetch->mutable_attempt() = attempt;
    return Ask(request);
  }
  proto::Envelope Piece(const proto::TaskAttempt& attempt, uint64_t offset, const std::string& data,
                        bool last = false, const std::string& whole = "") {
    proto::Envelope request;
    proto::PartChunk* piece = request.mutable_part_chunk();
    *piece->mutable_attempt() = attempt;
    piece->set_offset(offset);
    piece->set_data(data);
    piece->set_crc32c(braid_compat::ComputeCrc32c(data));
    piece->set_last(last);
    if (last) {
      piece->set_file_bytes(whole.size());
      piece->set_file_crc32c(braid_compat::ComputeCrc32c(whole));
    }
    return Ask(request);
  }

  FakeClock clock_;
  MemoryNetwork network_;
  FakeEnv env_;
  InlineBlockingCalls calls_;
  FakeCatalog catalog_;
  std::unique_ptr<Hub> hub_;
  std::unique_ptr<DataService> service_;
  std::unique_ptr<ClientTransport> worker_;
  std::map<uint64_t, proto::Envelope> answers_;
  uint64_t next_id_ = 1;
};

TEST_F(DataServiceTest, ASplitIsLocatedAndItsBytesServed) {
  proto::Envelope located = Locate(Attempt(proto::TASK_KIND_MAP, 0));
  ASSERT_TRUE(located.has_split_located()) << located.DebugString();
  EXPECT_EQ(located.split_located().begin(), 5u);
  EXPECT_EQ(located.split_located().end(), 16u);
  proto::Envelope chunk = Fetch(Attempt(proto::TASK_KIND_MAP, 0), "/in", 5, 11);
  ASSERT_TRUE(chunk.has_fetch_chunk()) << chunk.DebugString();
  EXPECT_EQ(chunk.fetch_chunk().data(), "bbbb\ncccc\nd");
  EXPECT_EQ(chunk.fetch_chunk().data().size(), 11u);
  EXPECT_EQ(braid_compat::ComputeCrc32c(chunk.fetch_chunk().data()),
            located.split_located().crc32c());
  EXPECT_EQ(service_->bytes_served(), 11u);
}

TEST_F(DataServiceTest, AnAttemptNotRunningOnTheWorkerGetsNothing) {
  EXPECT_EQ(Refusal(Locate(Attempt(proto::TASK_KIND_MAP, 0, /*number=*/7))).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Refusal(Locate(Attempt(proto::TASK_KIND_REDUCE, 2))).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(service_->refused(), 2u);
}

TEST_F(DataServiceTest, AJobThatIsNotRunningIsNotFound) {
  proto::TaskAttempt other = Attempt(proto::TASK_KIND_MAP, 0);
  other.set_job_id("job_9");
  EXPECT_EQ(Refusal(Locate(other)).code(), absl::StatusCode::kNotFound);
}

TEST_F(DataServiceTest, OnlyTheLocatedBytesOfTheSplitsOwnFileAreServed) {
  const proto::TaskAttempt map = Attempt(proto::TASK_KIND_MAP, 0);
  // Not yet located.
  EXPECT_EQ(Refusal(Fetch(map, "/in", 5, 4)).code(), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(Locate(map).has_split_located());
  EXPECT_EQ(Refusal(Fetch(map, "/etc/passwd", 5, 4)).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Refusal(Fetch(map, "/in", 0, 4)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Refusal(Fetch(map, "/in", 5, 12)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Fetch(map, "/in", 5, 11).has_fetch_chunk());
}

TEST_F(DataServiceTest, EachFileOfACombinedSplitIsLocatedAndServedByItsPart) {
  ASSERT_TRUE(env_.WriteStringToFile("/small", "xy\nz").ok());
  proto::InputSplit first;
  first.set_path("/in");
  first.set_length(21);
  *first.mutable_identity() = IdentifyFile(env_, "/in").value();
  proto::InputSplit second;
  second.set_path("/small");
  second.set_length(4);
  *second.mutable_identity() = IdentifyFile(env_, "/small").value();
  catalog_.split.Clear();
  *catalog_.split.add_parts() = first;
  *catalog_.split.add_parts() = second;
  const proto::TaskAttempt map = Attempt(proto::TASK_KIND_MAP, 0);
  proto::Envelope located = Locate(map, 1);
  ASSERT_TRUE(located.has_split_located()) << located.DebugString();
  EXPECT_EQ(located.split_located().end(), 4u);
  // Each part's bytes only under its own number, once located.
  EXPECT_EQ(Refusal(Fetch(map, "/small", 0, 4, 0)).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Refusal(Fetch(map, "/in", 0, 4, 0)).code(), absl::StatusCode::kPermissionDenied);
  proto::Envelope chunk = Fetch(map, "/small", 0, 4, 1);
  ASSERT_TRUE(chunk.has_fetch_chunk()) << chunk.DebugString();
  EXPECT_EQ(chunk.fetch_chunk().data(), "xy\nz");
  ASSERT_TRUE(Locate(map, 0).has_split_located());
  EXPECT_TRUE(Fetch(map, "/in", 0, 4, 0).has_fetch_chunk());
  // No part beyond the split's; a split of one file has only part 0.
  EXPECT_EQ(Refusal(Locate(map, 2)).code(), absl::StatusCode::kInvalidArgument);
  catalog_.split = first;
  EXPECT_EQ(Refusal(Locate(map, 1)).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(DataServiceTest, ARequestNamingAnotherTaskThanItsAttemptIsRefused) {
  proto::Envelope request;
  request.mutable_locate_split()->set_job_id("job_1");
  request.mutable_locate_split()->set_map_task(0);
  *request.mutable_locate_split()->mutable_attempt() = Attempt(proto::TASK_KIND_MAP, 3);
  EXPECT_EQ(Refusal(Ask(request)).code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(DataServiceTest, AnInputChangedSincePlanningIsDataLoss) {
  env_.AdvanceNow(absl::Seconds(1));
  ASSERT_TRUE(env_.WriteStringToFile("/in", "AAAA\nBBBB\nCCCC\nDDDD\n").ok());
  absl::Status refused = Refusal(Locate(Attempt(proto::TASK_KIND_MAP, 0)));
  EXPECT_EQ(refused.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(refused.message(), HasSubstr("changed on the coordinator"));
}

TEST_F(DataServiceTest, ASplitIsLocatedOnceForEveryAttemptThatAsks) {
  HeldBlockingCalls held;
  DataService service(*hub_, catalog_, env_, held);
  hub_->SetHandlers(
      [&](const PeerId& peer, proto::Envelope& message) {
        if (message.has_locate_split()) service.OnLocateSplit(peer, message);
      },
      [](const PeerId&, absl::Status) {});
  proto::TaskAttempt backup = Attempt(proto::TASK_KIND_MAP, 0, 2);
  catalog_.running.push_back(backup);
  proto::Envelope first = Locate(Attempt(proto::TASK_KIND_MAP, 0));
  proto::Envelope second = Locate(backup);
  EXPECT_EQ(held.held(), 1u);
  held.RunNext();
  clock_.Advance(absl::ZeroDuration());
  EXPECT_TRUE(answers_[next_id_ - 2].has_split_located());
  EXPECT_TRUE(answers_[next_id_ - 1].has_split_located());
  EXPECT_TRUE(Locate(backup).has_split_located());  // answered at once
  EXPECT_EQ(held.held(), 0u);
}

TEST_F(DataServiceTest, APartFileSentInPiecesIsWrittenWholeAndDurable) {
  const proto::TaskAttempt reduce = Attempt(proto::TASK_KIND_REDUCE, 2);
  const std::string whole = "alpha\t1\nbeta\t2\n";
  EXPECT_TRUE(Piece(reduce, 0, whole.substr(0, 6)).has_ack());
  EXPECT_TRUE(Piece(reduce, 6, whole.substr(6), /*last=*/true, whole).has_ack());
  EXPECT_EQ(service_->uploads(), 0u);
  EXPECT_EQ(service_->bytes_received(), whole.size());
  env_.SimulateCrash();  // synced before it was acknowledged
  EXPECT_EQ(env_.ReadFile("/out/_temporary/" + AttemptName(reduce) + "/part-r-00002").value_or(""),
            whole);
}

TEST_F(DataServiceTest, PiecesSentAheadAreWrittenInOrderOneAtATime) {
  HeldBlockingCalls held;
  DataService service(*hub_, catalog_, env_, held);
  hub_->SetHandlers(
      [&](const PeerId& peer, proto::Envelope& message) {
        if (message.has_part_chunk()) service.OnPartChunk(peer, message);
      },
      [](const PeerId&, absl::Status) {});
  const proto::TaskAttempt reduce = Attempt(proto::TASK_KIND_REDUCE, 2);
  Piece(reduce, 0, "abc");
  Piece(reduce, 3, "def");
  Piece(reduce, 6, "gh", /*last=*/true, "abcdefgh");
  EXPECT_EQ(held.held(), 1u) << "one write at a time";
  while (held.held() > 0) {
    held.RunNext();
    clock_.Advance(absl::ZeroDuration());
  }
  for (uint64_t id = next_id_ - 3; id < next_id_; ++id) EXPECT_TRUE(answers_[id].has_ack()) << id;
  EXPECT_EQ(env_.ReadFile("/out/_temporary/" + AttemptName(reduce) + "/part-r-00002").value_or(""),
            "abcdefgh");
  EXPECT_EQ(service.uploads(), 0u);
}

TEST_F(DataServiceTest, APieceOutOfOrderIsRefusedSoTheFileIsSentAgain) {
  const proto::TaskAttempt reduce = Attempt(proto::TASK_KIND_REDUCE, 2);
  EXPECT_TRUE(Piece(reduce, 0, "abc").has_ack());
  EXPECT_EQ(Refusal(Piece(reduce, 7, "def")).code(), absl::StatusCode::kAborted);
  // From the start again: the file is the one sent.
  EXPECT_TRUE(Piece(reduce, 0, "abc").has_ack());
  EXPECT_TRUE(Piece(reduce, 3, "def", true, "abcdef").has_ack());
  EXPECT_EQ(env_.ReadFile("/out/_temporary/" + AttemptName(reduce) + "/part-r-00002").value_or(""),
            "abcdef");
}

TEST_F(DataServiceTest, ACorruptPieceOrAWrongWholeIsDataLoss) {
  const proto::TaskAttempt reduce = Attempt(proto::TASK_KIND_REDUCE, 2);
  proto::Envelope request;
  proto::PartChunk* piece = request.mutable_part_chunk();
  *piece->mutable_attempt() = reduce;
  piece->set_data("abc");
  piece->set_crc32c(braid_compat::ComputeCrc32c("abd"));
  EXPECT_EQ(Refusal(Ask(request)).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(Refusal(Piece(reduce, 0, "abc", true, "abcd")).code(), absl::StatusCode::kDataLoss);
}

TEST_F(DataServiceTest, OnlyTheWorkersOwnRunningAttemptsPartFileIsTaken) {
  EXPECT_EQ(Refusal(Piece(Attempt(proto::TASK_KIND_REDUCE, 2, 5), 0, "x")).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Refusal(Piece(Attempt(proto::TASK_KIND_MAP, 0), 0, "x")).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Refusal(Piece(Attempt(proto::TASK_KIND_UNSPECIFIED, 2), 0, "x")).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(DataServiceTest, AnOversizedPieceIsRefused) {
  EXPECT_EQ(
      Refusal(Piece(Attempt(proto::TASK_KIND_REDUCE, 2), 0, std::string(kMaxFetchChunk + 1, 'x')))
          .code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(DataServiceTest, AnOutputCommittedOrRemovedIsNotMadeAgain) {
  ASSERT_TRUE(env_.RemoveAll("/out").ok());
  EXPECT_EQ(Refusal(Piece(Attempt(proto::TASK_KIND_REDUCE, 2), 0, "x")).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(env_.Exists("/out"));
}

TEST_F(DataServiceTest, AJobsEndDropsItsPartFilesUnderWay) {
  EXPECT_TRUE(Piece(Attempt(proto::TASK_KIND_REDUCE, 2), 0, "abc").has_ack());
  EXPECT_EQ(service_->uploads(), 1u);
  service_->ForgetJob("job_1");
  EXPECT_EQ(service_->uploads(), 0u);
}

}  // namespace
}  // namespace braid
