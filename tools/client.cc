#include "tools/client.h"

#include <unistd.h>

#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "glog/logging.h"

namespace braid {
namespace {

std::string NewSubmissionId() {
  absl::BitGen random;
  return absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(random),
                         absl::Uniform<uint64_t>(random));
}

}  // namespace

Client::Client(ReactorTime& time, std::unique_ptr<ClientTransport> transport, LinkOptions options)
    : time_(time) {
  link_ = std::make_unique<Link>(time, std::move(transport), options, [] {
    proto::Envelope hello;
    hello.mutable_client_hello()->set_name(absl::StrCat("braid client ", getpid()));
    hello.mutable_client_hello()->set_build_version("braid 0.1.0");
    return hello;
  });
  link_->SetOnMessage([this](proto::Envelope message) { OnMessage(message); });
  link_->SetOnReconnected([this](const proto::Welcome&) {
    if (connecting_.has_value()) {
      Deferred<void> connected = *std::move(connecting_);
      connecting_.reset();
      connected.Callback().IgnoreError();
    }
    for (const auto& [job_id, watch] : watches_) AskToWatch(job_id);
    std::vector<std::string> submits;
    for (const auto& [id, submit] : submits_) submits.push_back(id);
    for (const std::string& id : submits) SendSubmit(id);
  });
  link_->SetOnLost([this](absl::Status why) {
    if (link_->state() != Link::State::kClosed) return;  // it reconnects and asks again
    // Refused or cut off for good: no event or answer will come.
    auto watches = std::move(watches_);
    watches_.clear();
    for (auto& [job_id, watch] : watches) watch.done.Errback(why).IgnoreError();
    auto submits = std::move(submits_);
    submits_.clear();
    for (auto& [id, submit] : submits) submit.done.Errback(why).IgnoreError();
    if (connecting_.has_value()) {
      Deferred<void> connected = *std::move(connecting_);
      connecting_.reset();
      connected.Errback(why).IgnoreError();
    }
  });
}

Client::~Client() {
  liveness_.End();
  auto watches = std::move(watches_);
  for (auto& [job_id, watch] : watches) {
    watch.done.Errback(absl::CancelledError("the client closed")).IgnoreError();
  }
  auto submits = std::move(submits_);
  for (auto& [id, submit] : submits) {
    submit.done.Errback(absl::CancelledError("the client closed")).IgnoreError();
  }
  if (connecting_.has_value()) {
    connecting_->Errback(absl::CancelledError("the client closed")).IgnoreError();
  }
}

Deferred<void> Client::Connect(absl::Duration patience) {
  Deferred<void> done;
  link_->Connect().Both(
      [this, alive = liveness_.token(), done, patience](Result<proto::Welcome> welcome) mutable {
        if (!alive) return;
        if (welcome.ok()) {
          done.Callback().IgnoreError();
          return;
        }
        if (!absl::IsUnavailable(welcome.status()) || patience <= absl::ZeroDuration() ||
            link_->state() == Link::State::kClosed) {
          done.Errback(welcome.status()).IgnoreError();
          return;
        }
        // The Link goes on trying: its next welcome ends the wait.
        connecting_ = done;
        time_.CallLater(patience, [this, alive, patience, why = welcome.status()] {
          if (!alive || !connecting_.has_value()) return;
          Deferred<void> connected = *std::move(connecting_);
          connecting_.reset();
          connected
              .Errback(absl::UnavailableError(absl::StrCat(
                  why.message(), ", and no answer since, in ", absl::FormatDuration(patience))))
              .IgnoreError();
        });
      });
  return done;
}

Deferred<proto::JobAccepted> Client::Submit(proto::JobSpec spec, absl::Duration timeout) {
  if (spec.submission_id().empty()) spec.set_submission_id(NewSubmissionId());
  const std::string id = spec.submission_id();
  if (submits_.contains(id)) {
    Deferred<proto::JobAccepted> refused;
    refused
        .Errback(absl::AlreadyExistsError(
            absl::StrCat("submission ", id, " is being submitted already")))
        .IgnoreError();
    return refused;
  }
  Submitting& submit = submits_[id];
  *submit.request.mutable_submit_job()->mutable_spec() = std::move(spec);
  Deferred<proto::JobAccepted> done = submit.done;
  SendSubmit(id);
  time_.CallLater(timeout, [this, alive = liveness_.token(), id, timeout] {
    if (!alive) return;
    EndSubmit(id, absl::DeadlineExceededError(absl::StrCat(
                      "no answer to the submit in ", absl::FormatDuration(timeout),
                      ": the coordinator may still accept it (braid status lists its jobs)")));
  });
  return done;
}

void Client::SendSubmit(const std::string& id) {
  auto submit = submits_.find(id);
  if (submit == submits_.end()) return;
  // (Each send has the whole timeout: Submit's own deadline ends the wait.)
  link_->Request(submit->second.request, absl::Hours(24))
      .Both([this, alive = liveness_.token(), id](Result<proto::Envelope> reply) {
        if (!alive) return;
        if (!reply.ok()) {
          // Lost with the connection (or sent while there was none): sent again on reconnection.
          // A coordinator's own kUnavailable refusal comes while the link is up, and ends it.
          const Link::State state = link_->state();
          if (absl::IsUnavailable(reply.status()) &&
              (state == Link::State::kReconnecting || state == Link::State::kIntroducing)) {
            return;
          }
          EndSubmit(id, reply.status());
          return;
        }
        if (!reply->has_job_accepted()) {
          EndSubmit(id, absl::InternalError("unexpected answer to submit"));
          return;
        }
        EndSubmit(id, reply->job_accepted());
      });
}

void Client::EndSubmit(const std::string& id, absl::StatusOr<proto::JobAccepted> outcome) {
  auto submit = submits_.find(id);
  if (submit == submits_.end()) return;
  Deferred<proto::JobAccepted> done = std::move(submit->second.done);
  submits_.erase(submit);
  if (outcome.ok()) {
    done.Callback(*std::move(outcome)).IgnoreError();
  } else {
    done.Errback(outcome.status()).IgnoreError();
  }
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
