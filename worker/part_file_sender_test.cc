// PartFileSender: a part file goes to the coordinator in pieces, a window of them at a time, in
// order, and again from its start after a refusal it can recover from. On the fake clock, with
// the coordinator's answers given by the test.

#include "worker/part_file_sender.h"

#include <deque>
#include <string>
#include <vector>

#include "base/fake_env.h"
#include "deferred/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/blocking_calls.h"
#include "reactor/fake_clock.h"
#include "third_party/absl_compat/crc32c.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::StatusIs;

class PartFileSenderTest : public ::testing::Test {
 protected:
  PartFileSenderTest()
      : sender_(clock_, env_, calls_,
                PartFileSenderOptions{.piece_bytes = 4, .window = 2, .attempts = 3}) {
    sender_.SetCoordinator([this](proto::Envelope request, absl::Duration) {
      Deferred<proto::Envelope> answer;
      asked_.push_back(Asked{request.part_chunk(), answer});
      return answer;
    });
    EXPECT_TRUE(env_.WriteStringToFile("/part", kText).ok());
    attempt_.set_job_id("job_1");
    attempt_.set_kind(proto::TASK_KIND_REDUCE);
  }

  Deferred<void> Send() {
    return sender_.Send(attempt_, "/part", kText.size(), braid_compat::ComputeCrc32c(kText));
  }
  // Answers the oldest piece not yet answered.
  void Ack() {
    Deferred<proto::Envelope> answer = asked_[answered_++].answer;
    proto::Envelope ack;
    ack.mutable_ack();
    answer.Callback(ack).IgnoreError();
  }
  void Refuse(const absl::Status& why) { asked_[answered_++].answer.Errback(why).IgnoreError(); }
  size_t outstanding() const { return asked_.size() - answered_; }

  struct Asked {
    proto::PartChunk piece;
    Deferred<proto::Envelope> answer;
  };
  inline static const std::string kText = "0123456789abcdef01";  // 18 bytes: 5 pieces
  FakeClock clock_;
  FakeEnv env_;
  InlineBlockingCalls calls_;
  PartFileSender sender_;
  proto::TaskAttempt attempt_;
  std::vector<Asked> asked_;
  size_t answered_ = 0;
};

TEST_F(PartFileSenderTest, PiecesGoInOrderAWindowAtATimeTheLastWithTheWhole) {
  Deferred<void> sent = Send();
  EXPECT_EQ(outstanding(), 2u);
  while (!HasResult(sent)) {
    ASSERT_LE(outstanding(), 2u);
    ASSERT_GT(outstanding(), 0u);
    Ack();
  }
  EXPECT_TRUE(ResultNow(sent)->ok());
  std::string received;
  for (const Asked& asked : asked_) {
    EXPECT_EQ(asked.piece.offset(), received.size());
    EXPECT_EQ(asked.piece.crc32c(), braid_compat::ComputeCrc32c(asked.piece.data()));
    received += asked.piece.data();
  }
  EXPECT_EQ(received, kText);
  ASSERT_EQ(asked_.size(), 5u);
  EXPECT_TRUE(asked_.back().piece.last());
  EXPECT_EQ(asked_.back().piece.file_bytes(), kText.size());
  EXPECT_EQ(asked_.back().piece.file_crc32c(), braid_compat::ComputeCrc32c(kText));
  EXPECT_EQ(sender_.bytes_sent(), kText.size());
}

TEST_F(PartFileSenderTest, AnOutOfOrderRefusalSendsTheFileAgainFromItsStartAfterAPause) {
  Deferred<void> sent = Send();
  Ack();
  Refuse(absl::AbortedError("does not follow"));
  const size_t before = asked_.size();
  clock_.Advance(absl::Milliseconds(100));
  EXPECT_EQ(asked_.size(), before) << "sent again before the pause";
  clock_.Advance(absl::Milliseconds(200));
  ASSERT_GT(asked_.size(), before);
  EXPECT_EQ(asked_[before].piece.offset(), 0u);
  // The answer to the old try's piece still in flight changes nothing.
  answered_ = before - 1;
  Ack();
  answered_ = before;
  while (!HasResult(sent) && outstanding() > 0) Ack();
  EXPECT_TRUE(ResultNow(sent)->ok());
}

TEST_F(PartFileSenderTest, ARefusalOfTheAttemptFailsTheSend) {
  Deferred<void> sent = Send();
  Refuse(absl::PermissionDeniedError("not this worker's"));
  ASSERT_TRUE(HasResult(sent));
  EXPECT_THAT(*ResultNow(sent), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(PartFileSenderTest, TriesRunOut) {
  Deferred<void> sent = Send();
  for (int i = 0; i < 3 && !HasResult(sent); ++i) {
    Refuse(absl::UnavailableError("busy"));
    answered_ = asked_.size();
    clock_.Advance(absl::Seconds(10));
  }
  ASSERT_TRUE(HasResult(sent));
  EXPECT_THAT(*ResultNow(sent), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(PartFileSenderTest, AnEmptyFileIsOneLastPiece) {
  ASSERT_TRUE(env_.WriteStringToFile("/empty", "").ok());
  Deferred<void> sent = sender_.Send(attempt_, "/empty", 0, 0);
  ASSERT_EQ(asked_.size(), 1u);
  EXPECT_TRUE(asked_[0].piece.last());
  EXPECT_EQ(asked_[0].piece.data(), "");
  Ack();
  EXPECT_TRUE(ResultNow(sent)->ok());
}

}  // namespace
}  // namespace braid
