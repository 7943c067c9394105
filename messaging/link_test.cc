// Link: introduction, request/reply correlation, timeouts, liveness and reconnection with
// backoff — against a Hub, on the fake clock and the in-memory network.

#include "messaging/link.h"

#include <algorithm>
#include <string>
#include <vector>

#include "deferred/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "messaging/hub.h"
#include "messaging/memory_transport.h"
#include "reactor/fake_clock.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::SizeIs;

proto::Envelope WorkerHello() {
  proto::Envelope hello;
  hello.mutable_worker_hello()->set_name("w1");
  return hello;
}

class LinkTest : public ::testing::Test {
 protected:
  LinkTest() : network_(clock_, /*seed=*/7) {
    StartHub();
    auto transport = network_.Connect("coordinator");
    transport_ = static_cast<MemoryClientTransport*>(transport.get());
    link_ = std::make_unique<Link>(clock_, std::move(transport), options_, [this] {
      ++hellos_;
      return WorkerHello();
    });
    link_->SetOnMessage([this](proto::Envelope m) { unsolicited_.push_back(std::move(m)); });
    link_->SetOnLost([this](absl::Status why) { lost_.push_back(why); });
    link_->SetOnReconnected([this](const proto::Welcome&) { ++reconnected_; });
  }

  // A coordinator that welcomes every hello and answers each status request with its job id.
  void StartHub() {
    hub_ = std::make_unique<Hub>(clock_, *network_.Listen("coordinator"));
    hub_->SetHandlers(
        [this](const PeerId& peer, proto::Envelope& m) {
          hub_peers_.push_back(peer);
          if (m.has_worker_hello()) {
            if (refuse_hellos_) {
              hub_->Reject(peer, m.message_id(), absl::FailedPreconditionError("go away"));
              hub_->Forget(peer);
            } else {
              hub_->Welcome(peer, m.message_id(), proto::Welcome());
            }
          } else if (m.has_status_request() && answer_requests_) {
            proto::Envelope reply;
            if (m.status_request().job_id() == "reject me") {
              hub_->Reject(peer, m.message_id(), absl::NotFoundError("no such job"));
              return;
            }
            reply.mutable_status_response()->add_jobs()->set_job_id(m.status_request().job_id());
            hub_->Reply(peer, m.message_id(), reply);
          }
        },
        [](const PeerId&, absl::Status) {});
  }

  // Lets `d` of fake time pass in small steps, as real time would (one big Advance is a stalled
  // loop, whose stall heartbeats do not count as silence).
  void Pass(absl::Duration d) {
    for (; d > absl::ZeroDuration(); d -= absl::Milliseconds(10)) {
      clock_.Advance(std::min(d, absl::Milliseconds(10)));
    }
  }

  void ConnectNow() {
    Deferred<proto::Welcome> welcome = link_->Connect();
    clock_.Advance(absl::ZeroDuration());
    ASSERT_THAT(ResultNow(welcome), Optional(IsOk()));
  }

  Deferred<proto::Envelope> AskStatus(const std::string& job,
                                      std::optional<absl::Duration> timeout = {}) {
    proto::Envelope request;
    request.mutable_status_request()->set_job_id(job);
    return link_->Request(request, timeout);
  }

  LinkOptions options_{.heartbeat_interval = absl::Seconds(1),
                       .liveness = 3,
                       .request_timeout = absl::Seconds(5),
                       .reconnect_initial = absl::Seconds(1),
                       .reconnect_max = absl::Seconds(8)};
  FakeClock clock_;
  MemoryNetwork network_;
  std::unique_ptr<Hub> hub_;
  MemoryClientTransport* transport_;
  std::unique_ptr<Link> link_;
  bool refuse_hellos_ = false;
  bool answer_requests_ = true;
  int hellos_ = 0;
  int reconnected_ = 0;
  std::vector<PeerId> hub_peers_;
  std::vector<proto::Envelope> unsolicited_;
  std::vector<absl::Status> lost_;
};

TEST_F(LinkTest, ConnectFiresWithTheWelcome) {
  Deferred<proto::Welcome> welcome = link_->Connect();
  EXPECT_FALSE(HasResult(welcome));
  clock_.Advance(absl::ZeroDuration());
  std::optional<Result<proto::Welcome>> got = ResultNow(welcome);
  ASSERT_TRUE(got.has_value());
  ASSERT_THAT(*got, IsOk());
  EXPECT_EQ((*got)->liveness(), 3u);
  EXPECT_TRUE(link_->connected());
}

TEST_F(LinkTest, ARefusedHelloFailsConnectWithTheReason) {
  refuse_hellos_ = true;
  Deferred<proto::Welcome> welcome = link_->Connect();
  clock_.Advance(absl::ZeroDuration());
  EXPECT_THAT(ResultNow(welcome),
              Optional(StatusIs(absl::StatusCode::kFailedPrecondition, "go away")));
  EXPECT_EQ(link_->state(), Link::State::kClosed);
}

