// Counters: named 64-bit totals a task keeps and the coordinator adds up per job — Hadoop's
// counters. The framework's own live in the groups below, under Hadoop's names; user counters
// (TaskContext::IncrementCounter) in any group.

#ifndef BRAID_JOB_COUNTERS_H_
#define BRAID_JOB_COUNTERS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "proto/braid.pb.h"

namespace braid {

inline constexpr absl::string_view kTaskCounters = "TaskCounter";
inline constexpr absl::string_view kMapInputRecords = "MAP_INPUT_RECORDS";
inline constexpr absl::string_view kMapOutputRecords = "MAP_OUTPUT_RECORDS";
inline constexpr absl::string_view kCombineInputRecords = "COMBINE_INPUT_RECORDS";
inline constexpr absl::string_view kCombineOutputRecords = "COMBINE_OUTPUT_RECORDS";
inline constexpr absl::string_view kReduceInputGroups = "REDUCE_INPUT_GROUPS";
inline constexpr absl::string_view kReduceInputRecords = "REDUCE_INPUT_RECORDS";
inline constexpr absl::string_view kReduceOutputRecords = "REDUCE_OUTPUT_RECORDS";
inline constexpr absl::string_view kSpilledRecords = "SPILLED_RECORDS";
inline constexpr absl::string_view kSkippedRecords = "SKIPPED_RECORDS";

inline constexpr absl::string_view kFileSystemCounters = "FileSystemCounter";
inline constexpr absl::string_view kBytesRead = "BYTES_READ";
inline constexpr absl::string_view kBytesWritten = "BYTES_WRITTEN";

class Counters {
 public:
  // Adding zero changes nothing (a counter exists once something was counted in it).
  void Add(absl::string_view group, absl::string_view name, int64_t amount);
  int64_t Get(absl::string_view group, absl::string_view name) const;
  // Adds every counter of `counters`.
  void Add(const google::protobuf::RepeatedPtrField<proto::Counter>& counters);
  void AddTo(google::protobuf::RepeatedPtrField<proto::Counter>* counters) const;
  bool empty() const { return values_.empty(); }
  // In group, then name, order.
  using Key = std::pair<std::string, std::string>;
  // Orders keys by group, then name, and lets a lookup use views (no copies).
  struct KeyLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return std::pair<absl::string_view, absl::string_view>(a.first, a.second) <
             std::pair<absl::string_view, absl::string_view>(b.first, b.second);
    }
  };
  const std::map<Key, int64_t, KeyLess>& values() const { return values_; }

 private:
  std::map<Key, int64_t, KeyLess> values_;
};

}  // namespace braid

#endif  // BRAID_JOB_COUNTERS_H_
