#include "job/compressed_input.h"

#include <bzlib.h>
#include <zlib.h>
#include <zstd.h>

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace braid {
namespace {

constexpr size_t kInputChunk = 256 << 10;

// Decompresses `compressed_` through a codec's Step, one read of the file at a time.
class DecompressingFile : public SequentialFile {
 public:
  DecompressingFile(std::unique_ptr<SequentialFile> compressed, std::string path, const char* codec)
      : compressed_(std::move(compressed)),
        path_(std::move(path)),
        codec_(codec),
        input_(kInputChunk) {}

  absl::StatusOr<size_t> Read(char* scratch, size_t n) final {
    if (!status_.ok()) return status_;
    if (n == 0) return 0;
    while (true) {
      if (begin_ == end_ && !end_of_file_) {
        absl::StatusOr<size_t> got = compressed_->Read(input_.data(), input_.size());
        if (!got.ok()) return status_ = got.status();
        begin_ = 0;
        end_ = *got;
        end_of_file_ = *got == 0;
      }
      size_t consumed = 0;
      absl::StatusOr<size_t> produced =
          Step(input_.data() + begin_, end_ - begin_, &consumed, scratch, n);
      if (!produced.ok()) {
        return status_ =
                   absl::DataLossError(absl::StrCat("input '", path_, "' is not a whole ", codec_,
                                                    " file: ", produced.status().message()));
      }
      begin_ += consumed;
      if (*produced > 0) return *produced;
      if (begin_ == end_ && end_of_file_) {
        if (!within_stream_) return 0;
        return status_ = absl::DataLossError(absl::StrCat("input '", path_,
                                                          "' ends in the middle of its ", codec_,
                                                          " stream: the file is truncated"));
      }
    }
  }

 protected:
  // Decompresses from `in` (size `available`) into `out` (size `room`): the bytes written, and
  // in *consumed the bytes taken. Keeps within_stream_ true while a stream has begun and not
  // ended. An error is the codec's complaint.
  virtual absl::StatusOr<size_t> Step(const char* in, size_t available, size_t* consumed, char* out,
                                      size_t room) = 0;

  bool within_stream_ = false;

 private:
  std::unique_ptr<SequentialFile> compressed_;
  const std::string path_;
  const char* const codec_;
  std::vector<char> input_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool end_of_file_ = false;
  absl::Status status_;
};

// gzip files, and Hadoop's DefaultCodec files (a zlib header and trailer around the deflate
// stream).
class ZlibFile final : public DecompressingFile {
 public:
  ZlibFile(std::unique_ptr<SequentialFile> compressed, std::string path, bool gzip)
      : DecompressingFile(std::move(compressed), std::move(path), gzip ? "gzip" : "deflate") {
    // 15: the largest window; + 16: a gzip header and trailer rather than zlib's.
    initialized_ = inflateInit2(&stream_, gzip ? 15 + 16 : 15) == Z_OK;
  }
  ~ZlibFile() override {
    if (initialized_) inflateEnd(&stream_);
  }

 private:
  absl::StatusOr<size_t> Step(const char* in, size_t available, size_t* consumed, char* out,
                              size_t room) override {
    if (!initialized_) return absl::ResourceExhaustedError("zlib could not start");
    if (available == 0 && !within_stream_) return 0;
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in));
    stream_.avail_in = static_cast<uInt>(std::min<size_t>(available, UINT32_MAX));
    stream_.next_out = reinterpret_cast<Bytef*>(out);
    stream_.avail_out = static_cast<uInt>(std::min<size_t>(room, UINT32_MAX));
    const int result = inflate(&stream_, Z_NO_FLUSH);
    *consumed = available - stream_.avail_in;
    const size_t produced = room - stream_.avail_out;
    if (*consumed > 0) within_stream_ = true;
    if (result == Z_STREAM_END) {
      // The next member, if any, starts after this one's trailer.
      within_stream_ = false;
      inflateReset(&stream_);
    } else if (result != Z_OK && result != Z_BUF_ERROR) {
      return absl::DataLossError(stream_.msg != nullptr ? stream_.msg : "corrupt data");
    }
    return produced;
  }

  z_stream stream_{};
  bool initialized_ = false;
};