TEST_F(LinkTest, RepliesFindTheirRequestsEvenWhenReordered) {
  ConnectNow();
  network_.SetLatency(absl::Milliseconds(1), absl::Milliseconds(40));
  std::vector<Deferred<proto::Envelope>> replies;
  for (int i = 0; i < 30; ++i) replies.push_back(AskStatus("job-" + std::to_string(i)));
  Pass(absl::Milliseconds(100));
  for (int i = 0; i < 30; ++i) {
    std::optional<Result<proto::Envelope>> reply = ResultNow(replies[i]);
    ASSERT_TRUE(reply.has_value());
    ASSERT_THAT(*reply, IsOk());
    EXPECT_EQ((*reply)->status_response().jobs(0).job_id(), "job-" + std::to_string(i));
  }
}

TEST_F(LinkTest, ARejectReplyFailsTheRequestWithItsStatus) {
  ConnectNow();
  Deferred<proto::Envelope> reply = AskStatus("reject me");
  clock_.Advance(absl::ZeroDuration());
  EXPECT_THAT(ResultNow(reply), Optional(StatusIs(absl::StatusCode::kNotFound, "no such job")));
}

TEST_F(LinkTest, ARequestOverTheMessageLimitIsRefusedBeforeItIsSent) {
  ConnectNow();
  proto::Envelope request;
  request.mutable_status_request()->set_job_id(std::string(options_.max_message_bytes, 'x'));
  const size_t frames = network_.frames_sent();
  EXPECT_THAT(ResultNow(link_->Request(request)),
              Optional(StatusIs(absl::StatusCode::kResourceExhausted,
                                HasSubstr("status_request is 64.0 MiB, over the 64 MiB limit"))));
  EXPECT_EQ(network_.frames_sent(), frames);
  EXPECT_TRUE(link_->connected());
}

TEST_F(LinkTest, ClosedRejectClosesTheLinkForGood) {
  ConnectNow();
  Deferred<proto::Envelope> pending = AskStatus("never answered");
  answer_requests_ = false;
  hub_->Close(hub_peers_.front(), absl::PermissionDeniedError("your key was removed"));
  Pass(absl::Milliseconds(50));
  EXPECT_EQ(link_->state(), Link::State::kClosed);
  EXPECT_THAT(ResultNow(pending),
              Optional(StatusIs(absl::StatusCode::kPermissionDenied, "your key was removed")));
  ASSERT_EQ(lost_.size(), 1u);
  EXPECT_THAT(lost_[0], StatusIs(absl::StatusCode::kPermissionDenied));
  // It does not come back.
  Pass(absl::Seconds(30));
  EXPECT_EQ(hellos_, 1);
}

TEST_F(LinkTest, ARequestTimesOutOnTheClock) {
  ConnectNow();
  answer_requests_ = false;
  Deferred<proto::Envelope> reply = AskStatus("slow", absl::Seconds(2));
  clock_.Advance(absl::Milliseconds(1999));
  EXPECT_FALSE(HasResult(reply));
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_THAT(ResultNow(reply), Optional(StatusIs(absl::StatusCode::kDeadlineExceeded)));
}

TEST_F(LinkTest, AReplyAfterTheTimeoutIsCountedNotDelivered) {
  ConnectNow();
  network_.SetLatency(absl::Milliseconds(1500), absl::Milliseconds(1500));
  Deferred<proto::Envelope> reply = AskStatus("late", absl::Seconds(1));
  Pass(absl::Seconds(4));
  EXPECT_THAT(ResultNow(reply), Optional(StatusIs(absl::StatusCode::kDeadlineExceeded)));
  EXPECT_EQ(link_->bad_input().count(BadInput::kUnexpected), 1u);
}

TEST_F(LinkTest, MessagesThatAreNotRepliesGoToTheHandler) {
  ConnectNow();
  proto::Envelope assign;
  assign.mutable_assign_tasks();
  ASSERT_THAT(hub_->Send(hub_peers_.back(), assign), IsOk());
  clock_.Advance(absl::ZeroDuration());
  ASSERT_THAT(unsolicited_, SizeIs(1));
  EXPECT_TRUE(unsolicited_[0].has_assign_tasks());
}

