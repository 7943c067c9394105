// A fleet with keys, as real processes on loopback: who gets in, who is cut off, what an
// eavesdropper on the wire sees, and the refusal to listen openly without keys.

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/braid_process.h"
#include "tests/job_outputs.h"

namespace braid {
namespace {

using testing::BraidProcess;
using testing::CommandResult;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::RunBraid;
using testing::ShortTempDir;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteAll(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// The endpoint a coordinator reports in its "listening on ENDPOINT ..." line.
std::string ListeningOn(const std::string& output) {
  const size_t at = output.find("listening on ");
  if (at == std::string::npos) return "";
  const size_t start = at + 13;
  return output.substr(start, output.find(' ', start) - start);
}

class SecurityProcessTest : public ::testing::Test {
 protected:
  // Writes the key pair NAME.key / NAME.pub; returns the public key.
  std::string Keygen(const std::string& name) {
    CommandResult made = RunBraid({"keygen", Path(name)});
    EXPECT_EQ(made.exit_code, 0) << made.output;
    return std::string(absl::StripAsciiWhitespace(ReadAll(Path(name) + ".pub")));
  }

  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }

  // Keys for the coordinator, two workers, alice and bob (clients) and a stranger (listed
  // nowhere), and the authorized-keys file listing all but the stranger.
  void MakeKeys() {
    Keygen("coordinator");
    keys_text_ =
        absl::StrCat("worker ", Keygen("w0"), " node 0\n", "worker ", Keygen("w1"), " node 1\n",
                     "client ", Keygen("alice"), " alice\n", "client ", Keygen("bob"), " bob\n");
    stranger_ = Keygen("stranger");
    WriteAll(Path("authorized_keys"), keys_text_);
  }

  // Starts a coordinator on a loopback port it picks, with keys or without.
  void StartCoordinator(bool keyed) {
    std::vector<std::string> args = {"coordinator", "--listen",   "tcp://127.0.0.1:0",
                                     "--work-dir",  Path("work"), "--http",
                                     "off"};
    if (keyed) {
      args.insert(args.end(), {"--curve-key", Path("coordinator.key"), "--authorized-keys",
                               Path("authorized_keys")});
    }
    coordinator_ = std::make_unique<BraidProcess>(args);
    ASSERT_TRUE(coordinator_->WaitForOutput("listening on", absl::Seconds(30)))
        << coordinator_->output();
    endpoint_ = ListeningOn(coordinator_->output());
    ASSERT_THAT(endpoint_, HasSubstr("tcp://127.0.0.1:"));
  }

  // The flags a process with key NAME connects with (none for an empty name).
  std::vector<std::string> KeyFlags(const std::string& name) const {
    if (name.empty()) return {};
    return {"--curve-key", Path(name + ".key"), "--coordinator-key", Path("coordinator.pub")};
  }

  std::unique_ptr<BraidProcess> StartWorker(const std::string& key, int index) {
    std::vector<std::string> args = {"worker",
                                     "--coordinator",
                                     endpoint_,
                                     "--slots",
                                     "1",
                                     "--scratch",
                                     Path(absl::StrCat("scratch-", index))};
    for (const std::string& flag : KeyFlags(key)) args.push_back(flag);
    return std::make_unique<BraidProcess>(args);
  }

  CommandResult Client(const std::string& key, std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--coordinator", endpoint_});
    for (const std::string& flag : KeyFlags(key)) args.push_back(flag);
    return RunBraid(args, absl::Seconds(60));
  }

  // A task-bag streaming job whose command, environment and output carry markers.
  std::vector<std::string> MarkedJob() {
    WriteAll(Path("in.txt"), "first line\nsecond line with INPUTMARK\n");
    return {"submit",  "--mapper",     "sed s/INPUTMARK/OUTPUTMARK/ # COMMANDMARK",
            "--input", Path("in.txt"), "--records-per-task",
            "1",       "--cmdenv",     "TOKEN=ENVMARK"};
  }

  void TearDown() override {
    for (auto& worker : workers_) worker->Signal(SIGINT);
    for (auto& worker : workers_) worker->Wait(absl::Seconds(30));
    if (coordinator_ != nullptr) {
      coordinator_->Signal(SIGINT);
      coordinator_->Wait(absl::Seconds(30));
    }
  }

  ShortTempDir dir_;
  std::string keys_text_;
  std::string stranger_;
  std::unique_ptr<BraidProcess> coordinator_;
  std::string endpoint_;
  std::vector<std::unique_ptr<BraidProcess>> workers_;
};

TEST_F(SecurityProcessTest, KeyedFleetRunsJobsAndRefusesStrangers) {
  MakeKeys();
  StartCoordinator(/*keyed=*/true);
  workers_.push_back(StartWorker("w0", 0));
  ASSERT_TRUE(workers_[0]->WaitForOutput("joined the coordinator", absl::Seconds(30)))
      << workers_[0]->output();
  // A worker with an unlisted key is refused at the handshake, and logged by its key.
  workers_.push_back(StartWorker("stranger", 1));
  EXPECT_TRUE(coordinator_->WaitForOutput(absl::StrCat("refused a connection with key ", stranger_),
                                          absl::Seconds(30)))
      << coordinator_->output();

  // The stranger learns it was refused, and exits.
  EXPECT_EQ(workers_[1]->Wait(absl::Seconds(30)), 1) << workers_[1]->output();
  EXPECT_THAT(workers_[1]->output(), HasSubstr("refused this process's key (ZAP status 400)"));
  EXPECT_THAT(workers_[1]->output(), Not(HasSubstr("joined the coordinator")));
  CommandResult stranger = Client("stranger", {"status"});
  EXPECT_EQ(stranger.exit_code, 1);
  EXPECT_THAT(stranger.output, HasSubstr("refused this process's key"));

  CommandResult ran = Client("alice", MarkedJob());
  EXPECT_EQ(ran.exit_code, 0) << ran.output;
  EXPECT_THAT(ran.output, HasSubstr("second line with OUTPUTMARK"));

  // A client key may not be a worker: its hello is refused and the process says why.
  std::unique_ptr<BraidProcess> impostor = StartWorker("alice", 2);
  EXPECT_EQ(impostor->Wait(absl::Seconds(30)), 1) << impostor->output();
  EXPECT_THAT(impostor->output(), HasSubstr("only a worker key may register as a worker"));
  // A worker key may not act as a client.
  CommandResult as_client = Client("w1", {"status"});
  EXPECT_NE(as_client.exit_code, 0);
  EXPECT_THAT(as_client.output, HasSubstr("is a worker key"));
}

TEST_F(SecurityProcessTest, AKeyedFleetShufflesWorkerToWorker) {
  MakeKeys();
  StartCoordinator(/*keyed=*/true);
  CommandResult made = RunBraid({"gen-corpus", "--size", "1MiB", "--files", "4", Path("in")});
  ASSERT_EQ(made.exit_code, 0) << made.output;
  for (int i = 0; i < 2; ++i) {
    std::vector<std::string> args = {"worker",
                                     "--coordinator",
                                     endpoint_,
                                     "--slots",
                                     "1",
                                     "--scratch",
                                     Path(absl::StrCat("scratch-", i)),
                                     "--data-listen",
                                     "auto"};
    for (const std::string& flag : KeyFlags(absl::StrCat("w", i))) args.push_back(flag);
    workers_.push_back(std::make_unique<BraidProcess>(args));
    ASSERT_TRUE(workers_.back()->WaitForOutput("joined the coordinator", absl::Seconds(30)))
        << workers_.back()->output();
  }
  CommandResult ran =
      Client("alice", {"submit", "--job", "wordcount", "--input", Path("in") + "/*", "--output",
                       Path("out"), "--reducers", "2", "--split-size", "64KiB"});
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  std::vector<std::string> texts;
  for (const auto& entry : std::filesystem::directory_iterator(Path("in"))) {
    texts.push_back(ReadAll(entry.path().string()));
  }
  EXPECT_EQ(testing::ParseCounts(testing::OutputLines(Path("out"))),
            testing::ReferenceCounts(texts));
  int64_t served = 0;
  for (auto& worker : workers_) {
    worker->Signal(SIGINT);
    ASSERT_TRUE(worker->Wait(absl::Seconds(30)).has_value());
    const int64_t bytes = testing::BytesServedByWorker(worker->output());
    ASSERT_GE(bytes, 0) << worker->output();
    served += bytes;
  }
  EXPECT_GT(served, 0) << "no map output crossed between the workers";
}

TEST_F(SecurityProcessTest, ClientWithoutKeysGetsNothingFromAKeyedCoordinator) {
  MakeKeys();
  StartCoordinator(/*keyed=*/true);
  CommandResult plain = Client("", {"status", "--timeout", "1s"});
  EXPECT_NE(plain.exit_code, 0);
  EXPECT_THAT(plain.output, HasSubstr("cannot reach the coordinator"));
  CommandResult half = Client("", {"status", "--curve-key", Path("alice.key")});
  EXPECT_EQ(half.exit_code, 2);
  EXPECT_THAT(half.output, HasSubstr("--curve-key needs --coordinator-key"));
}

TEST_F(SecurityProcessTest, OnlyTheOwnerMayCancel) {
  MakeKeys();
  StartCoordinator(/*keyed=*/true);
  // No worker: the job waits, so it is still running when bob tries.
  std::vector<std::string> submit = MarkedJob();
  submit.push_back("--detach");
  CommandResult submitted = Client("alice", submit);
  ASSERT_EQ(submitted.exit_code, 0) << submitted.output;
  const size_t at = submitted.output.find("job_");
  ASSERT_NE(at, std::string::npos) << submitted.output;
  const std::string job =
      submitted.output.substr(at, submitted.output.find_first_of(" \n:", at) - at);

  CommandResult by_bob = Client("bob", {"cancel", job});
  EXPECT_NE(by_bob.exit_code, 0);
  EXPECT_THAT(by_bob.output, HasSubstr("only the job's owner"));
  CommandResult by_alice = Client("alice", {"cancel", job});
  EXPECT_EQ(by_alice.exit_code, 0) << by_alice.output;
}

TEST_F(SecurityProcessTest, KeyRemovedOnSighupCutsItsWorkerOff) {
  MakeKeys();
  StartCoordinator(/*keyed=*/true);
  workers_.push_back(StartWorker("w0", 0));
  workers_.push_back(StartWorker("w1", 1));
  for (auto& worker : workers_) {
    ASSERT_TRUE(worker->WaitForOutput("joined the coordinator", absl::Seconds(30)))
        << worker->output();
  }
  std::string without_w1;
  for (absl::string_view line : absl::StrSplit(keys_text_, '\n')) {
    if (!absl::StrContains(line, "node 1")) absl::StrAppend(&without_w1, line, "\n");
  }
  WriteAll(Path("authorized_keys"), without_w1);
  coordinator_->Signal(SIGHUP);
  EXPECT_EQ(workers_[1]->Wait(absl::Seconds(30)), 1) << workers_[1]->output();
  EXPECT_THAT(workers_[1]->output(), HasSubstr("cut this worker off"));
  // The remaining worker still runs jobs.
  CommandResult ran = Client("alice", MarkedJob());
  EXPECT_EQ(ran.exit_code, 0) << ran.output;
}

TEST_F(SecurityProcessTest, ConnectingBeyondThisMachineWithoutKeysIsRefused) {
  // Refused before any socket is made: nothing is sent to the (documentation-only) address.
  CommandResult worker =
      RunBraid({"worker", "--coordinator", "tcp://192.0.2.1:7070"}, absl::Seconds(30));
  EXPECT_EQ(worker.exit_code, 2);
  EXPECT_THAT(worker.output, HasSubstr("refusing to connect to tcp://192.0.2.1:7070 without keys"));
  CommandResult status =
      RunBraid({"status", "--coordinator", "tcp://192.0.2.1:7070"}, absl::Seconds(30));
  EXPECT_EQ(status.exit_code, 2);
  EXPECT_THAT(status.output, HasSubstr("--insecure"));
}

TEST_F(SecurityProcessTest, ListeningBeyondThisMachineWithoutKeysIsRefused) {
  CommandResult open =
      RunBraid({"coordinator", "--listen", "tcp://0.0.0.0:0", "--work-dir", Path("work")},
               absl::Seconds(30));
  EXPECT_EQ(open.exit_code, 2);
  EXPECT_THAT(open.output, HasSubstr("refusing to listen on tcp://0.0.0.0:0 without keys"));
  EXPECT_THAT(open.output, HasSubstr("--insecure"));
  CommandResult half = RunBraid(
      {"coordinator", "--work-dir", Path("work"), "--authorized-keys", Path("authorized_keys")},
      absl::Seconds(30));
  EXPECT_EQ(half.exit_code, 2);
  EXPECT_THAT(half.output, HasSubstr("go together"));
}

// tcpdump on loopback while a job runs: without keys the job's command, environment and output
// cross the wire readably; with keys none of them does.
class EavesdropTest : public SecurityProcessTest, public ::testing::WithParamInterface<bool> {};

TEST_P(EavesdropTest, WhatTheWireShows) {
  if (geteuid() != 0) GTEST_SKIP() << "capturing on loopback needs root";
  const bool keyed = GetParam();
  MakeKeys();
  StartCoordinator(keyed);
  const std::string port = endpoint_.substr(endpoint_.rfind(':') + 1);
  const std::string capture = Path("capture.pcap");
  BraidProcess tcpdump(
      "tcpdump", {"--immediate-mode", "-i", "lo", "-U", "-n", "-w", capture, "tcp port " + port});
  ASSERT_TRUE(tcpdump.WaitForOutput("listening on lo", absl::Seconds(30))) << tcpdump.output();
  workers_.push_back(StartWorker(keyed ? "w0" : "", 0));
  ASSERT_TRUE(workers_[0]->WaitForOutput("joined the coordinator", absl::Seconds(30)))
      << workers_[0]->output();
  CommandResult ran = Client(keyed ? "alice" : "", MarkedJob());
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  ASSERT_THAT(ran.output, HasSubstr("second line with OUTPUTMARK"));
  tcpdump.Signal(SIGINT);
  ASSERT_EQ(tcpdump.Wait(absl::Seconds(30)), 0) << tcpdump.output();

  const std::string wire = ReadAll(capture);
  ASSERT_GT(wire.size(), 1000u) << "the capture caught next to nothing";
  for (const char* marker : {"COMMANDMARK", "ENVMARK", "OUTPUTMARK"}) {
    if (keyed) {
      EXPECT_THAT(wire, Not(HasSubstr(marker))) << marker << " crossed the wire in the clear";
    } else {
      EXPECT_THAT(wire, HasSubstr(marker))
          << "the capture does not show " << marker << " even without keys: it proves nothing";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(KeysOrNot, EavesdropTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Curve" : "Plain"; });

}  // namespace
}  // namespace braid
