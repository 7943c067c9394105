#include "coordinator/job_store.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace braid {

absl::StatusOr<std::unique_ptr<JobStore>> JobStore::Open(Env& env, ReactorTime& time,
                                                         Options options, Recovered* recovered) {
  Journal::Contents contents;
  absl::StatusOr<std::unique_ptr<Journal>> journal =
      Journal::Open(env, options.state_dir, &contents);
  if (!journal.ok()) return journal.status();
  *recovered = Recovered();
  recovered->cut_bytes = contents.cut_bytes;
  // Above every number the header and the records know of.
  recovered->next_job_number = contents.next_job_number;

  // Replay: what each job was given, what it committed, how it ended.
  struct Replayed {
    std::optional<proto::JournalRecord::JobAccepted> accepted;
    std::vector<proto::TaskCommitted> committed;
    std::optional<proto::JournalRecord> ended;
  };
  absl::flat_hash_map<std::string, Replayed> replayed;
  std::vector<std::string> ended_order;  // as the jobs ended
  for (const proto::JournalRecord& record : contents.records) {
    Replayed& job = replayed[record.job_id()];
    switch (record.record_case()) {
      case proto::JournalRecord::kJobAccepted:
        job.accepted = record.job_accepted();
        break;
      case proto::JournalRecord::kTaskCommitted:
        job.committed.push_back(record.task_committed());
        break;
      case proto::JournalRecord::kJobEnded: {
        if (job.ended.has_value()) break;
        job.ended = record;
        proto::JobStatus* status = job.ended->mutable_job_ended()->mutable_status();
        if (status->job_id().empty()) status->set_job_id(record.job_id());
        ended_order.push_back(record.job_id());
        break;
      }
      default:
        LOG(WARNING) << "journal: skipped a record of a kind this coordinator does not know";
    }
  }

  // The kept: the latest ends, and every record of the jobs that resume.
  std::vector<proto::JournalRecord> kept;
  const size_t first_kept = ended_order.size() > options.kept_ended_jobs
                                ? ended_order.size() - options.kept_ended_jobs
                                : 0;
  for (size_t i = first_kept; i < ended_order.size(); ++i) {
    Replayed& job = replayed[ended_order[i]];
    recovered->ended.emplace_back(ended_order[i], job.ended->job_ended().status());
    kept.push_back(*std::move(job.ended));
  }
  std::map<uint64_t, std::string> unfinished;  // by job number: the order of acceptance
  for (const auto& [id, job] : replayed) {
    if (!job.ended.has_value() && job.accepted.has_value() && job.accepted->has_spec()) {
      unfinished[job.accepted->number()] = id;
    }
  }
  absl::flat_hash_set<std::string> resumed;
  for (auto& [number, id] : unfinished) {
    Replayed& job = replayed[id];
    recovered->unfinished.push_back(
        Recovered::Unfinished{id, *std::move(job.accepted), std::move(job.committed)});
    resumed.insert(id);
  }
  for (proto::JournalRecord& record : contents.records) {
    if (resumed.contains(record.job_id())) kept.push_back(std::move(record));
  }
  (*journal)->set_next_job_number(recovered->next_job_number);
  absl::Status rewritten = (*journal)->Rewrite(kept);
  if (!rewritten.ok()) return rewritten;
  std::unique_ptr<JobStore> store(new JobStore(time, std::move(options), *std::move(journal)));
  store->bytes_at_rewrite_ = store->journal_->size();
  return store;
}

JobStore::~JobStore() {
  liveness_.End();
  if (error_.ok() && journal_->dirty()) Sync();
}

void JobStore::Fail(const absl::Status& error) {
  if (!error_.ok()) return;
  error_ = error;
  LOG(ERROR) << "journal " << journal_->path() << " failed: " << error
             << "; no job is accepted until the coordinator restarts";
}

