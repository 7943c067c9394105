// An identity streaming job (`cat` as mapper and reducer) against the built-in identity job, on
// a simulated cluster, in one run.
//
//   bazel run -c opt //bench:streaming_bench -- [--size 256MiB] [--workers 2] [--rounds 3]
//
// Generates a words corpus (tools/corpus.h), then alternates rounds of `braid simulate` running
// (a) the built-in identity job and (b) `--mapper cat --reducer cat` over the same files with
// the same reducers, start-up and shut-down included. Each output is checked: the same number
// of lines as the input, and for the built-in job the same bytes (the streaming reducer's lines
// are its input's KEY<TAB>VALUE lines, so a line without a tab comes back with one). Prints each
// round's throughput and the median ratio streaming / built-in (target: at least 0.5).

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/driver.h"
#include "coordinator/planner.h"
#include "tools/child_process.h"
#include "tools/corpus.h"

ABSL_FLAG(std::string, size, "256MiB", "corpus size");
ABSL_FLAG(int, files, 8, "corpus files");
ABSL_FLAG(int, workers, 2, "worker processes of the simulated cluster");
ABSL_FLAG(int, reducers, 2, "reduce tasks");
ABSL_FLAG(int, rounds, 3, "rounds of built-in + streaming");
ABSL_FLAG(std::string, dir, "/tmp/braid-bench-streaming", "where the corpus and outputs go");
ABSL_FLAG(std::string, braid, "tools/braid", "the braid binary");

namespace braid {
namespace {

struct Totals {
  uint64_t lines = 0;
  uint64_t bytes = 0;
};

Totals Count(const std::vector<std::string>& paths) {
  Totals totals;
  std::vector<char> buffer(4 << 20);
  for (const std::string& path : paths) {
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) continue;
    size_t got;
    while ((got = std::fread(buffer.data(), 1, buffer.size(), file)) > 0) {
      totals.bytes += got;
      totals.lines += static_cast<uint64_t>(std::count(buffer.data(), buffer.data() + got, '\n'));
    }
    std::fclose(file);
  }
  return totals;
}

// Runs `braid simulate -- job_flags...` to its end; its wall time in seconds, or -1 on failure.
double Simulate(const std::string& dir, const std::vector<std::string>& job_flags) {
  std::vector<std::string> argv = {absl::GetFlag(FLAGS_braid), "simulate", "--workers",
                                   absl::StrCat(absl::GetFlag(FLAGS_workers)), "--"};
  argv[0] = std::filesystem::absolute(argv[0]);
  argv.insert(argv.end(), job_flags.begin(), job_flags.end());
  const absl::Time start = absl::Now();
  auto simulate = ChildProcess::Start(argv, dir + "/simulate.log");
  if (!simulate.ok()) {
    absl::FPrintF(stderr, "%s\n", simulate.status().message());
    return -1;
  }
  std::optional<int> status = (*simulate)->Wait(absl::Minutes(20));
  if (!status.has_value() || *status != 0) {
    absl::FPrintF(stderr, "braid simulate failed; see %s/simulate.log\n", dir);
    return -1;
  }
  return absl::ToDoubleSeconds(absl::Now() - start);
}

int Main() {
  absl::StatusOr<uint64_t> size = ParseByteSize(absl::GetFlag(FLAGS_size));
  if (!size.ok()) {
    absl::FPrintF(stderr, "%s\n", size.status().message());
    return 2;
  }
  const std::string dir = absl::GetFlag(FLAGS_dir);
  std::filesystem::remove_all(dir);
  auto inputs = GenerateCorpus(dir + "/in",
                               CorpusOptions{.size = *size, .files = absl::GetFlag(FLAGS_files)});
  if (!inputs.ok()) {
    absl::FPrintF(stderr, "%s\n", inputs.status().message());
    return 1;
  }
  const Totals input = Count(*inputs);
  const double mb = static_cast<double>(input.bytes) / 1e6;
  const std::string reducers = absl::StrCat(absl::GetFlag(FLAGS_reducers));
  absl::PrintF("identity over %.0f MB in %d files; braid simulate --workers %d, %s reducers\n", mb,
               absl::GetFlag(FLAGS_files), absl::GetFlag(FLAGS_workers), reducers);

  std::vector<double> ratios;
  for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    const std::string builtin_out = absl::StrCat(dir, "/builtin-", round);
    const double builtin = Simulate(dir, {"--job", "identity", "--input", dir + "/in/*", "--output",
                                          builtin_out, "--reducers", reducers});
    const std::string streaming_out = absl::StrCat(dir, "/streaming-", round);
    const double streaming =
        Simulate(dir, {"--mapper", "cat", "--reducer", "cat", "--input", dir + "/in/*", "--output",
                       streaming_out, "--reducers", reducers});
    if (builtin < 0 || streaming < 0) return 1;
    const Totals builtin_totals = Count(bench::PartFiles(builtin_out));
    const Totals streaming_totals = Count(bench::PartFiles(streaming_out));
    if (builtin_totals.lines != input.lines || builtin_totals.bytes != input.bytes ||
        streaming_totals.lines != input.lines) {
      absl::FPrintF(stderr,
                    "outputs differ from the input: %d lines in, built-in %d lines %d bytes, "
                    "streaming %d lines\n",
                    input.lines, builtin_totals.lines, builtin_totals.bytes,
                    streaming_totals.lines);
      return 1;
    }
    std::filesystem::remove_all(builtin_out);
    std::filesystem::remove_all(streaming_out);
    ratios.push_back(builtin / streaming);
    absl::PrintF(
        "round %d: built-in identity %6.1f MB/s   streaming cat|cat %6.1f MB/s   "
        "streaming/built-in %.2f\n",
        round, mb / builtin, mb / streaming, ratios.back());
  }
  absl::PrintF("median: streaming/built-in %.2f (target >= 0.50)\n", bench::Median(ratios));
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace braid

int main(int argc, char** argv) { return braid::bench::DriverMain(argc, argv, braid::Main); }
