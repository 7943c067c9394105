// MemoryNetwork: delivery on the fake clock, and each fault on command.

#include "messaging/memory_transport.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reactor/fake_clock.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class MemoryNetworkTest : public ::testing::Test {
 protected:
  MemoryNetworkTest() : network_(clock_, /*seed=*/42) {
    server_ = *network_.Listen("coordinator");
    server_->SetReceiver([this](const PeerId& peer, absl::string_view frame, absl::string_view) {
      from_.push_back(peer);
      at_server_.emplace_back(frame);
    });
    client_ = network_.Connect("mem://coordinator");
    client_->SetReceiver([this](absl::string_view frame) { at_client_.emplace_back(frame); });
  }

  const PeerId& client_id() { return static_cast<MemoryClientTransport&>(*client_).peer_id(); }

  FakeClock clock_;
  MemoryNetwork network_;
  std::unique_ptr<ServerTransport> server_;
  std::unique_ptr<ClientTransport> client_;
  std::vector<PeerId> from_;
  std::vector<std::string> at_server_;
  std::vector<std::string> at_client_;
};

TEST_F(MemoryNetworkTest, NothingMovesUntilTimeDoes) {
  ASSERT_THAT(client_->Send("hello"), IsOk());
  EXPECT_THAT(at_server_, IsEmpty());
  clock_.Advance(absl::ZeroDuration());
  EXPECT_THAT(at_server_, ElementsAre("hello"));
}

TEST_F(MemoryNetworkTest, TheServerAnswersTheClientItHeardFrom) {
  ASSERT_THAT(client_->Send("ping"), IsOk());
  clock_.Advance(absl::ZeroDuration());
  ASSERT_THAT(server_->Send(from_.front(), "pong"), IsOk());
  clock_.Advance(absl::ZeroDuration());
  EXPECT_THAT(at_client_, ElementsAre("pong"));
  EXPECT_EQ(server_->endpoint(), "mem://coordinator");
}

TEST_F(MemoryNetworkTest, LatencyDelaysFrames) {
  network_.SetLatency(absl::Milliseconds(5), absl::Milliseconds(5));
  ASSERT_THAT(client_->Send("late"), IsOk());
  clock_.Advance(absl::Milliseconds(4));
  EXPECT_THAT(at_server_, IsEmpty());
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_THAT(at_server_, ElementsAre("late"));
}

TEST_F(MemoryNetworkTest, JitterReordersFramesDeterministically) {
  network_.SetLatency(absl::Milliseconds(1), absl::Milliseconds(50));
  std::vector<std::string> sent;
  for (int i = 0; i < 20; ++i) {
    sent.push_back(std::to_string(i));
    ASSERT_THAT(client_->Send(sent.back()), IsOk());
  }
  clock_.Advance(absl::Milliseconds(50));
  EXPECT_EQ(at_server_.size(), 20u);
  EXPECT_NE(at_server_, sent);  // reordered, with this seed
}

TEST_F(MemoryNetworkTest, DropNextLosesFrames) {
  network_.DropNext(2);
  for (const char* frame : {"a", "b", "c"}) ASSERT_THAT(client_->Send(frame), IsOk());
  clock_.Advance(absl::ZeroDuration());
  EXPECT_THAT(at_server_, ElementsAre("c"));
  EXPECT_EQ(network_.frames_dropped(), 2u);
}

TEST_F(MemoryNetworkTest, DuplicateNextDeliversTwice) {
  network_.DuplicateNext(1);
  ASSERT_THAT(client_->Send("twice"), IsOk());
  ASSERT_THAT(client_->Send("once"), IsOk());
  clock_.Advance(absl::ZeroDuration());
  EXPECT_THAT(at_server_, UnorderedElementsAre("twice", "twice", "once"));
}

TEST_F(MemoryNetworkTest, AnIsolatedPeerIsUnheardBothWaysUntilHealed) {
  ASSERT_THAT(client_->Send("first"), IsOk());
  clock_.Advance(absl::ZeroDuration());
  network_.Isolate(client_id());
  ASSERT_THAT(client_->Send("lost"), IsOk());
  ASSERT_THAT(server_->Send(client_id(), "lost too"), IsOk());
  clock_.Advance(absl::ZeroDuration());
  network_.Heal(client_id());
  ASSERT_THAT(client_->Send("back"), IsOk());
  clock_.Advance(absl::ZeroDuration());
  EXPECT_THAT(at_server_, ElementsAre("first", "back"));
  EXPECT_THAT(at_client_, IsEmpty());
}

TEST_F(MemoryNetworkTest, SendingToAPeerThatIsGoneFails) {
  EXPECT_THAT(server_->Send("mem-peer-999", "x"), StatusIs(absl::StatusCode::kUnavailable));
  PeerId old = client_id();
  ASSERT_THAT(client_->Reconnect(), IsOk());
  EXPECT_NE(client_id(), old);
  EXPECT_THAT(server_->Send(old, "x"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(server_->Send(client_id(), "x"), IsOk());
}

TEST_F(MemoryNetworkTest, FramesInFlightFromAnOldConnectionAreDropped) {
  ASSERT_THAT(client_->Send("old"), IsOk());
  ASSERT_THAT(client_->Reconnect(), IsOk());
  clock_.Advance(absl::ZeroDuration());
  EXPECT_THAT(at_server_, IsEmpty());
}

TEST_F(MemoryNetworkTest, ListeningTwiceOnOneNameIsRefused) {
  EXPECT_THAT(network_.Listen("coordinator"), StatusIs(absl::StatusCode::kAlreadyExists));
}

}  // namespace
}  // namespace braid
