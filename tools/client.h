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

  Deferred<void> Cancel(const std::string& job_id);

  void Close() { link_->Close("done"); }

 private:
  struct Watching {
    OnEvent on_event;
    Deferred<proto::JobStatus> done;
  };

  struct Submitting {
    proto::Envelope request;
    Deferred<proto::JobAccepted> done;
  };

  void OnMessage(proto::Envelope& message);
  void AskToWatch(const std::string& job_id);
  // Sends the submit of submission id `id` (again).
  void SendSubmit(const std::string& id);
  // Ends the submit of submission id `id`, if it is still waiting, with `outcome`.
  void EndSubmit(const std::string& id, absl::StatusOr<proto::JobAccepted> outcome);

  ReactorTime& time_;
  std::unique_ptr<Link> link_;
  absl::flat_hash_map<std::string, Watching> watches_;
  absl::flat_hash_map<std::string, Submitting> submits_;
  // A Connect waiting for the Link's first welcome after its first hello went unanswered.
  std::optional<Deferred<void>> connecting_;
  Liveness liveness_;
};

}  // namespace braid

#endif  // BRAID_TOOLS_CLIENT_H_
