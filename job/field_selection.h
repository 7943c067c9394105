// Hadoop's FieldSelectionMapReduce, which a streaming job names as its mapper or reducer
// (`-mapper org.apache.hadoop.mapred.lib.FieldSelectionMapReduce`): a `cut` over fields.
//
//   mapreduce.fieldsel.data.field.separator              what cuts a line into fields (a tab)
//   mapreduce.fieldsel.map.output.key.value.fields.spec  KEYS:VALUES for the mapper
//   mapreduce.fieldsel.reduce.output.key.value.fields.spec   the same for the reducer
//   (by default, as Hadoop's "0-:" means: no fields)
//
// KEYS and VALUES are comma-separated field numbers (from 0), ranges ("1-3", "-2") and, for
// VALUES only, one open range ("5-": field 5 and every one after it); at most 10,000 fields in
// all. What Hadoop would ignore in a spec — an open range among the keys, a second open range,
// a part after a second ':' — is refused by name, so that no part of a spec is dropped;
// "4,3,0,1:6,5,1-3,7-" keys by fields 4, 3, 0 and 1 and takes fields 6, 5, 1, 2, 3 and from 7 on as
// the value. The fields chosen are joined with the separator; a field a line lacks gives an empty
// one. The mapper reads each line (text input has no key of its own); a mapper with no key fields
// keys by the value, and an empty value. The reducer reads KEY, the separator, then each VALUE, and
// writes what it selects; with no key fields it writes the value alone, with no value fields the
// key alone, and nothing when it selects neither. This is Hadoop's behaviour throughout, including
// its cutting of a line as Java's String.split does (trailing empty fields dropped).
//
// Hadoop reads the separator as a regular expression; so that no job computes what its author
// did not mean, Braid takes only a separator of one character that means itself there (not one
// of .[]{}()\*+?^$|) and refuses any other by name.
//
// Threading: immutable after FromSpec; any thread.

#ifndef BRAID_JOB_FIELD_SELECTION_H_
#define BRAID_JOB_FIELD_SELECTION_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/braid.pb.h"

namespace braid {

inline constexpr absl::string_view kFieldSelectionClass =
    "org.apache.hadoop.mapred.lib.FieldSelectionMapReduce";

class FieldSelection {
 public:
  // Reads the properties above from `spec`. kInvalidArgument naming the property for a
  // malformed spec or a separator Braid does not take.
  static absl::StatusOr<FieldSelection> FromSpec(const proto::JobSpec& spec);
  // True for the properties FromSpec reads.
  static bool Reads(absl::string_view property);

  // What a mapper or reducer selects; absent parts are Hadoop's null.
  struct Selected {
    std::optional<std::string> key;
    std::optional<std::string> value;
  };
  // The mapper's pair for `line` (both parts present).
  Selected Map(absl::string_view line) const;
  // The reducer's pair for one value of `key`.
  Selected Reduce(absl::string_view key, absl::string_view value) const;

  struct Fields {
    std::vector<int> key;
    std::vector<int> value;
    int value_from = -1;  // the open range of the value, if any
  };

 private:
  FieldSelection() = default;

  char separator_ = '\t';
  Fields map_;
  Fields reduce_;
};

}  // namespace braid

#endif  // BRAID_JOB_FIELD_SELECTION_H_
