// Peers that never say hello, against a coordinator process: what they take is given back once
// they close, and a peer that never finishes its greeting is closed by the handshake deadline.
// Raw ZMTP 3.0 over the coordinator's ipc endpoint (a unix socket of the test's own).

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/braid_process.h"

namespace braid {
namespace {

using testing::BraidProcess;
using testing::ShortTempDir;

// The process's resident memory, in bytes (0 if it cannot be read).
uint64_t ResidentBytes(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    unsigned long long kib = 0;
    if (std::sscanf(line.c_str(), "VmRSS: %llu kB", &kib) == 1) return uint64_t{kib} << 10;
  }
  return 0;
}

// A connected unix socket, or -1.
int Connect(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const std::string& bytes) {
  for (size_t sent = 0; sent < bytes.size();) {
    const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// ZMTP 3.0's greeting for the NULL mechanism, as a client.
std::string Greeting() {
  std::string greeting("\xff\0\0\0\0\0\0\0\0\x7f\x03\x00", 12);
  greeting += std::string("NULL") + std::string(16, '\0');
  greeting += std::string(32, '\0');  // as-server 0, filler
  return greeting;
}

// The NULL mechanism's READY command, as a DEALER.
std::string Ready() {
  std::string body =
      std::string("\x05READY") + "\x0bSocket-Type" + std::string("\0\0\0\x06", 4) + "DEALER";
  return std::string("\x04", 1) + static_cast<char>(body.size()) + body;
}

class StrangersTest : public ::testing::Test {
 protected:
  StrangersTest()
      : endpoint_(absl::StrCat("ipc://", dir_.path(), "/c")),
        coordinator_({"coordinator", "--listen", endpoint_, "--work-dir", dir_.path() + "/w",
                      "--max-connections", "8", "--http", "off"}) {}
  void SetUp() override {
    ASSERT_TRUE(coordinator_.WaitForOutput("listening on", absl::Seconds(30)))
        << coordinator_.output();
  }
  std::string socket_path() const { return dir_.path() + "/c"; }

  ShortTempDir dir_;
  std::string endpoint_;
  BraidProcess coordinator_;
};

// Whether the process allocates with tcmalloc (Braid's default; not the sanitizer builds, whose
// allocators keep freed memory in quarantine).
bool UsesTcmalloc(pid_t pid) {
  std::ifstream maps(absl::StrCat("/proc/", pid, "/maps"));
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find("libtcmalloc") != std::string::npos) return true;
  }
  return false;
}

// Connects `count` peers that each announce a 64 MiB frame, send `mib` MiB of it and stall.
std::vector<int> StallLargeFrames(const std::string& socket_path, int count, int mib) {
  std::vector<int> peers;
  const std::string chunk(1 << 20, 'x');
  for (int i = 0; i < count; ++i) {
    const int fd = Connect(socket_path);
    EXPECT_GE(fd, 0);
    if (fd < 0) break;
    peers.push_back(fd);
    EXPECT_TRUE(SendAll(fd, Greeting()));
    char greeting[64];
    EXPECT_EQ(recv(fd, greeting, sizeof(greeting), MSG_WAITALL), 64);
    EXPECT_TRUE(SendAll(fd, Ready()));
    std::string header("\x02", 1);
    for (int shift = 56; shift >= 0; shift -= 8) {
      header += static_cast<char>((uint64_t{64} << 20) >> shift & 0xff);
    }
    EXPECT_TRUE(SendAll(fd, header));
    for (int m = 0; m < mib; ++m) EXPECT_TRUE(SendAll(fd, chunk));
  }
  return peers;
}

// The process's resident memory once it has stopped falling: three readings a second apart
// within 1% of each other (or what it is after `limit`).
uint64_t SettledResidentBytes(pid_t pid, absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  std::vector<uint64_t> readings = {ResidentBytes(pid)};
  while (absl::Now() < deadline) {
    absl::SleepFor(absl::Seconds(1));
    readings.push_back(ResidentBytes(pid));
    if (readings.size() < 3) continue;
    const auto [low, high] = std::minmax_element(readings.end() - 3, readings.end());
    if (*high - *low <= *high / 100) break;
  }
  return readings.back();
}

TEST_F(StrangersTest, MemoryTakenByStalledLargeFramesIsGivenBackOnceTheyClose) {
  if (!UsesTcmalloc(coordinator_.pid())) GTEST_SKIP() << "the coordinator does not use tcmalloc";
  // The baseline: after a client has been served and a first round of strangers has come and
  // gone (what the first of anything grows for good, libzmq's and the allocator's own tables).
  ASSERT_EQ(testing::RunBraid({"status", "--coordinator", endpoint_}).exit_code, 0);
  for (int fd : StallLargeFrames(socket_path(), 2, 8)) close(fd);
  const uint64_t baseline = SettledResidentBytes(coordinator_.pid(), absl::Seconds(20));
  ASSERT_GT(baseline, 0u);
  // Six peers announce 64 MiB frames, send 40 MiB of each and stall; the coordinator holds what
  // they sent until they close.
  std::vector<int> peers = StallLargeFrames(socket_path(), 6, 40);
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (ResidentBytes(coordinator_.pid()) < baseline + (uint64_t{200} << 20) &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  const uint64_t stalled = ResidentBytes(coordinator_.pid());
  EXPECT_GT(stalled, baseline + (uint64_t{200} << 20));
  for (int fd : peers) close(fd);
  uint64_t after = ResidentBytes(coordinator_.pid());
  const absl::Time given_back_by = absl::Now() + absl::Seconds(20);
  while (after > baseline + baseline / 10 && absl::Now() < given_back_by) {
    absl::SleepFor(absl::Milliseconds(50));
    after = ResidentBytes(coordinator_.pid());
  }
  EXPECT_LE(after, baseline + baseline / 10)
      << "baseline " << baseline << ", with the stalled frames " << stalled;
  std::printf("coordinator RSS: baseline %.1f MB, stalled %.1f MB, after they closed %.1f MB\n",
              baseline / 1e6, stalled / 1e6, after / 1e6);
  // And it still serves.
  EXPECT_EQ(testing::RunBraid({"status", "--coordinator", endpoint_}).exit_code, 0);
}

TEST_F(StrangersTest, ConnectionsBeyondTheLimitAreClosedAtOnceAndTheirPlacesFreedWhenTheyGo) {
  std::vector<int> peers;
  for (int i = 0; i < 12; ++i) {
    const int fd = Connect(socket_path());
    ASSERT_GE(fd, 0);
    SendAll(fd, Greeting().substr(0, 10));  // fails if the coordinator has closed it already
    peers.push_back(fd);
  }
  // The first 8 stay open (until the handshake deadline, 30 s); the 4 after them are closed at
  // once. Watched for 5 s.
  std::vector<pollfd> open;
  for (int fd : peers) open.push_back(pollfd{.fd = fd, .events = POLLIN, .revents = 0});
  int closed = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (absl::Now() < deadline) {
    const int ready = poll(open.data(), open.size(), 100);
    ASSERT_GE(ready, 0);
    for (pollfd& watched : open) {
      if (watched.fd < 0 || (watched.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      char bytes[256];
      const ssize_t got = recv(watched.fd, bytes, sizeof(bytes), MSG_DONTWAIT);
      if (got == 0 || (got < 0 && errno != EAGAIN)) {
        ++closed;
        watched.fd = -1;  // poll skips it from now on
      }
    }
  }
  EXPECT_EQ(closed, 4);
  // A client gets in once they have gone.
  for (int fd : peers) close(fd);
  EXPECT_EQ(testing::RunBraid({"status", "--coordinator", endpoint_}).exit_code, 0);
}

TEST_F(StrangersTest, ConnectionsThatFailOrGoAwayGiveTheirPlacesBack) {
  // Rounds of as many connections as the limit: garbage instead of a greeting, a greeting of
  // another version, or nothing at all before closing.
  const std::vector<std::string> openings = {std::string(64, 'G'),
                                             std::string("\xff\0\0\0\0\0\0\0\x01\x7f\x01", 11), ""};
  for (int round = 0; round < 3; ++round) {
    for (const std::string& opening : openings) {
      std::vector<int> peers;
      for (int i = 0; i < 8; ++i) {
        const int fd = Connect(socket_path());
        ASSERT_GE(fd, 0);
        SendAll(fd, opening);  // may fail once the coordinator has closed it
        peers.push_back(fd);
      }
      for (int fd : peers) {
        // Until the coordinator closes it (garbage) or for a moment (the rest), then close.
        timeval wait{.tv_sec = 0, .tv_usec = 50'000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
        char bytes[256];
        while (recv(fd, bytes, sizeof(bytes), 0) > 0) {
        }
        close(fd);
      }
    }
  }
  // Every place is free again: clients get in, one after another.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(
        testing::RunBraid({"status", "--coordinator", endpoint_, "--timeout", "10s"}).exit_code, 0);
  }
}

TEST_F(StrangersTest, HalfAGreetingIsClosedByTheHandshakeDeadline) {
  std::vector<int> peers;
  for (int i = 0; i < 5; ++i) {
    const int fd = Connect(socket_path());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(SendAll(fd, Greeting().substr(0, 10)));
    peers.push_back(fd);
  }
  const absl::Time start = absl::Now();
  for (int fd : peers) {
    timeval wait{.tv_sec = 45, .tv_usec = 0};
    ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait)), 0);
    char byte;
    ssize_t got;
    // What the coordinator sends of its greeting, then the end of the connection.
    while ((got = recv(fd, &byte, 1, 0)) > 0) {
    }
    EXPECT_EQ(got, 0) << "still open after " << absl::Now() - start;
    close(fd);
  }
  EXPECT_LT(absl::Now() - start, absl::Seconds(40));
  EXPECT_EQ(testing::RunBraid({"status", "--coordinator", endpoint_}).exit_code, 0);
}

}  // namespace
}  // namespace braid
