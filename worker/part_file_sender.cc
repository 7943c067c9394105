#include "worker/part_file_sender.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "job/output_layout.h"
#include "proto/attempt_name.h"
#include "third_party/absl_compat/crc32c.h"

namespace braid {

struct PartFileSender::Sending {
  proto::TaskAttempt attempt;
  std::string path;
  uint64_t bytes = 0;
  uint32_t crc32c = 0;
  int tries = 1;
  // This try's progress: the next piece to read, whether one is being read, pieces sent and
  // not yet acknowledged.
  uint64_t next = 0;
  bool started = false;  // the first piece (an empty file's only one) is read or sent
  bool reading = false;
  int in_flight = 0;
  Deferred<void> done;
  bool cancelled = false;
  bool ended = false;
};

PartFileSender::PartFileSender(ReactorTime& time, Env& env, BlockingCalls& reads,
                               PartFileSenderOptions options)
    : time_(time), env_(env), reads_(reads), options_(options) {}

PartFileSender::~PartFileSender() { liveness_.End(); }

Deferred<void> PartFileSender::Send(const proto::TaskAttempt& attempt, const std::string& path,
                                    uint64_t bytes, uint32_t crc32c) {
  auto sending = std::make_shared<Sending>();
  sending->attempt = attempt;
  sending->path = path;
  sending->bytes = bytes;
  sending->crc32c = crc32c;
  sending->done = Deferred<void>([weak = std::weak_ptr<Sending>(sending)](Deferred<void>&) {
    if (auto sending = weak.lock()) sending->cancelled = true;
  });
  Deferred<void> done = sending->done;
  if (!ask_) {
    End(*sending, absl::FailedPreconditionError("this worker has no link to the coordinator"));
    return done;
  }
  Pump(std::move(sending));
  return done;
}

Deferred<bool> PartFileSender::SeesOutput(const proto::JobDefinition& job) {
  return reads_.Compute<bool>([&env = env_, path = OutputTokenPath(job.spec().output()),
                               token = job.output_token()]() -> absl::StatusOr<bool> {
    absl::StatusOr<std::string> found = env.ReadFile(path);
    return found.ok() && *found == token;
  });
}

Deferred<void> PartFileSender::Remove(const std::string& dir) {
  return reads_.Run([&env = env_, dir] { return env.RemoveAll(dir); });
}

void PartFileSender::End(Sending& sending, const absl::Status& outcome) {
  if (sending.ended) return;
  sending.ended = true;
  if (outcome.ok()) {
    sending.done.Callback().IgnoreError();
  } else {
    sending.done.Errback(outcome).IgnoreError();
  }
}

void PartFileSender::Pump(std::shared_ptr<Sending> sending) {
  // Pieces are read one at a time, so that they are sent in order.
  if (sending->ended || sending->cancelled || sending->reading ||
      sending->in_flight >= options_.window ||
      (sending->started && sending->next >= sending->bytes)) {
    return;
  }
  sending->started = true;
  sending->reading = true;
  const uint64_t offset = sending->next;
  const size_t length =
      static_cast<size_t>(std::min<uint64_t>(options_.piece_bytes, sending->bytes - offset));
  sending->next += length;
  reads_
      .Compute<std::string>([&env = env_, path = sending->path, offset, length] {
        return ReadFileRange(env, path, offset, length);
      })
      .Both([this, alive = liveness_.token(), sending, offset, length,
             tries = sending->tries](Result<std::string> data) mutable {
        if (!alive || sending->cancelled || sending->ended || tries != sending->tries) return;
        sending->reading = false;
        if (!data.ok()) return End(*sending, data.status());
        if (data->size() != length) {
          return End(*sending, absl::DataLossError(absl::StrCat("part file '", sending->path,
                                                                "' changed while it was sent")));
        }
        if (!ask_) return End(*sending, absl::CancelledError("the worker's link is gone"));
        proto::Envelope request;
        proto::PartChunk* piece = request.mutable_part_chunk();
        *piece->mutable_attempt() = sending->attempt;
        piece->set_offset(offset);
        piece->set_crc32c(braid_compat::ComputeCrc32c(*data));
        const bool last = offset + length == sending->bytes;
        piece->set_last(last);
        if (last) {
          piece->set_file_bytes(sending->bytes);
          piece->set_file_crc32c(sending->crc32c);
        }
        piece->set_data(*std::move(data));
        ++sending->in_flight;
        ask_(std::move(request), options_.request_timeout)
            .Both([this, alive, sending, length, last,
                   tries](Result<proto::Envelope> answer) mutable {
              if (!alive || sending->cancelled || sending->ended || tries != sending->tries) return;
              --sending->in_flight;
              if (!answer.ok()) return Retry(std::move(sending), answer.status());
              bytes_sent_ += length;
              if (last) return End(*sending, absl::OkStatus());
              Pump(std::move(sending));
            });
        Pump(std::move(sending));
      });
}

void PartFileSender::Retry(std::shared_ptr<Sending> sending, const absl::Status& why) {
  const bool again = absl::IsDeadlineExceeded(why) || absl::IsUnavailable(why) ||
                     absl::IsResourceExhausted(why) || absl::IsDataLoss(why) ||
                     absl::IsAborted(why);
  if (!again || sending->tries >= options_.attempts) {
    return End(*sending,
               absl::Status(why.code(),
                            absl::StrCat("sending part file of ", AttemptName(sending->attempt),
                                         " to the coordinator: ", why.message())));
  }
  LOG(WARNING) << "sending part file of " << AttemptName(sending->attempt)
               << " again from its start: " << why;
  const absl::Duration pause = options_.backoff * (1 << std::min(sending->tries - 1, 6));
  // A new try: answers to the pieces of the last one are ignored.
  ++sending->tries;
  sending->next = 0;
  sending->started = false;
  sending->reading = false;
  sending->in_flight = 0;
  time_.CallLater(pause, [this, alive = liveness_.token(), sending]() mutable {
    if (alive && !sending->cancelled) Pump(std::move(sending));
  });
}

}  // namespace braid
