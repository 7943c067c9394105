// FakeEnv: an Env whose filesystem lives in memory and whose wall clock is set by hand — for
// tests of what a full disk, a failed call or a crash of the machine does to the code above it.
//
// Paths are read as the kernel reads them ("a//b/" is "a/b"; ".." is not resolved): "/" and "."
// exist from the start, a file can be made only in a directory that exists (kNotFound
// otherwise), and an open WritableFile keeps writing to its file after a rename or a remove, as a
// descriptor does. Errors are coded as PosixEnv codes them (FileError with the errno the real
// call would set). Rules given to FailOn match the path a call names (for a rename, its source).
//
// A simulated crash loses, for every file, what was appended since its last Sync; files,
// renames and removals themselves survive it (directory entries count as durable at once, which
// POSIX promises only after a sync of the directory: a test cannot find a missing SyncDir here).
//
// Threading: safe from any thread.

#ifndef BRAID_BASE_FAKE_ENV_H_
#define BRAID_BASE_FAKE_ENV_H_

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "base/env.h"

namespace braid {

class FakeEnv final : public Env {
 public:
  // The calls a test can make fail, by what they do.
  enum class Op {
    kCreate,  // NewWritableFile, NewAppendableFile, NewPrivateFile
    kAppend,
    kTruncate,
    kSync,
    kClose,
    kRead,  // ReadFile, CheckReadable, NewSequentialFile and each of its reads
    kStat,
    kList,  // GetChildren, Glob
    kCreateDirs,
    kRename,
    kRemove,  // RemoveFile, RemoveAll
    kSyncDir,
    kLock,
  };
  static constexpr int kAlways = std::numeric_limits<int>::max();
  static constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

  FakeEnv();
  ~FakeEnv() override;

  // The next `times` calls of `op` on a path containing `path_part` (every path if empty) fail
  // with `error` and change nothing. The rule set latest is checked first.
  void FailOn(Op op, std::string path_part, absl::Status error, int times = kAlways);
  void ClearFailures();
  // The disk holds `bytes` of file data in all: an Append beyond that writes what fits and fails
  // as a full disk does (ENOSPC → kResourceExhausted).
  void SetCapacity(uint64_t bytes);
  // The machine crashes: every file is cut to what it had synced; files open before the crash,
  // and locks, are dead (their calls fail with kAborted).
  void SimulateCrash();
  // Gives the file at `path` these permission bits (as chmod does). kNotFound if there is none.
  absl::Status SetPermissions(const std::string& path, uint32_t permissions);
  // How many calls of `op` were made (failed ones included).
  int calls(Op op) const;
  // File data in all, in bytes.
  uint64_t used_bytes() const;

  // Sets the wall clock (which may go back); the monotonic clock stays.
  void SetNow(absl::Time now);
  // Moves both clocks on by `by` (>= 0).
  void AdvanceNow(absl::Duration by);

  // Env.
  absl::Time Now() override;
  absl::Duration Monotonic() override;
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<WritableFile>> NewPrivateFile(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path,
                                                                    uint64_t offset) override;
  absl::StatusOr<std::string> ReadFile(const std::string& path) override;
  absl::Status CheckReadable(const std::string& path) override;
  absl::StatusOr<FileInfo> Stat(const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override;
  absl::StatusOr<std::vector<std::string>> Glob(const std::string& pattern) override;
  absl::Status CreateDirs(const std::string& path) override;
  absl::Status RenameFile(const std::string& from, const std::string& to) override;
  absl::Status RemoveFile(const std::string& path) override;
  absl::Status RemoveAll(const std::string& path) override;
  absl::Status SyncDir(const std::string& dir) override;
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;

 private:
  class File;
  class Reader;
  class Lock;
  struct Node {
    std::string data;
    size_t synced = 0;
    absl::Time modified;
    uint32_t permissions = 0644;
  };
  struct Failure {
    Op op;
    std::string path_part;
    absl::Status error;
    int left;
  };

  // Counts the call; the error of a matching failure rule, if any.
  absl::Status Check(Op op, const std::string& path) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool IsDir(const std::string& path) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The file a read of `path` reads (counting the call, failing it as told).
  absl::StatusOr<std::shared_ptr<Node>> FileToRead(const std::string& path)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t UsedLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  enum class OpenMode { kTruncate, kAppend, kPrivate };
  absl::StatusOr<std::unique_ptr<WritableFile>> Open(const std::string& path, OpenMode mode);

  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  absl::Duration monotonic_ ABSL_GUARDED_BY(mu_) = absl::Hours(1);
  std::map<std::string, std::shared_ptr<Node>> files_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> dirs_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> locked_ ABSL_GUARDED_BY(mu_);
  std::vector<Failure> failures_ ABSL_GUARDED_BY(mu_);
  std::map<Op, int> calls_ ABSL_GUARDED_BY(mu_);
  uint64_t capacity_ ABSL_GUARDED_BY(mu_) = kUnlimited;
  // Raised by each crash: handles from an earlier one are dead.
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace braid

#endif  // BRAID_BASE_FAKE_ENV_H_
