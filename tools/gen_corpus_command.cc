// braid gen-corpus DIR: writes a deterministic corpus for demos, tests and benchmarks.

#include <filesystem>

#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "coordinator/planner.h"
#include "tools/commands.h"
#include "tools/corpus.h"

ABSL_FLAG(std::string, size, "256MiB", "the corpus's total size");
ABSL_FLAG(int, files, 8, "how many files to spread it over");
ABSL_FLAG(uint64_t, seed, 1, "the random seed (the same seed, the same bytes)");
ABSL_FLAG(std::string, kind, "words",
          "words (Zipf-distributed text) or terasort (100-byte records with 10-byte keys)");

namespace braid {

int GenCorpusCommand(const std::vector<std::string>& args) {
  if (args.size() != 2) {
    absl::FPrintF(stderr, "braid gen-corpus: give the directory to write (braid gen-corpus DIR)\n");
    return 2;
  }
  absl::StatusOr<uint64_t> size = ParseByteSize(absl::GetFlag(FLAGS_size));
  if (!size.ok()) {
    absl::FPrintF(stderr, "braid gen-corpus: --size: %s\n", size.status().message());
    return 2;
  }
  CorpusOptions options;
  options.size = *size;
  options.files = absl::GetFlag(FLAGS_files);
  options.seed = absl::GetFlag(FLAGS_seed);
  const std::string kind = absl::GetFlag(FLAGS_kind);
  if (kind == "terasort") {
    options.kind = CorpusKind::kTeraSort;
  } else if (kind != "words") {
    absl::FPrintF(stderr, "braid gen-corpus: --kind must be words or terasort, not '%s'\n", kind);
    return 2;
  }
  absl::StatusOr<std::vector<std::string>> files = GenerateCorpus(args[1], options);
  if (!files.ok()) {
    absl::FPrintF(stderr, "braid gen-corpus: %s\n", files.status().message());
    return 1;
  }
  uint64_t bytes = 0;
  for (const std::string& file : *files) bytes += std::filesystem::file_size(file);
  absl::PrintF("wrote %d files, %d bytes, to %s\n", files->size(), bytes, args[1]);
  return 0;
}

}  // namespace braid
