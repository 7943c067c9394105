// A streaming word count in Python, as Hadoop's tutorials write it, for tests that run real
// streaming jobs.

#ifndef BRAID_TESTS_WORD_COUNT_SCRIPTS_H_
#define BRAID_TESTS_WORD_COUNT_SCRIPTS_H_

namespace braid::testing {

// "word<TAB>1" for each whitespace-separated word.
inline constexpr char kWordCountMapper[] = R"(#!/usr/bin/python3
import sys
for line in sys.stdin:
    for word in line.split():
        print(word + "\t1")
)";

// Sums the counts of each key; also serves as the combiner (its output keeps the key order).
inline constexpr char kWordCountReducer[] = R"(#!/usr/bin/python3
import sys
current, total = None, 0
for line in sys.stdin:
    key, value = line.rstrip("\n").split("\t", 1)
    if key != current:
        if current is not None:
            print(current + "\t" + str(total))
        current, total = key, 0
    total += int(value)
if current is not None:
    print(current + "\t" + str(total))
)";

}  // namespace braid::testing

#endif  // BRAID_TESTS_WORD_COUNT_SCRIPTS_H_
