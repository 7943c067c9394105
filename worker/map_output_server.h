// MapOutputServer: a worker's data endpoint — it serves the map outputs this worker wrote to the
// reducers that fetch them, one chunk per FetchRequest.
//
// The server holds nothing in memory but its index of outputs and the chunks being read: each
// request reads its byte range from the scratch disk (off the loop, through BlockingCalls) and
// answers it. Reducers ask for a bounded number of chunks at a time (credit-based flow control,
// MapOutputFetcher), and the server bounds the reads it queues per peer and in all whatever a
// peer sends: a slow or hostile reducer costs the holder its share, never a growing queue.
//
// Only outputs added with Add are served, and only to a request that names them exactly (job,
// map task, partition and path): a request for any other file — another job's, a path outside
// the scratch directory — is refused (PERMISSION_DENIED) and counted; one for an output this
// worker no longer has (its job ended, the process restarted, the file is gone) is answered
// NOT_FOUND, so that the reducer has the map task run again.
//
// Threading: the ReactorTime's thread.

#ifndef BRAID_WORKER_MAP_OUTPUT_SERVER_H_
#define BRAID_WORKER_MAP_OUTPUT_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "base/env.h"
#include "deferred/liveness.h"
#include "deferred/reactor_time.h"
#include "messaging/bad_input.h"
#include "messaging/transport.h"
#include "proto/braid.pb.h"
#include "proto/envelope.h"
#include "reactor/blocking_calls.h"

namespace braid {

struct MapOutputServerOptions {
  // Reads queued or under way at once, for one peer and in all; a request beyond either is
  // answered RESOURCE_EXHAUSTED at once (the fetcher asks again), so no peer can make the holder
  // queue more than its share, however many requests it sends.
  size_t reads_per_peer = 64;
  size_t reads = 256;
};

class MapOutputServer {
 public:
  // `env` reads the outputs, which live under `scratch_dir`/JOB/, on `reads`; both must outlive
  // the server and its calls.
  MapOutputServer(std::unique_ptr<ServerTransport> transport, std::string scratch_dir, Env& env,
                  BlockingCalls& reads, MapOutputServerOptions options = {});
  MapOutputServer(const MapOutputServer&) = delete;
  MapOutputServer& operator=(const MapOutputServer&) = delete;
  ~MapOutputServer();

  std::string endpoint() const { return transport_->endpoint(); }

  // Serves `output` (written by this worker for job `job_id`) from now on.
  void Add(const std::string& job_id, const proto::MapOutput& output);
  // Stops serving job `job_id`'s outputs (the job ended: its files are being removed).
  void ForgetJob(const std::string& job_id);

  size_t outputs() const { return outputs_.size(); }
  // Whether it serves some output of map task `map_task` of job `job_id`.
  bool Holds(const std::string& job_id, uint32_t map_task) const;
  uint64_t chunks_served() const { return chunks_served_; }
  uint64_t bytes_served() const { return bytes_served_; }
  // Requests for files this worker never served (another job's, another path).
  uint64_t refused() const { return refused_; }
  // Requests answered RESOURCE_EXHAUSTED: too many reads were queued already.
  uint64_t busy() const { return busy_; }
  const BadInputLog& bad_input() const { return bad_input_; }

 private:
  struct Output {
    std::string job_id;
    uint32_t map_task;
    uint32_t partition;
    uint64_t bytes;
  };

  void OnFrame(const PeerId& peer, absl::string_view frame);
  void Answer(const PeerId& peer, uint64_t request_id, proto::Envelope& answer);
  void Refuse(const PeerId& peer, uint64_t request_id, const absl::Status& why);

  std::unique_ptr<ServerTransport> transport_;
  std::string scratch_dir_;
  Env& env_;
  BlockingCalls& reads_;
  MapOutputServerOptions options_;
  // Reads queued or under way, per peer (only peers with some) and in all.
  absl::flat_hash_map<PeerId, size_t> reading_;
  size_t reading_total_ = 0;
  uint64_t busy_ = 0;
  // By path: each file this worker wrote is one output.
  absl::flat_hash_map<std::string, Output> outputs_;
  uint64_t next_message_id_ = 1;
  uint64_t chunks_served_ = 0;
  uint64_t bytes_served_ = 0;
  uint64_t refused_ = 0;
  BadInputLog bad_input_{"data endpoint"};
  Liveness liveness_;
};

}  // namespace braid

#endif  // BRAID_WORKER_MAP_OUTPUT_SERVER_H_
