"""Tall dense data: a default fit against two bare matrix products, before and after a change.

On ``make_dense(n, 100, 10)`` (``bench_fit.py``'s synthetic problem) in float64 and in
float32 it times, in interleaved repetitions, the default ``SoftmaxClassifier().fit`` of
this checkout and, with ``--baseline``, of another one (say a git worktree of main), and
reports each median against the floor of one gradient: ``X @ W.T`` plus ``X.T @ R``, in
float64 and in float32. It also gives each fit's solver and iterations, its gap to the
tightest of the fits, and its peak extra memory (``tracemalloc``, one untimed fit) as a
multiple of the size of ``X``.

A second table times one pass of the data term (loss and gradient, what every
iteration on all rows costs) against pairs measured in the same interleaved loop: ours
in float64 arithmetic (blocks copied, float32 ones cast, to float64 one at a time), and
its float32 twin (``SoftmaxDatafit.in_float32``: float32 blocks, float64 ones cast, float32
products and softmax, float64 sums over blocks), which a default fit's iterations take
until a float64 pass confirms ``tol``; and one iteration on all rows of a default fit of
this checkout (:func:`iteration_seconds`), the issue's per-iteration cost.

    python benchmarks/bench_tall.py [--n 1000000] [--repeats 3] [--baseline ../main]

Writes ``benchmarks/results/bench_tall.md`` (``--out`` to change).
"""

import argparse
import contextlib
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_fit  # noqa: E402
from _provenance import cpu, git_state  # noqa: E402

from sk_softmax import SoftmaxClassifier, objective  # noqa: E402
from sk_softmax.datafits.numpy import SoftmaxDatafit  # noqa: E402


def timed(make, X, y):
    gc.collect()
    start = time.perf_counter()
    est = make().fit(X, y)
    return time.perf_counter() - start, est


def peak_over_x(make, X, y):
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        make().fit(X, y)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return peak / X.nbytes


class _Stamps:
    """A stdout that keeps the time of every line written (``verbose=1``'s iteration lines)."""

    def __init__(self):
        self.lines = []

    def write(self, text):
        now = time.perf_counter()
        self.lines += [(now, line) for line in text.splitlines() if line.strip()]
        return len(text)

    def flush(self):
        pass


def iteration_seconds(X, y):
    """The median time of an iteration on all rows after the first, of a default fit.

    Timed between the lines ``verbose=1`` prints for the iterations on all rows
    (``iter  k``): each is one pass over all rows and the subsample's Newton
    direction; the first also builds the sample's preconditioner. On float32
    data these are the float32 passes; the float64 pass that confirms ``tol``
    (its line is ``float64``) is not one of them, and counts in the fit's time.
    """
    stamps = _Stamps()
    with contextlib.redirect_stdout(stamps):
        SoftmaxClassifier(verbose=1).fit(X, y)
    gaps = np.diff([t for t, line in stamps.lines if line.startswith("iter")])
    gaps = gaps[1:] if gaps.size > 1 else gaps  # a single iteration: the only one
    return float(np.median(gaps)) if gaps.size else float("nan")


def pass_rows(n, dtype, repeats):
    """One pass of ours and of its float32 twin, and one iteration
    of a default fit, against the pairs: all interleaved, medians of ``repeats``."""
    X, y = bench_fit.make_dense(n, 100, 10, dtype)
    problem = bench_fit.Problem(f"dense-{dtype}", X, y, "dense", 1.0)
    times = {"pass: ours": [], "pass: ours, float32 twin": [], "iteration after the first": []}
    pairs = {"float64": [], "float32": []}
    codes = np.unique(y, return_inverse=True)[1]
    twin = SoftmaxDatafit(X, codes, 10, np.ones(n), True).in_float32()
    coef = np.random.default_rng(0).standard_normal(10 * 101) * 0.01
    for _ in range(repeats):  # interleaved
        for name, seconds in bench_fit.bare_products(X, 10, repeats=1).items():
            pairs[name].append(seconds)
        times["pass: ours"].append(bench_fit.loss_costs(problem, repeats=1)["loss_gradient"])
        if twin is not None:
            start = time.perf_counter()
            twin.loss_gradient(coef)
            times["pass: ours, float32 twin"].append(time.perf_counter() - start)
        times["iteration after the first"].append(iteration_seconds(X, y))
    bare = {name: statistics.median(values) for name, values in pairs.items()}
    rows = []
    for name, values in times.items():
        if values:
            seconds = statistics.median(values)
            rows.append(
                f"| {n} x 100 x 10 {dtype} | {name} | {seconds:.3g} | "
                f"{seconds / bare['float64']:.2f} | {seconds / bare['float32']:.2f} | "
                f"{bare['float64']:.3g} | {bare['float32']:.3g} |"
            )
    return rows


