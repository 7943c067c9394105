// Client: what `braid submit`, `status`, `cancel` and `simulate` speak to a coordinator — submit
// a job, watch it to its end, ask for status, cancel.
//
// A watch survives the loss of the coordinator: when the Link reconnects (a coordinator that
// restarted on its state directory knows its jobs again), the client asks to watch afresh. So
// does a submit: it carries a submission id, and one whose answer was lost with the connection
// is sent again once the Link reconnects; the coordinator answers a submit it has seen with the
// job the first one created, so a submit never makes two jobs and never reports a failure for a
// job that was accepted. A coordinator that cuts the client off (its key was removed) ends every
// watch and submit with its reason.
//
// Threading: the ReactorTime's thread.

#ifndef BRAID_TOOLS_CLIENT_H_
#define BRAID_TOOLS_CLIENT_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "deferred/deferred.h"
#include "deferred/liveness.h"
#include "deferred/reactor_time.h"
#include "messaging/link.h"
#include "messaging/transport.h"
#include "proto/braid.pb.h"

namespace braid {

class Client {
 public:
  using OnEvent = absl::AnyInvocable<void(const proto::JobStatus& status)>;

  Client(ReactorTime& time, std::unique_ptr<ClientTransport> transport, LinkOptions options = {});
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  // Introduces the client; fails if the coordinator refuses it, or cannot be reached within
  // `patience` (beyond the Link's own wait for a first answer: a coordinator that is restarting
  // is waited for).
  Deferred<void> Connect(absl::Duration patience = absl::ZeroDuration());

  // Submits `spec` (under a new random submission id unless it has one); fires with the job's id
  // and plan, or fails with the coordinator's reason (kInvalidArgument, kNotFound,
  // kAlreadyExists, ...), or with kDeadlineExceeded if no answer came within `timeout`, however
  // often the coordinator was lost and found again meanwhile.
  Deferred<proto::JobAccepted> Submit(proto::JobSpec spec,
                                      absl::Duration timeout = absl::Minutes(10));

  // Watches job `job_id`: `on_event` gets each progress update; fires with the final status
  // (whatever the job's outcome). Fails with kNotFound for an unknown job.
  Deferred<proto::JobStatus> Watch(const std::string& job_id, OnEvent on_event);

  // The status of every job (empty id) or of one, with its tasks.
  Deferred<proto::StatusResponse> Status(const std::string& job_id = "");

  // Cancels job `job_id`; like Submit, sent again when its answer was lost with the connection
  // (a job then found ended already fails with kFailedPrecondition saying the request was sent
  // again: the first one may have cancelled it).
  Deferred<void> Cancel(const std::string& job_id, absl::Duration timeout = absl::Minutes(10));

  void Close() { link_->Close("done"); }

 private:
  struct Watching {
    OnEvent on_event;
    Deferred<proto::JobStatus> done;
  };

  // A request sent again each time the Link reconnects until it is answered.
  struct Resent {
    proto::Envelope request;
    Deferred<proto::Envelope> done;
    bool lost = false;  // a send of it was lost with the connection
  };

  void OnMessage(proto::Envelope& message);
  void AskToWatch(const std::string& job_id);
  // Sends `request` until it is answered, the Link closes for good, or `timeout` passes (`what`
  // names it in that error). For requests the coordinator may get twice.
  Deferred<proto::Envelope> RequestAcrossRestarts(proto::Envelope request, absl::Duration timeout,
                                                  absl::string_view what);
  void Send(uint64_t id);
  void End(uint64_t id, Result<proto::Envelope> outcome);

  ReactorTime& time_;
  std::unique_ptr<Link> link_;
  absl::flat_hash_map<std::string, Watching> watches_;
  absl::flat_hash_map<uint64_t, Resent> resent_;
  uint64_t next_resent_ = 0;
  // A Connect waiting for the Link's first welcome after its first hello went unanswered.
  std::optional<Deferred<void>> connecting_;
  Liveness liveness_;
};

}  // namespace braid

#endif  // BRAID_TOOLS_CLIENT_H_
