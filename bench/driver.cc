#include "bench/driver.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <utility>

#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "glog/logging.h"

namespace braid::bench {

int DriverMain(int argc, char** argv, absl::FunctionRef<int()> body) {
  absl::ParseCommandLine(argc, argv);
  google::InitGoogleLogging(argv[0]);
  FLAGS_minloglevel = google::GLOG_ERROR;
  return body();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

double MedianOf(int runs, absl::FunctionRef<double()> measure) {
  std::vector<double> figures;
  for (int i = 0; i < runs; ++i) figures.push_back(measure());
  return Median(std::move(figures));
}

std::string MakeTempDir(absl::string_view name) {
  std::string pattern = absl::StrCat("/tmp/braid-", name, "-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) return "";
  return pattern;
}

bool WriteJsonFile(const std::string& path, absl::string_view json) {
  if (path.empty()) return true;
  std::FILE* out = std::fopen(path.c_str(), "w");
  bool written = out != nullptr;
  if (written) {
    written = std::fwrite(json.data(), 1, json.size(), out) == json.size();
    written = std::fclose(out) == 0 && written;
  }
  if (!written) absl::FPrintF(stderr, "cannot write %s\n", path);
  return written;
}

std::vector<std::string> PartFiles(const std::string& dir) {
  std::vector<std::string> parts;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind("part-", 0) == 0) parts.push_back(entry.path());
  }
  return parts;
}

}  // namespace braid::bench
