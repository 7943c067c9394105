// PollReactor: the real loop, on real ZeroMQ sockets, descriptors, threads and signals.
//
// Each test stops its reactor itself; a watchdog stops it (and fails the test) if it does not.

#include "reactor/poll_reactor.h"

#include <csignal>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "absl/strings/str_cat.h"
#include "deferred/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "third_party/absl_compat/status_matchers.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::IsOkAndHolds;
using ::braid_compat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;

PollReactorOptions TestOptions() {
  PollReactorOptions options;
  options.stop_on_signals = false;
  options.thread_pool_size = 2;
  return options;
}

// Runs `reactor` until it stops, failing the test if that takes more than ten seconds.
void RunWithWatchdog(PollReactor& reactor) {
  bool watchdog_fired = false;
  reactor.CallLater(absl::Seconds(10), [&] {
    watchdog_fired = true;
    reactor.Stop().IgnoreError();
  });
  ASSERT_THAT(reactor.Run(), IsOk());
  EXPECT_FALSE(watchdog_fired) << "the reactor did not stop by itself";
}

// An ipc endpoint of this test process's own. (Bazel's TEST_TMPDIR is too long for a socket path.)
std::string IpcEndpoint(absl::string_view name) {
  return absl::StrCat("ipc:///tmp/braid-", name, "-", getpid());
}

// --------------------------------------------------------------------------------- calls, timers

TEST(PollReactor, TimersRunInDeadlineOrder) {
  PollReactor reactor(TestOptions());
  std::vector<int> order;
  reactor.CallLater(absl::Milliseconds(30), [&] {
    order.push_back(3);
    reactor.Stop().IgnoreError();
  });
  reactor.CallLater(absl::Milliseconds(10), [&] { order.push_back(1); });
  reactor.CallLater(absl::Milliseconds(20), [&] { order.push_back(2); });
  RunWithWatchdog(reactor);
  EXPECT_THAT(order, ElementsAre(1, 2, 3));
}

TEST(PollReactor, ATimerRunsNoEarlierThanItsDelay) {
  PollReactor reactor(TestOptions());
  absl::Time start = reactor.Now();
  absl::Duration waited;
  reactor.CallLater(absl::Milliseconds(15), [&] {
    waited = reactor.Now() - start;
    reactor.Stop().IgnoreError();
  });
  RunWithWatchdog(reactor);
  EXPECT_GE(waited, absl::Milliseconds(15));
}

TEST(PollReactor, CallSoonRunsInOrderBeforeWaiting) {
  PollReactor reactor(TestOptions());
  std::vector<int> order;
  reactor.CallWhenRunning([&] {
    reactor.CallSoon([&] { order.push_back(1); });
    reactor.CallSoon([&] {
      order.push_back(2);
      reactor.CallSoon([&] {
        order.push_back(3);
        reactor.Stop().IgnoreError();
      });
    });
  });
  RunWithWatchdog(reactor);
  EXPECT_THAT(order, ElementsAre(1, 2, 3));
}

TEST(PollReactor, StopFromAHandlerSkipsTheRestOfItsTurn) {
  PollReactor reactor(TestOptions());
  std::vector<std::string> ran;
  reactor.CallLater(absl::ZeroDuration(), [&] {
    ran.push_back("first");
    reactor.Stop().IgnoreError();
  });
  reactor.CallLater(absl::ZeroDuration(), [&] { ran.push_back("second"); });
  RunWithWatchdog(reactor);
  EXPECT_THAT(ran, ElementsAre("first"));
}

