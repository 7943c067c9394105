// DataService: the coordinator's side of a fleet without a shared filesystem, on the workers'
// own connections to it.
//
// Input: a worker whose filesystem does not hold the file a split was planned on (the same
// path with the same FileIdentity, job/file_identity.h) asks where the bytes a reader of the
// split needs lie (LocateSplit: SplitLocated, with their CRC-32C) and copies them in chunks
// (FetchRequest: FetchChunk), as a reducer copies map outputs.
//
// Output: a worker that cannot see the job's output directory (it does not find the token the
// coordinator wrote there, job/output_layout.h) sends each part file in pieces (PartChunk),
// which the DataService writes where the attempt's part file goes, so that the commit is the
// same either way: atomic renames, _SUCCESS last.
//
// It serves each worker only what it has business with: the bytes of the split that a map
// attempt it runs reads (located first), and the part file of an attempt it runs that writes
// one. Anything else is refused (PERMISSION_DENIED; NOT_FOUND for a job that is not running) and
// counted. Reads and writes run off the loop (BlockingCalls); at most `reads_per_peer` per worker
// and `reads` in all are queued (beyond, RESOURCE_EXHAUSTED: ask again), pieces are at most
// kMaxFetchChunk, and one piece per part file is written at a time. A split is located once per
// job and map task, however many attempts ask. Part files are synced before they are
// acknowledged whole, as the workers' own are.
//
// Threading: the Hub's thread.

#ifndef BRAID_COORDINATOR_DATA_SERVICE_H_
#define BRAID_COORDINATOR_DATA_SERVICE_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "base/env.h"
#include "deferred/liveness.h"
#include "messaging/hub.h"
#include "proto/braid.pb.h"
#include "reactor/blocking_calls.h"

namespace braid {

struct DataServiceOptions {
  size_t reads_per_peer = 16;
  size_t reads = 64;
  // Part files being received at once.
  size_t uploads = 1024;
};

class DataService {
 public:
  // What the DataService asks of the coordinator's jobs.
  class Catalog {
   public:
    virtual ~Catalog() = default;
    // The split `attempt` reads, if it is a map attempt that runs on the worker at `peer`:
    // NOT_FOUND if its job is not running, PERMISSION_DENIED otherwise.
    virtual absl::StatusOr<const proto::InputSplit*> SplitFor(
        const PeerId& peer, const proto::TaskAttempt& attempt) = 0;
    // Where `attempt` writes its part file, if it runs on the worker at `peer`: NOT_FOUND if
    // its job is not running, PERMISSION_DENIED if the attempt is not that worker's to write.
    virtual absl::StatusOr<std::string> PartFileOf(const PeerId& peer,
                                                   const proto::TaskAttempt& attempt) = 0;
  };

  // `env` reads the inputs and writes the part files on `calls`; all must outlive the service.
  DataService(Hub& hub, Catalog& catalog, Env& env, BlockingCalls& calls,
              DataServiceOptions options = {});
  DataService(const DataService&) = delete;
  DataService& operator=(const DataService&) = delete;
  ~DataService();

  // Each takes the request in `message` from worker `peer` and answers it.
  void OnLocateSplit(const PeerId& peer, const proto::Envelope& message);
  void OnFetch(const PeerId& peer, const proto::Envelope& message);
  void OnPartChunk(const PeerId& peer, proto::Envelope& message);

  // Job `job_id` ended: part files still being received for it are dropped.
  void ForgetJob(const std::string& job_id);

  uint64_t bytes_served() const { return bytes_served_; }
  uint64_t bytes_received() const { return bytes_received_; }
  // Requests refused as none of the asker's business.
  uint64_t refused() const { return refused_; }
  size_t uploads() const { return uploads_.size(); }

 private:
  // A piece received and not yet written.
  struct Piece {
    uint64_t request_id;
    // Shared with the write under way, which may outlive the upload (dropped at the job's end).
    std::shared_ptr<const std::string> data;
    uint32_t crc32c;
    bool last;
    uint64_t file_bytes;
    uint32_t file_crc32c;
  };
  struct Upload {
    PeerId peer;
    proto::TaskAttempt attempt;
    std::string path;
    std::shared_ptr<WritableFile> file;
    uint64_t received = 0;  // bytes of the pieces taken (written or waiting)
    uint64_t written = 0;
    uint32_t crc = 0;
    std::deque<Piece> pieces;  // in order; the front is being written
    uint64_t generation = 0;
    bool busy() const { return !pieces.empty(); }
  };
  // Pieces of one part file taken ahead of the disk (the sender's window).
  static constexpr size_t kPiecesAhead = 8;
  // Writes the front piece of upload `name`.
  void WriteNextPiece(const std::string& name);

  // Takes a read slot for `peer`, or answers RESOURCE_EXHAUSTED and returns false.
  bool TakeRead(const PeerId& peer, uint64_t request_id);
  void ReturnRead(const PeerId& peer);
  void Refuse(const PeerId& peer, uint64_t request_id, const absl::Status& why);
  // The split `attempt` reads (of a combined split, its part `part`), or null after refusing
  // the request.
  const proto::InputSplit* SplitFor(const PeerId& peer, uint64_t request_id,
                                    const proto::TaskAttempt& attempt, uint32_t part);
  // Drops the uploads whose attempts have ended (not those being written).
  void DropEndedUploads();
  struct Located;
  void Answer(const PeerId& peer, uint64_t request_id, const Located& located);

  Hub& hub_;
  Catalog& catalog_;
  Env& env_;
  BlockingCalls& calls_;
  DataServiceOptions options_;
  absl::flat_hash_map<PeerId, size_t> reading_;
  size_t reading_total_ = 0;
  // By attempt name.
  absl::flat_hash_map<std::string, Upload> uploads_;
  // Splits located, by "JOB/MAP_TASK", and the requests waiting for one being located.
  struct Located {
    std::string job_id;
    uint64_t begin = 0;
    uint64_t end = 0;
    uint32_t crc32c = 0;
    bool done = false;
    std::vector<std::pair<PeerId, uint64_t>> waiting;
  };
  absl::flat_hash_map<std::string, Located> located_;
  uint64_t next_generation_ = 1;
  uint64_t bytes_served_ = 0;
  uint64_t bytes_received_ = 0;
  uint64_t refused_ = 0;
  Liveness liveness_;
};

}  // namespace braid

#endif  // BRAID_COORDINATOR_DATA_SERVICE_H_
