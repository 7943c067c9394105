// The ZeroMQ transports with CURVE: who gets through, and what the server learns of them. Real
// sockets on loopback, a real loop; each test stops its reactor itself, and a watchdog fails it
// if it does not.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "messaging/curve_keys.h"
#include "messaging/zmq_testing.h"
#include "messaging/zmq_transport.h"
#include "reactor/poll_reactor.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using testing::RunWithWatchdog;

PollReactorOptions Options() { return testing::TestReactorOptions(); }

CurveKeyPair NewPair() {
  absl::StatusOr<CurveKeyPair> pair = GenerateCurveKeyPair();
  EXPECT_THAT(pair, IsOk());
  return pair.ok() ? *pair : CurveKeyPair{};
}

class ZmqCurveTest : public ::testing::Test {
 protected:
  ZmqCurveTest() : reactor_(Options()), server_keys_(NewPair()), friend_keys_(NewPair()) {}

  // A CURVE server on loopback admitting `friend_keys_` only; it records every frame as
  // "KEY-PREFIX:FRAME" and every refused key.
  void StartServer() {
    CurveServerOptions curve;
    curve.keys = server_keys_;
    curve.admit = [this](absl::string_view key) {
      if (key == friend_keys_.public_key) return absl::OkStatus();
      refused_.emplace_back(key);
      if (on_refused_) on_refused_();
      return absl::PermissionDeniedError("unknown key");
    };
    auto server = ZmqServerTransport::Bind(reactor_, "tcp://127.0.0.1:0", {}, std::move(curve));
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
    server_->SetReceiver([this](const PeerId&, absl::string_view frame, absl::string_view key) {
      heard_.push_back(absl::StrCat(key == friend_keys_.public_key ? "friend" : key, ":", frame));
      if (frame == "stop") reactor_.Stop().IgnoreError();
    });
  }

  std::unique_ptr<ZmqClientTransport> Client(CurveKeyPair keys, std::string server_key) {
    CurveClientOptions curve{std::move(keys), std::move(server_key)};
    auto client = ZmqClientTransport::Connect(reactor_, server_->endpoint(), {}, std::move(curve));
    EXPECT_THAT(client, IsOk());
    return client.ok() ? *std::move(client) : nullptr;
  }

  PollReactor reactor_;
  CurveKeyPair server_keys_;
  CurveKeyPair friend_keys_;
  std::unique_ptr<ZmqServerTransport> server_;
  std::vector<std::string> heard_;
  std::vector<std::string> refused_;
  absl::AnyInvocable<void()> on_refused_;
};

TEST_F(ZmqCurveTest, AdmittedClientIsHeardWithItsKey) {
  StartServer();
  auto client = Client(friend_keys_, server_keys_.public_key);
  ASSERT_THAT(client->Send("hello"), IsOk());
  ASSERT_THAT(client->Send("stop"), IsOk());
  RunWithWatchdog(reactor_);
  EXPECT_THAT(heard_, ElementsAre("friend:hello", "friend:stop"));
  EXPECT_TRUE(refused_.empty());
}

TEST_F(ZmqCurveTest, ServerAnswersAnAdmittedClient) {
  StartServer();
  auto client = Client(friend_keys_, server_keys_.public_key);
  server_->SetReceiver([&](const PeerId& peer, absl::string_view frame, absl::string_view) {
    EXPECT_THAT(server_->Send(peer, absl::StrCat("re: ", frame)), IsOk());
  });
  std::string answer;
  client->SetReceiver([&](absl::string_view frame) {
    answer = std::string(frame);
    reactor_.Stop().IgnoreError();
  });
  ASSERT_THAT(client->Send("ping"), IsOk());
  RunWithWatchdog(reactor_);
  EXPECT_EQ(answer, "re: ping");
}

TEST_F(ZmqCurveTest, RefusedKeyGetsNoFrameThrough) {
  StartServer();
  const CurveKeyPair stranger_keys = NewPair();
  auto stranger = Client(stranger_keys, server_keys_.public_key);
  std::unique_ptr<ZmqClientTransport> friendly;
  on_refused_ = [&] {
    if (friendly != nullptr) return;  // the stranger's client retries: refused each time
    // Only once the stranger has been refused does a known client speak: its "stop" ends the
    // test, and by then the stranger's frame would have come first.
    friendly = Client(friend_keys_, server_keys_.public_key);
    ASSERT_THAT(friendly->Send("stop"), IsOk());
  };
  ASSERT_THAT(stranger->Send("let me in"), IsOk());
  RunWithWatchdog(reactor_);
  EXPECT_THAT(heard_, ElementsAre("friend:stop"));
  ASSERT_FALSE(refused_.empty());
  EXPECT_EQ(refused_.front(), stranger_keys.public_key);
}