TEST(PollReactor, RunsOnlyOnce) {
  PollReactor reactor(TestOptions());
  reactor.CallWhenRunning([&] { reactor.Stop().IgnoreError(); });
  RunWithWatchdog(reactor);
  EXPECT_THAT(reactor.Run(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(PollReactor, StopBeforeRunIsRefused) {
  PollReactor reactor(TestOptions());
  EXPECT_THAT(reactor.Stop(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("reactor not running")));
  // Nothing changed: the reactor runs as usual afterwards.
  bool ran = false;
  reactor.CallWhenRunning([&] {
    ran = true;
    EXPECT_THAT(reactor.Stop(), IsOk());
  });
  RunWithWatchdog(reactor);
  EXPECT_TRUE(ran);
}

TEST(PollReactor, StopWhileStoppingAndAfterRunAreRefused) {
  PollReactor reactor(TestOptions());
  reactor.CallWhenRunning([&] {
    EXPECT_THAT(reactor.Stop(), IsOk());
    EXPECT_THAT(reactor.Stop(), StatusIs(absl::StatusCode::kFailedPrecondition));
  });
  RunWithWatchdog(reactor);
  EXPECT_THAT(reactor.Stop(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(PollReactor, CallWhenRunningOnARunningReactorRunsAtOnce) {
  PollReactor reactor(TestOptions());
  std::vector<std::string> ran;
  reactor.CallWhenRunning([&] {
    reactor.CallWhenRunning([&] { ran.push_back("inner"); });
    ran.push_back("outer, after adding");
    reactor.Stop().IgnoreError();
  });
  RunWithWatchdog(reactor);
  EXPECT_THAT(ran, ElementsAre("inner", "outer, after adding"));
}

TEST(PollReactor, StartupTriggersRunInTheirPhasesAndStartupWaitsForTheirDeferreds) {
  PollReactor reactor(TestOptions());
  std::vector<std::string> ran;
  Deferred<void> slow_before;
  reactor.AddStartupTrigger(StartupPhase::kAfter, [&] {
    ran.push_back(absl::StrCat("after, running=", reactor.running()));
    reactor.Stop().IgnoreError();
    return Succeed();
  });
  reactor.CallWhenRunning([&] { ran.push_back("when running"); });
  reactor.AddStartupTrigger(StartupPhase::kDuring, [&] {
    ran.push_back(absl::StrCat("during, running=", reactor.running()));
    return Succeed();
  });
  reactor.AddStartupTrigger(StartupPhase::kBefore, [&] {
    ran.push_back("before");
    reactor.CallLater(absl::Milliseconds(2), [&] {
      ran.push_back("before's Deferred fires");
      slow_before.Callback().IgnoreError();
    });
    return slow_before;
  });
  RunWithWatchdog(reactor);
  EXPECT_THAT(ran, ElementsAre("before", "before's Deferred fires", "during, running=0",
                               "after, running=1", "when running"));
}

TEST(PollReactor, AFailedStartupTriggerIsLoggedAndStartupGoesOn) {
  PollReactor reactor(TestOptions());
  reactor.AddStartupTrigger(StartupPhase::kBefore,
                            [] { return Fail<void>(absl::InternalError("no")); });
  bool running = false;
  reactor.CallWhenRunning([&] {
    running = true;
    reactor.Stop().IgnoreError();
  });
  RunWithWatchdog(reactor);
  EXPECT_TRUE(running);
}

TEST(PollReactor, RemovingAnUnknownOrSpentTriggerIsAnError) {
  PollReactor reactor(TestOptions());
  EXPECT_THAT(reactor.RemoveTrigger(12345), StatusIs(absl::StatusCode::kNotFound));
  Reactor::TriggerId id =
      reactor.AddStartupTrigger(StartupPhase::kBefore, [] { return Succeed(); });
  EXPECT_THAT(reactor.RemoveTrigger(id), IsOk());
  EXPECT_THAT(reactor.RemoveShutdownTrigger(id), StatusIs(absl::StatusCode::kNotFound));
}

TEST(PollReactor, ListsItsPendingDelayedCallsAndRefusesNegativeDelays) {
  PollReactor reactor(TestOptions());
  DelayedCall later = reactor.CallLater(absl::Hours(1), [] {});
  DelayedCall refused = reactor.CallLater(absl::Seconds(-1), [] {});
  EXPECT_THAT(refused.status(), StatusIs(absl::StatusCode::kInvalidArgument));
  std::vector<DelayedCall> pending = reactor.DelayedCalls();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].Time(), later.Time());
  EXPECT_THAT(later.Cancel(), IsOk());
  EXPECT_TRUE(reactor.DelayedCalls().empty());
}

TEST(PollReactor, IsTheTimeOfDeferredTimeouts) {
  PollReactor reactor(TestOptions());
  Deferred<int> never;
  never.AddTimeout(reactor, absl::Milliseconds(5)).Both([&](Result<int> r) {
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kDeadlineExceeded));
    reactor.Stop().IgnoreError();
  });
  RunWithWatchdog(reactor);
}

// ------------------------------------------------------------------------------------- readers

TEST(PollReactor, AReaderReceivesEveryMessageOnAnInprocSocket) {
  PollReactor reactor(TestOptions());
  zmq::socket_t receiver(reactor.zmq_context(), zmq::socket_type::pair);
  zmq::socket_t sender(reactor.zmq_context(), zmq::socket_type::pair);
  receiver.set(zmq::sockopt::linger, 0);
  sender.set(zmq::sockopt::linger, 0);
  receiver.bind("inproc://reader-test");
  sender.connect("inproc://reader-test");
  std::vector<std::string> got;
  reactor.AddReader(receiver, "receiver", [&]() -> absl::Status {
    zmq::message_t message;
    while (receiver.recv(message, zmq::recv_flags::dontwait)) {
      got.push_back(message.to_string());
      if (got.size() == 100) reactor.Stop().IgnoreError();
    }
    return absl::OkStatus();
  });
  reactor.CallWhenRunning([&] {
    for (int i = 0; i < 100; ++i) sender.send(zmq::buffer(absl::StrCat("m", i)));
  });
  RunWithWatchdog(reactor);
  ASSERT_EQ(got.size(), 100u);
  EXPECT_EQ(got.front(), "m0");
  EXPECT_EQ(got.back(), "m99");
}

TEST(PollReactor, AReaderReceivesOnAnIpcSocketFromAnotherThread) {
  PollReactor reactor(TestOptions());
  const std::string endpoint = IpcEndpoint("reactor-ipc");
  zmq::socket_t router(reactor.zmq_context(), zmq::socket_type::router);
  router.set(zmq::sockopt::linger, 0);
  router.bind(endpoint);
  std::vector<std::string> got;
  reactor.AddReader(router, "router", [&]() -> absl::Status {
    std::vector<zmq::message_t> parts;
    zmq::message_t part;
    while (router.recv(part, zmq::recv_flags::dontwait)) {
      bool more = part.more();
      parts.push_back(std::move(part));
      if (more) continue;
      got.push_back(parts.back().to_string());
      parts.clear();
      if (got.size() == 10) reactor.Stop().IgnoreError();
    }
    return absl::OkStatus();
  });
  std::thread client([&] {
    zmq::socket_t dealer(reactor.zmq_context(), zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::linger, 1000);
    dealer.connect(endpoint);
    for (int i = 0; i < 10; ++i) dealer.send(zmq::buffer(absl::StrCat("hello ", i)));
  });
  RunWithWatchdog(reactor);
  client.join();
  EXPECT_THAT(got, ::testing::Contains("hello 9"));
  EXPECT_EQ(got.size(), 10u);
}

// A pipe whose read end a test watches.
struct Pipe {
  Pipe() { EXPECT_EQ(pipe(fds), 0); }
  ~Pipe() {
    if (fds[0] >= 0) close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
  }
  void Write(char c) { ASSERT_EQ(write(fds[1], &c, 1), 1); }
  char Read() {
    char c = 0;
    EXPECT_EQ(read(fds[0], &c, 1), 1);
    return c;
  }
  void CloseWriteEnd() {
    close(fds[1]);
    fds[1] = -1;
  }
  int read_fd() const { return fds[0]; }
  int fds[2] = {-1, -1};
};

TEST(PollReactor, AReaderMayRemoveItselfInsideItsHandler) {
  PollReactor reactor(TestOptions());
  Pipe pipe;
  int calls = 0;
  Reactor::ReaderId id = 0;
  id = reactor.AddReader(pipe.read_fd(), "pipe", [&] {
    ++calls;
    reactor.RemoveReader(id);  // leaves the byte unread
    reactor.CallLater(absl::Milliseconds(20), [&] { reactor.Stop().IgnoreError(); });
    return absl::OkStatus();
  });
  pipe.Write('x');
  RunWithWatchdog(reactor);
  EXPECT_EQ(calls, 1);
}

TEST(PollReactor, AReaderRemovedByAnotherHandlerInTheSameTurnIsNotCalled) {
  PollReactor reactor(TestOptions());
  Pipe a, b;
  int calls = 0;
  Reactor::ReaderId id_a = 0, id_b = 0;
  auto handler = [&](Pipe& mine) {
    return [&] {
      ++calls;
      mine.Read();
      reactor.RemoveReader(id_a);
      reactor.RemoveReader(id_b);
      reactor.CallLater(absl::Milliseconds(20), [&] { reactor.Stop().IgnoreError(); });
      return absl::OkStatus();
    };
  };
  id_a = reactor.AddReader(a.read_fd(), "a", handler(a));
  id_b = reactor.AddReader(b.read_fd(), "b", handler(b));
  a.Write('1');
  b.Write('2');
  RunWithWatchdog(reactor);
  EXPECT_EQ(calls, 1);
}

TEST(PollReactor, AHungUpDescriptorIsReportedToItsOwnerAndRemoved) {
  PollReactor reactor(TestOptions());
  Pipe pipe;
  int readable_calls = 0;
  absl::Status reported;
  reactor.AddReader(
      pipe.read_fd(), "hung-up pipe",
      [&] {
        ++readable_calls;
        return absl::OkStatus();
      },
      [&](absl::Status error) {
        reported = error;
        reactor.CallLater(absl::Milliseconds(20), [&] { reactor.Stop().IgnoreError(); });
      });
  pipe.CloseWriteEnd();
  RunWithWatchdog(reactor);
  EXPECT_EQ(readable_calls, 0);
  EXPECT_THAT(reported, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("hung-up pipe")));
}

TEST(PollReactor, AHandlerErrorIsLoggedAndTheLoopGoesOn) {
  PollReactor reactor(TestOptions());
  Pipe pipe;
  int calls = 0;
  reactor.AddReader(pipe.read_fd(), "flaky", [&]() -> absl::Status {
    pipe.Read();
    if (++calls == 1) {
      pipe.Write('y');
      return absl::InternalError("first read failed");
    }
    reactor.Stop().IgnoreError();
    return absl::OkStatus();
  });
  pipe.Write('x');
  RunWithWatchdog(reactor);
  EXPECT_EQ(calls, 2);
}

TEST(PollReactor, AReaderThatKeepsFailingIsRemovedNotSpunOn) {
  PollReactor reactor(TestOptions());
  Pipe pipe;
  int calls = 0;
  absl::Status reported;
  reactor.AddReader(
      pipe.read_fd(), "stuck",
      [&] {
        ++calls;  // never reads, so the pipe stays readable
        return absl::DataLossError("cannot parse");
      },
      [&](absl::Status error) {
        reported = error;
        reactor.CallLater(absl::Milliseconds(20), [&] { reactor.Stop().IgnoreError(); });
      });
  pipe.Write('x');
  RunWithWatchdog(reactor);
  EXPECT_EQ(calls, 64);
  EXPECT_THAT(reported, StatusIs(absl::StatusCode::kAborted, HasSubstr("stuck")));
}

// ---------------------------------------------------------------------------------- threads

TEST(PollReactor, CallFromThreadFromManyThreadsKeepsEachThreadsOrder) {
  PollReactor reactor(TestOptions());
  constexpr int kThreads = 8;
  constexpr int kCalls = 2000;
  std::vector<std::vector<int>> seen(kThreads);
  int total = 0;
  std::vector<std::thread> threads;
  reactor.CallWhenRunning([&] {
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kCalls; ++i) {
          reactor.CallFromThread([&, t, i] {
            seen[t].push_back(i);
            if (++total == kThreads * kCalls) reactor.Stop().IgnoreError();
          });
        }
      });
    }
  });
  RunWithWatchdog(reactor);
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(seen[t].size(), static_cast<size_t>(kCalls));
    for (int i = 0; i < kCalls; ++i) ASSERT_EQ(seen[t][i], i);
  }
}

