// LineReader: the lines arriving on a non-blocking descriptor (a pipe from a child process),
// handed out as they complete, with a bound on the longest line.
//
// Threading: one thread at a time.

#ifndef BRAID_WORKER_LINE_READER_H_
#define BRAID_WORKER_LINE_READER_H_

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/string_view.h"

namespace braid {

class LineReader {
 public:
  enum class State {
    kOpen,         // nothing more to read now
    kEnd,          // end of input (or a read error): the descriptor is done
    kLineTooLong,  // a line reached `max_line` bytes and lines are not cut
  };

  // The buffer starts at `initial_bytes` and grows up to `max_line`. A line that reaches
  // `max_line` is handed out in pieces of that size if `cut_long_lines`, else refused.
  LineReader(size_t initial_bytes, size_t max_line, bool cut_long_lines)
      : buffer_(std::max<size_t>(initial_bytes, 1)),
        max_line_(std::max(max_line, buffer_.size())),
        cut_long_lines_(cut_long_lines) {}

  // Reads what `fd` has — at most `max_reads` reads, so that a descriptor that never runs dry
  // cannot hold the caller — and calls `on_line(absl::string_view)` for each complete line,
  // without its newline; at the end of input, also for a last line without one. Sets
  // `*progressed` if any byte came.
  template <typename OnLine>
  State Read(int fd, int max_reads, OnLine&& on_line, bool* progressed) {
    for (int reads = 0; reads < max_reads; ++reads) {
      if (end_ == buffer_.size() && !MakeRoom(on_line)) return State::kLineTooLong;
      const ssize_t got = read(fd, buffer_.data() + end_, buffer_.size() - end_);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return State::kOpen;
      if (got <= 0) {
        if (begin_ < end_) on_line(absl::string_view(buffer_.data() + begin_, end_ - begin_));
        begin_ = end_ = 0;
        return State::kEnd;
      }
      *progressed = true;
      size_t scan = end_;
      end_ += static_cast<size_t>(got);
      while (const void* found = std::memchr(buffer_.data() + scan, '\n', end_ - scan)) {
        const size_t newline =
            static_cast<size_t>(static_cast<const char*>(found) - buffer_.data());
        on_line(absl::string_view(buffer_.data() + begin_, newline - begin_));
        begin_ = scan = newline + 1;
      }
      if (begin_ == end_) begin_ = end_ = 0;
    }
    return State::kOpen;
  }

 private:
  // The buffer is full: moves the partial line to the front, or grows, or cuts the line.
  template <typename OnLine>
  bool MakeRoom(OnLine& on_line) {
    if (begin_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
      return true;
    }
    if (buffer_.size() < max_line_) {
      buffer_.resize(std::min(max_line_, buffer_.size() * 2));
      return true;
    }
    if (!cut_long_lines_) return false;
    on_line(absl::string_view(buffer_.data(), end_));
    begin_ = end_ = 0;
    return true;
  }

  std::vector<char> buffer_;
  size_t begin_ = 0;  // of the first byte not yet handed out
  size_t end_ = 0;    // of the bytes read
  size_t max_line_;
  bool cut_long_lines_;
};

}  // namespace braid

#endif  // BRAID_WORKER_LINE_READER_H_
