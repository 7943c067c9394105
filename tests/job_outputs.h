// Helpers for tests that run whole jobs: inputs with the awkward cases, reference word counts,
// and reading a job's output back.

#ifndef BRAID_TESTS_JOB_OUTPUTS_H_
#define BRAID_TESTS_JOB_OUTPUTS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "proto/braid.pb.h"
#include "tests/temp_files.h"

namespace braid::testing {

// The paths of `dir`'s part files (part-r-NNNNN, part-m-NNNNN), sorted.
std::vector<std::string> PartFiles(const std::string& dir);

// Every line of every part file of `dir`, sorted.
std::vector<std::string> SortedOutputLines(const std::string& dir);

// The lines of every part file of `output` (files named `prefix`*), in part order.
std::vector<std::string> OutputLines(const std::string& output, absl::string_view prefix = "part-");

// Word counts as Hadoop's WordCount defines words.
std::map<std::string, int64_t> ReferenceCounts(const std::vector<std::string>& texts);

// "word<TAB>count" lines as a map; a word seen twice or a malformed line fails the test.
std::map<std::string, int64_t> ParseCounts(const std::vector<std::string>& lines);

// Writes DIR/in-N.txt files with the awkward cases — an empty file, a last line without a
// newline, a line longer than any split, bytes that are not UTF-8 — and returns their texts.
std::vector<std::string> WriteCorpus(const TempDir& dir);

// Writes `count` random 99-byte records of printable characters (the sort job's first 10 bytes
// are the key), a line each, to `path`; returns them in the order written.
std::vector<std::string> WriteSortRecords(const std::string& path, int count, uint64_t seed);

// Whether `lines` are ordered by their 10-byte keys (the sort job's order).
bool SortedByKey(const std::vector<std::string>& lines);

proto::JobSpec Spec(const std::string& job, const std::string& input, const std::string& output,
                    uint32_t reducers);

}  // namespace braid::testing

#endif  // BRAID_TESTS_JOB_OUTPUTS_H_