TEST(PollReactor, CallsFromThreadsMadeBeforeRunRunOnceItRuns) {
  PollReactor reactor(TestOptions());
  bool ran = false;
  std::thread([&] {
    EXPECT_TRUE(reactor.CallFromThread([&] {
      ran = true;
      reactor.Stop().IgnoreError();
    }));
  }).join();
  RunWithWatchdog(reactor);
  EXPECT_TRUE(ran);
}

TEST(PollReactor, StopInsideACallFromThreadLeavesTheRestForTheNextTurn) {
  PollReactor reactor(TestOptions());
  std::vector<int> ran;
  reactor.AddShutdownTrigger(ShutdownPhase::kBefore, [&] {
    ran.push_back(0);  // the shutdown begins before the calls after Stop run
    return Succeed();
  });
  std::thread([&] {
    reactor.CallFromThread([&] {
      ran.push_back(1);
      reactor.Stop().IgnoreError();
    });
    reactor.CallFromThread([&] { ran.push_back(2); });
  }).join();
  RunWithWatchdog(reactor);
  EXPECT_THAT(ran, ElementsAre(1, 0, 2));
}

TEST(PollReactor, CallFromThreadAfterTheReactorStoppedIsRefused) {
  PollReactor reactor(TestOptions());
  reactor.CallWhenRunning([&] { reactor.Stop().IgnoreError(); });
  RunWithWatchdog(reactor);
  bool ran = false;
  EXPECT_FALSE(reactor.CallFromThread([&] { ran = true; }));
  EXPECT_FALSE(ran);
}

