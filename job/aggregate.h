// Hadoop's Aggregate package (org.apache.hadoop.mapred.lib.aggregate), which a streaming job
// names with `-reducer aggregate`: the mapper writes `TYPE:ID<TAB>VALUE` lines, and for each key
// the reducer folds the values with the aggregator TYPE names, writing `ID<TAB>REPORT`.
//
//   LongValueSum, LongValueMax, LongValueMin   64-bit integers (as Java's Long.parseLong reads
//                                              them: an optional sign, digits)
//   DoubleValueSum                             numbers, the sum written as Java writes a double
//   StringValueMax, StringValueMin             the bytewise largest and smallest value
//   UniqValueCount                             how many distinct values (Hadoop Streaming's
//                                              aggregate keeps them all, whatever
//                                              mapreduce.aggregate.max.num.unique.values says)
//   ValueHistogram                             values `V` or `V<TAB>COUNT`; the report is the
//                                              number of distinct values, then the minimum,
//                                              median and maximum count, their mean and standard
//                                              deviation, tab-separated
//
// Types are matched ignoring case, as Hadoop matches them. A combiner (Hadoop's
// ValueAggregatorCombiner) writes each aggregator's partial state as values of the same key,
// which the reducer folds on.
//
// Threading: an aggregator is used by one thread.

#ifndef BRAID_JOB_AGGREGATE_H_
#define BRAID_JOB_AGGREGATE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace braid {

class ValueAggregator {
 public:
  virtual ~ValueAggregator() = default;
  // Folds in one value. kInvalidArgument for a value the type cannot read (naming it).
  virtual absl::Status Add(absl::string_view value) = 0;
  // What the reducer writes as the value.
  virtual std::string Report() const = 0;
  // What a combiner writes: values that, folded by another aggregator of the type, give the
  // same report.
  virtual std::vector<std::string> CombinerOutput() const = 0;
};

// The aggregator of `type`; kInvalidArgument naming it if there is none.
absl::StatusOr<std::unique_ptr<ValueAggregator>> MakeValueAggregator(absl::string_view type,
                                                                     uint64_t max_unique_values);

// Splits an aggregate job's key `TYPE:ID` at its first ':'. kInvalidArgument if it has none.
struct AggregateKey {
  absl::string_view type;
  absl::string_view id;
};
absl::StatusOr<AggregateKey> SplitAggregateKey(absl::string_view key);

// `value` as Java's Double.toString writes it: "3.0", "0.001", "1.0E7", "1.5E-4", "NaN",
// "Infinity" — the shortest digits that read back as `value`.
std::string JavaDoubleString(double value);

}  // namespace braid

#endif  // BRAID_JOB_AGGREGATE_H_
