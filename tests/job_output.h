// What a finished job left in its output directory, for tests that check it.

#ifndef BRAID_TESTS_JOB_OUTPUT_H_
#define BRAID_TESTS_JOB_OUTPUT_H_

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "tests/temp_files.h"

namespace braid::testing {

// The paths of `dir`'s part files (part-r-NNNNN, part-m-NNNNN), sorted.
inline std::vector<std::string> PartFiles(const std::string& dir) {
  std::vector<std::string> parts;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (absl::StartsWith(entry.path().filename().string(), "part-")) {
      parts.push_back(entry.path().string());
    }
  }
  std::sort(parts.begin(), parts.end());
  return parts;
}

// Every line of every part file of `dir`, sorted.
inline std::vector<std::string> SortedOutputLines(const std::string& dir) {
  std::vector<std::string> lines;
  for (const std::string& part : PartFiles(dir)) {
    for (absl::string_view line : absl::StrSplit(ReadFile(part), '\n', absl::SkipEmpty())) {
      lines.emplace_back(line);
    }
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

}  // namespace braid::testing

#endif  // BRAID_TESTS_JOB_OUTPUT_H_
