// C++20 coroutines over Deferred — Twisted's inlineCallbacks and ensureDeferred.
//
// A function that returns Deferred<T> and uses co_await / co_return is a coroutine. It runs at
// once, up to its first co_await of a Deferred that has not fired; `co_await d` gives the
// Result<U> of a Deferred<U> (its value or its error); `co_return` a T, an absl::StatusOr<T> or an
// error fires the returned Deferred. A Deferred<void> coroutine ends with `co_return;` or by
// running off its end (Twisted's return). `co_yield Raise(error)` ends any of them with an error
// at once (Twisted's raise; a Deferred<void> coroutine has no other way, since C++ lets a
// coroutine have `co_return;` or `co_return value;`, not both). Cancelling the returned
// Deferred cancels the Deferred the coroutine is waiting for; the coroutine resumes with that
// cancellation and decides what to return. If what it waits for is destroyed without firing, the
// coroutine is destroyed too (its locals are freed) and its Deferred never fires — provided the
// coroutine does not itself hold a handle to it: await a parameter or local with
// `co_await std::move(d)`, or the two keep each other alive.
//
// Included by deferred.h; not for direct use.

#ifndef BRAID_DEFERRED_INTERNAL_COROUTINE_H_
#define BRAID_DEFERRED_INTERNAL_COROUTINE_H_

#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

#include "deferred/deferred.h"

namespace braid {

// What `co_yield Raise(error)` takes: see above. An OK status is no error: it becomes
// kInvalidArgument, as Errback refuses one.
struct RaisedError {
  absl::Status error;
};
inline RaisedError Raise(absl::Status error) {
  if (error.ok()) error = absl::InvalidArgumentError("Raise needs an error; it was given OK");
  return RaisedError{std::move(error)};
}

}  // namespace braid

namespace braid::deferred_internal {

template <typename U>
class Awaiter;

// Resumes a coroutine suspended on a Core with that Core's result.
template <typename U>
class ResumeStage final : public StageOf<ResumeStage<U>> {
 public:
  ResumeStage(Awaiter<U>* awaiter, std::coroutine_handle<> coroutine)
      : awaiter_(awaiter), coroutine_(coroutine) {}
  ~ResumeStage() override {
    if (coroutine_) coroutine_.destroy();
  }

  Core* Run(Core& core) noexcept {
    awaiter_->result_.emplace(TakeResult<U>(core));
    std::exchange(coroutine_, nullptr).resume();
    return nullptr;
  }

 private:
  Awaiter<U>* awaiter_;
  std::coroutine_handle<> coroutine_;
};

template <typename U>
class Awaiter {
 public:
  Awaiter(Deferred<U> awaited, Core** awaiting)
      : core_(Access::TakeCore(std::move(awaited))), awaiting_(awaiting) {}

  bool await_ready() const noexcept { return core_->ready(); }

  void await_suspend(std::coroutine_handle<> coroutine) {
    *awaiting_ = core_.get();
    core_->AddStage<ResumeStage<U>>(this, coroutine);
    core_->MarkHandedOn();
    // Let go of the awaited Deferred: whoever will fire it keeps it alive. If nobody does, this
    // release destroys it, and with it this coroutine — so nothing may follow it here.
    core_.release()->Release();
  }

  Result<U> await_resume() {
    *awaiting_ = nullptr;
    if (result_.has_value()) return *std::move(result_);
    Result<U> result = TakeResult<U>(*core_);
    core_->MarkHandedOn();
    return result;
  }

 private:
  friend class ResumeStage<U>;
  CoreRef core_;
  Core** awaiting_;
  std::optional<Result<U>> result_;
};

template <typename T>
class PromiseBase : public CancelHook {
 public:
  PromiseBase() : core_(Core::New<T>()) { core_->SetCancelHook(this, /*owned=*/false); }
  ~PromiseBase() override { core_->ClearCancelHook(this); }

  Deferred<T> get_return_object() {
    core_->AddRef();
    return Access::Wrap<T>(CoreRef(core_.get()));
  }
  std::suspend_never initial_suspend() noexcept { return {}; }
  std::suspend_never final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { std::terminate(); }

  template <typename U>
  Awaiter<U> await_transform(Deferred<U> awaited) {
    return Awaiter<U>(std::move(awaited), &awaiting_);
  }

  // co_yield Raise(error): fires the Deferred with the error and destroys the coroutine, which
  // never resumes.
  auto yield_value(RaisedError raised) {
    struct Ending {
      PromiseBase* promise;
      absl::Status error;
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<> coroutine) noexcept {
        promise->Finish(Result<T>(std::move(error)));
        coroutine.destroy();
      }
      void await_resume() const noexcept {}
    };
    return Ending{this, std::move(raised.error)};
  }

  bool OnCancel(Core&) override {
    Core* awaited = awaiting_;
    if (awaited == nullptr) return true;
    // Resuming the coroutine may finish it and destroy this promise: touch nothing after.
    awaited->AddRef();
    CoreRef keep(awaited);
    awaited->Cancel();
    return false;
  }

 protected:
  void Finish(Result<T>&& result) {
    if (core_->called()) {
      core_->RefuseSecondFire().IgnoreError();
      return;
    }
    PutResult<T>(*core_, std::move(result));
    core_->Fire();
  }

 private:
  CoreRef core_;
  Core* awaiting_ = nullptr;
};

template <typename T>
class Promise final : public PromiseBase<T> {
 public:
  void return_value(Result<T> result) { this->Finish(std::move(result)); }
};

template <>
class Promise<void> final : public PromiseBase<void> {
 public:
  void return_void() { this->Finish(absl::OkStatus()); }
};

}  // namespace braid::deferred_internal

#endif  // BRAID_DEFERRED_INTERNAL_COROUTINE_H_
