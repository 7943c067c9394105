#include "worker/map_output_fetcher.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "job/file_identity.h"
#include "proto/envelope.h"
#include "proto/status_coding.h"
#include "third_party/absl_compat/crc32c.h"

namespace braid {
namespace {

// The data endpoint of what is fetched from the coordinator, over the worker's link to it.
constexpr absl::string_view kFromCoordinator = "(the coordinator)";

}  // namespace

struct MapOutputFetcher::Source {
  proto::MapOutput output;
  // The offset in the holder's file of the first byte to copy.
  uint64_t origin = 0;
  // The copy's file name in the fetch's directory; empty for "map-TASK-part-PARTITION".
  std::string local_name;
  // For a split's bytes from the coordinator: the map attempt that reads them (and which part
  // of its combined split they are).
  std::optional<proto::TaskAttempt> attempt;
  uint32_t split_part = 0;
};

struct MapOutputFetcher::Connection {
  struct Waiting {
    absl::AnyInvocable<void(absl::StatusOr<proto::Envelope>)> on_answer;
    DelayedCall timeout;
  };
  std::string endpoint;
  std::unique_ptr<ClientTransport> transport;
  absl::flat_hash_map<uint64_t, Waiting> waiting;
};

// One Fetch: its outputs, each copied by the same small state machine — ask for chunks while
// the window has room, write the contiguous ones in order, check the whole at the end.
//
// Once it has its result the Run is `ended_`: every step returns at once, and the fetcher fires
// the Deferred and destroys the Run in a later turn of the loop — never from inside one of the
// Run's own steps, which may be deep in a call that completed synchronously.
class MapOutputFetcher::Run {
 public:
  Run(MapOutputFetcher& fetcher, uint64_t id, std::string job_id, std::vector<Source> sources,
      std::string dir, Deferred<Fetched> done)
      : fetcher_(fetcher),
        id_(id),
        job_id_(std::move(job_id)),
        dir_(std::move(dir)),
        done_(std::move(done)) {
    for (Source& source : sources) {
      File& file = files_.emplace_back();
      file.local = source.local_name.empty() ? absl::StrCat(dir_, "/map-", source.output.map_task(),
                                                            "-part-", source.output.partition())
                                             : absl::StrCat(dir_, "/", source.local_name);
      file.output = std::move(source.output);
      file.origin = source.origin;
      file.attempt = std::move(source.attempt);
      file.split_part = source.split_part;
    }
  }
  ~Run() { liveness_.End(); }

  void Start() {
    fetcher_.writes_.Run([&env = fetcher_.env_, dir = dir_] { return env.CreateDirs(dir); })
        .Both([this, alive = liveness_.token()](absl::Status made) {
          if (!alive || ended_) return;
          if (!made.ok()) return End(made);
          StartMore();
          MaybeDone();
        });
  }

  // Loses every output not yet copied from the holder at `endpoint`.
  void HolderLost(const std::string& endpoint) {
    for (size_t i = 0; i < files_.size() && !ended_; ++i) {
      if (files_[i].finished || files_[i].output.data_endpoint() != endpoint) continue;
      Lose(i, absl::NotFoundError("its holder was declared lost"));
    }
  }

  // The Deferred and the result, for the fetcher to fire once the Run is gone.
  Deferred<Fetched> TakeDone() { return std::move(done_); }
  Result<Fetched> TakeResult() { return std::move(*result_); }

 private:
  struct File {
    proto::MapOutput output;
    uint64_t origin = 0;  // the holder's offset of the output's byte 0
    std::optional<proto::TaskAttempt> attempt;
    uint32_t split_part = 0;
    std::string local;
    std::shared_ptr<WritableFile> writer;
    bool started = false;
    bool finished = false;  // copied and closed, or lost
    bool lost = false;
    bool writing = false;
    uint64_t next_request = 0;  // the first byte not yet asked for
    uint64_t written = 0;
    uint32_t crc = 0;  // of the bytes written
    int in_flight = 0;
    std::map<uint64_t, std::string> arrived;  // by offset, not yet written
    absl::flat_hash_map<uint64_t, int> tries;
    absl::flat_hash_map<uint64_t, int> busy;  // RESOURCE_EXHAUSTED answers, by offset
  };
  static constexpr int kMaxBusyAnswers = 100;

