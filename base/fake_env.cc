#include "base/fake_env.h"

#include <fnmatch.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/file_error.h"

namespace braid {
namespace {

absl::Status Crashed(const std::string& path) {
  return absl::AbortedError(absl::StrCat("'", path, "' was open when the machine crashed"));
}

// Whether `path` lies below directory `dir` (both normalized).
bool Within(const std::string& path, const std::string& dir) {
  if (path == dir) return false;
  if (dir == "/") return absl::StartsWith(path, "/");
  if (dir == ".") return !absl::StartsWith(path, "/");
  return path.size() > dir.size() && absl::StartsWith(path, dir) && path[dir.size()] == '/';
}

// `path` without empty or "." components and trailing slashes, as the kernel reads it ("a//b/"
// is "a/b", "./a" is "a"); "" stays "". (".." is kept as it is: the fake resolves no links.)
std::string Normalize(const std::string& path) {
  if (path.empty()) return path;
  std::string normal = path[0] == '/' ? "/" : "";
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (!normal.empty() && normal.back() != '/') normal += '/';
    normal.append(part.data(), part.size());
  }
  return normal.empty() ? "." : normal;
}

}  // namespace

class FakeEnv::File final : public WritableFile {
 public:
  File(FakeEnv& env, std::string path, std::shared_ptr<Node> node, uint64_t generation)
      : env_(env), path_(std::move(path)), node_(std::move(node)), generation_(generation) {}

  absl::Status Append(absl::string_view data) override {
    absl::MutexLock lock(&env_.mu_);
    if (absl::Status usable = Usable(Op::kAppend); !usable.ok()) return usable;
    const uint64_t used = env_.UsedLocked();
    const uint64_t room = env_.capacity_ > used ? env_.capacity_ - used : 0;
    const size_t fits = static_cast<size_t>(std::min<uint64_t>(room, data.size()));
    node_->data.append(data.data(), fits);
    node_->modified = env_.now_;
    if (fits < data.size()) return FileError("write", path_, ENOSPC);
    return absl::OkStatus();
  }

  absl::Status Truncate(uint64_t size) override {
    absl::MutexLock lock(&env_.mu_);
    if (absl::Status usable = Usable(Op::kTruncate); !usable.ok()) return usable;
    node_->data.resize(static_cast<size_t>(size));
    node_->synced = std::min(node_->synced, node_->data.size());
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    absl::MutexLock lock(&env_.mu_);
    if (absl::Status usable = Usable(Op::kSync); !usable.ok()) return usable;
    node_->synced = node_->data.size();
    return absl::OkStatus();
  }

  absl::Status Close() override {
    absl::MutexLock lock(&env_.mu_);
    if (absl::Status usable = Usable(Op::kClose); !usable.ok()) return usable;
    closed_ = true;
    return absl::OkStatus();
  }

 private:
  absl::Status Usable(Op op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(env_.mu_) {
    if (absl::Status injected = env_.Check(op, path_); !injected.ok()) return injected;
    if (generation_ != env_.generation_) return Crashed(path_);
    if (closed_) return absl::FailedPreconditionError(absl::StrCat("'", path_, "' is closed"));
    return absl::OkStatus();
  }

  FakeEnv& env_;
  const std::string path_;
  const std::shared_ptr<Node> node_;
  const uint64_t generation_;
  bool closed_ = false;
};

class FakeEnv::Reader final : public SequentialFile {
 public:
  Reader(FakeEnv& env, std::string path, std::shared_ptr<Node> node, uint64_t at)
      : env_(env), path_(std::move(path)), node_(std::move(node)), at_(at) {}

  absl::StatusOr<size_t> Read(char* scratch, size_t n) override {
    absl::MutexLock lock(&env_.mu_);
    if (absl::Status injected = env_.Check(Op::kRead, path_); !injected.ok()) return injected;
    if (at_ >= node_->data.size()) return 0;
    const size_t got = std::min<size_t>(n, node_->data.size() - at_);
    std::memcpy(scratch, node_->data.data() + at_, got);
    at_ += got;
    return got;
  }

