// Compressed output, as Hadoop's FileOutputFormat writes it when a job asks:
//
//   mapreduce.output.fileoutputformat.compress=true          (mapred.output.compress)
//   mapreduce.output.fileoutputformat.compress.codec=CLASS   (mapred.output.compression.codec)
//
// with CLASS one of org.apache.hadoop.io.compress.GzipCodec (.gz), BZip2Codec (.bz2),
// ZStandardCodec (.zst) or DefaultCodec (.deflate, a zlib stream: the default, as in Hadoop).
// Each part file is compressed whole and named with the codec's extension (part-r-00000.gz), so
// that Braid — and zcat, bzcat, zstdcat — read it back (job/compressed_input.h).
//
// Threading: a Compressor is used by one thread at a time.

#ifndef BRAID_JOB_COMPRESSED_OUTPUT_H_
#define BRAID_JOB_COMPRESSED_OUTPUT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "job/compressed_input.h"
#include "proto/braid.pb.h"

namespace braid {

// The codec `spec`'s output is written with: kNone unless compression is asked for.
// kInvalidArgument naming the property for a malformed value or a codec Braid does not have.
absl::StatusOr<Codec> OutputCodecOf(const proto::JobSpec& spec);

// The extension Hadoop gives files of `codec` (".gz", ...); "" for kNone.
absl::string_view CodecExtension(Codec codec);

class Compressor {
 public:
  // REQUIRES: codec is not kNone.
  static std::unique_ptr<Compressor> Make(Codec codec);
  virtual ~Compressor() = default;
  // Appends to `out` the compressed form of `data` (some of it may stay buffered inside);
  // `data` may be empty.
  virtual absl::Status Compress(absl::string_view data, std::string* out) = 0;
  // Appends the rest, and the stream's end. Call once, last.
  virtual absl::Status Finish(std::string* out) = 0;
};

}  // namespace braid

#endif  // BRAID_JOB_COMPRESSED_OUTPUT_H_