TEST_F(ZmqCurveTest, ClientGivenAnotherServerKeyIsNeverHeardAndSaysWhy) {
  StartServer();
  // The client expects a server holding another secret: the handshake fails, whatever its key.
  auto misled = Client(friend_keys_, NewPair().public_key);
  std::unique_ptr<ZmqClientTransport> client;
  absl::Status why;
  misled->SetOnRefused([&](absl::Status refused) {
    if (client != nullptr) return;  // libzmq tries again: each fails the same way
    why = refused;
    // Only once the handshake has failed does a good client speak: its "stop" ends the test.
    client = Client(friend_keys_, server_keys_.public_key);
    ASSERT_THAT(client->Send("stop"), IsOk());
  });
  ASSERT_THAT(misled->Send("to whom it may concern"), IsOk());
  RunWithWatchdog(reactor_);
  EXPECT_THAT(heard_, ElementsAre("friend:stop"));
  EXPECT_THAT(why, StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("--coordinator-key")));
}

TEST_F(ZmqCurveTest, PlainTextClientIsNeverHeard) {
  StartServer();
  auto plain = ZmqClientTransport::Connect(reactor_, server_->endpoint());
  ASSERT_THAT(plain, IsOk());
  std::unique_ptr<ZmqClientTransport> client;
  absl::Status failure;
  server_->SetOnHandshakeFailed([&](absl::Status why) {
    if (client != nullptr) return;
    failure = why;
    // Only once the plain client's handshake has failed does a good client speak.
    client = Client(friend_keys_, server_keys_.public_key);
    ASSERT_THAT(client->Send("stop"), IsOk());
  });
  ASSERT_THAT((*plain)->Send("in the clear"), IsOk());
  RunWithWatchdog(reactor_);
  EXPECT_THAT(heard_, ElementsAre("friend:stop"));
  EXPECT_THAT(failure, StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_GE(server_->handshakes_failed(), 1u);
}

TEST_F(ZmqCurveTest, RefusedClientIsToldWhy) {
  StartServer();
  auto stranger = Client(NewPair(), server_keys_.public_key);
  absl::Status why;
  stranger->SetOnRefused([&](absl::Status refused) {
    why = refused;
    reactor_.Stop().IgnoreError();
  });
  ASSERT_THAT(stranger->Send("let me in"), IsOk());
  RunWithWatchdog(reactor_);
  EXPECT_THAT(why, StatusIs(absl::StatusCode::kPermissionDenied,
                            HasSubstr("refused this process's key (ZAP status 400)")));
}

TEST_F(ZmqCurveTest, MalformedOrIncompleteCurveSettingsAreRefused) {
  CurveServerOptions no_check;
  no_check.keys = server_keys_;
  EXPECT_THAT(ZmqServerTransport::Bind(reactor_, "tcp://127.0.0.1:0", {}, std::move(no_check)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("admission check")));
  CurveServerOptions bad_key;
  bad_key.keys = {"short", "keys"};
  bad_key.admit = [](absl::string_view) { return absl::OkStatus(); };
  EXPECT_THAT(ZmqServerTransport::Bind(reactor_, "tcp://127.0.0.1:0", {}, std::move(bad_key)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Z85")));
  EXPECT_THAT(ZmqClientTransport::Connect(reactor_, "tcp://127.0.0.1:1", {},
                                          CurveClientOptions{friend_keys_, "not a key"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("server's CURVE key")));
}

TEST_F(ZmqCurveTest, OneCurveServerPerReactor) {
  StartServer();
  CurveServerOptions second;
  second.keys = NewPair();
  second.admit = [](absl::string_view) { return absl::OkStatus(); };
  EXPECT_THAT(ZmqServerTransport::Bind(reactor_, "tcp://127.0.0.1:0", {}, std::move(second)),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("ZAP handler")));
}

}  // namespace
}  // namespace braid
