// StreamingFields: how a streaming job's lines become keys and values and back, as Hadoop
// Streaming's properties say (docs/jobs.md has the table):
//
//   mapper line  -> key, value     stream.map.output.field.separator (a tab),
//                                  stream.num.map.output.key.fields (1): the key is the line up
//                                  to the Nth separator, the value the rest after it; a line
//                                  with fewer is all key and an empty value
//   key order                      bytewise, or KeyFieldBasedComparator with
//                                  mapreduce.partition.keycomparator.options over key fields cut
//                                  at mapreduce.map.output.key.field.separator (a tab)
//   key -> reduce task             a hash of the key, or KeyFieldBasedPartitioner's fields
//                                  (mapreduce.partition.keypartitioner.options)
//   reducer input line             key, stream.reduce.input.field.separator (a tab), value
//   reducer (or combiner) line     split at stream.reduce.output.field.separator (a tab) after
//                                  stream.num.reduce.output.key.fields (1) fields, then written
//                                  key, mapreduce.output.textoutputformat.separator (a tab), value
//                                  — the separator even when the value is empty, as Hadoop's
//                                  TextOutputFormat writes it
// A map-only job's mapper lines are split as for the shuffle and written as output lines. Older
// property names (map.output.key.field.separator, mapred.text.key.comparator.options, ...) are
// read as Hadoop's deprecation table maps them.
//
// Under a KeyFieldBasedComparator the shuffle carries, for each key, its sort encoding
// (job/key_fields.h) followed by the key itself and the key's length, so that the shuffle keeps
// sorting and grouping plain bytes and the reducer still sees the key as the mapper wrote it.
//
// Threading: immutable after FromSpec; any thread.

#ifndef BRAID_JOB_STREAMING_FIELDS_H_
#define BRAID_JOB_STREAMING_FIELDS_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "job/job.h"
#include "job/key_fields.h"
#include "proto/braid.pb.h"

namespace braid {

class StreamingFields {
 public:
  // Reads `spec`'s configuration. kInvalidArgument naming the property for a malformed value, a
  // comparator or partitioner class Braid does not have, or comparator or partitioner options
  // set without the class that reads them (Hadoop would ignore them).
  static absl::StatusOr<StreamingFields> FromSpec(const proto::JobSpec& spec);
  // True for the properties FromSpec reads.
  static bool Reads(absl::string_view property);

  struct Pair {
    absl::string_view key;
    absl::string_view value;
  };
  // A mapper's output line, cut into its key and value (views into `line`).
  Pair SplitMapOutput(absl::string_view line) const;
  // A reducer's or combiner's output line, cut the same way by the reduce output properties
  // (Hadoop cuts a combiner's lines as a reducer's).
  Pair SplitReduceOutput(absl::string_view line) const;

  // What the shuffle sorts and groups by for `key`: `key` itself, or under a comparator its
  // encoding, built in `*scratch`.
  absl::string_view ShuffleKey(absl::string_view key, std::string* scratch) const;
  // The key a shuffle key stands for.
  absl::string_view KeyOf(absl::string_view shuffle_key) const;
  // The partitioner of shuffle keys; nullptr for the framework's hash of the whole shuffle key.
  std::unique_ptr<Partitioner> MakePartitioner() const;

  // A reducer's (or combiner's) input line: key, separator, value.
  const std::string& reduce_input_separator() const { return reduce_input_separator_; }

  // The output line for a reducer's line, and for a map-only job's mapper line.
  void AppendReduceOutput(absl::string_view line, std::string* out) const;
  void AppendMapOnlyOutput(absl::string_view line, std::string* out) const;
  // The output line of a pair that no reducer command saw (a job without a reducer).
  void AppendPairOutput(absl::string_view key, absl::string_view value, std::string* out) const;
  // The output line of a key as the mapper wrote it (not a shuffle key) and a value.
  void AppendOutput(absl::string_view key, absl::string_view value, std::string* out) const;

 private:
  StreamingFields() = default;

  std::string map_output_separator_ = "\t";
  int map_output_key_fields_ = 1;
  std::string reduce_input_separator_ = "\t";
  std::string reduce_output_separator_ = "\t";
  int reduce_output_key_fields_ = 1;
  std::string output_separator_ = "\t";
  std::optional<KeyFields> comparator_;
  std::optional<KeyFields> partitioner_;
};

}  // namespace braid

#endif  // BRAID_JOB_STREAMING_FIELDS_H_
