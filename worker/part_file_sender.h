// PartFileSender: a worker's way to write a part file into an output directory it cannot see —
// it sends the file to the coordinator in pieces (PartChunk, coordinator/data_service.h), which
// writes it where the attempt's part file goes, for the usual commit.
//
// Up to `window` pieces are in flight at a time (each answered once it is written), so a send
// holds that many pieces in memory. An unanswered piece, or one refused as busy, corrupt or out of
// order, starts the file over after a pause, up to `attempts` times; a refusal for any other reason
// (the attempt is not this worker's to write any more) fails the send.
//
// Threading: the caller's loop; the pieces are read on BlockingCalls.

#ifndef BRAID_WORKER_PART_FILE_SENDER_H_
#define BRAID_WORKER_PART_FILE_SENDER_H_

#include <cstdint>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "base/env.h"
#include "deferred/deferred.h"
#include "deferred/liveness.h"
#include "deferred/reactor_time.h"
#include "proto/braid.pb.h"
#include "reactor/blocking_calls.h"

namespace braid {

struct PartFileSenderOptions {
  uint32_t piece_bytes = 4 << 20;
  // Pieces sent and not yet acknowledged (the coordinator takes at most 8 ahead of its disk).
  int window = 4;
  absl::Duration request_timeout = absl::Seconds(60);
  int attempts = 5;
  // The pause before the second try; it doubles with each further one.
  absl::Duration backoff = absl::Milliseconds(200);
};

class PartFileSender {
 public:
  // Sends a request to the coordinator and waits for its answer (the worker's Link::Request).
  using AskCoordinator = absl::AnyInvocable<Deferred<proto::Envelope>(proto::Envelope request,
                                                                      absl::Duration timeout)>;

  // `env` reads the part files on `reads`; retries wait on `time`. All must outlive the sender
  // and its calls.
  PartFileSender(ReactorTime& time, Env& env, BlockingCalls& reads,
                 PartFileSenderOptions options = {});
  PartFileSender(const PartFileSender&) = delete;
  PartFileSender& operator=(const PartFileSender&) = delete;
  ~PartFileSender();

  // How to reach the coordinator; null (the default) sends nothing.
  void SetCoordinator(AskCoordinator ask) { ask_ = std::move(ask); }

  // Whether this worker sees job `job`'s output directory: whether it reads there the token the
  // coordinator wrote (job/output_layout.h's OutputTokenPath). False if it cannot read it.
  Deferred<bool> SeesOutput(const proto::JobDefinition& job);

  // Removes `dir` and what it holds (part files sent, or never to be).
  Deferred<void> Remove(const std::string& dir);

  // Sends the part file `attempt` wrote at `path` (`bytes` long, with CRC-32C `crc32c`). Fires
  // once the coordinator has it, whole and checked.
  Deferred<void> Send(const proto::TaskAttempt& attempt, const std::string& path, uint64_t bytes,
                      uint32_t crc32c);

  uint64_t bytes_sent() const { return bytes_sent_; }

 private:
  struct Sending;
  // Reads and sends the next piece while the window has room.
  void Pump(std::shared_ptr<Sending> sending);
  void Retry(std::shared_ptr<Sending> sending, const absl::Status& why);
  void End(Sending& sending, const absl::Status& outcome);

  ReactorTime& time_;
  Env& env_;
  BlockingCalls& reads_;
  PartFileSenderOptions options_;
  AskCoordinator ask_;
  uint64_t bytes_sent_ = 0;
  Liveness liveness_;
};

}  // namespace braid

#endif  // BRAID_WORKER_PART_FILE_SENDER_H_
