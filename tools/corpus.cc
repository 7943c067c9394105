#include "tools/corpus.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/file_error.h"

namespace braid {
namespace {

constexpr int kVocabulary = 100'000;

// xoshiro256**: fast and good enough for text.
class Random {
 public:
  explicit Random(uint64_t seed) {
    for (uint64_t& s : state_) {
      seed += 0x9e3779b97f4a7c15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      s = z ^ (z >> 31);
    }
  }
  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

// Word `i` of the vocabulary: 1 to 4 syllables, the same on every machine.
std::string Word(int i) {
  static const char* const kSyllables[] = {
      "ba", "be", "bi", "bo", "bu", "da", "de", "di", "do", "du", "fa", "fe", "fi",
      "fo", "fu", "ga", "ge", "gi", "go", "gu", "ka", "ke", "ki", "ko", "ku", "la",
      "le", "li", "lo", "lu", "ma", "me", "mi", "mo", "mu", "na", "ne", "ni", "no",
      "nu", "pa", "pe", "pi", "po", "pu", "ra", "re", "ri", "ro", "ru", "sa", "se",
      "si", "so", "su", "ta", "te", "ti", "to", "tu", "va", "ve", "vi", "vo"};
  constexpr int kCount = sizeof(kSyllables) / sizeof(kSyllables[0]);
  std::string word;
  int n = i;
  do {
    word += kSyllables[n % kCount];
    n /= kCount;
  } while (n > 0);
  return word;
}

class Zipf {
 public:
  Zipf() : cdf_(kVocabulary) {
    double total = 0;
    for (int k = 0; k < kVocabulary; ++k) total += 1.0 / (k + 1);
    double running = 0;
    for (int k = 0; k < kVocabulary; ++k) {
      running += 1.0 / (k + 1) / total;
      cdf_[k] = running;
    }
    cdf_.back() = 1.0;
  }
  int Draw(Random& random) const {
    return static_cast<int>(std::lower_bound(cdf_.begin(), cdf_.end(), random.Uniform()) -
                            cdf_.begin());
  }

 private:
  std::vector<double> cdf_;
};

class FileWriter {
 public:
  explicit FileWriter(const std::string& path)
      : path_(path), fd_(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) {
    buffer_.reserve(kBuffer + 4096);
  }
  ~FileWriter() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0 && !failed_; }
  std::string& buffer() { return buffer_; }
  void MaybeFlush() {
    if (buffer_.size() >= kBuffer) Flush();
  }
  void Flush() {
    if (!failed_) failed_ = !WriteAll(fd_, buffer_, path_).ok();
    buffer_.clear();
  }

 private:
  static constexpr size_t kBuffer = 1 << 20;
  std::string path_;
  int fd_;
  bool failed_ = false;
  std::string buffer_;
};

}  // namespace

absl::StatusOr<std::vector<std::string>> GenerateCorpus(const std::string& directory,
                                                        const CorpusOptions& options) {
  if (options.files < 1) return absl::InvalidArgumentError("a corpus needs at least one file");
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create '", directory, "': ", error.message()));
  }
  std::vector<std::string> words;
  if (options.kind == CorpusKind::kWords) {
    words.reserve(kVocabulary);
    for (int i = 0; i < kVocabulary; ++i) words.push_back(Word(i));
  }
  static const Zipf* const zipf = new Zipf();
  std::vector<std::string> paths;
  const uint64_t per_file = options.size / options.files;
  for (int f = 0; f < options.files; ++f) {
    std::string path = absl::StrFormat("%s/part-%05d.txt", directory, f);
    FileWriter out(path);
    if (!out.ok()) {
      return absl::PermissionDeniedError(absl::StrCat("cannot create '", path, "'"));
    }
    Random random(options.seed * 1000003 + f);
    const uint64_t target = f + 1 == options.files ? options.size - per_file * f : per_file;
    uint64_t written = 0;
    uint64_t row = 0;
    while (written < target) {
      std::string& buffer = out.buffer();
      size_t before = buffer.size();
      if (options.kind == CorpusKind::kWords) {
        int n = 4 + static_cast<int>(random.Next() % 13);
        for (int i = 0; i < n; ++i) {
          if (i > 0) buffer += ' ';
          buffer += words[zipf->Draw(random)];
        }
      } else {
        for (int i = 0; i < 10; ++i) buffer += static_cast<char>(' ' + 1 + random.Next() % 94);
        absl::StrAppendFormat(&buffer, "%010d", row++ + f * 1'000'000'000ull);
        for (int i = 0; i < 79; ++i) buffer += static_cast<char>('A' + (row + i) % 26);
      }
      buffer += '\n';
      written += buffer.size() - before;
      out.MaybeFlush();
    }
    out.Flush();
    if (!out.ok()) return absl::InternalError(absl::StrCat("cannot write '", path, "'"));
    paths.push_back(path);
  }
  return paths;
}

}  // namespace braid
