// The streaming flags of braid submit and braid simulate (--mapper, --combiner, --reducer,
// --cmdenv, --file, --task-timeout) and how they go into a JobSpec.

#ifndef BRAID_TOOLS_STREAMING_FLAGS_H_
#define BRAID_TOOLS_STREAMING_FLAGS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/braid.pb.h"
#include "tools/flags.h"

namespace braid {

// Adds the streaming flags to `spec`: a --mapper, --combiner, --reducer, --cmdenv or --file
// without --job makes the job "streaming"; each --file is read now and shipped in the spec (by
// its base name, with its permission bits); --task-timeout goes in as task_timeout_ms.
// kInvalidArgument for streaming flags on another job, a streaming job without --mapper, a bad
// --cmdenv, files over the limit or a --task-timeout that is not above zero; kNotFound or
// kPermissionDenied naming a --file that cannot be read.
absl::Status AddStreamingFlags(const RepeatedFlags& repeated, proto::JobSpec& spec);

// Reads the file at `path` into `file`, to ship it with a job: its base name, content and
// permission bits. kNotFound or kPermissionDenied if it cannot be read, kInvalidArgument if it is
// not a regular file or holds more than `budget` bytes; the messages name `option` and `path`.
absl::Status ReadShippedFile(absl::string_view option, const std::string& path, uint64_t budget,
                             proto::ShippedFile& file);

}  // namespace braid

#endif  // BRAID_TOOLS_STREAMING_FLAGS_H_
