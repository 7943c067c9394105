#include "tools/client.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace braid {
namespace {

// Planning a job reads its inputs' listings (a task-bag job, the inputs themselves).
constexpr absl::Duration kSubmitTimeout = absl::Minutes(10);

}  // namespace

Client::Client(ReactorTime& time, std::unique_ptr<ClientTransport> transport, LinkOptions options) {
  link_ = std::make_unique<Link>(time, std::move(transport), options, [] {
    proto::Envelope hello;
    hello.mutable_client_hello()->set_name(absl::StrCat("braid client ", getpid()));
    hello.mutable_client_hello()->set_build_version("braid 0.1.0");
    return hello;
  });
  link_->SetOnMessage([this](proto::Envelope message) { OnMessage(message); });
  link_->SetOnReconnected([this](const proto::Welcome&) {
    for (const auto& [job_id, watch] : watches_) AskToWatch(job_id);
  });
  link_->SetOnLost([this](absl::Status why) {
    if (link_->state() != Link::State::kClosed) return;  // it reconnects and watches again
    // Refused or cut off for good: no event will come.
    auto watches = std::move(watches_);
    watches_.clear();
    for (auto& [job_id, watch] : watches) watch.done.Errback(why).IgnoreError();
  });
}

Client::~Client() {
  auto watches = std::move(watches_);
  for (auto& [job_id, watch] : watches) {
    watch.done.Errback(absl::CancelledError("the client closed")).IgnoreError();
  }
}

Deferred<void> Client::Connect() {
  return link_->Connect().Then([](proto::Welcome) {});
}

Deferred<proto::JobAccepted> Client::Submit(proto::JobSpec spec) {
  proto::Envelope request;
  *request.mutable_submit_job()->mutable_spec() = std::move(spec);
  return link_->Request(std::move(request), kSubmitTimeout)
      .Then([](proto::Envelope reply) -> absl::StatusOr<proto::JobAccepted> {
        if (!reply.has_job_accepted()) return absl::InternalError("unexpected answer to submit");
        return reply.job_accepted();
      });
}

Deferred<proto::JobStatus> Client::Watch(const std::string& job_id, OnEvent on_event) {
  Deferred<proto::JobStatus> done;
  watches_.insert_or_assign(job_id, Watching{std::move(on_event), done});
  AskToWatch(job_id);
  return done;
}

void Client::AskToWatch(const std::string& job_id) {
  proto::Envelope request;
  request.mutable_watch_job()->set_job_id(job_id);
  link_->Request(std::move(request)).Both([this, job_id](Result<proto::Envelope> reply) {
    if (reply.ok() || absl::IsUnavailable(reply.status()) ||
        absl::IsDeadlineExceeded(reply.status())) {
      return;  // events follow; or the link will reconnect and ask again
    }
    auto watch = watches_.find(job_id);
    if (watch == watches_.end()) return;
    Deferred<proto::JobStatus> done = std::move(watch->second.done);
    watches_.erase(watch);
    done.Errback(reply.status()).IgnoreError();
  });
}

void Client::OnMessage(proto::Envelope& message) {
  if (!message.has_job_event()) return;
  const proto::JobEvent& event = message.job_event();
  auto watch = watches_.find(event.status().job_id());
  if (watch == watches_.end()) return;
  if (watch->second.on_event) watch->second.on_event(event.status());
  if (!event.final()) return;
  Deferred<proto::JobStatus> done = std::move(watch->second.done);
  watches_.erase(watch);
  done.Callback(event.status()).IgnoreError();
}

Deferred<proto::StatusResponse> Client::Status(const std::string& job_id) {
  proto::Envelope request;
  request.mutable_status_request()->set_job_id(job_id);
  return link_->Request(std::move(request))
      .Then([](proto::Envelope reply) -> absl::StatusOr<proto::StatusResponse> {
        if (!reply.has_status_response()) return absl::InternalError("unexpected status answer");
        return reply.status_response();
      });
}

Deferred<void> Client::Cancel(const std::string& job_id) {
  proto::Envelope request;
  request.mutable_cancel_job()->set_job_id(job_id);
  return link_->Request(std::move(request)).Then([](proto::Envelope) {});
}

}  // namespace braid
