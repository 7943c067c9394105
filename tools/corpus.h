// Deterministic generated inputs for demos, tests and benchmarks.
//
// A words corpus is lines of 4 to 16 words drawn from a Zipf distribution (exponent 1) over a
// fixed vocabulary of 100,000 pronounceable words — the shape of natural text, where a few words
// are very common and most are rare. A terasort corpus is 100-byte records: a 10-byte random key
// and a value, newline-terminated. The same seed gives the same bytes.

#ifndef BRAID_TOOLS_CORPUS_H_
#define BRAID_TOOLS_CORPUS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace braid {

enum class CorpusKind { kWords, kTeraSort };

struct CorpusOptions {
  CorpusKind kind = CorpusKind::kWords;
  // Total bytes, spread evenly over the files (each ends at a line boundary).
  uint64_t size = 64ull << 20;
  int files = 8;
  uint64_t seed = 1;
};

// Writes the corpus into `directory` (created if needed) as part-NNNNN.txt; returns the paths.
absl::StatusOr<std::vector<std::string>> GenerateCorpus(const std::string& directory,
                                                        const CorpusOptions& options);

}  // namespace braid

#endif  // BRAID_TOOLS_CORPUS_H_
