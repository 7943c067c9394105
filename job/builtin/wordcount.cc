// wordcount: how often each word occurs (Hadoop's WordCount example). A word is a maximal run of
// bytes other than space, tab, newline, carriage return and form feed (the separators of Java's
// StringTokenizer, which Hadoop's WordCount uses). Output: "word<TAB>count".
//
// The mapper combines in memory (the "in-mapper combining" idiom): it counts words in a hash table
// and emits each distinct word once per task, so map output is the vocabulary, not the text. The
// table is flushed when it grows past a bound, so memory stays bounded whatever the input.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "job/builtin/sum_reducer.h"
#include "job/builtin/text.h"
#include "job/registry.h"

namespace braid {
namespace {

// Distinct words held before the table is emitted and cleared.
constexpr size_t kMaxWords = 1 << 21;

class WordCountMapper : public Mapper {
 public:
  absl::Status Map(const Record& record, Emitter& out) override {
    builtin::ForEachWord(record.line, [this](absl::string_view word) {
      auto it = counts_.find(word);
      if (it != counts_.end()) {
        ++it->second;
      } else {
        counts_.emplace(std::string(word), 1);
      }
    });
    if (counts_.size() > kMaxWords) Flush(out);
    return absl::OkStatus();
  }

  absl::Status Finish(Emitter& out) override {
    Flush(out);
    return absl::OkStatus();
  }

 private:
  void Flush(Emitter& out) {
    for (const auto& [word, count] : counts_) out.Emit(word, absl::StrCat(count));
    counts_.clear();
  }

  absl::flat_hash_map<std::string, int64_t> counts_;
};

BRAID_REGISTER_JOB(JobDefinition{
    .name = "wordcount",
    .description = "how often each word occurs: word<TAB>count",
    .combinable_inputs = true,
    .mapper = [] { return std::make_unique<WordCountMapper>(); },
    .reducer = [] { return std::make_unique<SumReducer>(); },
    .combiner = [] { return std::make_unique<SumReducer>(); },
});

}  // namespace
}  // namespace braid
