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
    // (Asking may end a watch at once, and its callback may watch another job: ids first.)
    std::vector<std::string> watched;
    for (const auto& [job_id, watch] : watches_) watched.push_back(job_id);
    for (const std::string& job_id : watched) AskToWatch(job_id);
    std::vector<uint64_t> lost;
    for (const auto& [id, resent] : resent_) lost.push_back(id);
    for (uint64_t id : lost) Send(id);
  });
  link_->SetOnLost([this](absl::Status why) {
    if (link_->state() != Link::State::kClosed) return;  // it reconnects and asks again
    // Refused or cut off for good: no event or answer will come.
    auto watches = std::move(watches_);
    watches_.clear();
    for (auto& [job_id, watch] : watches) watch.done.Errback(why).IgnoreError();
    auto resent = std::move(resent_);
    resent_.clear();
    for (auto& [id, request] : resent) request.done.Errback(why).IgnoreError();
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
  auto resent = std::move(resent_);
  for (auto& [id, request] : resent) {
    request.done.Errback(absl::CancelledError("the client closed")).IgnoreError();
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
  proto::Envelope request;
  *request.mutable_submit_job()->mutable_spec() = std::move(spec);
  return RequestAcrossRestarts(std::move(request), timeout, "submit")
      .Then([](proto::Envelope reply) -> absl::StatusOr<proto::JobAccepted> {
        if (!reply.has_job_accepted()) return absl::InternalError("unexpected answer to submit");
        return reply.job_accepted();
      });
}

Deferred<proto::Envelope> Client::RequestAcrossRestarts(proto::Envelope request,
                                                        absl::Duration timeout,
                                                        absl::string_view what) {
  const uint64_t id = next_resent_++;
  Resent& resent = resent_[id];
  resent.request = std::move(request);
  Deferred<proto::Envelope> done = resent.done;
  Send(id);
  time_.CallLater(
      timeout, [this, alive = liveness_.token(), id, timeout, what = std::string(what)] {
        if (!alive) return;
        End(id, absl::DeadlineExceededError(absl::StrCat(
                    "no answer to the ", what, " in ", absl::FormatDuration(timeout),
                    ": the coordinator may still have done it (braid status shows its jobs)")));
      });
  return done;
}

void Client::Send(uint64_t id) {
  auto resent = resent_.find(id);
  if (resent == resent_.end()) return;
  // (Each send may take as long as it takes: RequestAcrossRestarts's deadline ends the wait.)
  link_->Request(resent->second.request, absl::Hours(24))
      .Both([this, alive = liveness_.token(), id](Result<proto::Envelope> reply) {
        if (!alive) return;
        if (!reply.ok()) {
          // Lost with the connection (or sent while there was none): sent again on reconnection.
          // A coordinator's own kUnavailable refusal comes while the link is up, and ends it.
          const Link::State state = link_->state();
          if (absl::IsUnavailable(reply.status()) &&
              (state == Link::State::kReconnecting || state == Link::State::kIntroducing)) {
            auto resent = resent_.find(id);
            if (resent != resent_.end()) resent->second.lost = true;
            return;
          }
        }
        End(id, std::move(reply));
      });
}

void Client::End(uint64_t id, Result<proto::Envelope> outcome) {
  auto resent = resent_.find(id);
  if (resent == resent_.end()) return;
  Deferred<proto::Envelope> done = std::move(resent->second.done);
  const bool lost = resent->second.lost;
  resent_.erase(resent);
  if (outcome.ok()) {
    done.Callback(*std::move(outcome)).IgnoreError();
  } else if (lost && absl::IsFailedPrecondition(outcome.status())) {
    // What the lost send asked for may have been done: the request was sent again.
    done.Errback(absl::FailedPreconditionError(
                     absl::StrCat(outcome.status().message(),
                                  " (the request was sent again after the "
                                  "coordinator was lost: it may have done it)")))
        .IgnoreError();
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

Deferred<void> Client::Cancel(const std::string& job_id, absl::Duration timeout) {
  proto::Envelope request;
  request.mutable_cancel_job()->set_job_id(job_id);
  return RequestAcrossRestarts(std::move(request), timeout, "cancel").Then([](proto::Envelope) {});
}

}  // namespace braid
