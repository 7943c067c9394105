// Streaming jobs (Hadoop Streaming): the job's name and limits, and the check of a StreamingSpec
// that both the client (before it submits) and the coordinator (before it plans) make.
//
// A streaming job runs external commands as its mapper, combiner and reducer; the worker runs
// them (worker/streaming_task.h). docs/jobs.md describes the protocol the commands follow.

#ifndef BRAID_JOB_STREAMING_SPEC_H_
#define BRAID_JOB_STREAMING_SPEC_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/braid.pb.h"

namespace braid {

// The job name of streaming jobs (JobSpec.job).
inline constexpr absl::string_view kStreamingJob = "streaming";

// The bytes of all files shipped with one job, together: the job's spec travels in one frame
// to every worker (frames are limited to 64 MiB).
inline constexpr uint64_t kMaxShippedBytes = uint64_t{16} << 20;

// The task timeout when JobSpec.task_timeout_ms is 0 (Hadoop's mapreduce.task.timeout).
inline constexpr uint64_t kDefaultTaskTimeoutMs = 600'000;

// A streaming mapper that names Hadoop's IdentityMapper: each line becomes a pair whose key is
// the line's byte offset in its file (sorted as a number) and whose value is the line, as
// Hadoop's TextInputFormat gives them to a Java mapper.
inline constexpr absl::string_view kIdentityMapper = "org.apache.hadoop.mapred.lib.IdentityMapper";

// Checks the streaming part of `spec`: for job "streaming", a mapper, cmdenv entries of the form
// NAME=VALUE, shipped files with plain unique names and modes, within kMaxShippedBytes; for any
// other job, no streaming part at all. kInvalidArgument naming the problem (in the words of the
// command line: --mapper, --cmdenv, --file).
absl::Status ValidateStreamingSpec(const proto::JobSpec& spec);

}  // namespace braid

#endif  // BRAID_JOB_STREAMING_SPEC_H_
