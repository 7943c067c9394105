#!/usr/bin/env python3
"""Dask's figures for bench/run's baselines (Debian's python3-distributed).

  dask_bench.py scheduler --tasks N --latency-tasks M
      A LocalCluster of 2 worker processes (1 thread each). Maps a no-op over N items with
      client.map and gathers the results: tasks/s from the map to the last result. Then M
      client.submit(noop).result() round trips one after the other: per-task latency p50/p99.
  dask_bench.py wordcount --output FILE FILE...
      The same cluster counts the words of the files with Dask bag (read_text, str.split,
      flatten, frequencies) and writes "word<TAB>count" lines: MB/s from the start of the
      computation to the last line written.

Cluster start-up is not timed; the figure is the first line printed, as JSON.
"""

import argparse
import json
import os
import sys
import time


def noop(x):
    return x


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def cluster():
    from dask.distributed import Client, LocalCluster

    local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                         dashboard_address=None, silence_logs=50)
    return local, Client(local)


def scheduler(args):
    local, client = cluster()
    try:
        client.submit(noop, 0, pure=False).result()  # warm up both sides
        start = time.monotonic()
        futures = client.map(noop, range(args.tasks), pure=False)
        client.gather(futures)
        seconds = time.monotonic() - start
        del futures
        latencies = []
        for i in range(args.latency_tasks):
            begin = time.monotonic()
            client.submit(noop, i, pure=False).result()
            latencies.append((time.monotonic() - begin) * 1000)
        return {
            "tasks": args.tasks,
            "tasks_per_s": args.tasks / seconds,
            "latency_p50_ms": percentile(latencies, 0.5),
            "latency_p99_ms": percentile(latencies, 0.99),
        }
    finally:
        client.close()
        local.close()


def wordcount(args):
    import dask.bag as db

    local, client = cluster()
    try:
        size = sum(os.path.getsize(f) for f in args.files)
        start = time.monotonic()
        counts = (db.read_text(args.files, blocksize=args.blocksize)
                  .str.split().flatten().frequencies().compute())
        with open(args.output, "w") as out:
            for word, count in counts:
                out.write(f"{word}\t{count}\n")
        seconds = time.monotonic() - start
        return {"bytes": size, "mb_per_s": size / 1e6 / seconds}
    finally:
        client.close()
        local.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    s = commands.add_parser("scheduler")
    s.add_argument("--tasks", type=int, default=10000)
    s.add_argument("--latency-tasks", type=int, default=100)
    w = commands.add_parser("wordcount")
    w.add_argument("--output", required=True)
    w.add_argument("--blocksize", default="16MiB")
    w.add_argument("files", nargs="+")
    args = parser.parse_args()
    result = scheduler(args) if args.command == "scheduler" else wordcount(args)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
