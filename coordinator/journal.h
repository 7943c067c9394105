// Journal: the coordinator's append-only record of what it promised — jobs accepted, tasks
// committed, jobs ended — in STATE_DIR/journal, so that a restarted coordinator resumes its jobs.
// proto/journal.proto describes the records and their framing (marker, masked CRC-32C, length,
// bytes), and STATE_DIR/IDENTITY, which keeps the cluster id, the epoch and a bound on job
// numbers apart from the journal, so that they survive damage to it.
//
// Durability: Append buffers; Flush writes what is buffered (a crash of this process then loses
// nothing, the kernel has it); Sync also fsyncs (the machine may crash). The coordinator syncs
// before it acknowledges a submit and when a job ends, flushes task commits at the end of each
// turn, and syncs them within a second.
//
// Opening reads every record back. A frame cut short at the end of the file (or zeros there) is
// a crash in the middle of a write: that tail is cut off, never trusted. Damage anywhere else —
// bytes that are no intact record with intact records after them, or a whole last record that
// fails its checksum — is never cut in silence: Open refuses with kDataLoss, and Repair (`braid
// journal repair`) moves the journal aside and keeps every intact record. Each open also starts a
// new epoch, so that attempts made after a restart never share names with attempts of an earlier
// run that a worker may still be finishing.
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
  // Format 3 frames records with a marker, so that a reader can resynchronise after damage.
  static constexpr uint32_t kFormatVersion = 3;
  // IDENTITY's bound on job numbers is moved this far past the next number when it is reached.
  static constexpr uint64_t kJobNumberLease = 1000;
  // A record larger than this is corruption, not a record: none is written (Append and Rewrite
  // refuse it).
  static constexpr uint32_t kMaxRecordBytes = 256u << 20;

  // Bytes of a journal that are no intact record, with intact records (or a whole record that
  // fails its checksum) after them.
  struct Damage {
    uint64_t offset = 0;
    uint64_t length = 0;
    // What the bytes seem to be ("a task_committed record of job J", or that nothing can be read).
    std::string what;
    // How many intact records were read before the damage.
    size_t records_before = 0;
  };

  struct Contents {
    // Empty if has_header is false (the journal's first frame is damaged).
    proto::JournalHeader header;
    bool has_header = false;
    // Every intact record, in the order of the file (those after damage too).
    std::vector<proto::JournalRecord> records;
    // Bytes cut off a torn tail (0 if the journal ended cleanly).
    uint64_t cut_bytes = 0;
    std::vector<Damage> damage;
    // Above every job number the header and the records know of (at least 1).
    uint64_t next_job_number = 1;
  };

  // What Repair did.
  struct RepairReport {
    // Empty if nothing needed repair.
    std::string moved_to;
    bool repaired = false;
    std::vector<Damage> damage;
    uint64_t records_kept = 0;
    std::string cluster_id;
    // The cluster id was lost with the header and the IDENTITY: later job ids have a new prefix.
    bool new_cluster_id = false;
    uint32_t epoch = 0;
    uint64_t next_job_number = 0;
    // One line each: jobs whose acceptance was lost, an IDENTITY that was rewritten, ...
    std::vector<std::string> notes;
  };

  // Opens `state_dir`/journal on `env` (creating the directory and a new journal if there is
  // none) and reads it into `contents`. `env` must outlive the journal. Errors:
  //   kFailedPrecondition  a journal of a newer format (names both versions);
  //   kDataLoss            damage (named by offset, what the bytes seem to be and what follows
  //                        them), an empty journal, a journal that is a directory, a missing
  //                        journal in a state directory that has been used (it holds an
  //                        IDENTITY), a damaged IDENTITY or one of another cluster: each names
  //                        `braid journal repair`;
  //   kUnavailable         another coordinator holds the state directory (STATE_DIR/LOCK);
  //   otherwise            the failed OS call's error, coded by its errno (base/file_error.h):
  //                        kPermissionDenied for a directory or file that cannot be made or
  //                        read, kResourceExhausted for a full disk, kNotFound, ...
  static absl::StatusOr<std::unique_ptr<Journal>> Open(Env& env, const std::string& state_dir,
                                                       Contents* contents);
  // Mends `state_dir` so that Open accepts it: moves a damaged (or empty, or directory) journal
  // aside as journal.damaged-TIME, and writes a journal of every intact record in it under a
  // header from what survived (the old header, else the IDENTITY, else a new cluster id), with
  // job numbers and the epoch above every one given before; rewrites a damaged or missing
  // IDENTITY. A state directory with nothing damaged is left as it is (report.repaired false).
  // Errors: kUnavailable while a coordinator uses it; kNotFound if it holds neither a journal
  // nor an IDENTITY; the failed OS call's error.
  static absl::StatusOr<RepairReport> Repair(Env& env, const std::string& state_dir);
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
  // records of a job that ended can go); kInvalidArgument for a record over kMaxRecordBytes. On
  // failure the journal is either as it was (usable()),
  // or replaced but not open again or not durably: then every later Flush and Sync fails.
  absl::Status Rewrite(const std::vector<proto::JournalRecord>& records);
  bool usable() const { return file_ != nullptr; }

  // Job numbers start above this, whatever records a compaction dropped: kept in the header by
  // the next Rewrite.
  uint64_t next_job_number() const { return header_.next_job_number(); }
  void set_next_job_number(uint64_t number) { header_.set_next_job_number(number); }
  // Makes sure the IDENTITY's bound is above `number` (writing it, durably, if it is not), so
  // that a repair never gives the number again. Call before journaling a job of that number.
  absl::Status ReserveJobNumber(uint64_t number);

 private:
  Journal(Env& env, std::string path, std::unique_ptr<FileLock> lock, proto::JournalHeader header,
          proto::StateIdentity identity)
      : env_(env),
        path_(std::move(path)),
        lock_(std::move(lock)),
        header_(std::move(header)),
        identity_(std::move(identity)) {}

  absl::Status Unusable() const;

  Env& env_;
  std::string path_;
  std::unique_ptr<FileLock> lock_;
  // Null until the first Rewrite.
  std::unique_ptr<WritableFile> file_;
  uint64_t written_ = 0;
  uint64_t synced_ = 0;  // the first written_ bytes known durable
  proto::JournalHeader header_;
  proto::StateIdentity identity_;  // as on disk
  std::string buffer_;
  bool dirty_ = false;
};

// Brings a record read from a journal of an older format to this build's: a format-1
// TaskCommitted's fields move into its `result`. Open and ReadJournal apply it to what they read.
void UpgradeRecord(proto::JournalRecord& record);

// One record as the journal frames it (marker, masked CRC-32C, length, bytes): for tests and
// tools that write a journal of their own.
std::string EncodeJournalFrame(const google::protobuf::MessageLite& record);

// Reads the journal file at `path` without changing it (for `braid journal`): the torn tail is
// reported in Contents::cut_bytes but not cut, damage in Contents::damage. Errors: the OS call's,
// kFailedPrecondition for a journal of a newer format.
absl::StatusOr<Journal::Contents> ReadJournal(Env& env, const std::string& path);

// Says what `damage` (of the journal at `path`, read into `contents`) is and what follows it,
// in one sentence: for errors and `braid journal`.
std::string DescribeDamage(const std::string& path, const Journal::Contents& contents,
                           const Journal::Damage& damage);

}  // namespace braid

#endif  // BRAID_COORDINATOR_JOURNAL_H_
