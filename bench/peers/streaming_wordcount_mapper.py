#!/usr/bin/python3
"""A Hadoop Streaming word count's mapper, as the tutorials write it: WORD<TAB>1 per word."""
import sys

for line in sys.stdin:
    for word in line.split():
        print(word + "\t1")
