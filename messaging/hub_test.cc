// Hub: introductions, refusals of bad frames, and Paranoid Pirate liveness, on the fake clock.

#include "messaging/hub.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "messaging/memory_transport.h"
#include "proto/envelope.h"
#include "reactor/fake_clock.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class HubTest : public ::testing::Test {
 protected:
  HubTest() : network_(clock_) {
    hub_ = std::make_unique<Hub>(clock_, *network_.Listen("coordinator"), options_);
    hub_->SetHandlers(
        [this](const PeerId& peer, proto::Envelope& message) {
          peers_.push_back(peer);
          received_.push_back(std::move(message));
        },
        [this](const PeerId& peer, absl::Status why) { lost_.emplace_back(peer, why); });
    peer_ = network_.Connect("coordinator");
    peer_->SetReceiver([this](absl::string_view frame) {
      absl::StatusOr<proto::Envelope> decoded = DecodeEnvelope(frame);
      ASSERT_THAT(decoded, IsOk());
      at_peer_.push_back(*decoded);
    });
  }

  void SendRaw(absl::string_view frame) {
    ASSERT_THAT(peer_->Send(frame), IsOk());
    clock_.Advance(absl::ZeroDuration());
  }
  void Send(proto::Envelope message, uint64_t id = 1) {
    message.set_protocol_version(kProtocolVersion);
    message.set_message_id(id);
    SendRaw(EncodeEnvelope(message));
  }
  void SayHello() {
    proto::Envelope hello;
    hello.mutable_worker_hello()->set_name("w1");
    Send(hello);
  }
  const PeerId& peer_id() { return static_cast<MemoryClientTransport&>(*peer_).peer_id(); }

  HubOptions options_{.heartbeat_interval = absl::Seconds(1), .liveness = 3};
  FakeClock clock_;
  MemoryNetwork network_;
  std::unique_ptr<Hub> hub_;
  std::unique_ptr<ClientTransport> peer_;
  std::vector<PeerId> peers_;
  std::vector<proto::Envelope> received_;
  std::vector<std::pair<PeerId, absl::Status>> lost_;
  std::vector<proto::Envelope> at_peer_;
};

TEST_F(HubTest, AHelloFromANewPeerReachesTheOwner) {
  SayHello();
  ASSERT_THAT(received_, SizeIs(1));
  EXPECT_EQ(received_[0].worker_hello().name(), "w1");
  EXPECT_EQ(peers_[0], peer_id());
  EXPECT_TRUE(hub_->introduced(peer_id()));
}

TEST_F(HubTest, WelcomeAnswersTheHelloWithTheHeartbeatRules) {
  SayHello();
  proto::Welcome welcome;
  welcome.set_worker_number(1);
  hub_->Welcome(peer_id(), received_[0].message_id(), welcome);
  clock_.Advance(absl::ZeroDuration());
  ASSERT_THAT(at_peer_, SizeIs(1));
  EXPECT_EQ(at_peer_[0].reply_to(), 1u);
  EXPECT_EQ(at_peer_[0].welcome().heartbeat_interval_ms(), 1000u);
  EXPECT_EQ(at_peer_[0].welcome().liveness(), 3u);
}

TEST_F(HubTest, ABareHeartbeatStaysInTheHubButOneSayingTheWorkerDrainsReachesTheOwner) {
  SayHello();
  hub_->Welcome(peer_id(), received_[0].message_id(), proto::Welcome());
  proto::Envelope bare;
  bare.mutable_heartbeat();
  Send(bare, /*id=*/2);
  EXPECT_THAT(received_, SizeIs(1));  // the hello alone
  proto::Envelope draining;
  draining.mutable_heartbeat()->set_draining(true);
  Send(draining, /*id=*/3);
  ASSERT_THAT(received_, SizeIs(2));
  EXPECT_TRUE(received_[1].heartbeat().draining());
}

