// What the benchmark drivers that run `braid simulate` share: the part files of an output and
// the median of a round's figures.

#ifndef BRAID_BENCH_DRIVER_H_
#define BRAID_BENCH_DRIVER_H_

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace braid::bench {

// The part files (part-r-NNNNN, part-m-NNNNN) of output directory `dir`, in no order.
inline std::vector<std::string> PartFiles(const std::string& dir) {
  std::vector<std::string> parts;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind("part-", 0) == 0) parts.push_back(entry.path());
  }
  return parts;
}

// REQUIRES: !values.empty().
inline double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace braid::bench

#endif  // BRAID_BENCH_DRIVER_H_
