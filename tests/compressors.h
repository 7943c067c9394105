// Compressing text in tests, with the libraries Braid reads it with: what gzip, bzip2 and zstd
// would write.

#ifndef BRAID_TESTS_COMPRESSORS_H_
#define BRAID_TESTS_COMPRESSORS_H_

#include <bzlib.h>
#include <zlib.h>
#include <zstd.h>

#include <string>

#include "glog/logging.h"

namespace braid::testing {

// A gzip file (`gzip` true) or a zlib stream (Hadoop's DefaultCodec, .deflate).
inline std::string Zlib(const std::string& text, bool gzip) {
  z_stream stream{};
  CHECK_EQ(deflateInit2(&stream, 6, Z_DEFLATED, gzip ? 15 + 16 : 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&stream, text.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  CHECK_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

inline std::string Gzip(const std::string& text) { return Zlib(text, /*gzip=*/true); }
inline std::string Deflate(const std::string& text) { return Zlib(text, /*gzip=*/false); }

inline std::string Bzip2(const std::string& text) {
  std::string out(text.size() + text.size() / 100 + 600, '\0');
  unsigned size = static_cast<unsigned>(out.size());
  CHECK_EQ(BZ2_bzBuffToBuffCompress(out.data(), &size, const_cast<char*>(text.data()),
                                    static_cast<unsigned>(text.size()), 9, 0, 0),
           BZ_OK);
  out.resize(size);
  return out;
}

inline std::string Zstd(const std::string& text) {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  const size_t size = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 3);
  CHECK(!ZSTD_isError(size));
  out.resize(size);
  return out;
}

}  // namespace braid::testing

#endif  // BRAID_TESTS_COMPRESSORS_H_