 private:
  FakeEnv& env_;
  const std::string path_;
  const std::shared_ptr<Node> node_;
  uint64_t at_;
};

class FakeEnv::Lock final : public FileLock {
 public:
  Lock(FakeEnv& env, std::string path, uint64_t generation)
      : env_(env), path_(std::move(path)), generation_(generation) {}
  ~Lock() override {
    absl::MutexLock lock(&env_.mu_);
    if (generation_ == env_.generation_) env_.locked_.erase(path_);
  }

 private:
  FakeEnv& env_;
  const std::string path_;
  const uint64_t generation_;
};

FakeEnv::FakeEnv() : now_(absl::FromUnixSeconds(1'800'000'000)), dirs_{"/", "."} {}

FakeEnv::~FakeEnv() = default;

void FakeEnv::FailOn(Op op, std::string path_part, absl::Status error, int times) {
  absl::MutexLock lock(&mu_);
  failures_.push_back(Failure{op, std::move(path_part), std::move(error), times});
}

void FakeEnv::ClearFailures() {
  absl::MutexLock lock(&mu_);
  failures_.clear();
}

void FakeEnv::SetCapacity(uint64_t bytes) {
  absl::MutexLock lock(&mu_);
  capacity_ = bytes;
}

absl::Status FakeEnv::SetPermissions(const std::string& path_given, uint32_t permissions) {
  const std::string path = Normalize(path_given);
  absl::MutexLock lock(&mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return FileError("chmod", path, ENOENT);
  it->second->permissions = permissions;
  return absl::OkStatus();
}

void FakeEnv::SimulateCrash() {
  absl::MutexLock lock(&mu_);
  for (auto& [path, node] : files_) node->data.resize(node->synced);
  locked_.clear();
  ++generation_;
}

int FakeEnv::calls(Op op) const {
  absl::MutexLock lock(&mu_);
  auto it = calls_.find(op);
  return it == calls_.end() ? 0 : it->second;
}

uint64_t FakeEnv::used_bytes() const {
  absl::MutexLock lock(&mu_);
  return UsedLocked();
}

uint64_t FakeEnv::UsedLocked() const {
  uint64_t used = 0;
  for (const auto& [path, node] : files_) used += node->data.size();
  return used;
}

void FakeEnv::SetNow(absl::Time now) {
  absl::MutexLock lock(&mu_);
  now_ = now;
}

void FakeEnv::AdvanceNow(absl::Duration by) {
  absl::MutexLock lock(&mu_);
  now_ += by;
  monotonic_ += by;
}

absl::Duration FakeEnv::Monotonic() {
  absl::MutexLock lock(&mu_);
  return monotonic_;
}

absl::Time FakeEnv::Now() {
  absl::MutexLock lock(&mu_);
  return now_;
}

absl::Status FakeEnv::Check(Op op, const std::string& path) {
  ++calls_[op];
  for (auto it = failures_.rbegin(); it != failures_.rend(); ++it) {
    if (it->op != op || it->left <= 0) continue;
    if (!it->path_part.empty() && !absl::StrContains(path, it->path_part)) continue;
    if (it->left != kAlways) --it->left;
    return it->error;
  }
  return absl::OkStatus();
}

bool FakeEnv::IsDir(const std::string& path) const { return dirs_.contains(path); }

absl::StatusOr<std::unique_ptr<WritableFile>> FakeEnv::Open(const std::string& path,
                                                            OpenMode mode) {
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Check(Op::kCreate, path); !injected.ok()) return injected;
  if (IsDir(path)) return FileError("create", path, EISDIR);
  if (!IsDir(DirName(path))) return FileError("create", path, ENOENT);
  if (mode == OpenMode::kPrivate && files_.contains(path)) {
    return FileError("create", path, EEXIST);
  }
  std::shared_ptr<Node>& node = files_[path];
  if (node == nullptr) {
    node = std::make_shared<Node>();
    node->modified = now_;
    if (mode == OpenMode::kPrivate) node->permissions = 0600;
  } else if (mode == OpenMode::kTruncate) {
    node->data.clear();
    node->synced = 0;
    node->modified = now_;
  }
  return std::make_unique<File>(*this, path, node, generation_);
}

absl::StatusOr<std::unique_ptr<WritableFile>> FakeEnv::NewWritableFile(
    const std::string& path_given) {
  const std::string path = Normalize(path_given);
  return Open(path, OpenMode::kTruncate);
}

absl::StatusOr<std::unique_ptr<WritableFile>> FakeEnv::NewAppendableFile(
    const std::string& path_given) {
  const std::string path = Normalize(path_given);
  return Open(path, OpenMode::kAppend);
}

absl::StatusOr<std::unique_ptr<WritableFile>> FakeEnv::NewPrivateFile(
    const std::string& path_given) {
  const std::string path = Normalize(path_given);
  return Open(path, OpenMode::kPrivate);
}

absl::StatusOr<std::shared_ptr<FakeEnv::Node>> FakeEnv::FileToRead(const std::string& path) {
  if (absl::Status injected = Check(Op::kRead, path); !injected.ok()) return injected;
  if (IsDir(path)) return FileError("read", path, EISDIR);
  auto it = files_.find(path);
  if (it == files_.end()) return FileError("read", path, ENOENT);
  return it->second;
}

absl::StatusOr<std::unique_ptr<SequentialFile>> FakeEnv::NewSequentialFile(
    const std::string& path_given, uint64_t offset) {
  const std::string path = Normalize(path_given);
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::shared_ptr<Node>> node = FileToRead(path);
  if (!node.ok()) return node.status();
  return std::make_unique<Reader>(*this, path, *std::move(node), offset);
}

absl::StatusOr<std::string> FakeEnv::ReadFile(const std::string& path_given) {
  const std::string path = Normalize(path_given);
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::shared_ptr<Node>> node = FileToRead(path);
  if (!node.ok()) return node.status();
  return (*node)->data;
}

absl::Status FakeEnv::CheckReadable(const std::string& path_given) {
  const std::string path = Normalize(path_given);
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Check(Op::kRead, path); !injected.ok()) return injected;
  if (!IsDir(path) && !files_.contains(path)) return FileError("read", path, ENOENT);
  return absl::OkStatus();
}

absl::StatusOr<FileInfo> FakeEnv::Stat(const std::string& path_given) {
  const std::string path = Normalize(path_given);
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Check(Op::kStat, path); !injected.ok()) return injected;
  FileInfo info;
  if (IsDir(path)) {
    info.type = FileInfo::Type::kDirectory;
    info.modified = now_;
    return info;
  }
  auto it = files_.find(path);
  if (it == files_.end()) return FileError("stat", path, ENOENT);
  info.size = it->second->data.size();
  info.modified = it->second->modified;
  info.permissions = it->second->permissions;
  return info;
}

absl::StatusOr<std::vector<std::string>> FakeEnv::GetChildren(const std::string& dir_given) {
  const std::string dir = Normalize(dir_given);
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Check(Op::kList, dir); !injected.ok()) return injected;
  if (!IsDir(dir)) {
    return FileError("list", dir, files_.contains(dir) ? ENOTDIR : ENOENT);
  }
  std::vector<std::string> names;
  auto add = [&](const std::string& path) {
    if (path != dir && DirName(path) == dir) names.push_back(path.substr(path.rfind('/') + 1));
  };
  for (const auto& [path, node] : files_) add(path);
  for (const std::string& path : dirs_) add(path);
  return names;
}

