// MapOutputFetcher: a reducer's side of the shuffle — it copies map outputs from the workers that
// hold them (their MapOutputServers) to this worker's scratch disk, for the reduce's merge to read.
//
// Each output is fetched in chunks with credit-based flow control: at most `window` chunks of
// one output are asked for or waiting to be written at a time, and at most `max_sources` outputs
// are fetched at once, so what a fetch holds in memory is bounded by max_sources × window ×
// chunk_bytes however large the outputs and however slow this disk. Chunks are written in order as
// they come (on BlockingCalls).
//
// Every chunk's CRC-32C is checked as it arrives (a corrupt chunk is asked for again), and the
// whole file's against the one its map task reported once it is written: a file that changed
// under its holder is never handed to the merge. An output is *lost* — and its map task must run
// again — when its holder answers NOT_FOUND or refuses the request, when it cannot be
// connected to, when a chunk is corrupt, unanswered (each request times out on the reactor's
// clock) or refused as busy `attempts` times, or when the whole file's checksum is wrong. Only
// this worker's own disk failing (the directory or a copy cannot be written) fails the fetch.
//
// FetchSplit copies a map task's input the same way, from the coordinator (over the worker's own
// link to it), when this worker's filesystem does not hold the file the split was planned on.
//
// The bounds are per Fetch (one reduce attempt): a worker running several reduces at once holds
// that many windows. A request that timed out may still be queued at its holder when it is asked
// again; the holder bounds what it queues itself (MapOutputServer).
//
// Threading: the ReactorTime's thread.

#ifndef BRAID_WORKER_MAP_OUTPUT_FETCHER_H_
#define BRAID_WORKER_MAP_OUTPUT_FETCHER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/env.h"
#include "deferred/deferred.h"
#include "deferred/liveness.h"
#include "deferred/reactor_time.h"
#include "messaging/transport.h"
#include "proto/braid.pb.h"
#include "reactor/blocking_calls.h"

namespace braid {

struct FetchOptions {
  uint32_t chunk_bytes = 1 << 20;
  // Chunks of one output asked for, or arrived and not yet written, at a time.
  int window = 4;
  // Outputs fetched at once.
  int max_sources = 8;
  absl::Duration request_timeout = absl::Seconds(30);
  // Tries of one chunk (timed out or corrupt) before its output counts as lost.
  int attempts = 3;
  // How long the coordinator may take to locate a split (it reads the bytes to checksum them: a
  // compressed input whole).
  absl::Duration locate_timeout = absl::Minutes(5);
};

class MapOutputFetcher {
 public:
  // Makes the connection to a holder's data endpoint (the first argument), whose public key is
  // the second (empty without keys).
  using Connect = absl::AnyInvocable<absl::StatusOr<std::unique_ptr<ClientTransport>>(
      const std::string& endpoint, const std::string& key)>;
  // Sends a request to the coordinator and waits for its answer (the worker's Link::Request).
  using AskCoordinator = absl::AnyInvocable<Deferred<proto::Envelope>(proto::Envelope request,
                                                                      absl::Duration timeout)>;

  struct Fetched {
    // The outputs fetched, in the order given, each with its local path (and no data endpoint).
    std::vector<proto::MapOutput> local;
    // The map tasks whose outputs are lost, and why the first was.
    std::vector<uint32_t> lost;
    absl::Status why_lost;
  };

  // `env` writes the copies on `writes`; both must outlive the fetcher and its calls.
  MapOutputFetcher(ReactorTime& time, Connect connect, Env& env, BlockingCalls& writes,
                   FetchOptions options = {});
  MapOutputFetcher(const MapOutputFetcher&) = delete;
  MapOutputFetcher& operator=(const MapOutputFetcher&) = delete;
  // Fetches still running fail with kCancelled.
  ~MapOutputFetcher();

  // Copies each of `outputs` (of job `job_id`; each with its holder's data endpoint) into
  // directory `dir` (made if missing). Fires when every output is copied or lost; fails if the
  // directory or a copy cannot be written, or a holder refuses for another reason than not
  // having the output. Cancelling it stops the copying (the partial files stay for the caller
  // to remove with `dir`).
  Deferred<Fetched> Fetch(const std::string& job_id, std::vector<proto::MapOutput> outputs,
                          const std::string& dir);

