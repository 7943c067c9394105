// Compressed input, as Hadoop reads it: a file is decompressed by the codec its extension names
// (.gz with zlib, .bz2 with libbz2, .zst with libzstd, .deflate — Hadoop's DefaultCodec, a zlib
// stream — with zlib), and read whole by one map task (a
// compressed file is one split). Concatenated streams — `cat a.gz b.gz`, pbzip2's output, zstd
// frames one after another — read as the concatenation of what they hold, as zcat reads them.
//
//   if (CodecOf(path) != Codec::kNone) file = NewDecompressingFile(std::move(file), path);
//
// A stream that ends before its end marker (a truncated download), or whose bytes are not what
// its codec writes, fails the read with kDataLoss naming the file.
//
// Threading: a decompressing file, like any SequentialFile, is used by one thread at a time.

#ifndef BRAID_JOB_COMPRESSED_INPUT_H_
#define BRAID_JOB_COMPRESSED_INPUT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "base/env.h"

namespace braid {

enum class Codec { kNone, kGzip, kBzip2, kZstd, kDeflate };

// The codec of a file, by its extension.
Codec CodecOf(absl::string_view path);

// kInvalidArgument naming `path` if its extension is that of a compression Braid does not read
// (.xz, .lz4, .snappy, .Z, ...): its bytes are not the text they hold.
absl::Status CheckReadableCompression(absl::string_view path);

// The bytes `compressed` holds, decompressed by CodecOf(path). REQUIRES: CodecOf(path) is not
// kNone; `compressed` is at the start of the file.
std::unique_ptr<SequentialFile> NewDecompressingFile(std::unique_ptr<SequentialFile> compressed,
                                                     const std::string& path);

}  // namespace braid

#endif  // BRAID_JOB_COMPRESSED_INPUT_H_