absl::StatusOr<std::vector<std::string>> FakeEnv::Glob(const std::string& pattern_given) {
  const std::string pattern = Normalize(pattern_given);
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Check(Op::kList, pattern); !injected.ok()) return injected;
  std::vector<std::string> paths;
  auto add = [&](const std::string& path) {
    if (fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0) {
      paths.push_back(path);
    }
  };
  for (const auto& [path, node] : files_) add(path);
  for (const std::string& path : dirs_) add(path);
  std::sort(paths.begin(), paths.end());
  return paths;
}

absl::Status FakeEnv::CreateDirs(const std::string& path_given) {
  const std::string path = Normalize(path_given);
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Check(Op::kCreateDirs, path); !injected.ok()) return injected;
  std::vector<std::string> missing;
  for (std::string at = path; !IsDir(at); at = DirName(at)) {
    if (files_.contains(at)) {
      return FileError("create the directory", path, ENOTDIR);  // as create_directories says
    }
    missing.push_back(at);
  }
  dirs_.insert(missing.begin(), missing.end());
  return absl::OkStatus();
}

absl::Status FakeEnv::RenameFile(const std::string& from_given, const std::string& to_given) {
  const std::string from = Normalize(from_given);
  const std::string to = Normalize(to_given);
  absl::MutexLock lock(&mu_);
  const std::string what = absl::StrCat("rename '", from, "' to");
  if (absl::Status injected = Check(Op::kRename, from); !injected.ok()) return injected;
  if (from == to)
    return IsDir(from) || files_.contains(from) ? absl::OkStatus() : FileError(what, to, ENOENT);
  if (!IsDir(DirName(to))) return FileError(what, to, ENOENT);
  if (IsDir(from)) {
    if (files_.contains(to)) return FileError(what, to, ENOTDIR);
    if (Within(to, from)) return FileError(what, to, EINVAL);
    if (IsDir(to)) {
      // An empty directory is replaced; one with entries is not.
      for (const auto& [path, node] : files_) {
        if (Within(path, to)) return FileError(what, to, ENOTEMPTY);
      }
      for (const std::string& dir : dirs_) {
        if (Within(dir, to)) return FileError(what, to, ENOTEMPTY);
      }
      dirs_.erase(to);
    }
    // A directory moves with everything in it.
    std::set<std::string> dirs;
    for (const std::string& dir : dirs_) {
      dirs.insert(dir == from || Within(dir, from) ? to + dir.substr(from.size()) : dir);
    }
    dirs_ = std::move(dirs);
    std::map<std::string, std::shared_ptr<Node>> files;
    for (auto& [path, node] : files_) {
      files[Within(path, from) ? to + path.substr(from.size()) : path] = std::move(node);
    }
    files_ = std::move(files);
    return absl::OkStatus();
  }
  auto it = files_.find(from);
  if (it == files_.end()) return FileError(what, to, ENOENT);
  if (IsDir(to)) return FileError(what, to, EISDIR);
  std::shared_ptr<Node> node = std::move(it->second);
  files_.erase(it);
  files_[to] = std::move(node);
  return absl::OkStatus();
}

