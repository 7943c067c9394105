#include "job/compressed_output.h"

#include <bzlib.h>
#include <zlib.h>
#include <zstd.h>

#include "absl/strings/str_cat.h"
#include "job/property_names.h"

namespace braid {
namespace {

constexpr size_t kChunk = 64 << 10;

class ZlibCompressor final : public Compressor {
 public:
  explicit ZlibCompressor(bool gzip) {
    initialized_ =
        deflateInit2(&stream_, 6, Z_DEFLATED, gzip ? 15 + 16 : 15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~ZlibCompressor() override {
    if (initialized_) deflateEnd(&stream_);
  }
  absl::Status Compress(absl::string_view data, std::string* out) override {
    return Run(data, Z_NO_FLUSH, out);
  }
  absl::Status Finish(std::string* out) override { return Run({}, Z_FINISH, out); }

 private:
  absl::Status Run(absl::string_view data, int flush, std::string* out) {
    if (!initialized_) return absl::ResourceExhaustedError("zlib could not start");
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream_.avail_in = static_cast<uInt>(data.size());
    char chunk[kChunk];
    while (true) {
      stream_.next_out = reinterpret_cast<Bytef*>(chunk);
      stream_.avail_out = sizeof(chunk);
      const int result = deflate(&stream_, flush);
      if (result == Z_STREAM_ERROR) return absl::InternalError("zlib failed to compress");
      out->append(chunk, sizeof(chunk) - stream_.avail_out);
      if (flush == Z_FINISH ? result == Z_STREAM_END
                            : stream_.avail_in == 0 && stream_.avail_out != 0) {
        return absl::OkStatus();
      }
    }
  }

  z_stream stream_{};
  bool initialized_ = false;
};

class Bzip2Compressor final : public Compressor {
 public:
  Bzip2Compressor() { initialized_ = BZ2_bzCompressInit(&stream_, 9, 0, 0) == BZ_OK; }
  ~Bzip2Compressor() override {
    if (initialized_) BZ2_bzCompressEnd(&stream_);
  }
  absl::Status Compress(absl::string_view data, std::string* out) override {
    return Run(data, BZ_RUN, out);
  }
  absl::Status Finish(std::string* out) override { return Run({}, BZ_FINISH, out); }

 private:
  absl::Status Run(absl::string_view data, int action, std::string* out) {
    if (!initialized_) return absl::ResourceExhaustedError("libbz2 could not start");
    // libbz2 calls running on no input a misuse (BZ_PARAM_ERROR): there is nothing to do.
    if (action == BZ_RUN && data.empty()) return absl::OkStatus();
    stream_.next_in = const_cast<char*>(data.data());
    stream_.avail_in = static_cast<unsigned>(data.size());
    char chunk[kChunk];
    while (true) {
      stream_.next_out = chunk;
      stream_.avail_out = sizeof(chunk);
      const int result = BZ2_bzCompress(&stream_, action);
      if (result < 0) return absl::InternalError(absl::StrCat("libbz2 error ", result));
      out->append(chunk, sizeof(chunk) - stream_.avail_out);
      if (action == BZ_FINISH ? result == BZ_STREAM_END : stream_.avail_in == 0) {
        return absl::OkStatus();
      }
    }
  }

  bz_stream stream_{};
  bool initialized_ = false;
};

class ZstdCompressor final : public Compressor {
 public:
  ZstdCompressor() : context_(ZSTD_createCCtx()) {
    if (context_ != nullptr) ZSTD_CCtx_setParameter(context_, ZSTD_c_compressionLevel, 3);
  }
  ~ZstdCompressor() override { ZSTD_freeCCtx(context_); }
  absl::Status Compress(absl::string_view data, std::string* out) override {
    return Run(data, ZSTD_e_continue, out);
  }
  absl::Status Finish(std::string* out) override { return Run({}, ZSTD_e_end, out); }

 private:
  absl::Status Run(absl::string_view data, ZSTD_EndDirective directive, std::string* out) {
    if (context_ == nullptr) return absl::ResourceExhaustedError("libzstd could not start");
    ZSTD_inBuffer input{data.data(), data.size(), 0};
    char chunk[kChunk];
    while (true) {
      ZSTD_outBuffer output{chunk, sizeof(chunk), 0};
      const size_t left = ZSTD_compressStream2(context_, &output, &input, directive);
      if (ZSTD_isError(left)) return absl::InternalError(ZSTD_getErrorName(left));
      out->append(chunk, output.pos);
      if (directive == ZSTD_e_end ? left == 0 : input.pos == input.size) {
        return absl::OkStatus();
      }
    }
  }

  ZSTD_CCtx* context_;
};

}  // namespace

absl::StatusOr<Codec> OutputCodecOf(const proto::JobSpec& spec) {
  std::string name;
  absl::StatusOr<const std::string*> compress = FindProperty(
      spec, {"mapreduce.output.fileoutputformat.compress", "mapred.output.compress"}, &name);
  if (!compress.ok()) return compress.status();
  std::string codec_name;
  absl::StatusOr<const std::string*> codec = FindProperty(
      spec, {"mapreduce.output.fileoutputformat.compress.codec", "mapred.output.compression.codec"},
      &codec_name);
  if (!codec.ok()) return codec.status();
  bool on = false;
  if (*compress != nullptr) {
    if (**compress == "true") {
      on = true;
    } else if (**compress != "false") {
      return absl::InvalidArgumentError(
          absl::StrCat(name, "=", **compress, ": expected true or false"));
    }
  }
  if (!on) return Codec::kNone;  // a codec alone changes nothing, in Hadoop too
  if (*codec == nullptr) return Codec::kDeflate;
  const std::string& value = **codec;
  if (value == "org.apache.hadoop.io.compress.GzipCodec") return Codec::kGzip;
  if (value == "org.apache.hadoop.io.compress.BZip2Codec") return Codec::kBzip2;
  if (value == "org.apache.hadoop.io.compress.ZStandardCodec") return Codec::kZstd;
  if (value == "org.apache.hadoop.io.compress.DefaultCodec") return Codec::kDeflate;
  return absl::InvalidArgumentError(absl::StrCat(
      codec_name, "=", value,
      " is not supported: Braid compresses output with GzipCodec, BZip2Codec, ZStandardCodec "
      "or DefaultCodec"));
}

absl::string_view CodecExtension(Codec codec) {
  switch (codec) {
    case Codec::kGzip:
      return ".gz";
    case Codec::kBzip2:
      return ".bz2";
    case Codec::kZstd:
      return ".zst";
    case Codec::kDeflate:
      return ".deflate";
    case Codec::kNone:
      break;
  }
  return "";
}

std::unique_ptr<Compressor> Compressor::Make(Codec codec) {
  switch (codec) {
    case Codec::kGzip:
      return std::make_unique<ZlibCompressor>(/*gzip=*/true);
    case Codec::kDeflate:
      return std::make_unique<ZlibCompressor>(/*gzip=*/false);
    case Codec::kBzip2:
      return std::make_unique<Bzip2Compressor>();
    case Codec::kZstd:
      return std::make_unique<ZstdCompressor>();
    case Codec::kNone:
      break;
  }
  return nullptr;
}

}  // namespace braid