  void StartMore() {
    int active = 0;
    for (const File& file : files_) active += file.started && !file.finished;
    for (size_t i = 0; i < files_.size() && active < fetcher_.options_.max_sources; ++i) {
      if (ended_) return;
      if (files_[i].started || files_[i].finished) continue;
      files_[i].started = true;
      ++active;
      Open(i);
    }
  }

  void Open(size_t i) {
    fetcher_.writes_
        .Compute<std::shared_ptr<WritableFile>>(
            [&env = fetcher_.env_,
             path = files_[i].local]() -> absl::StatusOr<std::shared_ptr<WritableFile>> {
              absl::StatusOr<std::unique_ptr<WritableFile>> file = env.NewWritableFile(path);
              if (!file.ok()) return file.status();
              return std::shared_ptr<WritableFile>(*std::move(file));
            })
        .Both([this, alive = liveness_.token(), i](Result<std::shared_ptr<WritableFile>> opened) {
          if (!alive || ended_) return;
          if (!opened.ok()) return End(opened.status());
          if (files_[i].finished) return MaybeDone();  // lost meanwhile
          files_[i].writer = *std::move(opened);
          if (files_[i].output.bytes() == 0) return Finish(i);
          Pump(i);
        });
  }

  // Asks for chunks while the window has room.
  void Pump(size_t i) {
    File& file = files_[i];
    const FetchOptions& options = fetcher_.options_;
    // A chunk being written still takes its place in the window: what this fetch holds in
    // memory is the window, whatever the disk's pace.
    while (!ended_ && !file.finished &&
           file.in_flight + static_cast<int>(file.arrived.size()) + (file.writing ? 1 : 0) <
               options.window &&
           file.next_request < file.output.bytes()) {
      const uint64_t offset = file.next_request;
      const uint32_t length = static_cast<uint32_t>(
          std::min<uint64_t>(options.chunk_bytes, file.output.bytes() - offset));
      file.next_request += length;
      Ask(i, offset, length);
    }
  }

  void Ask(size_t i, uint64_t offset, uint32_t length) {
    File& file = files_[i];
    proto::Envelope request;
    proto::FetchRequest* fetch = request.mutable_fetch_request();
    fetch->set_job_id(job_id_);
    fetch->set_map_task(file.output.map_task());
    fetch->set_partition(file.output.partition());
    fetch->set_path(file.output.path());
    fetch->set_offset(file.origin + offset);
    fetch->set_length(length);
    if (file.attempt.has_value()) {
      *fetch->mutable_attempt() = *file.attempt;
      fetch->set_split_part(file.split_part);
    }
    ++file.in_flight;
    absl::Status asked =
        fetcher_.Ask(file.output.data_endpoint(), file.output.data_key(), std::move(request),
                     [this, alive = liveness_.token(), i, offset,
                      length](absl::StatusOr<proto::Envelope> answer) {
                       if (alive && !ended_) OnAnswer(i, offset, length, std::move(answer));
                     });
    if (!asked.ok()) {
      // No connection to the holder (a malformed endpoint): its outputs cannot be had.
      --file.in_flight;
      Lose(i, asked);
    }
  }