  // How to reach the coordinator, for FetchSplit; null (the default) to fetch no splits.
  void SetCoordinator(AskCoordinator ask) { ask_coordinator_ = std::move(ask); }

  // The split that map attempt `attempt` reads: `split` read in place (`copy_path` its own path,
  // as checked) if this worker's filesystem holds the file it was planned on
  // (job/file_identity.h), or else a copy in `dir`
  // of the bytes a reader of it needs, fetched from the coordinator (with `copy_path` and
  // `copy_origin` set: SplitReader reads it as the split). Fails with kUnavailable if the
  // coordinator cannot be reached or the copy cannot be made, with the coordinator's refusal
  // (kDataLoss: the file changed there), or with this disk's error. Cancelling it stops the
  // copying. Of a combined split, each part is so, one after another.
  Deferred<proto::InputSplit> FetchSplit(const proto::TaskAttempt& attempt,
                                         const proto::InputSplit& split, const std::string& dir);

  // Removes a fetch's directory and the copies in it (once its reduce has read them).
  Deferred<void> RemoveCopies(const std::string& dir);

  // The holder serving at `endpoint` is gone (the coordinator declared it lost): every output
  // being fetched from it is lost now, rather than after its requests time out, and its
  // connections are dropped.
  void HolderLost(const std::string& endpoint);

  // Connections to holders kept open: those of the fetches under way (each is closed once no
  // fetch runs and nothing waits on it).
  size_t connections() const { return connections_.size(); }
  uint64_t bytes_fetched() const { return bytes_fetched_; }
  uint64_t outputs_lost() const { return outputs_lost_; }
  uint64_t chunks_refetched() const { return chunks_refetched_; }
  // The most chunk requests outstanding to all holders at once, so far (for flow control).
  size_t peak_requests() const { return peak_requests_; }

 private:
  struct Connection;
  struct Source;
  class Run;
  friend class Run;

  Deferred<Fetched> Start(const std::string& job_id, std::vector<Source> sources,
                          const std::string& dir);
  struct SplitFetch;
  // FetchSplit of a split of one file (of part `part` of a combined split, if set).
  Deferred<proto::InputSplit> FetchFile(const proto::TaskAttempt& attempt,
                                        const proto::InputSplit& split,
                                        std::optional<uint32_t> part, const std::string& dir);
  // FetchSplit of a combined split.
  Deferred<proto::InputSplit> FetchParts(proto::TaskAttempt attempt, proto::InputSplit split,
                                         std::string dir);
  // Asks the coordinator where the split's bytes lie (try `tries` of a few).
  void Locate(std::shared_ptr<SplitFetch> fetch, int tries);
  // Copies the bytes `located` names of the split into its directory; fires its Deferred.
  void CopySplit(std::shared_ptr<SplitFetch> fetch, const proto::Envelope& located);

  // The connection to `endpoint` (holding `key`), made on first use.
  absl::StatusOr<Connection*> ConnectionTo(const std::string& endpoint, const std::string& key);
  // Sends `request` to `endpoint`; `on_answer` gets the answer, or kDeadlineExceeded after the
  // request timeout. An error (and no call of `on_answer`) if there is no connection to it.
  absl::Status Ask(const std::string& endpoint, const std::string& key, proto::Envelope request,
                   absl::AnyInvocable<void(absl::StatusOr<proto::Envelope>)> on_answer);
  // Fires run `id`'s Deferred with its result and destroys it (a turn after it ended).
  void Complete(uint64_t id);
  void OnFrame(Connection& connection, absl::string_view frame);

  ReactorTime& time_;
  Connect connect_;
  AskCoordinator ask_coordinator_;
  Env& env_;
  BlockingCalls& writes_;
  FetchOptions options_;
  absl::flat_hash_map<std::string, std::unique_ptr<Connection>> connections_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Run>> runs_;
  uint64_t next_run_ = 1;
  uint64_t next_message_id_ = 1;
  size_t outstanding_ = 0;
  size_t peak_requests_ = 0;
  uint64_t bytes_fetched_ = 0;
  uint64_t chunks_refetched_ = 0;
  uint64_t outputs_lost_ = 0;
  Liveness liveness_;
};

}  // namespace braid

#endif  // BRAID_WORKER_MAP_OUTPUT_FETCHER_H_