TEST_F(HubTest, AMessageBeforeHelloIsRefusedCountedAndNotDelivered) {
  proto::Envelope status;
  status.mutable_status_request();
  Send(status, /*id=*/9);
  EXPECT_THAT(received_, IsEmpty());
  EXPECT_EQ(hub_->bad_input().count(BadInput::kNotIntroduced), 1u);
  ASSERT_THAT(at_peer_, SizeIs(1));
  EXPECT_EQ(at_peer_[0].reply_to(), 9u);
  EXPECT_EQ(at_peer_[0].reject().code(), static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(at_peer_[0].reject().message(), HasSubstr("has not said hello"));
}

TEST_F(HubTest, AMalformedFrameIsRefusedAndCounted) {
  SendRaw("\x01\x02\x03 definitely not protobuf \xff\xff");
  EXPECT_THAT(received_, IsEmpty());
  EXPECT_EQ(hub_->bad_input().count(BadInput::kMalformed), 1u);
  ASSERT_THAT(at_peer_, SizeIs(1));
  EXPECT_EQ(at_peer_[0].reject().code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
}

TEST_F(HubTest, AnotherProtocolVersionIsRefusedNamingIt) {
  proto::Envelope hello;
  hello.set_protocol_version(7);
  hello.set_message_id(1);
  hello.mutable_worker_hello();
  SendRaw(EncodeEnvelope(hello));
  EXPECT_THAT(received_, IsEmpty());
  EXPECT_EQ(hub_->bad_input().count(BadInput::kWrongVersion), 1u);
  ASSERT_THAT(at_peer_, SizeIs(1));
  EXPECT_THAT(at_peer_[0].reject().message(), HasSubstr("protocol version 7"));
}

TEST_F(HubTest, AnUnknownMessageKindIsRefused) {
  proto::Envelope empty;
  empty.set_protocol_version(kProtocolVersion);
  SendRaw(EncodeEnvelope(empty) + std::string("\xa2\x06\x00", 3));
  EXPECT_EQ(hub_->bad_input().count(BadInput::kUnknownKind), 1u);
  EXPECT_THAT(received_, IsEmpty());
}

TEST_F(HubTest, AnOversizedFrameIsRefused) {
  options_.max_message_bytes = 256;
  hub_ = std::make_unique<Hub>(clock_, *network_.Listen("small"), options_);
  auto peer = network_.Connect("small");
  ASSERT_THAT(peer->Send(std::string(1000, 'x')), IsOk());
  clock_.Advance(absl::ZeroDuration());
  EXPECT_EQ(hub_->bad_input().count(BadInput::kOversized), 1u);
}

TEST_F(HubTest, HeartbeatsGoToIdlePeersEveryInterval) {
  SayHello();
  clock_.Advance(absl::Seconds(1));
  clock_.Advance(absl::Seconds(1));
  int heartbeats = 0;
  for (const proto::Envelope& m : at_peer_) heartbeats += m.has_heartbeat();
  EXPECT_EQ(heartbeats, 2);
}

TEST_F(HubTest, APeerSilentForLivenessIntervalsIsLost) {
  SayHello();
  clock_.Advance(absl::Seconds(1));
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(lost_, IsEmpty());
  clock_.Advance(absl::Seconds(1));
  ASSERT_THAT(lost_, SizeIs(1));
  EXPECT_EQ(lost_[0].first, peer_id());
  EXPECT_THAT(lost_[0].second, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("3 heartbeats")));
  EXPECT_FALSE(hub_->introduced(peer_id()));
}

TEST_F(HubTest, AStallOfItsOwnLoopIsNotThePeersSilence) {
  SayHello();
  // Ten intervals in one step: the loop was stuck for nine of them, and the peer has been
  // silent for the one before.
  clock_.Advance(absl::Seconds(10));
  EXPECT_THAT(lost_, IsEmpty());
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(lost_, IsEmpty());
  clock_.Advance(absl::Seconds(1));  // three intervals of silence outside the stall
  EXPECT_THAT(lost_, SizeIs(1));
}

TEST_F(HubTest, AnyMessageKeepsAPeerAlive) {
  SayHello();
  for (int i = 0; i < 10; ++i) {
    clock_.Advance(absl::Seconds(1));
    proto::Envelope heartbeat;
    heartbeat.mutable_heartbeat();
    Send(heartbeat, 10 + i);
  }
  EXPECT_THAT(lost_, IsEmpty());
  EXPECT_EQ(received_.size(), 1u);  // bare heartbeats stay inside the Hub
}

TEST_F(HubTest, AForgottenPeerIsNotReportedLostAndMustSayHelloAgain) {
  SayHello();
  hub_->Forget(peer_id());
  for (int i = 0; i < 10; ++i) clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(lost_, IsEmpty());
  proto::Envelope status;
  status.mutable_status_request();
  Send(status);
  EXPECT_EQ(hub_->bad_input().count(BadInput::kNotIntroduced), 1u);
}

TEST_F(HubTest, SendingToAPeerThatIsGoneFails) {
  proto::Envelope heartbeat;
  heartbeat.mutable_heartbeat();
  EXPECT_THAT(hub_->Send("mem-peer-404", heartbeat), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(HubTest, AnIntroducedPeerFoundGoneBySendIsLostInATurnOfItsOwn) {
  SayHello();
  const PeerId id = peer_id();
  peer_.reset();  // the peer's process ends: its connection closes
  proto::Envelope heartbeat;
  heartbeat.mutable_heartbeat();
  EXPECT_THAT(hub_->Send(id, heartbeat), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(hub_->Send(id, heartbeat), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(lost_, IsEmpty()) << "not in the middle of the send";
  clock_.Advance(absl::ZeroDuration());
  ASSERT_THAT(lost_, SizeIs(1));
  EXPECT_EQ(lost_[0].first, id);
  EXPECT_FALSE(hub_->introduced(id));
}

TEST_F(HubTest, APeerTheHubDoesNotKnowIsToldToIntroduceItself) {
  proto::Envelope status;
  status.mutable_status_request();
  Send(status, 7);
  ASSERT_THAT(at_peer_, SizeIs(1));
  EXPECT_EQ(at_peer_[0].reply_to(), 7u);
  EXPECT_TRUE(at_peer_[0].reject().introduce());
}

// A server transport whose peers never keep up: every send is refused at the high-water mark.
class FullTransport final : public ServerTransport {
 public:
  std::string endpoint() const override { return "full://"; }
  void SetReceiver(Receiver receiver) override { receiver_ = std::move(receiver); }
  absl::Status Send(const PeerId&, absl::string_view) override {
    return absl::ResourceExhaustedError("at the high-water mark");
  }
  void Deliver(const PeerId& peer, const proto::Envelope& message) {
    receiver_(peer, EncodeEnvelope(message), "");
  }

 private:
  Receiver receiver_;
};

TEST(HubAnswers, AnAnswerToAPeerNotKeepingUpIsDroppedAndCounted) {
  FakeClock clock;
  auto owned = std::make_unique<FullTransport>();
  FullTransport* transport = owned.get();
  Hub hub(clock, std::move(owned), HubOptions{});
  std::vector<PeerId> lost;
  hub.SetHandlers([&](const PeerId& peer,
                      proto::Envelope& m) { hub.Welcome(peer, m.message_id(), proto::Welcome()); },
                  [&](const PeerId& peer, absl::Status) { lost.push_back(peer); });
  proto::Envelope hello;
  hello.set_protocol_version(kProtocolVersion);
  hello.set_message_id(1);
  hello.mutable_worker_hello()->set_name("slow");
  transport->Deliver("slow-peer", hello);
  EXPECT_EQ(hub.dropped_answers(), 1u);
  hub.Reject("slow-peer", 2, absl::NotFoundError("no job 9"));
  EXPECT_EQ(hub.dropped_answers(), 2u);
  clock.Advance(absl::ZeroDuration());
  EXPECT_TRUE(lost.empty());  // not keeping up is not gone
}

// A server transport that hands the test each frame sent, and delivers frames as from a peer
// authenticated with a given key.
class KeyedTransport final : public ServerTransport {
 public:
  std::string endpoint() const override { return "keyed://"; }
  void SetReceiver(Receiver receiver) override { receiver_ = std::move(receiver); }
  absl::Status Send(const PeerId&, absl::string_view frame) override {
    sent.push_back(*DecodeEnvelope(frame));
    return absl::OkStatus();
  }
  void Deliver(const PeerId& peer, const proto::Envelope& message, absl::string_view key) {
    receiver_(peer, EncodeEnvelope(message), key);
  }
  std::vector<proto::Envelope> sent;

 private:
  Receiver receiver_;
};

TEST(HubKeys, APeersKeyIsTheOneItSaidHelloWith) {
  FakeClock clock;
  auto owned = std::make_unique<KeyedTransport>();
  KeyedTransport* transport = owned.get();
  Hub hub(clock, std::move(owned), HubOptions{});
  std::vector<proto::Envelope> delivered;
  hub.SetHandlers(
      [&](const PeerId& peer, proto::Envelope& m) {
        delivered.push_back(m);
        if (m.has_worker_hello()) hub.Welcome(peer, m.message_id(), proto::Welcome());
      },
      [](const PeerId&, absl::Status) {});
  proto::Envelope hello;
  hello.set_protocol_version(kProtocolVersion);
  hello.set_message_id(1);
  hello.mutable_worker_hello()->set_name("w1");
  transport->Deliver("peer-1", hello, "key-of-w1");
  EXPECT_EQ(hub.key("peer-1"), "key-of-w1");
  EXPECT_EQ(hub.key("peer-2"), "");

  // A connection with another key under the same routing id (a client may choose its id) is
  // not the introduced peer: refused, counted, never delivered.
  proto::Envelope results;
  results.set_protocol_version(kProtocolVersion);
  results.set_message_id(2);
  results.mutable_task_results();
  transport->Deliver("peer-1", results, "an-impostors-key");
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(hub.bad_input().count(BadInput::kNotIntroduced), 1u);
  ASSERT_FALSE(transport->sent.empty());
  EXPECT_TRUE(transport->sent.back().has_reject());
  EXPECT_EQ(transport->sent.back().reply_to(), 2u);
  // The real peer goes on.
  transport->Deliver("peer-1", results, "key-of-w1");
  EXPECT_EQ(delivered.size(), 2u);
  EXPECT_EQ(hub.key("peer-1"), "key-of-w1");
}

}  // namespace
}  // namespace braid
