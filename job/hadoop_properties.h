// Hadoop's job properties, as a Braid JobSpec reads them: what a job that a Hadoop user submits
// with `--set mapreduce.job.reduces=2` (or mapred.reduce.tasks, or a streaming `-reducer NONE`)
// means, and a refusal, by name, of every property that would change the answer and that Braid
// does not honour yet — never silence.
//
//   std::vector<std::string> warnings;
//   absl::Status applied = ApplyHadoopProperties(spec, &warnings);  // before planning
//
// Honoured (old and new names alike):
//   mapreduce.job.reduces, mapred.reduce.tasks   the reducers (0: map-only)
//   mapreduce.job.name, mapred.job.name          the job's name
//   mapreduce.task.timeout, mapred.task.timeout  the task timeout, in milliseconds (0: none —
//                                                refused: Braid always has one)
//   mapreduce.job.maps, mapred.map.tasks         a hint in Hadoop too: accepted, splits decide
//   mapreduce.{map,reduce}.maxattempts           the attempts per task (the two must agree)
//   mapreduce.output.fileoutputformat.compress   output compression (job/compressed_output.h)
//     and .compress.codec
// A streaming reducer "NONE" makes the job map-only, as in Hadoop. For streaming jobs, the key,
// separator, KeyFieldBasedComparator and KeyFieldBasedPartitioner properties are honoured as
// job/streaming_fields.h reads them, and the field selection ones as job/field_selection.h does.
//
// Refused (kInvalidArgument naming the property): those same properties on other jobs, and the
// group comparator, input- and output-format and -io properties, unless set to the value that
// gives Braid's own behaviour. Any other mapreduce.*, mapred.* or stream.* property is kept in
// the configuration (a streaming command sees it in its environment) and named in `warnings`.
//
// Threading: a function of its arguments.

#ifndef BRAID_JOB_HADOOP_PROPERTIES_H_
#define BRAID_JOB_HADOOP_PROPERTIES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "proto/braid.pb.h"

namespace braid {

// Applies the Hadoop properties in `spec`'s configuration to `spec`; adds a line to `warnings`
// for each one it neither honours nor refuses. kInvalidArgument naming the property for a
// malformed value, or for one that would change the answer and is not supported.
absl::Status ApplyHadoopProperties(proto::JobSpec& spec, std::vector<std::string>* warnings);

// kInvalidArgument for a path with a scheme other than file:// (hdfs://, s3a://, ...), which
// Braid cannot read; `path` loses a file:// prefix.
absl::Status CheckPathScheme(std::string& path, const char* what);

}  // namespace braid

#endif  // BRAID_JOB_HADOOP_PROPERTIES_H_