  void OnAnswer(size_t i, uint64_t offset, uint32_t length,
                absl::StatusOr<proto::Envelope> answer) {
    File& file = files_[i];
    --file.in_flight;
    if (file.finished) return MaybeDone();
    absl::Status problem;
    if (!answer.ok()) {
      problem = answer.status();  // timed out
    } else if (answer->has_reject()) {
      absl::Status refused = ErrorFromWire(answer->reject().code(), answer->reject().message());
      if (!absl::IsResourceExhausted(refused)) {
        // NOT_FOUND: the holder no longer has it. Anything else from the holder (it refuses
        // the request) makes the output as unobtainable: the map runs again elsewhere.
        return Lose(i, refused);
      }
      // Busy: ask again after a pause (the window slot stays taken meanwhile). A holder that
      // stays busy this long is as good as lost.
      const int busy = ++file.busy[offset];
      if (busy > kMaxBusyAnswers) return Lose(i, refused);
      ++file.in_flight;
      fetcher_.time_.CallLater(
          std::min(absl::Milliseconds(10) * (1 << std::min(busy, 8)), absl::Seconds(2)),
          [this, alive = liveness_.token(), i, offset, length] {
            if (!alive || ended_) return;
            --files_[i].in_flight;
            if (files_[i].finished) return MaybeDone();
            Ask(i, offset, length);
          });
      return;
    } else if (!answer->has_fetch_chunk()) {
      problem = absl::DataLossError("the holder answered a fetch with something else");
    } else {
      const proto::FetchChunk& chunk = answer->fetch_chunk();
      if (chunk.offset() != file.origin + offset || chunk.data().size() != length ||
          braid_compat::ComputeCrc32c(chunk.data()) != chunk.crc32c()) {
        problem = absl::DataLossError(absl::StrCat("a corrupt chunk at byte ", offset));
      } else {
        fetcher_.bytes_fetched_ += length;
        file.arrived.emplace(offset, std::move(*answer->mutable_fetch_chunk()->mutable_data()));
        WriteNext(i);
        Pump(i);
        return;
      }
    }
    if (++file.tries[offset] >= fetcher_.options_.attempts) {
      return Lose(i, absl::Status(problem.code(), absl::StrCat(problem.message(), ", ",
                                                               file.tries[offset], " times")));
    }
    ++fetcher_.chunks_refetched_;
    Ask(i, offset, length);
  }

  void WriteNext(size_t i) {
    File& file = files_[i];
    if (ended_ || file.writing || file.finished || file.arrived.empty() ||
        file.arrived.begin()->first != file.written) {
      return;
    }
    auto next = file.arrived.begin();
    std::string data = std::move(next->second);
    file.arrived.erase(next);
    file.crc = braid_compat::ExtendCrc32c(file.crc, data);
    file.writing = true;
    const uint64_t size = data.size();
    fetcher_.writes_
        .Run([writer = file.writer, data = std::move(data)] { return writer->Append(data); })
        .Both([this, alive = liveness_.token(), i, size](absl::Status appended) {
          if (!alive || ended_) return;
          File& file = files_[i];
          file.writing = false;
          if (file.finished) return MaybeDone();  // lost while this was written
          if (!appended.ok()) return End(appended);
          file.written += size;
          if (file.written == file.output.bytes()) return Finish(i);
          WriteNext(i);
          Pump(i);
        });
  }

  void Finish(size_t i) {
    File& file = files_[i];
    if (file.crc != file.output.crc32c()) {
      // The holder's file is not what its map task wrote (it changed under it): never merged.
      return Lose(i, absl::DataLossError("the copy's checksum is not the map output's"));
    }
    file.writing = true;  // the close
    fetcher_.writes_.Run([writer = file.writer] { return writer->Close(); })
        .Both([this, alive = liveness_.token(), i](absl::Status closed) {
          if (!alive || ended_) return;
          files_[i].writing = false;
          files_[i].writer.reset();
          if (!closed.ok()) return End(closed);
          files_[i].finished = true;
          StartMore();
          MaybeDone();
        });
  }

  void Lose(size_t i, const absl::Status& why) {
    File& file = files_[i];
    if (file.finished) return;
    LOG(WARNING) << "job " << job_id_ << ": map task " << file.output.map_task()
                 << "'s output from " << file.output.data_endpoint() << " is lost: " << why;
    ++fetcher_.outputs_lost_;
    if (why_lost_.ok()) why_lost_ = why;
    file.finished = true;
    file.lost = true;
    file.arrived.clear();
    // Its descriptor goes now (a write in flight keeps its own reference until it is done).
    file.writer.reset();
    StartMore();
    MaybeDone();
  }

