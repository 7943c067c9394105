// Small text helpers the built-in jobs share.

#ifndef BRAID_JOB_BUILTIN_TEXT_H_
#define BRAID_JOB_BUILTIN_TEXT_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace braid::builtin {

// Calls `f(word)` for each word of `line`: a maximal run of bytes other than space, tab, newline,
// carriage return and form feed (the delimiters of Java's StringTokenizer, which Hadoop's
// WordCount splits with).
// Whether `c` separates words: space, tab, newline, carriage return or form feed.
inline bool IsWordSeparator(char c) {
  // One bit per separator, tested with a shift: no table, no branch.
  constexpr uint64_t kSeparators =
      (1ull << ' ') | (1ull << '\t') | (1ull << '\n') | (1ull << '\r') | (1ull << '\f');
  const auto byte = static_cast<unsigned char>(c);
  return byte <= ' ' && ((kSeparators >> byte) & 1) != 0;
}

template <typename F>
void ForEachWord(absl::string_view line, F&& f) {
  const char* p = line.data();
  const char* end = p + line.size();
  while (p < end) {
    while (p < end && IsWordSeparator(*p)) ++p;
    const char* start = p;
    while (p < end && !IsWordSeparator(*p)) ++p;
    if (p > start) f(absl::string_view(start, p - start));
  }
}

}  // namespace braid::builtin

#endif  // BRAID_JOB_BUILTIN_TEXT_H_
