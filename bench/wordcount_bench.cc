// Word count on a simulated cluster against plain word counts on one and two threads, in one run.
//
//   bazel run -c opt //bench:wordcount_bench -- [--size 256MiB] [--workers 2] [--rounds 3]
//       [--corpus DIR] [--json PATH]
//
// Generates a words corpus (tools/corpus.h) — or takes the files of --corpus DIR as they are —
// then alternates rounds of (a) a straightforward
// single-threaded C++ word count — read each file in large blocks, split on whitespace, count
// in an absl::flat_hash_map, write "word<TAB>count" lines — (b) the same code on two threads,
// each counting half the files, and (c) `braid simulate --workers N` running the built-in
// wordcount job over the same files, start-up and shut-down included. Each output is checked
// against the first. Prints each round's throughput and the median ratios: the figures that
// matter, since the machine's speed varies between runs. --json writes every round's figures to
// PATH (bench/run reads them); the single-threaded count's output is left in --dir as
// baseline.txt when the corpus was given.

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
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
ABSL_FLAG(int, rounds, 3, "rounds of baseline + Braid");
ABSL_FLAG(std::string, dir, "/tmp/braid-bench-wordcount", "where the corpus and outputs go");
ABSL_FLAG(std::string, braid, "tools/braid", "the braid binary");
ABSL_FLAG(std::string, corpus, "", "count the files of this directory instead of generating some");
ABSL_FLAG(std::string, json, "", "also write each round's figures to this file, as JSON");

namespace braid {
namespace {

using Counts = absl::flat_hash_map<std::string, uint64_t>;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// The baseline: what a programmer would write first, single-threaded.
void CountFile(const std::string& path, Counts& counts) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    absl::FPrintF(stderr, "cannot open %s\n", path);
    std::exit(1);
  }
  std::vector<char> buffer(4 << 20);
  std::string carry;  // a word cut by the end of a block
  size_t got;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), file)) > 0) {
    const char* p = buffer.data();
    const char* end = p + got;
    if (!carry.empty()) {
      while (p < end && !IsSpace(*p)) carry.push_back(*p++);
      if (p == end) continue;
      ++counts[carry];
      carry.clear();
    }
    while (p < end) {
      while (p < end && IsSpace(*p)) ++p;
      const char* start = p;
      while (p < end && !IsSpace(*p)) ++p;
      if (p == start) continue;
      if (p == end) {
        carry.assign(start, p);
        break;
      }
      absl::string_view word(start, p - start);
      auto it = counts.find(word);
      if (it != counts.end()) {
        ++it->second;
      } else {
        counts.emplace(std::string(word), 1);
      }
    }
  }
  if (!carry.empty()) ++counts[carry];
  std::fclose(file);
}

void Write(const Counts& counts, const std::string& output) {
  std::FILE* out = std::fopen(output.c_str(), "wb");
  for (const auto& [word, count] : counts) absl::FPrintF(out, "%s\t%d\n", word, count);
  std::fclose(out);
}

void Baseline(const std::vector<std::string>& inputs, const std::string& output) {
  Counts counts;
  for (const std::string& input : inputs) CountFile(input, counts);
  Write(counts, output);
}

// The same on two threads, each counting half the files, then the tables merged: what the
// machine's two cores give this code with no framework at all.
void TwoThreadBaseline(const std::vector<std::string>& inputs, const std::string& output) {
  Counts halves[2];
  std::thread second([&] {
    for (size_t i = 1; i < inputs.size(); i += 2) CountFile(inputs[i], halves[1]);
  });
  for (size_t i = 0; i < inputs.size(); i += 2) CountFile(inputs[i], halves[0]);
  second.join();
  for (const auto& [word, count] : halves[1]) halves[0][word] += count;
  Write(halves[0], output);
}