  void MaybeDone() {
    if (ended_) return;
    for (const File& file : files_) {
      if (!file.finished || file.writing) return;
    }
    Fetched fetched;
    fetched.why_lost = why_lost_;
    for (File& file : files_) {
      if (file.lost) {
        fetched.lost.push_back(file.output.map_task());
        continue;
      }
      proto::MapOutput& local = fetched.local.emplace_back(std::move(file.output));
      local.set_path(file.local);
      local.clear_data_endpoint();
    }
    End(std::move(fetched));
  }

  void End(Result<Fetched> result) {
    if (ended_) return;
    ended_ = true;
    result_ = std::move(result);
    fetcher_.time_.CallLater(absl::ZeroDuration(),
                             [fetcher = &fetcher_, alive = fetcher_.liveness_.token(), id = id_] {
                               if (alive) fetcher->Complete(id);
                             });
  }

  MapOutputFetcher& fetcher_;
  const uint64_t id_;
  const std::string job_id_;
  const std::string dir_;
  Deferred<Fetched> done_;
  std::vector<File> files_;
  absl::Status why_lost_;
  bool ended_ = false;
  std::optional<Result<Fetched>> result_;
  Liveness liveness_;
};

MapOutputFetcher::MapOutputFetcher(ReactorTime& time, Connect connect, Env& env,
                                   BlockingCalls& writes, FetchOptions options)
    : time_(time), connect_(std::move(connect)), env_(env), writes_(writes), options_(options) {}

MapOutputFetcher::~MapOutputFetcher() {
  liveness_.End();
  auto runs = std::move(runs_);
  runs_.clear();
  for (auto& [id, run] : runs) {
    Deferred<Fetched> done = run->TakeDone();
    run.reset();
    done.Errback(absl::CancelledError("the fetcher stopped")).IgnoreError();
  }
  for (auto& [endpoint, connection] : connections_) {
    connection->transport->SetReceiver(nullptr);
    for (auto& [request, waiting] : connection->waiting) waiting.timeout.Cancel().IgnoreError();
  }
}

Deferred<MapOutputFetcher::Fetched> MapOutputFetcher::Fetch(const std::string& job_id,
                                                            std::vector<proto::MapOutput> outputs,
                                                            const std::string& dir) {
  std::vector<Source> sources;
  sources.reserve(outputs.size());
  for (proto::MapOutput& output : outputs) {
    Source& source = sources.emplace_back();
    source.output = std::move(output);
  }
  return Start(job_id, std::move(sources), dir);
}

struct MapOutputFetcher::SplitFetch {
  proto::TaskAttempt attempt;
  proto::InputSplit split;
  // Which part of the attempt's combined split `split` is (0 for a split of its own).
  uint32_t part = 0;
  bool combined = false;
  std::string dir;
  Deferred<proto::InputSplit> done;
  std::optional<Deferred<Fetched>> copying;
  bool cancelled = false;
};

Deferred<proto::InputSplit> MapOutputFetcher::FetchSplit(const proto::TaskAttempt& attempt,
                                                         const proto::InputSplit& split,
                                                         const std::string& dir) {
  if (split.parts().empty()) return FetchFile(attempt, split, std::nullopt, dir);
  return FetchParts(attempt, split, dir);
}

Deferred<proto::InputSplit> MapOutputFetcher::FetchParts(proto::TaskAttempt attempt,
                                                         proto::InputSplit split, std::string dir) {
  const Liveness::Token alive = liveness_.token();
  // One file at a time: a combined split's files are small, and its map reads them in order.
  for (int i = 0; i < split.parts_size(); ++i) {
    Deferred<proto::InputSplit> fetching =
        FetchFile(attempt, split.parts(i), static_cast<uint32_t>(i), dir);
    Result<proto::InputSplit> part = co_await std::move(fetching);
    if (!alive) co_yield Raise(absl::CancelledError("the fetcher stopped"));
    if (!part.ok()) {
      const absl::Status why = part.status();
      co_yield Raise(why);
    }
    *split.mutable_parts(i) = *std::move(part);
  }
  co_return split;
}

Deferred<proto::InputSplit> MapOutputFetcher::FetchFile(const proto::TaskAttempt& attempt,
                                                        const proto::InputSplit& split,
                                                        std::optional<uint32_t> part,
                                                        const std::string& dir) {
  auto fetch = std::make_shared<SplitFetch>();
  fetch->attempt = attempt;
  fetch->split = split;
  fetch->part = part.value_or(0);
  fetch->combined = part.has_value();
  fetch->dir = dir;
  fetch->done = Deferred<proto::InputSplit>(
      [weak = std::weak_ptr<SplitFetch>(fetch)](Deferred<proto::InputSplit>&) {
        auto fetch = weak.lock();
        if (fetch == nullptr) return;
        fetch->cancelled = true;
        if (fetch->copying.has_value()) fetch->copying->Cancel();
      });
  Deferred<proto::InputSplit> done = fetch->done;
  writes_
      .Compute<bool>([&env = env_, split]() -> absl::StatusOr<bool> {
        return IsSameFile(env, split.path(), split.identity());
      })
      .Both([this, alive = liveness_.token(), fetch](Result<bool> same) mutable {
        if (!alive || fetch->cancelled) return;
        if (same.ok() && *same) {
          // Read in place, as checked: the map need not look again.
          proto::InputSplit here = fetch->split;
          here.set_copy_path(here.path());
          fetch->done.Callback(std::move(here)).IgnoreError();
          return;
        }
        Locate(std::move(fetch), 1);
      });
  return done;
}

void MapOutputFetcher::Locate(std::shared_ptr<SplitFetch> fetch, int tries) {
  if (!ask_coordinator_) {
    fetch->done
        .Errback(absl::FailedPreconditionError(absl::StrCat(
            "input '", fetch->split.path(),
            "' is not on this worker's filesystem as planned, and this worker cannot fetch it")))
        .IgnoreError();
    return;
  }
  proto::Envelope locate;
  locate.mutable_locate_split()->set_job_id(fetch->attempt.job_id());
  locate.mutable_locate_split()->set_map_task(fetch->attempt.task());
  *locate.mutable_locate_split()->mutable_attempt() = fetch->attempt;
  locate.mutable_locate_split()->set_part(fetch->part);
  ask_coordinator_(std::move(locate), options_.locate_timeout)
      .Both(
          [this, alive = liveness_.token(), fetch, tries](Result<proto::Envelope> located) mutable {
            if (!alive || fetch->cancelled) return;
            if (located.ok()) return CopySplit(std::move(fetch), *located);
            const absl::Status& why = located.status();
            if ((absl::IsDeadlineExceeded(why) || absl::IsUnavailable(why)) &&
                tries < options_.attempts) {
              // The coordinator locates each split once: asking again waits for the same answer.
              time_.CallLater(absl::Seconds(1) * tries, [this, alive, fetch, tries]() mutable {
                if (alive && !fetch->cancelled) Locate(std::move(fetch), tries + 1);
              });
              return;
            }
            fetch->done
                .Errback(absl::Status(why.code(),
                                      absl::StrCat("the coordinator cannot serve input '",
                                                   fetch->split.path(), "': ", why.message())))
                .IgnoreError();
          });
}

void MapOutputFetcher::CopySplit(std::shared_ptr<SplitFetch> fetch,
                                 const proto::Envelope& located) {
  const proto::SplitLocated& at = located.split_located();
  if (!located.has_split_located() || at.end() < at.begin()) {
    fetch->done
        .Errback(absl::DataLossError("the coordinator answered LocateSplit with something else"))
        .IgnoreError();
    return;
  }
  const proto::InputSplit& split = fetch->split;
  Source source;
  source.output.set_map_task(fetch->attempt.task());
  source.output.set_path(split.path());
  source.output.set_bytes(at.end() - at.begin());
  source.output.set_crc32c(at.crc32c());
  source.output.set_data_endpoint(std::string(kFromCoordinator));
  source.origin = at.begin();
  source.attempt = fetch->attempt;
  source.split_part = fetch->part;
  // The same name, so that a compressed input is read as one (after the part's number, for
  // files of a combined split, which may share a name).
  const size_t slash = split.path().find_last_of('/');
  source.local_name = slash == std::string::npos ? split.path() : split.path().substr(slash + 1);
  if (fetch->combined) source.local_name = absl::StrCat(fetch->part, "-", source.local_name);
  std::vector<Source> sources;
  sources.push_back(std::move(source));
  fetch->copying = Start(fetch->attempt.job_id(), std::move(sources), fetch->dir);
  fetch->copying->Both(
      [alive = liveness_.token(), fetch, origin = at.begin()](Result<Fetched> fetched) mutable {
        if (!alive || fetch->cancelled) return;
        if (!fetched.ok()) {
          fetch->done.Errback(fetched.status()).IgnoreError();
          return;
        }
        if (!fetched->lost.empty() || fetched->local.empty()) {
          fetch->done
              .Errback(absl::UnavailableError(absl::StrCat(
                  "input '", fetch->split.path(),
                  "' could not be copied from the coordinator: ", fetched->why_lost.message())))
              .IgnoreError();
          return;
        }
        proto::InputSplit copy = fetch->split;
        copy.set_copy_path(fetched->local.front().path());
        copy.set_copy_origin(origin);
        fetch->done.Callback(std::move(copy)).IgnoreError();
      });
}

Deferred<MapOutputFetcher::Fetched> MapOutputFetcher::Start(const std::string& job_id,
                                                            std::vector<Source> sources,
                                                            const std::string& dir) {
  const uint64_t id = next_run_++;
  Deferred<Fetched> done([this, alive = liveness_.token(), id](Deferred<Fetched>&) {
    if (alive) runs_.erase(id);  // cancelled: stop copying
  });
  auto run = std::make_unique<Run>(*this, id, job_id, std::move(sources), dir, done);
  Run& started = *run;
  runs_.emplace(id, std::move(run));
  started.Start();
  return done;
}

void MapOutputFetcher::Complete(uint64_t id) {
  auto found = runs_.find(id);
  if (found == runs_.end()) return;  // cancelled meanwhile
  std::unique_ptr<Run> run = std::move(found->second);
  runs_.erase(found);
  Deferred<Fetched> done = run->TakeDone();
  Result<Fetched> result = run->TakeResult();
  run.reset();
  if (runs_.empty()) {
    // Nothing is being fetched: idle connections go, so that a long-lived worker does not keep
    // one to every holder it ever fetched from.
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (!it->second->waiting.empty()) {
        ++it;
        continue;
      }
      it->second->transport->SetReceiver(nullptr);
      connections_.erase(it++);
    }
  }
  if (result.ok()) {
    done.Callback(*std::move(result)).IgnoreError();
  } else {
    done.Errback(result.status()).IgnoreError();
  }
}