TEST_F(LinkTest, RequestsWhileNotConnectedFailAtOnce) {
  EXPECT_THAT(ResultNow(AskStatus("x")), Optional(StatusIs(absl::StatusCode::kUnavailable)));
  proto::Envelope heartbeat;
  heartbeat.mutable_heartbeat();
  EXPECT_THAT(link_->Send(heartbeat), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(LinkTest, HeartbeatsBothWaysKeepAnIdleLinkUp) {
  ConnectNow();
  Pass(absl::Seconds(30));
  EXPECT_TRUE(link_->connected());
  EXPECT_THAT(lost_, IsEmpty());
  EXPECT_EQ(hub_->peers(), 1u);
}

TEST_F(LinkTest, ASilentCoordinatorIsLostAndPendingRequestsFail) {
  ConnectNow();
  answer_requests_ = false;
  Deferred<proto::Envelope> pending = AskStatus("never", absl::Seconds(60));
  network_.Isolate(transport_->peer_id());
  Pass(absl::Milliseconds(2990));
  EXPECT_THAT(lost_, IsEmpty());
  Pass(absl::Milliseconds(10));
  ASSERT_THAT(lost_, SizeIs(1));
  EXPECT_THAT(lost_[0], StatusIs(absl::StatusCode::kUnavailable, HasSubstr("no word from")));
  EXPECT_THAT(ResultNow(pending), Optional(StatusIs(absl::StatusCode::kUnavailable)));
  EXPECT_FALSE(link_->connected());
}

TEST_F(LinkTest, AStallOfItsOwnLoopIsNotTheCoordinatorsSilence) {
  ConnectNow();
  network_.Isolate(transport_->peer_id());
  clock_.Advance(absl::Seconds(10));  // one step: the loop was stuck for ten intervals
  EXPECT_THAT(lost_, IsEmpty());
  Pass(absl::Seconds(3));  // real silence after the stall
  EXPECT_THAT(lost_, SizeIs(1));
}

TEST_F(LinkTest, ReconnectsWithExponentialBackoffAndIntroducesItselfAgain) {
  ConnectNow();
  EXPECT_EQ(hellos_, 1);
  hub_.reset();            // the coordinator is gone
  Pass(absl::Seconds(3));  // lost
  ASSERT_THAT(lost_, SizeIs(1));
  // Hellos go out after 1 s, then (each unanswered for 3 s) 2, 4, 8, 8 s later.
  std::vector<absl::Duration> hello_times;
  absl::Time lost_at = clock_.Now();
  int seen = hellos_;
  while (hello_times.size() < 5) {
    Pass(absl::Milliseconds(100));
    if (hellos_ != seen) {
      seen = hellos_;
      hello_times.push_back(clock_.Now() - lost_at);
    }
  }
  EXPECT_THAT(hello_times, ElementsAre(absl::Seconds(1), absl::Seconds(1 + 3 + 2),
                                       absl::Seconds(1 + 3 + 2 + 3 + 4),
                                       absl::Seconds(1 + 3 + 2 + 3 + 4 + 3 + 8),
                                       absl::Seconds(1 + 3 + 2 + 3 + 4 + 3 + 8 + 3 + 8)));
  StartHub();  // the coordinator is back
  Pass(absl::Seconds(12));
  EXPECT_TRUE(link_->connected());
  EXPECT_EQ(reconnected_, 1);
  EXPECT_GE(link_->reconnections(), 1u);
}

TEST_F(LinkTest, AReconnectedLinkIsANewPeerToTheCoordinator) {
  ConnectNow();
  PeerId first = hub_peers_.back();
  network_.Isolate(transport_->peer_id());
  Pass(absl::Seconds(3));
  network_.Heal(first);
  Pass(absl::Seconds(1));
  EXPECT_TRUE(link_->connected());
  EXPECT_NE(hub_peers_.back(), first);
}

TEST_F(LinkTest, NoAnswerToTheFirstHelloFailsConnectButItKeepsTrying) {
  hub_.reset();
  Deferred<proto::Welcome> welcome = link_->Connect();
  Pass(absl::Seconds(3));
  EXPECT_THAT(ResultNow(welcome), Optional(StatusIs(absl::StatusCode::kUnavailable)));
  StartHub();
  Pass(absl::Seconds(1));
  EXPECT_TRUE(link_->connected());
  EXPECT_EQ(reconnected_, 1);
}

TEST_F(LinkTest, CloseSaysGoodbyeAndFailsPendingRequests) {
  ConnectNow();
  answer_requests_ = false;
  Deferred<proto::Envelope> pending = AskStatus("x");
  clock_.Advance(absl::ZeroDuration());
  std::vector<proto::Envelope> at_hub;
  hub_->SetHandlers([&](const PeerId&, proto::Envelope& m) { at_hub.push_back(m); },
                    [](const PeerId&, absl::Status) {});
  link_->Close("done");
  clock_.Advance(absl::ZeroDuration());
  EXPECT_THAT(ResultNow(pending), Optional(StatusIs(absl::StatusCode::kCancelled)));
  ASSERT_THAT(at_hub, SizeIs(1));
  EXPECT_EQ(at_hub[0].goodbye().reason(), "done");
}

}  // namespace
}  // namespace braid
