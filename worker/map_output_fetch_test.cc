// The shuffle between workers: MapOutputServer serving what its worker wrote, MapOutputFetcher
// copying it to the reducer — on the in-memory network and the fake clock, with the files in a
// FakeEnv.

#include <memory>
#include <string>
#include <vector>

#include "base/fake_env.h"
#include "deferred/testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "messaging/memory_transport.h"
#include "proto/envelope.h"
#include "proto/status_coding.h"
#include "reactor/fake_clock.h"
#include "reactor/held_blocking_calls.h"
#include "third_party/absl_compat/crc32c.h"
#include "third_party/absl_compat/status_matchers.h"
#include "worker/map_output_fetcher.h"
#include "worker/map_output_server.h"

namespace braid {
namespace {

using ::braid_compat::testing::IsOk;
using ::braid_compat::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;

constexpr char kJob[] = "job_1";
constexpr uint32_t kChunk = 1024;

std::string Bytes(size_t n, char seed) {
  std::string data(n, '\0');
  for (size_t i = 0; i < n; ++i) data[i] = static_cast<char>(seed + i * 7 + i / 13);
  return data;
}

class MapOutputFetchTest : public ::testing::Test {
 protected:
  MapOutputFetchTest() : network_(clock_, /*seed=*/3) {
    EXPECT_THAT(env_.CreateDirs("/holder-a/job_1/m0"), IsOk());
    EXPECT_THAT(env_.CreateDirs("/holder-b/job_1/m0"), IsOk());
    options_.chunk_bytes = kChunk;
    options_.window = 2;
    options_.max_sources = 2;
    options_.request_timeout = absl::Seconds(5);
    options_.attempts = 3;
  }

  // A holder at mem://NAME serving the files under /NAME.
  MapOutputServer& Holder(const std::string& name, BlockingCalls* reads = nullptr) {
    holders_.push_back(std::make_unique<MapOutputServer>(*network_.Listen(name), "/" + name, env_,
                                                         reads != nullptr ? *reads : inline_));
    return *holders_.back();
  }

  // Writes `data` as map task `task`'s output on holder `name`, which serves it.
  proto::MapOutput Output(const std::string& name, MapOutputServer* holder, uint32_t task,
                          const std::string& data) {
    proto::MapOutput output;
    output.set_map_task(task);
    output.set_partition(0);
    output.set_path(absl::StrCat("/", name, "/job_1/m0/part-", task));
    output.set_bytes(data.size());
    output.set_crc32c(braid_compat::ComputeCrc32c(data));
    output.set_worker(name);
    output.set_data_endpoint("mem://" + name);
    EXPECT_THAT(env_.WriteStringToFile(output.path(), data), IsOk());
    if (holder != nullptr) holder->Add(kJob, output);
    return output;
  }

  MapOutputFetcher& Fetcher(BlockingCalls* writes = nullptr) {
    fetcher_ = std::make_unique<MapOutputFetcher>(
        clock_,
        [this](const std::string& endpoint,
               const std::string& /*key*/) -> absl::StatusOr<std::unique_ptr<ClientTransport>> {
          return network_.Connect(endpoint);
        },
        env_, writes != nullptr ? *writes : inline_, options_);
    return *fetcher_;
  }

  // Moves fake time on in small steps until `d` has a result (at most `limit`).
  template <typename T>
  void Settle(const Deferred<T>& d, absl::Duration limit = absl::Minutes(5)) {
    for (absl::Duration passed; passed < limit && !HasResult(d); passed += absl::Milliseconds(10)) {
      clock_.Advance(absl::Milliseconds(10));
    }
  }

