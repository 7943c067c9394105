// invertedindex: for each word, the files it occurs in. Output: "word<TAB>file1,file2,..." with
// the file names (base names) sorted.

#include <memory>
#include <set>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "job/builtin/text.h"
#include "job/registry.h"

namespace braid {
namespace {

// Distinct words held before they are emitted and forgotten.
constexpr size_t kMaxWords = 1 << 21;

class IndexMapper : public Mapper {
 public:
  absl::Status Setup(TaskContext& context) override {
    context_ = &context;
    return absl::OkStatus();
  }

  absl::Status Map(const Record& record, Emitter& out) override {
    // A combined split's records come from several files, one after another.
    if (const absl::string_view path = context_->input_file(); path != path_) {
      Flush(out);
      path_ = std::string(path);
      const size_t slash = path.rfind('/');
      file_ = std::string(slash == absl::string_view::npos ? path : path.substr(slash + 1));
    }
    builtin::ForEachWord(record.line, [this](absl::string_view word) {
      if (!words_.contains(word)) words_.emplace(word);
    });
    if (words_.size() > kMaxWords) Flush(out);
    return absl::OkStatus();
  }

  absl::Status Finish(Emitter& out) override {
    Flush(out);
    return absl::OkStatus();
  }

 private:
  void Flush(Emitter& out) {
    for (const std::string& word : words_) out.Emit(word, file_);
    words_.clear();
  }

  TaskContext* context_ = nullptr;
  std::string path_;  // the file whose words `words_` holds
  std::string file_;  // its base name
  absl::flat_hash_set<std::string> words_;
};

// Reducer and combiner: the distinct files of a word, sorted and joined with commas.
class FilesReducer : public Reducer {
 public:
  absl::Status Reduce(absl::string_view key, Values& values, Emitter& out) override {
    std::set<std::string> files;
    absl::string_view value;
    while (values.Next(&value)) {
      // A combined value is already a list.
      for (absl::string_view file : absl::StrSplit(value, ',')) files.emplace(file);
    }
    out.Emit(key, absl::StrJoin(files, ","));
    return absl::OkStatus();
  }
};

BRAID_REGISTER_JOB(JobDefinition{
    .name = "invertedindex",
    .description = "for each word, the files it occurs in: word<TAB>file1,file2,...",
    .combinable_inputs = true,
    .mapper = [] { return std::make_unique<IndexMapper>(); },
    .reducer = [] { return std::make_unique<FilesReducer>(); },
    .combiner = [] { return std::make_unique<FilesReducer>(); },
});

}  // namespace
}  // namespace braid
