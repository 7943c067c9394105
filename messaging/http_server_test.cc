#include "messaging/http_server.h"

#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "messaging/http_get.h"
#include "messaging/zmq_testing.h"
#include "reactor/poll_reactor.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::HasSubstr;

// Starts a server for `handler` on a free loopback port, then runs `client` (blocking requests)
// on a thread of its own while the reactor serves, and stops the reactor when it returns.
void ServeWhile(HttpHandler handler, absl::AnyInvocable<void(uint16_t port)> client) {
  PollReactor reactor(testing::TestReactorOptions());
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(reactor, "127.0.0.1:0", std::move(handler));
  ASSERT_THAT(server.status(), IsOk());
  const uint16_t port = (*server)->port();
  ASSERT_NE(port, 0);
  std::thread thread([&] {
    client(port);
    reactor.CallFromThread([&] { reactor.Stop().IgnoreError(); });
  });
  testing::RunWithWatchdog(reactor);
  thread.join();
}

TEST(HttpServerTest, AnswersWithTheHandlersStatusTypeAndBody) {
  ServeWhile(
      [](const HttpRequest& request) {
        HttpResponse response;
        response.status = request.path == "/here" ? 200 : 404;
        response.content_type = "application/json";
        response.body = absl::StrCat("{\"job\": \"", request.Query("job"), "\"}");
        return response;
      },
      [](uint16_t port) {
        absl::StatusOr<HttpReply> found = HttpGet(port, "/here?job=j7&x=1");
        ASSERT_THAT(found.status(), IsOk());
        EXPECT_EQ(found->status, 200);
        EXPECT_EQ(found->Header("Content-Type"), "application/json");
        EXPECT_EQ(found->body, "{\"job\": \"j7\"}");
        absl::StatusOr<HttpReply> missing = HttpGet(port, "/elsewhere");
        ASSERT_THAT(missing.status(), IsOk());
        EXPECT_EQ(missing->status, 404);
      });
}

TEST(HttpServerTest, HeadSendsTheHeadersWithoutTheBody) {
  ServeWhile(
      [](const HttpRequest& request) {
        HttpResponse response;
        response.body = request.method == "HEAD" ? "seen as head" : "other";
        return response;
      },
      [](uint16_t port) {
        absl::StatusOr<HttpReply> reply = HttpGet(port, "/", "HEAD");
        ASSERT_THAT(reply.status(), IsOk());
        EXPECT_EQ(reply->status, 200);
        EXPECT_EQ(reply->Header("Content-Length"), "12");
        EXPECT_EQ(reply->body, "");
      });
}

TEST(HttpServerTest, OtherMethodsAreRefusedWithoutReachingTheHandler) {
  int handled = 0;
  ServeWhile(
      [&](const HttpRequest&) {
        ++handled;
        return HttpResponse{};
      },
      [](uint16_t port) {
        for (const char* method : {"POST", "DELETE", "PUT"}) {
          absl::StatusOr<HttpReply> reply = HttpGet(port, "/metrics", method);
          ASSERT_THAT(reply.status(), IsOk());
          EXPECT_EQ(reply->status, 405) << method;
          EXPECT_EQ(reply->Header("Allow"), "GET, HEAD");
        }
      });
  EXPECT_EQ(handled, 0);
}

TEST(HttpServerTest, TheHandlerRunsOnTheLoopsThread) {
  const std::thread::id loop = std::this_thread::get_id();
  std::thread::id seen;
  ServeWhile(
      [&](const HttpRequest&) {
        seen = std::this_thread::get_id();
        return HttpResponse{};
      },
      [](uint16_t port) { ASSERT_THAT(HttpGet(port, "/").status(), IsOk()); });
  EXPECT_EQ(seen, loop);
}

TEST(HttpServerTest, ALargeBodyArrivesWhole) {
  const std::string large(8 << 20, 'x');
  ServeWhile(
      [&](const HttpRequest&) {
        HttpResponse response;
        response.body = large;
        return response;
      },
      [&](uint16_t port) {
        for (int round = 0; round < 3; ++round) {
          absl::StatusOr<HttpReply> reply = HttpGet(port, "/");
          ASSERT_THAT(reply.status(), IsOk());
          EXPECT_EQ(reply->body.size(), large.size());
        }
      });
}

TEST(HttpServerTest, ClientsAtOnceAreAllServed) {
  int handled = 0;
  ServeWhile(
      [&](const HttpRequest& request) {
        ++handled;
        HttpResponse response;
        response.body = request.Query("n");
        return response;
      },
      [](uint16_t port) {
        std::vector<std::thread> clients;
        for (int n = 0; n < 8; ++n) {
          clients.emplace_back([port, n] {
            for (int round = 0; round < 10; ++round) {
              absl::StatusOr<HttpReply> reply = HttpGet(port, absl::StrCat("/?n=", n));
              ASSERT_THAT(reply.status(), IsOk());
              EXPECT_EQ(reply->body, absl::StrCat(n));
            }
          });
        }
        for (std::thread& client : clients) client.join();
      });
  EXPECT_EQ(handled, 80);
}

TEST(HttpServerTest, APortInUseIsRefusedWithTheSystemsReason) {
  PollReactor reactor(testing::TestReactorOptions());
  absl::StatusOr<std::unique_ptr<HttpServer>> first =
      HttpServer::Start(reactor, "127.0.0.1:0", [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_THAT(first.status(), IsOk());
  absl::StatusOr<std::unique_ptr<HttpServer>> second =
      HttpServer::Start(reactor, absl::StrCat("127.0.0.1:", (*first)->port()),
                        [](const HttpRequest&) { return HttpResponse{}; });
  EXPECT_THAT(second.status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("Address already in use")));
}

TEST(HttpServerTest, AStoppedServerRefusesConnections) {
  PollReactor reactor(testing::TestReactorOptions());
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(reactor, "127.0.0.1:0", [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_THAT(server.status(), IsOk());
  const uint16_t port = (*server)->port();
  server->reset();
  EXPECT_THAT(HttpGet(port, "/").status(), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(HttpAddressTest, ParsesHostsAndPortsAndKnowsLoopback) {
  absl::StatusOr<HttpAddress> v4 = HttpAddress::Parse("127.0.0.1:7071");
  ASSERT_THAT(v4.status(), IsOk());
  EXPECT_TRUE(v4->loopback);
  absl::StatusOr<HttpAddress> named = HttpAddress::Parse("localhost:0");
  ASSERT_THAT(named.status(), IsOk());
  EXPECT_TRUE(named->loopback);
  absl::StatusOr<HttpAddress> v6 = HttpAddress::Parse("[::1]:80");
  ASSERT_THAT(v6.status(), IsOk());
  EXPECT_TRUE(v6->loopback);
  absl::StatusOr<HttpAddress> any = HttpAddress::Parse("0.0.0.0:7071");
  ASSERT_THAT(any.status(), IsOk());
  EXPECT_FALSE(any->loopback);
  absl::StatusOr<HttpAddress> lan = HttpAddress::Parse("[fd00::1]:7071");
  ASSERT_THAT(lan.status(), IsOk());
  EXPECT_FALSE(lan->loopback);
}

TEST(HttpAddressTest, RefusesWhatIsNotHostAndPort) {
  for (const char* bad : {"7071", "127.0.0.1:", "127.0.0.1:70000", "127.0.0.1:x", "example.org:80",
                          "[::zz]:80", "tcp://127.0.0.1:80"}) {
    EXPECT_THAT(HttpAddress::Parse(bad).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("HTTP address")))
        << bad;
  }
}

}  // namespace
}  // namespace braid