TEST(PollReactor, DeferToThreadRunsOffTheLoopAndFiresOnIt) {
  PollReactor reactor(TestOptions());
  const std::thread::id loop = std::this_thread::get_id();
  std::thread::id worker;
  std::thread::id fired_on;
  Result<int> result = absl::UnknownError("not fired");
  reactor.CallWhenRunning([&] {
    reactor
        .DeferToThread([&] {
          worker = std::this_thread::get_id();
          return 6 * 7;
        })
        .Both([&](Result<int> r) {
          fired_on = std::this_thread::get_id();
          result = std::move(r);
          reactor.Stop().IgnoreError();
        });
  });
  RunWithWatchdog(reactor);
  EXPECT_NE(worker, loop);
  EXPECT_EQ(fired_on, loop);
  EXPECT_THAT(result, IsOkAndHolds(42));
}

TEST(PollReactor, DeferToThreadCarriesErrors) {
  PollReactor reactor(TestOptions());
  absl::Status result;
  reactor.CallWhenRunning([&] {
    reactor.DeferToThread([]() -> absl::Status { return absl::NotFoundError("no such file"); })
        .Both([&](absl::Status r) {
          result = r;
          reactor.Stop().IgnoreError();
        });
  });
  RunWithWatchdog(reactor);
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kNotFound, "no such file"));
}

