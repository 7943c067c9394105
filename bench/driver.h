// What the benchmark drivers share: their main, the median of repeated figures, a scratch
// directory, the JSON file bench/run reads, and the part files of an output.

#ifndef BRAID_BENCH_DRIVER_H_
#define BRAID_BENCH_DRIVER_H_

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"

namespace braid::bench {

// A driver's whole main: parses the command-line flags, initialises glog to show errors only (a
// driver's output is its report), then runs `body` and returns its exit code.
int DriverMain(int argc, char** argv, absl::FunctionRef<int()> body);

// The middle of `values`: of an even count, the upper of the two middle ones.
// REQUIRES: !values.empty().
double Median(std::vector<double> values);

// The Median of `runs` figures, each from one call of `measure`, made one after the other.
// REQUIRES: runs >= 1.
double MedianOf(int runs, absl::FunctionRef<double()> measure);

// A new, empty directory /tmp/braid-NAME-XXXXXX (mkdtemp), or "" if none could be made. The
// caller removes it.
std::string MakeTempDir(absl::string_view name);

// Writes `json` as the whole of file `path`. True if it did, or if `path` is empty (no file was
// asked for); otherwise prints "cannot write PATH" on stderr and returns false.
bool WriteJsonFile(const std::string& path, absl::string_view json);

// The part files (part-r-NNNNN, part-m-NNNNN) of output directory `dir`, in no order.
std::vector<std::string> PartFiles(const std::string& dir);

}  // namespace braid::bench

#endif  // BRAID_BENCH_DRIVER_H_
