"""Reading a large CSV: the command line's loader against pandas.read_csv alone.

A generated file of 200,000 rows, 20 float columns written at full precision
and a text label (79.6 MB), read by:

- "pandas.read_csv": ``pandas.read_csv(path)`` and nothing else, the floor;
- "load": the command line's loader (``sk_softmax._cli._read.load``: the
  sample read for the separator and the decimal mark, pandas' C parser with
  the missing-value markers and spaces skipped, the header and the text
  stripped, markers with spaces around them made missing, the target split
  off);
- "load + prepare": the loader, then the labels' checks and the shared
  preprocessing fitted and applied to all rows (what runs before the split).

Each reading runs in a fresh Python process, so that its peak memory
(``ru_maxrss``) is its own; runs are interleaved, and the table gives the
medians, the memory above the process after its imports, and the ratio of
each time to pandas.read_csv's in the same rounds.

    python benchmarks/bench_read.py [--repeats 5] [--rows 200000] [--out FILE.md]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

CHILD = r"""
import json, resource, sys, time
from argparse import Namespace
import pandas as pd
from sk_softmax._cli import _features, _read
from sk_softmax._cli._progress import Progress

def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

path, case = sys.argv[1], sys.argv[2]
args = Namespace(dataset=path, target="label", sep=None, decimal=None, encoding="utf-8-sig",
                 na_values=[], drop=[], encode=True, scale=False)
before = rss()
start = time.perf_counter()
if case == "pandas.read_csv":
    frame = pd.read_csv(path)
else:
    data = _read.load(args, Progress(False))
    if case == "load + prepare":
        y, keep, _ = _features.labels(data.y, "label")
        transformer, X, _ = _features.preprocessing(data.X[keep], encode=True, scale=False)
        matrix = transformer.fit_transform(X)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rss_before": before, "rss_after": rss()}))
"""

CASES = ("pandas.read_csv", "load", "load + prepare")


def write_csv(path, n_rows, n_features=20, seed=0):
    """Normal features at full precision (about 19 characters each), five labels."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features))
    labels = np.array(["alpha", "beta", "gamma", "delta", "epsilon"])
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(n_features)])
    frame["label"] = labels[np.argmax(X[:, :5] + rng.gumbel(size=(n_rows, 5)), axis=1)]
    frame.to_csv(path, index=False)


def run(path, case):
    done = subprocess.run(
        [sys.executable, "-c", CHILD, path, case], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--out", help="also write the table to this Markdown file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "large.csv")
        write_csv(path, args.rows)
        size = os.path.getsize(path)
        load = os.getloadavg()[0]
        results = {case: [] for case in CASES}
        for _ in range(args.repeats):
            for case in CASES:
                results[case].append(run(path, case))
    lines = [
        "# Reading a large CSV",
        "",
        f"- command: `python benchmarks/bench_read.py --repeats {args.repeats} --rows {args.rows}`",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
        f"{load:.2f} at the start",
        f"- file: {args.rows} rows x 20 float columns and a text label, {size / 1e6:.1f} MB",
        "",
        f"medians over {args.repeats} interleaved runs, each in a fresh process",
        "",
        "| reader | time (s) | ratio to pandas.read_csv | peak memory above imports (MB) |",
        "|---|---|---|---|",
    ]
    floor = [r["seconds"] for r in results["pandas.read_csv"]]
    for case in CASES:
        seconds = [r["seconds"] for r in results[case]]
        ratio = statistics.median(s / f for s, f in zip(seconds, floor, strict=True))
        memory = statistics.median((r["rss_after"] - r["rss_before"]) / 1e6 for r in results[case])
        lines.append(f"| {case} | {statistics.median(seconds):.3f} | {ratio:.2f} | {memory:.0f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as handle:
            handle.write(text)


if __name__ == "__main__":
    main()
