#!/usr/bin/python3
"""A Hadoop Streaming word count's reducer: sums the counts of each run of one word."""
import sys

current, total = None, 0
for line in sys.stdin:
    word, count = line.rstrip("\n").split("\t", 1)
    if word != current:
        if current is not None:
            print(current + "\t" + str(total))
        current, total = word, 0
    total += int(count)
if current is not None:
    print(current + "\t" + str(total))
