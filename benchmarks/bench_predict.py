"""Prediction benchmark: predict_proba on one row and on 1e4 rows, ours, LogisticRegression's, ONNX.

For each data set (raw digits, 10 classes; raw breast cancer, 2 classes) it
fits ``SoftmaxClassifier()`` and ``LogisticRegression()``, exports ours with
``sk_softmax.onnx.to_onnx`` (float64 and float32 graphs), and times, in
interleaved repetitions (every case once per repetition, in turn):

- ``ours``: ``SoftmaxClassifier.predict_proba`` on a float64 ndarray;
- ``ours, full checks``: the same with scikit-learn's ``validate_data`` forced
  (the plain-array skip of ``backends/numpy.py`` turned off), to show what
  that skip saves;
- ``LogisticRegression``: its ``predict_proba``;
- ``onnxruntime float64`` / ``float32``: ``InferenceSession.run`` on our graph
  (the float32 one fed float32 rows, as a float32 deployment would).

One row: the median time of one call (each repetition times a loop of calls);
1e4 rows: the median time of one call on 10,000 rows drawn from the data, and
the rows per second. Ratios are of medians against ``LogisticRegression`` in
the same run. Every BLAS pool is limited to ``--threads`` threads
(threadpoolctl), and onnxruntime's session to as many intra-op threads.
It also prints the largest difference of each ONNX graph's probabilities
from ``predict_proba`` on the 1e4 rows.

    python benchmarks/bench_predict.py --quick
    python benchmarks/bench_predict.py [--repeats 15] [--threads 1]

Writes ``benchmarks/results/bench_predict.md`` (``--out`` to change).
"""

import argparse
import contextlib
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import onnxruntime
import sklearn
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from sk_softmax import SoftmaxClassifier
from sk_softmax.backends import numpy as numpy_backend
from sk_softmax.onnx import to_onnx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import git_state  # noqa: E402

N_ROWS = 10_000
BASELINE = "LogisticRegression"


def datasets():
    X, y = load_digits(return_X_y=True)
    yield "digits (64 features, 10 classes)", X, y
    X, y = load_breast_cancer(return_X_y=True)
    yield "breast cancer (30 features, 2 classes)", X, y


@contextlib.contextmanager
def full_checks():
    """scikit-learn's validate_data on every call, as before the plain-array skip."""
    skip = numpy_backend._is_valid_already
    numpy_backend._is_valid_already = lambda estimator, X: False
    try:
        yield
    finally:
        numpy_backend._is_valid_already = skip


def session(onnx_model, threads):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(
        onnx_model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def cases(X, y, threads):
    """``{name: (predict_proba of a float64 array, context)}`` for one data set."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = SoftmaxClassifier().fit(X, y)
        theirs = LogisticRegression(max_iter=10_000).fit(X, y)
    graphs = {dtype: session(to_onnx(ours, X, dtype=dtype), threads) for dtype in ("f8", "f4")}

    def onnx(dtype):
        run = graphs[dtype].run
        return lambda rows: run(None, {"X": rows.astype(dtype, copy=False)})[1]

    none = contextlib.nullcontext
    return {
        "ours": (ours.predict_proba, none),
        "ours, full checks": (ours.predict_proba, full_checks),
        BASELINE: (theirs.predict_proba, none),
        "onnxruntime float64": (onnx("f8"), none),
        "onnxruntime float32": (onnx("f4"), none),
    }


def time_loop(function, rows, calls):
    """Seconds per call, over a loop of ``calls`` calls."""
    start = time.perf_counter()
    for _ in range(calls):
        function(rows)
    return (time.perf_counter() - start) / calls


def measure(case_table, workloads, repeats):
    """``{(workload, case): [seconds per call, one per repetition]}``, interleaved."""
    times = {(w, c): [] for w in workloads for c in case_table}
    for _ in range(repeats):
        for workload, (rows, calls) in workloads.items():
            for name, (function, context) in case_table.items():
                with context():
                    times[workload, name].append(time_loop(function, rows, calls))
    return {key: statistics.median(values) for key, values in times.items()}


def agreement(case_table, rows):
    """Largest |p_onnx - predict_proba| of each ONNX graph on ``rows``."""
    expected = case_table["ours"][0](rows)
    return {
        name: float(np.abs(function(rows) - expected).max())
        for name, (function, _) in case_table.items()
        if name.startswith("onnxruntime")
    }


def table(name, medians, workloads, case_names, differences):
    """Markdown rows for one data set."""
    lines = []
    for workload in workloads:
        base = medians[workload, BASELINE]
        for case in case_names:
            seconds = medians[workload, case]
            speed = (
                f"{seconds * 1e6:.1f} us"
                if workload == "1 row"
                else f"{seconds * 1e3:.2f} ms ({N_ROWS / seconds / 1e6:.2f} M rows/s)"
            )
            lines.append(
                f"| {name} | {workload} | {case} | {speed} | {seconds / base:.2f} | "
                f"{differences.get(case, '')} |"
            )
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats, short loops")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1, help="BLAS and onnxruntime threads")
    parser.add_argument(
        "--out", default=str(Path(__file__).resolve().parent / "results" / "bench_predict.md")
    )
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else args.repeats
    calls_one, calls_many = (20, 2) if args.quick else (500, 10)
    command = " ".join(argv if argv is not None else sys.argv[1:])
    lines = [
        "# predict_proba: one row and 1e4 rows; ours, LogisticRegression, onnxruntime",
        "",
        f"`python benchmarks/bench_predict.py {command}`".replace(" `", "`"),
        "",
        f"- commit {git_state()}; Python {platform.python_version()}, scikit-learn "
        f"{sklearn.__version__}, numpy {np.__version__}, onnxruntime {onnxruntime.__version__}; "
        f"{os.cpu_count()} cores, load average "
        f"{' '.join(f'{v:.2f}' for v in os.getloadavg())} at start",
        f"- BLAS and onnxruntime at {args.threads} thread(s); median of {repeats} interleaved "
        f"repetitions, each a loop of {calls_one} calls (1 row) or {calls_many} calls "
        f"({N_ROWS} rows); ratio: median time / LogisticRegression's median time",
        "",
        "| data | rows | case | time per call | ratio to LogisticRegression "
        "| max abs diff from ours |",
        "|---|---|---|---|---|---|",
    ]
    rng = np.random.default_rng(0)
    with threadpool_limits(args.threads):
        for name, X, y in datasets():
            case_table = cases(X, y, args.threads)
            many = np.ascontiguousarray(X[rng.integers(0, X.shape[0], N_ROWS)])
            workloads = {"1 row": (X[:1].copy(), calls_one), "1e4 rows": (many, calls_many)}
            medians = measure(case_table, workloads, repeats)
            differences = {k: f"{v:.1e}" for k, v in agreement(case_table, many).items()}
            rows = table(name, medians, workloads, list(case_table), differences)
            print("\n".join(rows), flush=True)
            lines += rows
    lines += [
        "",
        "`ours, full checks` is `ours` with scikit-learn's `validate_data` on every call: the "
        "difference is what the skip of those checks for plain float arrays saves "
        "(`sk_softmax/backends/numpy.py`). The float32 graph is fed the rows rounded to "
        "float32, so its difference from ours includes that rounding of the data (up to "
        "2**-25 max_k sum_j |x_j w_kj| on the probabilities) besides its own (2**-24).",
    ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