  FakeClock clock_;
  MemoryNetwork network_;
  FakeEnv env_;
  InlineBlockingCalls inline_;
  FetchOptions options_;
  std::vector<std::unique_ptr<MapOutputServer>> holders_;
  std::unique_ptr<MapOutputFetcher> fetcher_;
};

TEST_F(MapOutputFetchTest, CopiesEveryOutputWhole) {
  MapOutputServer& a = Holder("holder-a");
  MapOutputServer& b = Holder("holder-b");
  const std::string empty, small = Bytes(10, 'a'), big = Bytes(3 * kChunk + 500, 'z');
  std::vector<proto::MapOutput> outputs = {Output("holder-a", &a, 0, empty),
                                           Output("holder-b", &b, 1, small),
                                           Output("holder-a", &a, 2, big)};
  Deferred<MapOutputFetcher::Fetched> fetched = Fetcher().Fetch(kJob, outputs, "/reducer/r0");
  Settle(fetched);
  std::optional<Result<MapOutputFetcher::Fetched>> result = ResultNow(fetched);
  ASSERT_TRUE(result.has_value());
  ASSERT_THAT(*result, IsOk());
  EXPECT_THAT((*result)->lost, IsEmpty());
  ASSERT_EQ((*result)->local.size(), 3u);
  const std::string expected[] = {empty, small, big};
  for (int i = 0; i < 3; ++i) {
    const proto::MapOutput& local = (*result)->local[i];
    EXPECT_EQ(local.map_task(), static_cast<uint32_t>(i));
    EXPECT_THAT(local.path(), HasSubstr("/reducer/r0/"));
    EXPECT_EQ(local.data_endpoint(), "");
    EXPECT_THAT(env_.ReadFile(local.path()), braid_compat::testing::IsOkAndHolds(expected[i]));
  }
  EXPECT_EQ(fetcher_->bytes_fetched(), small.size() + big.size());
  EXPECT_EQ(a.bytes_served() + b.bytes_served(), small.size() + big.size());
}

TEST_F(MapOutputFetchTest, ConnectionsCloseOnceNothingIsFetched) {
  MapOutputServer& a = Holder("holder-a");
  MapOutputServer& b = Holder("holder-b");
  std::vector<proto::MapOutput> outputs = {Output("holder-a", &a, 0, Bytes(10, 'a')),
                                           Output("holder-b", &b, 1, Bytes(10, 'b'))};
  MapOutputFetcher& fetcher = Fetcher();
  Deferred<MapOutputFetcher::Fetched> fetched = fetcher.Fetch(kJob, outputs, "/reducer/r0");
  EXPECT_EQ(fetcher.connections(), 2u);
  Settle(fetched);
  ASSERT_THAT(*ResultNow(fetched), IsOk());
  EXPECT_EQ(fetcher.connections(), 0u);
}

TEST_F(MapOutputFetchTest, FlowControlBoundsWhatTheHolderIsAskedFor) {
  // The reducer's disk is stuck: chunks arrive but cannot be written. The holder is asked for no
  // more than the window of each output being fetched, however large the outputs.
  HeldBlockingCalls slow_disk;
  MapOutputServer& a = Holder("holder-a");
  std::vector<proto::MapOutput> outputs;
  for (uint32_t task = 0; task < 4; ++task) {
    outputs.push_back(Output("holder-a", &a, task, Bytes(20 * kChunk, 'a' + task)));
  }
  Deferred<MapOutputFetcher::Fetched> fetched = Fetcher(&slow_disk).Fetch(kJob, outputs, "/r");
  // The directory and the first two files' creation wait on the disk too.
  for (int i = 0; i < 3; ++i) {
    ASSERT_GT(slow_disk.held(), 0u);
    slow_disk.RunNext();
  }
  clock_.Advance(absl::Seconds(1));
  const size_t bound = static_cast<size_t>(options_.window * options_.max_sources);
  EXPECT_EQ(a.chunks_served(), bound) << "the window was not filled, or was exceeded";
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(a.chunks_served(), bound);
  EXPECT_FALSE(HasResult(fetched));
  // The disk comes back: everything flows, never more than the window at once.
  for (int turn = 0; turn < 10000 && !HasResult(fetched); ++turn) {
    while (slow_disk.held() > 0) slow_disk.RunNext();
    clock_.Advance(absl::Milliseconds(1));
  }
  ASSERT_THAT(ResultNow(fetched), Optional(IsOk()));
  EXPECT_LE(fetcher_->peak_requests(), bound);
  EXPECT_EQ(a.chunks_served(), 4u * 20);
}

TEST_F(MapOutputFetchTest, AnUnansweredRequestIsAskedAgain) {
  MapOutputServer& a = Holder("holder-a");
  std::vector<proto::MapOutput> outputs = {Output("holder-a", &a, 0, Bytes(kChunk / 2, 'q'))};
  network_.DropNext(1);  // the first request vanishes
  Deferred<MapOutputFetcher::Fetched> fetched = Fetcher().Fetch(kJob, outputs, "/r");
  clock_.Advance(absl::Seconds(4));
  EXPECT_FALSE(HasResult(fetched)) << "it gave up before the request timed out";
  Settle(fetched);
  std::optional<Result<MapOutputFetcher::Fetched>> result = ResultNow(fetched);
  ASSERT_THAT(result, Optional(IsOk()));
  EXPECT_THAT((*result)->lost, IsEmpty());
  EXPECT_EQ(fetcher_->chunks_refetched(), 1u);
}

TEST_F(MapOutputFetchTest, AHolderThatNeverAnswersLosesItsOutputsAfterTheAttempts) {
  auto silent = network_.Listen("holder-a");  // listens, never answers
  ASSERT_THAT(silent, IsOk());
  std::vector<proto::MapOutput> outputs = {Output("holder-a", nullptr, 7, Bytes(100, 's'))};
  Deferred<MapOutputFetcher::Fetched> fetched = Fetcher().Fetch(kJob, outputs, "/r");
  clock_.Advance(options_.request_timeout * (options_.attempts - 1) + absl::Seconds(1));
  EXPECT_FALSE(HasResult(fetched));
  Settle(fetched);
  std::optional<Result<MapOutputFetcher::Fetched>> result = ResultNow(fetched);
  ASSERT_THAT(result, Optional(IsOk()));
  EXPECT_THAT((*result)->lost, ElementsAre(7u));
  EXPECT_THAT((*result)->local, IsEmpty());
}

TEST_F(MapOutputFetchTest, AHolderDeclaredLostLosesItsOutputsAtOnce) {
  auto silent = network_.Listen("holder-a");  // its process is gone: nothing answers
  ASSERT_THAT(silent, IsOk());
  MapOutputServer& b = Holder("holder-b");
  options_.max_sources = 1;  // holder-a's second output has not started when the news comes
  std::vector<proto::MapOutput> outputs = {Output("holder-a", nullptr, 0, Bytes(100, 'a')),
                                           Output("holder-b", &b, 1, Bytes(100, 'b')),
                                           Output("holder-a", nullptr, 2, Bytes(100, 'c'))};
  MapOutputFetcher& fetcher = Fetcher();
  Deferred<MapOutputFetcher::Fetched> fetched = fetcher.Fetch(kJob, outputs, "/r");
  clock_.Advance(absl::Seconds(1));
  EXPECT_FALSE(HasResult(fetched));
  fetcher.HolderLost("mem://holder-a");
  Settle(fetched, /*limit=*/absl::Seconds(1));
  std::optional<Result<MapOutputFetcher::Fetched>> result = ResultNow(fetched);
  ASSERT_THAT(result, Optional(IsOk())) << "it waited for the requests to time out";
  EXPECT_THAT((*result)->lost, ElementsAre(0u, 2u));
  ASSERT_EQ((*result)->local.size(), 1u);
  EXPECT_EQ((*result)->local[0].map_task(), 1u);
}

TEST_F(MapOutputFetchTest, AHolderLostMidFetchLosesWhatWasLeft) {
  MapOutputServer& a = Holder("holder-a");
  MapOutputServer& b = Holder("holder-b");
  std::vector<proto::MapOutput> outputs = {Output("holder-a", &a, 0, Bytes(40 * kChunk, 'a')),
                                           Output("holder-b", &b, 1, Bytes(40 * kChunk, 'b'))};
  network_.SetLatency(absl::Milliseconds(5), absl::Milliseconds(5));
  Deferred<MapOutputFetcher::Fetched> fetched = Fetcher().Fetch(kJob, outputs, "/r");
  clock_.Advance(absl::Milliseconds(30));
  ASSERT_GT(a.chunks_served(), 0u);
  holders_[0].reset();  // holder-a's process dies
  Settle(fetched);
  std::optional<Result<MapOutputFetcher::Fetched>> result = ResultNow(fetched);
  ASSERT_THAT(result, Optional(IsOk()));
  EXPECT_THAT((*result)->lost, ElementsAre(0u));
  ASSERT_EQ((*result)->local.size(), 1u);
  EXPECT_EQ((*result)->local[0].map_task(), 1u);
}

TEST_F(MapOutputFetchTest, AHolderWithoutTheOutputMakesItLostAtOnce) {
  MapOutputServer& a = Holder("holder-a");
  proto::MapOutput gone = Output("holder-a", &a, 3, Bytes(100, 'g'));
  a.ForgetJob(kJob);  // the job ended there, or the worker restarted
  Deferred<MapOutputFetcher::Fetched> fetched = Fetcher().Fetch(kJob, {gone}, "/r");
  clock_.Advance(absl::Milliseconds(10));
  std::optional<Result<MapOutputFetcher::Fetched>> result = ResultNow(fetched);
  ASSERT_THAT(result, Optional(IsOk()));
  EXPECT_THAT((*result)->lost, ElementsAre(3u));
}

TEST_F(MapOutputFetchTest, AnOutputLostWhileAChunkOfItIsBeingWrittenStillEndsTheFetch) {
  HeldBlockingCalls slow_disk;
  MapOutputServer& a = Holder("holder-a");
  proto::MapOutput output = Output("holder-a", &a, 4, Bytes(6 * kChunk, 'w'));
  Deferred<MapOutputFetcher::Fetched> fetched = Fetcher(&slow_disk).Fetch(kJob, {output}, "/r");
  slow_disk.RunNext();  // the directory
  slow_disk.RunNext();  // the file
  clock_.Advance(absl::Milliseconds(1));
  ASSERT_EQ(slow_disk.held(), 1u) << "the first chunk's write should be waiting";
  // The holder loses the output (its worker restarted): the next chunk is NOT_FOUND while the
  // first is still being written.
  a.ForgetJob(kJob);
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_FALSE(HasResult(fetched));
  while (slow_disk.held() > 0) slow_disk.RunNext();
  clock_.Advance(absl::Milliseconds(1));
  std::optional<Result<MapOutputFetcher::Fetched>> result = ResultNow(fetched);
  ASSERT_THAT(result, Optional(IsOk())) << "the fetch never ended";
  EXPECT_THAT((*result)->lost, ElementsAre(4u));
  EXPECT_EQ(fetcher_->outputs_lost(), 1u);
}

TEST_F(MapOutputFetchTest, AHolderAtItsLimitIsAskedAgainLater) {
  MapOutputServerOptions tight;
  tight.reads = 1;  // one read queued at a time, in all
  HeldBlockingCalls slow_reads;
  holders_.push_back(std::make_unique<MapOutputServer>(*network_.Listen("holder-a"), "/holder-a",
                                                       env_, slow_reads, tight));
  MapOutputServer& a = *holders_.back();
  proto::MapOutput output = Output("holder-a", &a, 0, Bytes(2 * kChunk, 'b'));
  Deferred<MapOutputFetcher::Fetched> fetched = Fetcher().Fetch(kJob, {output}, "/r");
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(slow_reads.held(), 1u);
  EXPECT_EQ(a.busy(), 1u) << "the window's second request should have been refused as busy";
  for (int i = 0; i < 1000 && !HasResult(fetched); ++i) {
    while (slow_reads.held() > 0) slow_reads.RunNext();
    clock_.Advance(absl::Milliseconds(10));
  }
  std::optional<Result<MapOutputFetcher::Fetched>> result = ResultNow(fetched);
  ASSERT_THAT(result, Optional(IsOk()));
  EXPECT_THAT((*result)->lost, IsEmpty()) << "a busy holder is not a lost one";
}

TEST_F(MapOutputFetchTest, AFileThatChangedUnderItsHolderIsNeverHandedOn) {
  MapOutputServer& a = Holder("holder-a");
  proto::MapOutput output = Output("holder-a", &a, 0, Bytes(2 * kChunk, 'x'));
  // Rewritten after its map task reported it: every chunk is sound, the whole is not the output.
  ASSERT_THAT(env_.WriteStringToFile(output.path(), Bytes(2 * kChunk, 'y')), IsOk());
  Deferred<MapOutputFetcher::Fetched> fetched = Fetcher().Fetch(kJob, {output}, "/r");
  Settle(fetched);
  std::optional<Result<MapOutputFetcher::Fetched>> result = ResultNow(fetched);
  ASSERT_THAT(result, Optional(IsOk()));
  EXPECT_THAT((*result)->lost, ElementsAre(0u));
  EXPECT_THAT((*result)->local, IsEmpty());
}

// A holder of the test's own, which corrupts its first answer.
TEST_F(MapOutputFetchTest, ACorruptChunkIsFetchedAgain) {
  auto listening = network_.Listen("holder-a");
  ASSERT_THAT(listening, IsOk());
  std::unique_ptr<ServerTransport> transport = *std::move(listening);
  const std::string data = Bytes(kChunk / 2, 'c');
  int answers = 0;
  transport->SetReceiver([&](const PeerId& peer, absl::string_view frame, absl::string_view) {
    absl::StatusOr<proto::Envelope> request = DecodeEnvelope(frame);
    ASSERT_THAT(request, IsOk());
    proto::Envelope answer;
    answer.set_protocol_version(kProtocolVersion);
    answer.set_message_id(++answers);
    answer.set_reply_to(request->message_id());
    proto::FetchChunk* chunk = answer.mutable_fetch_chunk();
    chunk->set_offset(request->fetch_request().offset());
    chunk->set_file_bytes(data.size());
    chunk->set_data(data);
    chunk->set_crc32c(braid_compat::ComputeCrc32c(data));
    if (answers == 1) (*chunk->mutable_data())[5] ^= 0x20;  // flipped on the way
    ASSERT_THAT(transport->Send(peer, EncodeEnvelope(answer)), IsOk());
  });
  proto::MapOutput output = Output("holder-a", nullptr, 0, data);
  Deferred<MapOutputFetcher::Fetched> fetched = Fetcher().Fetch(kJob, {output}, "/r");
  Settle(fetched);
  std::optional<Result<MapOutputFetcher::Fetched>> result = ResultNow(fetched);
  ASSERT_THAT(result, Optional(IsOk()));
  EXPECT_THAT((*result)->lost, IsEmpty());
  EXPECT_EQ(answers, 2);
  EXPECT_EQ(fetcher_->chunks_refetched(), 1u);
  ASSERT_EQ((*result)->local.size(), 1u);
  EXPECT_THAT(env_.ReadFile((*result)->local[0].path()), braid_compat::testing::IsOkAndHolds(data));
}

TEST_F(MapOutputFetchTest, RequestsForFilesTheHolderNeverServedAreRefusedAndCounted) {
  MapOutputServer& a = Holder("holder-a");
  proto::MapOutput served = Output("holder-a", &a, 0, Bytes(10, 'a'));
  ASSERT_THAT(env_.WriteStringToFile("/holder-a/secret", "private"), IsOk());
  auto client = network_.Connect("mem://holder-a");
  std::vector<proto::Envelope> answers;
  client->SetReceiver([&](absl::string_view frame) { answers.push_back(*DecodeEnvelope(frame)); });
  auto ask = [&](const std::string& job, const std::string& path, uint32_t task) {
    proto::Envelope request;
    request.set_protocol_version(kProtocolVersion);
    request.set_message_id(answers.size() + 1);
    proto::FetchRequest* fetch = request.mutable_fetch_request();
    fetch->set_job_id(job);
    fetch->set_map_task(task);
    fetch->set_path(path);
    fetch->set_length(10);
    ASSERT_THAT(client->Send(EncodeEnvelope(request)), IsOk());
    clock_.Advance(absl::Milliseconds(1));
  };
  ask(kJob, "/holder-a/secret", 0);           // outside the job's directory
  ask(kJob, "/holder-a/job_1/../secret", 0);  // climbing out of it
  ask("job_2", served.path(), 0);             // another job's name on this output
  ask(kJob, served.path(), 1);                // another map task's name on it
  ask(kJob, "/holder-a/job_1/m0/part-9", 9);  // inside, but never written: just gone
  ASSERT_EQ(answers.size(), 5u);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(answers[i].has_reject()) << i;
    EXPECT_EQ(ErrorFromWire(answers[i].reject().code(), "").code(),
              absl::StatusCode::kPermissionDenied)
        << i;
  }
  EXPECT_EQ(ErrorFromWire(answers[4].reject().code(), "").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(a.refused(), 4u);
  EXPECT_EQ(a.bytes_served(), 0u);
}

TEST_F(MapOutputFetchTest, MalformedFramesAreRefusedLikeAnyOther) {
  MapOutputServer& a = Holder("holder-a");
  auto client = network_.Connect("mem://holder-a");
  std::vector<proto::Envelope> answers;
  client->SetReceiver([&](absl::string_view frame) { answers.push_back(*DecodeEnvelope(frame)); });
  ASSERT_THAT(client->Send("\xff\xfenot an envelope"), IsOk());
  clock_.Advance(absl::Milliseconds(1));
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_TRUE(answers[0].has_reject());
  EXPECT_EQ(a.bad_input().total(), 1u);
}

TEST_F(MapOutputFetchTest, CancellingStopsTheCopying) {
  MapOutputServer& a = Holder("holder-a");
  std::vector<proto::MapOutput> outputs = {Output("holder-a", &a, 0, Bytes(50 * kChunk, 'a'))};
  network_.SetLatency(absl::Milliseconds(5), absl::Milliseconds(5));
  Deferred<MapOutputFetcher::Fetched> fetched = Fetcher().Fetch(kJob, outputs, "/r");
  clock_.Advance(absl::Milliseconds(20));
  fetched.Cancel();
  const uint64_t served = a.chunks_served();
  clock_.Advance(absl::Seconds(1));
  EXPECT_LE(a.chunks_served(), served + static_cast<uint64_t>(options_.window));
  EXPECT_THAT(ResultNow(fetched), Optional(StatusIs(absl::StatusCode::kCancelled)));
}

}  // namespace
}  // namespace braid