void MapOutputFetcher::HolderLost(const std::string& endpoint) {
  std::vector<Run*> runs;
  for (auto& [id, run] : runs_) runs.push_back(run.get());
  for (Run* run : runs) run->HolderLost(endpoint);  // Runs end in a later turn: none goes here
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (it->second->endpoint != endpoint) {
      ++it;
      continue;
    }
    for (auto& [request, waiting] : it->second->waiting) waiting.timeout.Cancel().IgnoreError();
    outstanding_ -= it->second->waiting.size();
    it->second->transport->SetReceiver(nullptr);
    connections_.erase(it++);
  }
}

Deferred<void> MapOutputFetcher::RemoveCopies(const std::string& dir) {
  return writes_.Run([&env = env_, dir] { return env.RemoveAll(dir); });
}

absl::StatusOr<MapOutputFetcher::Connection*> MapOutputFetcher::ConnectionTo(
    const std::string& endpoint, const std::string& key) {
  // One connection per holder process: a holder restarted on the same endpoint has another key.
  const std::string name = absl::StrCat(endpoint, " ", key);
  auto found = connections_.find(name);
  if (found != connections_.end()) return found->second.get();
  if (endpoint.empty()) {
    return absl::InvalidArgumentError("a map output to fetch has no data endpoint");
  }
  absl::StatusOr<std::unique_ptr<ClientTransport>> transport = connect_(endpoint, key);
  if (!transport.ok()) return transport.status();
  auto connection = std::make_unique<Connection>();
  connection->endpoint = endpoint;
  connection->transport = *std::move(transport);
  Connection* raw = connection.get();
  raw->transport->SetReceiver([this, raw](absl::string_view frame) { OnFrame(*raw, frame); });
  connections_.emplace(name, std::move(connection));
  return raw;
}