def measure(n, dtype, fits, repeats):
    X, y = bench_fit.make_dense(n, 100, 10, dtype)
    bare = bench_fit.bare_products(X, 10)
    times = {name: [] for name in fits}
    models = {}
    for _ in range(repeats):
        for name, make in fits.items():
            seconds, models[name] = timed(make, X, y)
            times[name].append(seconds)
    values = {name: objective(est, X, y) for name, est in models.items()}
    best = min(values.values())
    rows = []
    for name, make in fits.items():
        est, seconds = models[name], statistics.median(times[name])
        rows.append(
            f"| {n} x 100 x 10 {dtype} | {name} | {est.solver_}, {int(np.max(est.n_iter_))} | "
            f"{seconds:.3g} | {seconds / bare['float64']:.1f} | {seconds / bare['float32']:.1f} "
            f"| {(values[name] - best) / abs(best):.1e} | {peak_over_x(make, X, y):.2f} |"
        )
    pair = f"pairs: float64 {bare['float64']:.3g} s, float32 {bare['float32']:.3g} s"
    return rows, f"- {dtype}: {pair}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another checkout, timed as 'before'")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent / "results" / "bench_tall.md"
    )
    args = parser.parse_args(argv)
    fits = {"after (this checkout)": SoftmaxClassifier}
    if args.baseline is not None:
        fits["before (--baseline)"] = bench_fit.load_baseline(args.baseline).SoftmaxClassifier
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    lines = [
        "# Tall dense data: default fit against two bare products",
        "",
        f"`python benchmarks/bench_tall.py {' '.join(sys.argv[1:] if argv is None else argv)}`",
        "",
        f"- code: git {git_state()}; python {platform.python_version()}, numpy "
        f"{np.__version__}; {os.cpu_count()} cores; load average at the start: {load}",
        f"- medians of {args.repeats} interleaved default fits; thread pools as they are",
        f"- processor: {cpu()}",
    ]
    table = [
        "| data | fit | solver, iterations | time (s) | / f64 pair | / f32 pair | gap | "
        "peak extra / X |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for dtype in ("float64", "float32"):
        rows, pair = measure(args.n, dtype, fits, args.repeats)
        table += rows
        lines.append(pair)
        print("\n".join(rows), flush=True)
    passes = [
        "| data | what | time (s) | / f64 pair | / f32 pair | f64 pair (s) | f32 pair (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for dtype in ("float64", "float32"):
        rows = pass_rows(args.n, dtype, args.repeats)
        passes += rows
        print("\n".join(rows), flush=True)
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    lines += [
        f"- load average at the end: {load}",
        "",
        *table,
        "",
        f"One pass of the data term, and one iteration on all rows of a default fit (timed "
        f"between the lines verbose=1 prints), against pairs measured in the same loop "
        f"(medians of {args.repeats}, interleaved):",
        "",
        *passes,
        "",
    ]
    lines.append(
        "Pair: `X @ W.T` plus `X.T @ R` with the shapes of one gradient (W: 10 x 100, "
        "R: n x 10), in X's dtype for the f32 pair of float32 data. Gap: relative to the "
        "lowest objective of the fits shown."
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