class Bzip2File final : public DecompressingFile {
 public:
  Bzip2File(std::unique_ptr<SequentialFile> compressed, std::string path)
      : DecompressingFile(std::move(compressed), std::move(path), "bzip2") {
    initialized_ = BZ2_bzDecompressInit(&stream_, 0, 0) == BZ_OK;
  }
  ~Bzip2File() override {
    if (initialized_) BZ2_bzDecompressEnd(&stream_);
  }

 private:
  absl::StatusOr<size_t> Step(const char* in, size_t available, size_t* consumed, char* out,
                              size_t room) override {
    if (!initialized_) return absl::ResourceExhaustedError("libbz2 could not start");
    if (available == 0 && !within_stream_) return 0;
    stream_.next_in = const_cast<char*>(in);
    stream_.avail_in = static_cast<unsigned>(std::min<size_t>(available, UINT32_MAX));
    stream_.next_out = out;
    stream_.avail_out = static_cast<unsigned>(std::min<size_t>(room, UINT32_MAX));
    const int result = BZ2_bzDecompress(&stream_);
    *consumed = available - stream_.avail_in;
    const size_t produced = room - stream_.avail_out;
    if (*consumed > 0) within_stream_ = true;
    if (result == BZ_STREAM_END) {
      within_stream_ = false;
      BZ2_bzDecompressEnd(&stream_);
      initialized_ = BZ2_bzDecompressInit(&stream_, 0, 0) == BZ_OK;
    } else if (result != BZ_OK) {
      return absl::DataLossError(absl::StrCat("libbz2 error ", result));
    }
    return produced;
  }

  bz_stream stream_{};
  bool initialized_ = false;
};

class ZstdFile final : public DecompressingFile {
 public:
  ZstdFile(std::unique_ptr<SequentialFile> compressed, std::string path)
      : DecompressingFile(std::move(compressed), std::move(path), "zstd"),
        context_(ZSTD_createDCtx()) {}
  ~ZstdFile() override { ZSTD_freeDCtx(context_); }

 private:
  absl::StatusOr<size_t> Step(const char* in, size_t available, size_t* consumed, char* out,
                              size_t room) override {
    if (context_ == nullptr) return absl::ResourceExhaustedError("libzstd could not start");
    if (available == 0 && !within_stream_) return 0;
    ZSTD_inBuffer input{in, available, 0};
    ZSTD_outBuffer output{out, room, 0};
    const size_t result = ZSTD_decompressStream(context_, &output, &input);
    if (ZSTD_isError(result)) return absl::DataLossError(ZSTD_getErrorName(result));
    *consumed = input.pos;
    // 0: a frame is decoded and flushed whole.
    if (input.pos > 0 || output.pos > 0) within_stream_ = result != 0;
    return output.pos;
  }

  ZSTD_DCtx* context_;
};

}  // namespace

Codec CodecOf(absl::string_view path) {
  if (absl::EndsWith(path, ".gz")) return Codec::kGzip;
  if (absl::EndsWith(path, ".bz2")) return Codec::kBzip2;
  if (absl::EndsWith(path, ".zst")) return Codec::kZstd;
  if (absl::EndsWith(path, ".deflate")) return Codec::kDeflate;
  return Codec::kNone;
}

absl::Status CheckReadableCompression(absl::string_view path) {
  for (absl::string_view suffix : {".xz", ".lzma", ".lz4", ".snappy", ".Z", ".lzo", ".br", ".zz"}) {
    if (absl::EndsWith(path, suffix)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "input '", path, "' is compressed (", suffix.substr(1),
          "), which Braid does not read: decompress it, or recompress it as .gz, .bz2, .zst or "
          ".deflate "
          "(its compressed bytes are not the text they hold)"));
    }
  }
  return absl::OkStatus();
}

std::unique_ptr<SequentialFile> NewDecompressingFile(std::unique_ptr<SequentialFile> compressed,
                                                     const std::string& path) {
  switch (CodecOf(path)) {
    case Codec::kGzip:
      return std::make_unique<ZlibFile>(std::move(compressed), path, /*gzip=*/true);
    case Codec::kDeflate:
      return std::make_unique<ZlibFile>(std::move(compressed), path, /*gzip=*/false);
    case Codec::kBzip2:
      return std::make_unique<Bzip2File>(std::move(compressed), path);
    case Codec::kZstd:
      return std::make_unique<ZstdFile>(std::move(compressed), path);
    case Codec::kNone:
      break;
  }
  return compressed;
}

}  // namespace braid
