// braid journal STATE_DIR: prints a coordinator's journal, one record per line, without
// changing it (a torn tail and damage are reported, not cut); exits 1 if it is damaged.
// braid journal repair STATE_DIR: Journal::Repair, and what it did.

#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/env.h"
#include "coordinator/journal.h"
#include "tools/commands.h"

namespace braid {
namespace {

const char* KindName(proto::TaskKind kind) {
  return kind == proto::TASK_KIND_MAP ? "map" : "reduce";
}

void PrintRecord(const proto::JournalRecord& record) {
  switch (record.record_case()) {
    case proto::JournalRecord::kJobAccepted: {
      const proto::JournalRecord::JobAccepted& accepted = record.job_accepted();
      absl::PrintF("accepted  %s job=%s maps=%d reduces=%d inputs=%s output=%s\n", record.job_id(),
                   accepted.spec().job(), accepted.splits_size(), accepted.reducers(),
                   absl::StrJoin(accepted.spec().inputs(), ","), accepted.spec().output());
      break;
    }
    case proto::JournalRecord::kTaskCommitted: {
      const proto::TaskResult& task = record.task_committed().result();
      absl::PrintF("committed %s %s %d attempt %d worker %s outputs=%d\n", record.job_id(),
                   KindName(task.attempt().kind()), task.attempt().task(), task.attempt().attempt(),
                   task.worker(), task.outputs_size());
      break;
    }
    case proto::JournalRecord::kJobEnded: {
      const proto::JournalRecord::JobEnded& ended = record.job_ended();
      absl::PrintF("ended     %s %s%s%s\n", record.job_id(), proto::JobState_Name(ended.state()),
                   ended.message().empty() ? "" : ": ", ended.message());
      break;
    }
    default:
      absl::PrintF("unknown   %s (a record of a kind this braid does not know)\n", record.job_id());
  }
}

int RepairCommand(const std::string& state_dir) {
  absl::StatusOr<Journal::RepairReport> report = Journal::Repair(*Env::Default(), state_dir);
  if (!report.ok()) {
    absl::FPrintF(stderr, "braid journal repair: %s\n", report.status().message());
    return 1;
  }
  if (!report->repaired) {
    absl::PrintF("the journal in %s is intact: nothing to repair (%d records, cluster %s)\n",
                 state_dir, report->records_kept, report->cluster_id);
    return 0;
  }
  for (const Journal::Damage& damage : report->damage) {
    absl::PrintF("damaged   %d bytes at byte %d: %s\n", damage.length, damage.offset, damage.what);
  }
  if (!report->moved_to.empty()) absl::PrintF("moved     the journal to %s\n", report->moved_to);
  absl::PrintF("kept      %d intact records; cluster %s, epoch %d, job numbers from %d\n",
               report->records_kept, report->cluster_id, report->epoch, report->next_job_number);
  for (const std::string& note : report->notes) absl::PrintF("note      %s\n", note);
  return 0;
}

}  // namespace

int JournalCommand(const std::vector<std::string>& args) {
  if (args.size() == 3 && args[1] == "repair") return RepairCommand(args[2]);
  if (args.size() != 2) {
    absl::FPrintF(stderr, "usage: braid journal [repair] STATE_DIR\n");
    return 2;
  }
  // A directory without a journal is no coordinator's state: say so rather than print an
  // empty journal.
  Env& env = *Env::Default();
  absl::StatusOr<FileInfo> dir = env.Stat(args[1]);
  if (!dir.ok() || dir->type != FileInfo::Type::kDirectory) {
    absl::FPrintF(stderr,
                  "braid journal: '%s' is not a directory (give a coordinator's --state-dir)\n",
                  args[1]);
    return 1;
  }
  const std::string path = args[1] + "/journal";
  if (!env.Exists(path)) {
    absl::FPrintF(stderr,
                  "braid journal: '%s' holds no journal: it is not a coordinator's state "
                  "directory (by default WORK_DIR/state)\n",
                  args[1]);
    return 1;
  }
  absl::StatusOr<Journal::Contents> contents = ReadJournal(env, path);
  if (!contents.ok()) {
    absl::FPrintF(stderr, "braid journal: %s\n", contents.status().message());
    return 1;
  }
  if (contents->has_header) {
    absl::PrintF("journal   format %d, cluster %s, epoch %d, %d records\n",
                 contents->header.format_version(), contents->header.cluster_id(),
                 contents->header.epoch(), contents->records.size());
  } else {
    absl::PrintF("journal   header lost, %d intact records\n", contents->records.size());
  }
  // Each damage where it lies among the records.
  size_t printed = 0;
  for (const Journal::Damage& damage : contents->damage) {
    for (; printed < damage.records_before; ++printed) PrintRecord(contents->records[printed]);
    absl::PrintF("damaged   %s\n", DescribeDamage(path, *contents, damage));
  }
  for (; printed < contents->records.size(); ++printed) PrintRecord(contents->records[printed]);
  if (contents->cut_bytes > 0) {
    absl::PrintF("torn      %d bytes at the end are a torn write (the coordinator cuts them)\n",
                 contents->cut_bytes);
  }
  if (!contents->damage.empty()) {
    absl::FPrintF(stderr,
                  "braid journal: the journal is damaged: `braid journal repair %s` keeps every "
                  "intact record\n",
                  args[1]);
    return 1;
  }
  return 0;
}

}  // namespace braid
