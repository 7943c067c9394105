// KeyFields: Hadoop's key-field specifications, as KeyFieldBasedComparator and
// KeyFieldBasedPartitioner read them — `-k pos1[,pos2]` with pos = f[.c][n][r], and the global
// `-n`, `-r`, `-nr` — over the fields of a key cut at a separator.
//
//   -k2,2nr     the second field, numerically, largest first
//   -k1.2,1.4   characters 2 to 4 of the first field
//   -k3         from the third field to the end of the key
//
// Fields and characters count from 1; an end character 0 (or none) is the field's last. A key
// with too few fields has no bytes for a spec ("absent"): it sorts before every present value,
// after them when reversed (as in Hadoop).
//
// Sorting works by encoding, so that the shuffle keeps comparing plain bytes: AppendSortKey
// writes a string whose bytewise order is the comparator's order of keys. `n` compares the
// number at the start of the selected bytes — an optional '-', digits, an optional '.' and
// digits; what follows is not compared, and bytes without a number are 0 — which is Hadoop's
// order for such numbers; Hadoop's comparison of text that is not a number has no stated
// meaning and is not copied.
//
// Threading: immutable after Parse; any thread.

#ifndef BRAID_JOB_KEY_FIELDS_H_
#define BRAID_JOB_KEY_FIELDS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace braid {

class KeyFields {
 public:
  struct Spec {
    int begin_field = 1;
    int begin_char = 1;
    int end_field = 0;  // 0: to the end of the key
    int end_char = 0;   // 0: to the end of end_field
    bool numeric = false;
    bool reverse = false;
  };

  // Parses `options` (e.g. "-k1,1 -k2,2nr"); no -k at all means the whole key, with the global
  // options. kInvalidArgument naming `property` for anything else: a malformed position, a field
  // or character 0 where one is needed, an option Hadoop does not have or Braid does not
  // support (-t, -b, -f, ...).
  static absl::StatusOr<KeyFields> Parse(absl::string_view options, std::string separator,
                                         absl::string_view property);
  // Hadoop's num.key.fields.for.partition=N: -k1,N.
  static KeyFields FirstFields(int fields, std::string separator);

  const std::vector<Spec>& specs() const { return specs_; }

  // Appends to `out` the encoding of `key` whose bytewise order is this comparator's order.
  // Keys the comparator finds equal encode equally.
  void AppendSortKey(absl::string_view key, std::string* out) const;

  // Appends the bytes each spec selects (n and r are of no account), each preceded by its
  // length, to `out`: the partitioner's hash input. Absent specs add nothing.
  void AppendSelected(absl::string_view key, std::string* out) const;

 private:
  KeyFields(std::vector<Spec> specs, std::string separator)
      : specs_(std::move(specs)), separator_(std::move(separator)) {}
  // The bytes of `key` that `spec` selects; false if absent. `fields` are the key's field
  // starts (see FieldStarts).
  bool Select(absl::string_view key, const std::vector<size_t>& fields, const Spec& spec,
              absl::string_view* selected) const;
  // The offset of each field of `key`, and key.size() + separator size after the last.
  std::vector<size_t> FieldStarts(absl::string_view key) const;

  std::vector<Spec> specs_;
  std::string separator_;
};

}  // namespace braid

#endif  // BRAID_JOB_KEY_FIELDS_H_
