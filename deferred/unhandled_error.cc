#include "deferred/unhandled_error.h"

#include <utility>

#include "glog/logging.h"

namespace braid {
namespace {

UnhandledErrorSink& ThreadSink() {
  thread_local UnhandledErrorSink sink;
  return sink;
}

}  // namespace

UnhandledErrorSink SetUnhandledErrorSink(UnhandledErrorSink sink) {
  return std::exchange(ThreadSink(), std::move(sink));
}

void ReportUnhandledError(const absl::Status& error) {
  UnhandledErrorSink& sink = ThreadSink();
  if (sink) {
    sink(error);
  } else {
    LOG(ERROR) << "Unhandled error in Deferred: " << error;
  }
}

}  // namespace braid
