"""Scaling out: partial_fit throughput, and fitting on a Dask cluster.

Two measurements, each in interleaved repetitions, reporting medians:

1. Online learning. The same stream of shuffled minibatches (256 rows) of a
   standardised synthetic problem goes through
   ``SoftmaxClassifier.partial_fit`` (a true multinomial model, online Newton steps) and
   ``SGDClassifier(loss="log_loss").partial_fit`` (one-vs-rest, with the
   same penalty, ``alpha = 1 / (C n)``, and with its default ``alpha``).
   Throughput in samples per second and the held-out log-loss each reaches
   after every epoch, against the full-batch optimum.
2. Dask. A ``--n`` x 100 problem, 5 classes, generated on the workers of a
   ``LocalCluster`` (one thread per worker process) and persisted there, is
   fitted on 1 and on 2 workers, and the same data in memory (numpy's BLAS
   threads, 2 cores here). The fit time, and the largest difference of the
   coefficients to the in-memory fit.

    python benchmarks/bench_scale.py [--n 1000000] [--stream-n 100000]
                                     [--epochs 3] [--repeats 3]
                                     [--baseline DIR] [--online-only]

``--baseline DIR`` adds a before/after comparison of the throughput: the
same stream through ``SoftmaxClassifier.partial_fit`` of the package in
``DIR`` (a checkout of an older commit, say ``git worktree add --detach
../base main``) and of this checkout, each in a fresh child process, the two
alternating within each repeat; medians and their ratio. ``--online-only``
skips the Dask part.

Output is a Markdown report on stdout (saved as
``benchmarks/results/bench_scale.md``).
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import log_loss

from sk_softmax import SoftmaxClassifier

N_FEATURES = 100
N_CLASSES = 5
CHUNK_ROWS = 125_000
ROOT = Path(__file__).resolve().parents[1]


def _problem(seed, n_rows, n_features, n_classes):
    """Rows and labels of a linear softmax model with Gumbel noise, from ``seed``."""
    rng = np.random.default_rng(seed)
    truth = np.random.default_rng(12345).normal(size=(n_features, n_classes)) / np.sqrt(n_features)
    X = rng.normal(size=(n_rows, n_features))
    y = np.argmax(2.0 * X @ truth + rng.gumbel(size=(n_rows, n_classes)), axis=1)
    return X, y


def _chunk_X(seed, n_rows):
    return _problem(seed, n_rows, N_FEATURES, N_CLASSES)[0]


def _chunk_y(seed, n_rows):
    return _problem(seed, n_rows, N_FEATURES, N_CLASSES)[1]


# -- 1. online ------------------------------------------------------------------------
def bench_online(n, n_features, n_classes, epochs, repeats):
    X, y = _problem(1, n, n_features, n_classes)
    X_test, y_test = _problem(2, n // 4, n_features, n_classes)
    classes = np.arange(n_classes)
    full = SoftmaxClassifier().fit(X, y)
    full_loss = log_loss(y_test, full.predict_proba(X_test), labels=classes)
    makers = {
        "SoftmaxClassifier.partial_fit (multinomial, online Newton)": lambda: SoftmaxClassifier(),
        'SGDClassifier(loss="log_loss", alpha=1/n).partial_fit (one-vs-rest, '
        "same penalty)": lambda: SGDClassifier(loss="log_loss", alpha=1.0 / n, random_state=0),
        'SGDClassifier(loss="log_loss").partial_fit (one-vs-rest, default alpha=1e-4)': (
            lambda: SGDClassifier(loss="log_loss", random_state=0)
        ),
    }
    times = {name: [] for name in makers}
    losses = {name: None for name in makers}
    for repeat in range(repeats):
        for name, make in makers.items():
            est, elapsed, curve = make(), 0.0, []
            rng = np.random.default_rng(repeat)
            for _ in range(epochs):
                elapsed += _epoch(est, X, y, classes, rng.permutation(n))
                curve.append(log_loss(y_test, est.predict_proba(X_test), labels=classes))
            times[name].append(n * epochs / elapsed)
            losses[name] = curve
    lines = [
        f"## Online: {n} x {n_features}, {n_classes} classes, minibatches of 256, "
        f"{epochs} epochs, {repeats} interleaved repeats",
        "",
        f"Full-batch optimum (SoftmaxClassifier().fit), held-out log-loss: {full_loss:.4f}",
        "",
        "| estimator | samples/s (median) | held-out log-loss after each epoch (last run) |",
        "| --- | ---: | --- |",
    ]
    for name in makers:
        curve = ", ".join(f"{v:.4f}" for v in losses[name])
        lines.append(f"| {name} | {statistics.median(times[name]):,.0f} | {curve} |")
    return lines


def partial_fit_speed(n, n_features, n_classes, epochs, seed):
    """Samples per second of ``SoftmaxClassifier().partial_fit`` on the stream of ``seed``."""
    X, y = _problem(1, n, n_features, n_classes)
    classes, est, elapsed = np.arange(n_classes), SoftmaxClassifier(), 0.0
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        elapsed += _epoch(est, X, y, classes, rng.permutation(n))
    return n * epochs / elapsed


def _epoch(est, X, y, classes, order):
    """One pass of ``partial_fit`` over minibatches of 256 rows in ``order``; its seconds."""
    start = time.perf_counter()
    for first in range(0, len(order), 256):
        rows = order[first : first + 256]
        est.partial_fit(X[rows], y[rows], classes=classes)
    return time.perf_counter() - start


def _child_speed(source, n, n_features, n_classes, epochs, seed):
    """``partial_fit_speed`` in a fresh process importing ``sk_softmax`` from ``source``."""
    env = dict(os.environ, PYTHONPATH=str(source))
    args = [str(a) for a in (n, n_features, n_classes, epochs, seed)]
    out = subprocess.run(
        [sys.executable, __file__, "--speed-only", *args],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    package, speed = out.stdout.split()
    if Path(package).resolve().parents[1] != Path(source).resolve():
        raise RuntimeError(f"the child imported sk_softmax from {package}, not from {source}")
    return float(speed)


def bench_before_after(baseline, n, n_features, n_classes, epochs, repeats):
    """Throughput of the package in ``baseline`` and of this checkout, alternating."""
    sources = {"before (--baseline)": Path(baseline), "after (this checkout)": ROOT}
    speeds = {name: [] for name in sources}
    for repeat in range(repeats):
        for name, source in sources.items():
            speeds[name].append(_child_speed(source, n, n_features, n_classes, epochs, repeat))
    before, after = (statistics.median(v) for v in speeds.values())
    commit = subprocess.run(
        ["git", "-C", str(baseline), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    lines = [
        f"## partial_fit throughput before and after: {n} x {n_features}, {n_classes} "
        f"classes, minibatches of 256, {epochs} epochs, {repeats} alternating repeats",
        "",
        f"Before: the package at {baseline} (commit {commit or 'unknown'}); after: this "
        "checkout. Each run in a fresh process.",
        "",
        "| code | samples/s (median) | samples/s (each repeat) |",
        "| --- | ---: | --- |",
    ]
    for name, values in speeds.items():
        each = ", ".join(f"{v:,.0f}" for v in values)
        lines.append(f"| {name} | {statistics.median(values):,.0f} | {each} |")
    lines += ["", f"Ratio after / before (medians): {after / before:.2f}"]
    return lines


# -- 2. dask --------------------------------------------------------------------------
def _dask_data(n):
    import dask
    import dask.array as da

    blocks_X, blocks_y = [], []
    for seed, first in enumerate(range(0, n, CHUNK_ROWS)):
        rows = min(CHUNK_ROWS, n - first)
        blocks_X.append(
            da.from_delayed(
                dask.delayed(_chunk_X)(100 + seed, rows), (rows, N_FEATURES), dtype=np.float64
            )
        )
        blocks_y.append(
            da.from_delayed(dask.delayed(_chunk_y)(100 + seed, rows), (rows,), dtype=np.intp)
        )
    return da.concatenate(blocks_X), da.concatenate(blocks_y)


def bench_dask(n, repeats):
    from distributed import Client, LocalCluster, wait

    X_parts, y_parts = [], []
    for seed, first in enumerate(range(0, n, CHUNK_ROWS)):
        Xc, yc = _problem(100 + seed, min(CHUNK_ROWS, n - first), N_FEATURES, N_CLASSES)
        X_parts.append(Xc)
        y_parts.append(yc)
    X, y = np.vstack(X_parts), np.concatenate(y_parts)
    del X_parts, y_parts
    clusters = {}
    for workers in (1, 2):
        cluster = LocalCluster(
            n_workers=workers,
            processes=True,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
        )
        clusters[workers] = (cluster, Client(cluster, set_as_default=False))
    data = {}
    for workers, (_, client) in clusters.items():
        Xd, yd = _dask_data(n)
        Xd, yd = client.persist([Xd, yd])
        with client.as_current():
            wait([Xd, yd])
        data[workers] = (Xd, yd)

    times = {"in memory (numpy, fit_threads: 2 threads)": []}
    times.update({f"dask, {w} worker{'s' * (w > 1)} x 1 thread": [] for w in clusters})
    coefs, info = {}, {}
    for _ in range(repeats):
        start = time.perf_counter()
        ref = SoftmaxClassifier().fit(X, y)
        times["in memory (numpy, fit_threads: 2 threads)"].append(time.perf_counter() - start)
        info["in memory (numpy, fit_threads: 2 threads)"] = (ref.solver_, ref.n_iter_)
        for workers, (_, client) in clusters.items():
            name = f"dask, {workers} worker{'s' * (workers > 1)} x 1 thread"
            Xd, yd = data[workers]
            with client.as_current():
                start = time.perf_counter()
                clf = SoftmaxClassifier().fit(Xd, yd)
                times[name].append(time.perf_counter() - start)
            coefs[name] = clf.coef_
            info[name] = (clf.solver_, clf.n_iter_)
    scale = np.abs(ref.coef_).max()
    lines = [
        f"## Dask: {n} x {N_FEATURES}, {N_CLASSES} classes, chunks of {CHUNK_ROWS} rows, "
        f"{repeats} interleaved repeats",
        "",
        "| fit | solver, iterations | seconds (median) | max abs coef diff / max abs coef |",
        "| --- | --- | ---: | ---: |",
    ]
    for name, values in times.items():
        diff = np.abs(coefs[name] - ref.coef_).max() / scale if name in coefs else 0.0
        solver, n_iter = info[name]
        lines.append(
            f"| {name} | {solver}, {n_iter} | {statistics.median(values):.2f} | {diff:.1e} |"
        )
    for cluster, client in clusters.values():
        client.close()
        cluster.close()
    return lines


def _load(when):
    """The machine's load average: on a shared machine, the context of the timings."""
    one, five, fifteen = os.getloadavg()
    return f"Load average at the {when}: {one:.1f} / {five:.1f} / {fifteen:.1f} (1 / 5 / 15 min)."


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="rows of the Dask problem")
    parser.add_argument("--stream-n", type=int, default=100_000, help="rows of the stream")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", default=None, help="an older checkout to compare with")
    parser.add_argument("--online-only", action="store_true", help="skip the Dask part")
    parser.add_argument("--speed-only", nargs=5, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.speed_only:  # a child of --baseline: print where sk_softmax is, and the speed
        import sk_softmax

        print(sk_softmax.__file__, partial_fit_speed(*args.speed_only))
        return
    warnings.simplefilter("ignore", ConvergenceWarning)
    print("# Scaling out: benchmarks/bench_scale.py")
    print()
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}. Command: `python "
        f"benchmarks/bench_scale.py --n {args.n} --stream-n {args.stream_n} "
        f"--epochs {args.epochs} --repeats {args.repeats}"
        + (f" --baseline {args.baseline}" if args.baseline else "")
        + (" --online-only" if args.online_only else "")
        + "`"
    )
    print()
    print(_load("start"))
    print()
    for line in bench_online(args.stream_n, 50, 10, args.epochs, args.repeats):
        print(line)
    print()
    if args.baseline:
        for line in bench_before_after(
            args.baseline, args.stream_n, 50, 10, args.epochs, args.repeats
        ):
            print(line)
        print()
    if not args.online_only:
        for line in bench_dask(args.n, args.repeats):
            print(line)
        print()
    print(_load("end"))


if __name__ == "__main__":
    main()