absl::Status JobStore::Refusal() const {
  return absl::UnavailableError(
      absl::StrCat("the coordinator cannot journal the job (", error_.message(),
                   "): it accepts no job until the state directory is mended and it is restarted"));
}

absl::Status JobStore::JobAccepted(const std::string& job_id,
                                   proto::JournalRecord::JobAccepted accepted) {
  if (!error_.ok()) return Refusal();
  const uint64_t next_number = accepted.number() + 1;
  // The number is reserved in the IDENTITY first, so that no repair gives it again.
  if (absl::Status reserved = journal_->ReserveJobNumber(accepted.number()); !reserved.ok()) {
    Fail(reserved);
    return Refusal();
  }
  proto::JournalRecord record;
  record.set_job_id(job_id);
  *record.mutable_job_accepted() = std::move(accepted);
  if (absl::Status appended = journal_->Append(record); !appended.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("the job's plan is too large to journal (",
                                                   appended.message(),
                                                   "): use a larger --split-size"));
  }
  Sync();
  if (!error_.ok()) return Refusal();
  journal_->set_next_job_number(std::max(journal_->next_job_number(), next_number));
  return absl::OkStatus();
}

void JobStore::TaskCommitted(const std::string& job_id, const proto::TaskResult& result) {
  if (!error_.ok()) return;
  proto::JournalRecord record;
  record.set_job_id(job_id);
  *record.mutable_task_committed()->mutable_result() = result;
  if (absl::Status appended = journal_->Append(record); !appended.ok()) {
    // Not journaled, so a restart runs the task again; the job goes on.
    LOG(WARNING) << "job " << job_id << ": a commit not journaled: " << appended;
    return;
  }
  ScheduleFlush();
}

absl::Status JobStore::JobEnded(const std::string& job_id, proto::JournalRecord::JobEnded ended) {
  if (!error_.ok()) return error_;
  proto::JournalRecord record;
  record.set_job_id(job_id);
  *record.mutable_job_ended() = std::move(ended);
  if (!journal_->Append(record).ok()) {
    // Too large with every task's status: the end without them.
    record.mutable_job_ended()->mutable_status()->clear_tasks();
    if (absl::Status appended = journal_->Append(record); !appended.ok()) return appended;
  }
  Sync();
  return error_;
}

void JobStore::ScheduleFlush() {
  if (!flush_scheduled_) {
    flush_scheduled_ = true;
    time_.CallLater(absl::ZeroDuration(), [this, alive = liveness_.token()] {
      if (!alive) return;
      flush_scheduled_ = false;
      Flush();
    });
  }
  if (!sync_scheduled_) {
    sync_scheduled_ = true;
    time_.CallLater(options_.sync_interval, [this, alive = liveness_.token()] {
      if (!alive) return;
      sync_scheduled_ = false;
      if (journal_->dirty()) Sync();
    });
  }
}

void JobStore::Flush() {
  if (!error_.ok()) return;
  if (absl::Status flushed = journal_->Flush(); !flushed.ok()) Fail(flushed);
}

void JobStore::Sync() {
  if (!error_.ok()) return;
  const absl::Time start = time_.Now();
  absl::Status synced = journal_->Sync();
  sync_seconds_.Observe(absl::ToDoubleSeconds(time_.Now() - start));
  if (!synced.ok()) Fail(synced);
}

bool JobStore::compaction_due() const {
  return error_.ok() && journal_->size() - bytes_at_rewrite_ >= options_.compaction_threshold_bytes;
}

absl::Status JobStore::Compact(const std::vector<proto::JournalRecord>& ended) {
  Flush();
  if (!error_.ok()) return error_;
  absl::Status rewritten = journal_->Rewrite(ended);
  if (!rewritten.ok()) {
    LOG(ERROR) << "journal " << journal_->path() << ": compaction failed: " << rewritten;
    if (!journal_->usable()) Fail(rewritten);
    return rewritten;
  }
  bytes_at_rewrite_ = journal_->size();
  return absl::OkStatus();
}

}  // namespace braid
