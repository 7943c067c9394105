#include "tests/job_outputs.h"

#include <algorithm>
#include <filesystem>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace braid::testing {

std::vector<std::string> PartFiles(const std::string& dir) {
  std::vector<std::string> parts;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (absl::StartsWith(entry.path().filename().string(), "part-")) {
      parts.push_back(entry.path().string());
    }
  }
  std::sort(parts.begin(), parts.end());
  return parts;
}

std::vector<std::string> SortedOutputLines(const std::string& dir) {
  std::vector<std::string> lines;
  for (const std::string& part : PartFiles(dir)) {
    for (absl::string_view line : absl::StrSplit(ReadFile(part), '\n', absl::SkipEmpty())) {
      lines.emplace_back(line);
    }
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::vector<std::string> OutputLines(const std::string& output, absl::string_view prefix) {
  std::vector<std::string> parts;
  for (const auto& entry : std::filesystem::directory_iterator(output)) {
    std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, prefix)) parts.push_back(entry.path().string());
  }
  std::sort(parts.begin(), parts.end());
  std::vector<std::string> lines;
  for (const std::string& part : parts) {
    for (absl::string_view line : absl::StrSplit(ReadFile(part), '\n', absl::SkipEmpty())) {
      lines.emplace_back(line);
    }
  }
  return lines;
}

std::map<std::string, int64_t> ReferenceCounts(const std::vector<std::string>& texts) {
  std::map<std::string, int64_t> counts;
  for (const std::string& text : texts) {
    for (absl::string_view word :
         absl::StrSplit(text, absl::ByAnyChar(" \t\n\r\f"), absl::SkipEmpty())) {
      ++counts[std::string(word)];
    }
  }
  return counts;
}

std::map<std::string, int64_t> ParseCounts(const std::vector<std::string>& lines) {
  std::map<std::string, int64_t> counts;
  for (const std::string& line : lines) {
    std::vector<std::string> fields = absl::StrSplit(line, '\t');
    EXPECT_EQ(fields.size(), 2u) << line;
    int64_t n = 0;
    EXPECT_TRUE(absl::SimpleAtoi(fields[1], &n)) << line;
    EXPECT_FALSE(counts.contains(fields[0])) << "word twice: " << fields[0];
    counts[fields[0]] = n;
  }
  return counts;
}

std::vector<std::string> WriteCorpus(const TempDir& dir) {
  std::mt19937_64 random(3);
  std::vector<std::string> texts;
  for (int f = 0; f < 4; ++f) {
    std::string text;
    for (int line = 0; line < 300; ++line) {
      for (int w = random() % 12; w > 0; --w) {
        text += absl::StrCat("w", random() % (1 + random() % 200), w % 3 ? " " : "\t");
      }
      text += '\n';
    }
    texts.push_back(std::move(text));
  }
  texts.push_back("");
  texts.push_back("no newline at the end");
  texts.push_back(absl::StrCat("short\n", std::string(5000, 'L'), " long\nafter\n"));
  texts.push_back("caf\xc3\xa9 \xff\xfe raw bytes \xff\xfe\n");
  for (size_t i = 0; i < texts.size(); ++i) {
    WriteFile(dir.File(absl::StrCat("in-", i, ".txt")), texts[i]);
  }
  return texts;
}

proto::JobSpec Spec(const std::string& job, const std::string& input, const std::string& output,
                    uint32_t reducers) {
  proto::JobSpec spec;
  spec.set_job(job);
  spec.add_inputs(input);
  spec.set_output(output);
  spec.set_reducers(reducers);
  return spec;
}

std::vector<std::string> WriteSortRecords(const std::string& path, int count, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<std::string> records;
  std::string text;
  for (int i = 0; i < count; ++i) {
    std::string record(99, ' ');
    for (char& c : record) c = static_cast<char>(' ' + 1 + random() % 94);
    records.push_back(record);
    text += record + "\n";
  }
  WriteFile(path, text);
  return records;
}

bool SortedByKey(const std::vector<std::string>& lines) {
  return std::is_sorted(lines.begin(), lines.end(), [](const std::string& a, const std::string& b) {
    return a.substr(0, 10) < b.substr(0, 10);
  });
}

}  // namespace braid::testing