absl::Status MapOutputFetcher::Ask(
    const std::string& endpoint, const std::string& key, proto::Envelope request,
    absl::AnyInvocable<void(absl::StatusOr<proto::Envelope>)> on_answer) {
  if (endpoint == kFromCoordinator) {
    if (!ask_coordinator_) {
      return absl::FailedPreconditionError("this worker has no link to the coordinator");
    }
    peak_requests_ = std::max(peak_requests_, ++outstanding_);
    ask_coordinator_(std::move(request), options_.request_timeout)
        .Both([this, alive = liveness_.token(),
               on_answer = std::move(on_answer)](Result<proto::Envelope> answer) mutable {
          if (!alive) return;
          --outstanding_;
          if (answer.ok()) return on_answer(*std::move(answer));
          const absl::Status& why = answer.status();
          // Unanswered (timed out, or the link is reconnecting): asked again. Anything else is
          // the coordinator's refusal, as a holder's Reject.
          if (absl::IsDeadlineExceeded(why) || absl::IsUnavailable(why)) return on_answer(why);
          proto::Envelope refused;
          refused.mutable_reject()->set_code(StatusCodeToWire(why.code()));
          refused.mutable_reject()->set_message(std::string(why.message()));
          on_answer(std::move(refused));
        });
    return absl::OkStatus();
  }
  absl::StatusOr<Connection*> connection = ConnectionTo(endpoint, key);
  if (!connection.ok()) return connection.status();
  const uint64_t id = next_message_id_++;
  request.set_protocol_version(kProtocolVersion);
  request.set_message_id(id);
  Connection::Waiting& waiting = (*connection)->waiting[id];
  waiting.on_answer = std::move(on_answer);
  waiting.timeout = time_.CallLater(options_.request_timeout, [this, alive = liveness_.token(),
                                                               raw = *connection, id] {
    if (!alive) return;
    auto it = raw->waiting.find(id);
    if (it == raw->waiting.end()) return;
    auto on_answer = std::move(it->second.on_answer);
    raw->waiting.erase(it);
    --outstanding_;
    on_answer(absl::DeadlineExceededError(absl::StrCat(
        "no answer from ", raw->endpoint, " in ", absl::FormatDuration(options_.request_timeout))));
  });
  peak_requests_ = std::max(peak_requests_, ++outstanding_);
  // Registered first: an answer may come at once. A send refused at the high-water mark is
  // treated as unanswered: the timeout asks again.
  (*connection)->transport->Send(EncodeEnvelope(request)).IgnoreError();
  return absl::OkStatus();
}

void MapOutputFetcher::OnFrame(Connection& connection, absl::string_view frame) {
  absl::StatusOr<proto::Envelope> answer = DecodeEnvelope(frame);
  if (!answer.ok()) {
    LOG_EVERY_N(WARNING, 100) << "a malformed answer from " << connection.endpoint << ": "
                              << answer.status();
    return;  // its request times out and is asked again
  }
  auto it = connection.waiting.find(answer->reply_to());
  if (it == connection.waiting.end()) return;  // timed out already, or a duplicate
  it->second.timeout.Cancel().IgnoreError();
  auto on_answer = std::move(it->second.on_answer);
  connection.waiting.erase(it);
  --outstanding_;
  on_answer(*std::move(answer));
}

}  // namespace braid