absl::Status FakeEnv::RemoveFile(const std::string& path_given) {
  const std::string path = Normalize(path_given);
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Check(Op::kRemove, path); !injected.ok()) return injected;
  if (IsDir(path)) return FileError("remove", path, EISDIR);
  if (files_.erase(path) == 0) return FileError("remove", path, ENOENT);
  return absl::OkStatus();
}

absl::Status FakeEnv::RemoveAll(const std::string& path_given) {
  const std::string path = Normalize(path_given);
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Check(Op::kRemove, path); !injected.ok()) return injected;
  if (path.empty()) return absl::InvalidArgumentError("RemoveAll of an empty path");
  files_.erase(path);
  std::erase_if(files_, [&](const auto& entry) { return Within(entry.first, path); });
  std::erase_if(dirs_, [&](const std::string& dir) { return Within(dir, path); });
  if (path != "/" && path != ".") dirs_.erase(path);  // the roots stay
  return absl::OkStatus();
}

absl::Status FakeEnv::SyncDir(const std::string& dir_given) {
  const std::string dir = Normalize(dir_given);
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Check(Op::kSyncDir, dir); !injected.ok()) return injected;
  if (!IsDir(dir)) return FileError("open the directory", dir, ENOENT);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<FileLock>> FakeEnv::LockFile(const std::string& path_given) {
  const std::string path = Normalize(path_given);
  absl::MutexLock lock(&mu_);
  if (absl::Status injected = Check(Op::kLock, path); !injected.ok()) return injected;
  if (!IsDir(DirName(path))) return FileError("open", path, ENOENT);
  if (!locked_.insert(path).second) {
    return absl::UnavailableError(absl::StrCat("'", path, "' is locked by another process"));
  }
  std::shared_ptr<Node>& node = files_[path];
  if (node == nullptr) {
    node = std::make_shared<Node>();
    node->modified = now_;
  }
  return std::make_unique<Lock>(*this, path, generation_);
}

}  // namespace braid