// The lines of every file in `paths`, sorted.
std::vector<std::string> SortedLines(const std::vector<std::string>& paths) {
  std::vector<std::string> lines;
  for (const std::string& path : paths) {
    std::ifstream in(path, std::ios::binary);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

double Seconds(absl::Time start) { return absl::ToDoubleSeconds(absl::Now() - start); }

// Every round's MB/s (one thread, two threads, Braid) over `bytes` of input, as the JSON document
// bench/run reads.
std::string RoundsJson(uint64_t bytes, const std::vector<std::array<double, 3>>& rounds) {
  std::string json = absl::StrFormat("{\"bytes\": %d, \"rounds\": [", bytes);
  for (size_t i = 0; i < rounds.size(); ++i) {
    absl::StrAppendFormat(&json,
                          "%s\n  {\"one_thread_mb_per_s\": %.2f, \"two_threads_mb_per_s\": %.2f, "
                          "\"braid_mb_per_s\": %.2f}",
                          i == 0 ? "" : ",", rounds[i][0], rounds[i][1], rounds[i][2]);
  }
  json += "\n]}\n";
  return json;
}

int Main() {
  absl::StatusOr<uint64_t> size = ParseByteSize(absl::GetFlag(FLAGS_size));
  if (!size.ok()) {
    absl::FPrintF(stderr, "%s\n", size.status().message());
    return 2;
  }
  const std::string dir = absl::GetFlag(FLAGS_dir);
  const std::string braid = std::filesystem::absolute(absl::GetFlag(FLAGS_braid));
  const std::string corpus = absl::GetFlag(FLAGS_corpus);
  std::filesystem::remove_all(dir);
  absl::StatusOr<std::vector<std::string>> inputs;
  std::string input_glob = dir + "/in/*";
  if (corpus.empty()) {
    inputs = GenerateCorpus(dir + "/in",
                            CorpusOptions{.size = *size, .files = absl::GetFlag(FLAGS_files)});
  } else {
    inputs = ExpandInputs(*Env::Default(), {corpus});
    input_glob = std::filesystem::absolute(corpus).string() + "/*";
    std::filesystem::create_directories(dir);
  }
  if (!inputs.ok()) {
    absl::FPrintF(stderr, "%s\n", inputs.status().message());
    return 1;
  }
  uint64_t bytes = 0;
  for (const std::string& input : *inputs) bytes += std::filesystem::file_size(input);
  const double mb = static_cast<double>(bytes) / 1e6;
  absl::PrintF("wordcount over %.0f MB in %d files; braid simulate --workers %d, %d reducers\n", mb,
               inputs->size(), absl::GetFlag(FLAGS_workers), absl::GetFlag(FLAGS_reducers));
  std::vector<std::array<double, 3>> rounds;  // MB/s: one thread, two threads, Braid

  std::vector<double> ratios, two_thread_ratios, efficiencies;
  std::vector<std::string> expected;
  for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    const std::string baseline_out = dir + "/baseline.txt";
    absl::Time start = absl::Now();
    Baseline(*inputs, baseline_out);
    const double baseline = Seconds(start);
    if (round == 0) expected = SortedLines({baseline_out});
    start = absl::Now();
    TwoThreadBaseline(*inputs, baseline_out);
    const double two_threads = Seconds(start);
    if (round == 0 && SortedLines({baseline_out}) != expected) {
      absl::FPrintF(stderr, "the two baselines disagree\n");
      return 1;
    }

    const std::string out = absl::StrCat(dir, "/out-", round);
    std::vector<std::string> argv = {braid,
                                     "simulate",
                                     "--workers",
                                     absl::StrCat(absl::GetFlag(FLAGS_workers)),
                                     "--",
                                     "--job",
                                     "wordcount",
                                     "--input",
                                     input_glob,
                                     "--output",
                                     out,
                                     "--reducers",
                                     absl::StrCat(absl::GetFlag(FLAGS_reducers))};
    start = absl::Now();
    auto simulate = ChildProcess::Start(argv, dir + "/simulate.log");
    if (!simulate.ok()) {
      absl::FPrintF(stderr, "%s\n", simulate.status().message());
      return 1;
    }
    std::optional<int> status = (*simulate)->Wait(absl::Minutes(10));
    const double braid_seconds = Seconds(start);
    if (!status.has_value() || *status != 0) {
      absl::FPrintF(stderr, "braid simulate failed; see %s/simulate.log\n", dir);
      return 1;
    }
    if (SortedLines(bench::PartFiles(out)) != expected) {
      absl::FPrintF(stderr, "Braid's output in %s differs from the baseline's\n", out);
      return 1;
    }
    std::filesystem::remove_all(out);
    rounds.push_back({mb / baseline, mb / two_threads, mb / braid_seconds});
    ratios.push_back(baseline / braid_seconds);
    two_thread_ratios.push_back(baseline / two_threads);
    efficiencies.push_back(two_threads / braid_seconds);
    absl::PrintF(
        "round %d: 1 thread %6.1f MB/s   2 threads %6.1f MB/s   braid %6.1f MB/s   braid/1 thread "
        "%.2fx   braid/2 threads %.2fx\n",
        round, mb / baseline, mb / two_threads, mb / braid_seconds, ratios.back(),
        efficiencies.back());
  }
  absl::PrintF(
      "median: braid/1 thread %.2fx (target >= 1.5x); 2 threads/1 thread %.2fx (the machine's "
      "ceiling for this code); braid/2 threads %.2fx\n",
      bench::Median(ratios), bench::Median(two_thread_ratios), bench::Median(efficiencies));
  if (!bench::WriteJsonFile(absl::GetFlag(FLAGS_json), RoundsJson(bytes, rounds))) return 1;
  if (corpus.empty()) std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace braid

int main(int argc, char** argv) { return braid::bench::DriverMain(argc, argv, braid::Main); }
