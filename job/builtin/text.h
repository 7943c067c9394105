// Small text helpers the built-in jobs share.

#ifndef BRAID_JOB_BUILTIN_TEXT_H_
#define BRAID_JOB_BUILTIN_TEXT_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace braid::builtin {

// Calls `f(word)` for each word of `line`: a maximal run of bytes other than space, tab, newline,
// carriage return and form feed (the delimiters of Java's StringTokenizer, which Hadoop's
// WordCount splits with).
template <typename F>
void ForEachWord(absl::string_view line, F&& f) {
  const char* p = line.data();
  const char* end = p + line.size();
  while (p < end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f')) ++p;
    const char* start = p;
    while (p < end && !(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f')) ++p;
    if (p > start) f(absl::string_view(start, p - start));
  }
}

}  // namespace braid::builtin

#endif  // BRAID_JOB_BUILTIN_TEXT_H_