TEST(PollReactor, WorkThatFinishesDuringShutdownStillDelivers) {
  PollReactor reactor(TestOptions());
  std::promise<void> started;
  std::promise<void> release;
  Result<int> result = absl::UnknownError("not fired");
  reactor.CallWhenRunning([&] {
    reactor
        .DeferToThread([&] {
          started.set_value();
          release.get_future().get();
          return 1;
        })
        .Both([&](Result<int> r) { result = std::move(r); });
    started.get_future().get();
    reactor.Stop().IgnoreError();
  });
  // The work finishes only once the loop is done turning.
  reactor.AddShutdownTrigger(ShutdownPhase::kAfter, [&] {
    release.set_value();
    return Succeed();
  });
  RunWithWatchdog(reactor);
  EXPECT_THAT(result, IsOkAndHolds(1));
}

TEST(PollReactor, WorkForAStoppedReactorIsCancelled) {
  PollReactor reactor(TestOptions());
  reactor.CallWhenRunning([&] { reactor.Stop().IgnoreError(); });
  RunWithWatchdog(reactor);
  bool ran = false;
  Deferred<void> work = reactor.DeferToThread([&] { ran = true; });
  EXPECT_THAT(ResultNow(work), Optional(StatusIs(absl::StatusCode::kCancelled)));
  EXPECT_FALSE(ran);
}

