// JobStore: the coordinator's durable memory, and the one owner of its Journal — which records
// are written and when they are synced, what a restart replays, when the journal is compacted.
//
//   JobAccepted  is synced before it returns: a submit is acknowledged only once it is on disk.
//   TaskCommitted is buffered, written at the end of the reactor's turn and synced within
//                sync_interval: a crash of the machine may lose the last second of commits, which
//                the resumed job then runs again (its outputs are still where they were).
//   JobEnded     is synced before it returns; only then may a failed job's output go.
//
// A write or sync that fails once makes the store fail for good (LevelDB's background error):
// what it buffered may be lost, so it promises nothing more. JobAccepted is then refused with
// kUnavailable, JobEnded reports the error (the caller keeps the job's output: a restart will
// resume the job), and error() says why, for `braid status`. A restart of the coordinator, once
// the disk is mended, reopens the journal and replays what reached it.
//
// Threading: the ReactorTime's thread.

#ifndef BRAID_COORDINATOR_JOB_STORE_H_
#define BRAID_COORDINATOR_JOB_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/env.h"
#include "base/metrics.h"
#include "coordinator/journal.h"
#include "deferred/liveness.h"
#include "deferred/reactor_time.h"
#include "proto/journal.pb.h"

namespace braid {

class JobStore {
 public:
  struct Options {
    std::string state_dir;
    // How long a committed task may wait in the buffer before it is fsynced.
    absl::Duration sync_interval = absl::Seconds(1);
    // Ended jobs whose end a restart remembers (the latest ones).
    size_t kept_ended_jobs = 100;
    // The journal is compacted once it has grown by this much since it was last written whole.
    uint64_t compaction_threshold_bytes = uint64_t{64} << 20;
  };

  // What the journal held, replayed.
  struct Recovered {
    struct Unfinished {
      std::string job_id;
      proto::JournalRecord::JobAccepted accepted;
      // In the order they committed.
      std::vector<proto::TaskCommitted> committed;
    };
    // Jobs accepted and not ended, in the order they were accepted.
    std::vector<Unfinished> unfinished;
    // The latest ended jobs (at most kept_ended_jobs), in the order they ended.
    std::vector<std::pair<std::string, proto::JobStatus>> ended;
    // Above every job number given on this state directory (kept through compactions).
    uint64_t next_job_number = 1;
    // Bytes of a torn tail that were cut.
    uint64_t cut_bytes = 0;
  };

  // Opens the journal in options.state_dir (Journal::Open's errors), replays it into `recovered`,
  // and compacts it to what `recovered` holds. `env` and `time` must outlive the store.
  static absl::StatusOr<std::unique_ptr<JobStore>> Open(Env& env, ReactorTime& time,
                                                        Options options, Recovered* recovered);
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;
  // Syncs what is buffered.
  ~JobStore();

  const std::string& cluster_id() const { return journal_->cluster_id(); }
  uint32_t epoch() const { return journal_->epoch(); }
  const std::string& path() const { return journal_->path(); }
  uint64_t size() const { return journal_->size(); }
  // OK, or why the store failed (and promises nothing more).
  const absl::Status& error() const { return error_; }

  // Records job `job_id`'s acceptance and syncs it. kUnavailable, naming the cause, if the store
  // failed before or fails now; kInvalidArgument (the store still working) for a plan too large
  // to journal.
  // (Records are taken by value, to be moved in: a plan or a final status may be large.)
  absl::Status JobAccepted(const std::string& job_id, proto::JournalRecord::JobAccepted accepted);
  // Records a task's commit, its accepted result (buffered; see above). Dropped if the store has
  // failed.
  void TaskCommitted(const std::string& job_id, const proto::TaskResult& result);
  // Records a job's end and syncs it: OK only if it is on disk. (An end too large to journal with
  // every task's status is journaled without them.)
  absl::Status JobEnded(const std::string& job_id, proto::JournalRecord::JobEnded ended);

  // How long each fsync of the journal took (on the ReactorTime's clock).
  const Histogram& sync_seconds() const { return sync_seconds_; }

  // Whether the journal has grown enough to be compacted (the caller knows whether no job runs).
  bool compaction_due() const;
  // Replaces the journal by the ends of the jobs to remember, `ended` (the caller's choice:
  // no job may be running). A failure leaves the journal as it was, and the store working.
  absl::Status Compact(const std::vector<proto::JournalRecord>& ended);

 private:
  JobStore(ReactorTime& time, Options options, std::unique_ptr<Journal> journal)
      : time_(time), options_(std::move(options)), journal_(std::move(journal)) {}

  // Writes the buffer out at the end of this turn; fsyncs it within sync_interval.
  void ScheduleFlush();
  void Flush();
  void Sync();
  // Makes the store fail with `error` (the first failure is the one kept).
  void Fail(const absl::Status& error);
  absl::Status Refusal() const;

  ReactorTime& time_;
  const Options options_;
  std::unique_ptr<Journal> journal_;
  absl::Status error_;
  bool flush_scheduled_ = false;
  bool sync_scheduled_ = false;
  uint64_t bytes_at_rewrite_ = 0;
  // From 100 microseconds to about 1.6 seconds.
  Histogram sync_seconds_{Histogram::ExponentialBounds(0.0001, 2, 15)};
  Liveness liveness_;
};

}  // namespace braid

#endif  // BRAID_COORDINATOR_JOB_STORE_H_
