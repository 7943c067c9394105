// Journal: the coordinator's append-only record of what it promised — jobs accepted, tasks
// committed, jobs ended — in STATE_DIR/journal, so that a restarted coordinator resumes its jobs.
// proto/journal.proto describes the records and their framing (length, masked CRC-32C, bytes).
//
// Durability: Append buffers; Flush writes what is buffered (a crash of this process then loses
// nothing, the kernel has it); Sync also fsyncs (the machine may crash). The coordinator syncs
// before it acknowledges a submit and when a job ends, flushes task commits at the end of each
// turn, and syncs them within a second.
//
// Opening reads every record back. A record cut short or failing its checksum — a crash in the
// middle of a write — ends the journal there: the tail is cut off, never trusted. Each open also
// starts a new epoch, so that attempts made after a restart never share names with attempts of
// an earlier run that a worker may still be finishing.
//
// Threading: one thread.

#ifndef BRAID_COORDINATOR_JOURNAL_H_
#define BRAID_COORDINATOR_JOURNAL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/env.h"
#include "proto/journal.pb.h"

namespace braid {

class Journal {
 public:
  // The format this build writes, and the newest it reads. Format 2 embeds the TaskResult in
  // TaskCommitted; format 1 journals are read and upgraded (UpgradeRecord).
  static constexpr uint32_t kFormatVersion = 2;

  struct Contents {
    proto::JournalHeader header;
    std::vector<proto::JournalRecord> records;
    // Bytes cut off a torn or corrupt tail (0 if the journal ended cleanly).
    uint64_t cut_bytes = 0;
  };

  // Opens `state_dir`/journal on `env` (creating the directory and a new journal if there is
  // none) and reads it into `contents`. `env` must outlive the journal. Errors:
  //   kFailedPrecondition  a journal of a newer format (names both versions);
  //   kDataLoss            a journal whose header cannot be read;
  //   kUnavailable         another coordinator holds the state directory (STATE_DIR/LOCK);
  //   otherwise            the failed OS call's error, coded by its errno (base/file_error.h):
  //                        kPermissionDenied for a directory or file that cannot be made or
  //                        read, kResourceExhausted for a full disk, kNotFound, ...
  static absl::StatusOr<std::unique_ptr<Journal>> Open(Env& env, const std::string& state_dir,
                                                       Contents* contents);
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  // Flushes (without fsync).
  ~Journal();

  const std::string& path() const { return path_; }
  const std::string& cluster_id() const { return header_.cluster_id(); }
  // Counts the coordinator's starts on this state directory, from 1.
  uint32_t epoch() const { return header_.epoch(); }

  // Buffers `record`. kInvalidArgument (and nothing buffered) for a record larger than a journal
  // reads back (256 MiB).
  absl::Status Append(const proto::JournalRecord& record);
  // Writes what is buffered. On failure nothing of it stays in the file (a partly written
  // record is cut off again) and the buffer is dropped: the caller decides what the loss means.
  absl::Status Flush();
  // Writes what is buffered and fsyncs it. On failure what was written since the last Sync is
  // cut off again (if the file can still be cut): none of it may count as journaled.
  absl::Status Sync();
  // Whether records were written or buffered since the last Sync.
  bool dirty() const { return dirty_; }
  // The journal's length in bytes, buffered records included.
  uint64_t size() const { return written_ + buffer_.size(); }

  // Replaces the journal, atomically, by one holding the header and `records` (compaction: the
  // records of a job that ended can go). On failure the journal is either as it was (usable()),
  // or replaced but not open again or not durably: then every later Flush and Sync fails.
  absl::Status Rewrite(const std::vector<proto::JournalRecord>& records);
  bool usable() const { return file_ != nullptr; }

  // Job numbers start above this, whatever records a compaction dropped: kept in the header by
  // the next Rewrite.
  uint64_t next_job_number() const { return header_.next_job_number(); }
  void set_next_job_number(uint64_t number) { header_.set_next_job_number(number); }

 private:
  Journal(Env& env, std::string path, std::unique_ptr<FileLock> lock, proto::JournalHeader header)
      : env_(env), path_(std::move(path)), lock_(std::move(lock)), header_(std::move(header)) {}

  absl::Status Unusable() const;

  Env& env_;
  std::string path_;
  std::unique_ptr<FileLock> lock_;
  // Null until the first Rewrite.
  std::unique_ptr<WritableFile> file_;
  uint64_t written_ = 0;
  uint64_t synced_ = 0;  // the first written_ bytes known durable
  proto::JournalHeader header_;
  std::string buffer_;
  bool dirty_ = false;
};

// Brings a record read from a journal of an older format to this build's: a format-1
// TaskCommitted's fields move into its `result`. Open and ReadJournal apply it to what they read.
void UpgradeRecord(proto::JournalRecord& record);

// One record as the journal frames it (length, masked CRC-32C, bytes): for tests and tools that
// write a journal of their own.
std::string EncodeJournalFrame(const google::protobuf::MessageLite& record);

// Reads the journal file at `path` without changing it (for `braid journal`): the same checks as
// Journal::Open, the tail reported in Contents::cut_bytes but not cut.
absl::StatusOr<Journal::Contents> ReadJournal(Env& env, const std::string& path);

}  // namespace braid

#endif  // BRAID_COORDINATOR_JOURNAL_H_