TEST(PollReactor, TimersKeepRunningWhileAThreadBlocks) {
  PollReactor reactor(TestOptions());
  std::promise<void> five_beats;
  int beats = 0;
  std::function<void()> beat = [&] {
    if (++beats == 5) five_beats.set_value();
    if (beats < 5) reactor.CallLater(absl::Milliseconds(1), beat);
  };
  reactor.CallWhenRunning([&] {
    beat();
    // The work blocks its thread until the loop has beaten five times.
    reactor.DeferToThread([future = five_beats.get_future()]() mutable { future.get(); })
        .Both([&](absl::Status) { reactor.Stop().IgnoreError(); });
  });
  RunWithWatchdog(reactor);
  EXPECT_EQ(beats, 5);
}

// ------------------------------------------------------------------------------------ shutdown

TEST(PollReactor, ShutdownPhasesRunInOrderAndWaitForTheirDeferreds) {
  PollReactor reactor(TestOptions());
  std::vector<std::string> order;
  reactor.AddShutdownTrigger(ShutdownPhase::kAfter, [&] {
    order.push_back("after");
    return Succeed();
  });
  reactor.AddShutdownTrigger(ShutdownPhase::kBefore, [&] {
    order.push_back("before");
    Deferred<void> drained;
    reactor.CallLater(absl::Milliseconds(10), [&order, drained]() mutable {
      order.push_back("before finished");
      drained.Callback().IgnoreError();
    });
    return drained;
  });
  reactor.AddShutdownTrigger(ShutdownPhase::kDuring, [&] {
    order.push_back("during");
    return Succeed();
  });
  reactor.CallWhenRunning([&] { reactor.Stop().IgnoreError(); });
  RunWithWatchdog(reactor);
  EXPECT_THAT(order, ElementsAre("before", "before finished", "during", "after"));
}

TEST(PollReactor, TriggersMayAddAndRemoveTriggers) {
  PollReactor reactor(TestOptions());
  std::vector<std::string> ran;
  Reactor::TriggerId doomed = 0;
  reactor.AddShutdownTrigger(ShutdownPhase::kBefore, [&] {
    ran.push_back("before 1");
    EXPECT_THAT(reactor.RemoveShutdownTrigger(doomed), IsOk());
    for (int i = 0; i < 20; ++i) {  // enough to move the trigger list in memory
      reactor.AddShutdownTrigger(ShutdownPhase::kAfter, [&] {
        ran.push_back("after");
        return Succeed();
      });
    }
    reactor.AddShutdownTrigger(ShutdownPhase::kBefore, [&] {
      ran.push_back("before, added by before 1");
      return Succeed();
    });
    return Succeed();
  });
  doomed = reactor.AddShutdownTrigger(ShutdownPhase::kBefore, [&] {
    ran.push_back("removed");
    return Succeed();
  });
  reactor.CallWhenRunning([&] { reactor.Stop().IgnoreError(); });
  RunWithWatchdog(reactor);
  ASSERT_EQ(ran.size(), 22u);
  EXPECT_EQ(ran[0], "before 1");
  EXPECT_EQ(ran[1], "before, added by before 1");
  EXPECT_EQ(ran[21], "after");
}

TEST(PollReactor, AShutdownPhaseGivesUpAfterTheTimeout) {
  PollReactorOptions options = TestOptions();
  options.shutdown_timeout = absl::Milliseconds(20);
  PollReactor reactor(options);
  bool after_ran = false;
  reactor.AddShutdownTrigger(ShutdownPhase::kBefore, [] { return Deferred<void>(); });
  reactor.AddShutdownTrigger(ShutdownPhase::kAfter, [&] {
    after_ran = true;
    return Succeed();
  });
  reactor.CallWhenRunning([&] { reactor.Stop().IgnoreError(); });
  RunWithWatchdog(reactor);
  EXPECT_TRUE(after_ran);
}

TEST(PollReactor, ARemovedTriggerDoesNotRun) {
  PollReactor reactor(TestOptions());
  bool ran = false;
  Reactor::TriggerId id = reactor.AddShutdownTrigger(ShutdownPhase::kBefore, [&] {
    ran = true;
    return Succeed();
  });
  EXPECT_THAT(reactor.RemoveShutdownTrigger(id), IsOk());
  reactor.CallWhenRunning([&] { reactor.Stop().IgnoreError(); });
  RunWithWatchdog(reactor);
  EXPECT_FALSE(ran);
}

// ------------------------------------------------------------------------------------- signals

TEST(PollReactor, SigtermStopsTheLoop) {
  PollReactorOptions options = TestOptions();
  options.stop_on_signals = true;
  PollReactor reactor(options);
  bool trigger_ran = false;
  reactor.AddShutdownTrigger(ShutdownPhase::kBefore, [&] {
    trigger_ran = true;
    return Succeed();
  });
  reactor.CallWhenRunning([] { ASSERT_EQ(raise(SIGTERM), 0); });
  RunWithWatchdog(reactor);
  EXPECT_TRUE(trigger_ran);
}

TEST(PollReactor, CatchSignalRunsTheHandlerOnTheLoop) {
  PollReactor reactor(TestOptions());
  const std::thread::id loop = std::this_thread::get_id();
  int caught = 0;
  ASSERT_THAT(reactor.CatchSignal(SIGUSR1,
                                  [&] {
                                    EXPECT_EQ(std::this_thread::get_id(), loop);
                                    if (++caught == 2) reactor.Stop().IgnoreError();
                                  }),
              IsOk());
  reactor.CallWhenRunning(
      [] { std::thread([] { ASSERT_EQ(kill(getpid(), SIGUSR1), 0); }).join(); });
  reactor.CallLater(absl::Milliseconds(5), [] { ASSERT_EQ(raise(SIGUSR1), 0); });
  RunWithWatchdog(reactor);
  EXPECT_EQ(caught, 2);
}

TEST(PollReactor, ASignalHandlerMayReplaceItself) {
  PollReactor reactor(TestOptions());
  std::vector<std::string> caught;
  std::string first_label(64, 'f');
  ASSERT_THAT(reactor.CatchSignal(SIGUSR1,
                                  [&, first_label] {
                                    caught.push_back(first_label.substr(0, 5));
                                    reactor
                                        .CatchSignal(SIGUSR1,
                                                     [&] {
                                                       caught.push_back("second");
                                                       reactor.Stop().IgnoreError();
                                                     })
                                        .IgnoreError();
                                    caught.push_back(first_label.substr(0, 1));
                                    raise(SIGUSR1);
                                  }),
              IsOk());
  reactor.CallWhenRunning([] { raise(SIGUSR1); });
  RunWithWatchdog(reactor);
  EXPECT_THAT(caught, ElementsAre("fffff", "f", "second"));
}

TEST(PollReactor, SignalHandlingEndsWhenRunReturns) {
  PollReactorOptions options = TestOptions();
  options.stop_on_signals = true;
  PollReactor reactor(options);
  struct sigaction before {};
  sigaction(SIGTERM, nullptr, &before);
  reactor.CallWhenRunning([&] {
    struct sigaction during {};
    sigaction(SIGTERM, nullptr, &during);
    EXPECT_NE(during.sa_handler, before.sa_handler);
    reactor.Stop().IgnoreError();
  });
  RunWithWatchdog(reactor);
  struct sigaction after {};
  sigaction(SIGTERM, nullptr, &after);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
}

TEST(PollReactor, OnlyOneReactorCatchesSignals) {
  PollReactor first(TestOptions());
  PollReactor second(TestOptions());
  ASSERT_THAT(first.CatchSignal(SIGUSR2, [] {}), IsOk());
  EXPECT_THAT(second.CatchSignal(SIGUSR2, [] {}), StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace braid
