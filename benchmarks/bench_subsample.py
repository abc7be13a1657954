"""Tall data: iterations of the subsampled Newton solvers over many random problems.

On tall data (at least ``400 n_coef`` rows) the Newton solvers take their
Hessian from a row sample (``sk_softmax/solvers/_subsample.py``); how many
iterations on all rows they need depends on how well the sample's Hessian
stands for the full one, which varies with the classes' separation, the
weights and the penalty more than with size. This sweep draws problems at
random (2, 3 or 5 classes; 2, 5 or 10 features; class separation 1 to 32;
C of 1, 100 or infinity; with and without intercept; equal weights, half of
them zero, or heavy-tailed ones; "newton-cg" and "newton-cholesky"; 1 to 3
times the least tall size), fits each with this checkout and, with
``--baseline``, with another, and reports the iterations on all rows, whether
each fit converged, the objectives' agreement and the total time (a shared
machine: the time is noisy; the iterations are not).

    python benchmarks/bench_subsample.py [--cases 160] [--baseline ../main]

Writes ``benchmarks/results/bench_subsample.md`` (``--out`` to change).
"""

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_fit  # noqa: E402
from _provenance import git_state  # noqa: E402

from sk_softmax import SoftmaxClassifier  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def draw_case(seed):
    """One random tall problem: ``(name, X, y, sample_weight, params)``."""
    rng = np.random.default_rng(seed)
    K, d = int(rng.choice([2, 3, 5])), int(rng.choice([2, 5, 10]))
    sep = float(rng.choice([1, 2, 4, 8, 16, 32]))
    C = float(rng.choice([1.0, 100.0, np.inf]))
    fit_intercept = bool(rng.integers(2))
    solver = str(rng.choice(["newton-cg", "newton-cholesky"]))
    weights = str(rng.choice(["equal", "half zero", "heavy"]))
    n = 400 * K * (d + 1) * int(rng.integers(1, 4))
    if weights == "half zero":  # tall by the rows of positive weight, as the solvers count
        n = n * 5 // 2
    X = rng.standard_normal((n, d))
    logits = X @ (rng.standard_normal((K, d)) * sep).T + rng.standard_normal(K)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = (p.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    sw = None
    if weights == "half zero":
        sw = rng.uniform(0.2, 3.0, n) * (rng.random(n) >= 0.5)
    elif weights == "heavy":
        sw = rng.pareto(1.2, n) + 0.01
    params = {"C": C, "fit_intercept": fit_intercept, "solver": solver}
    name = f"{n}x{d}x{K} sep {sep:g} C={C:g} int={int(fit_intercept)} {solver} {weights}"
    return name, X, y, sw, params


def fit_case(estimator_class, case):
    """``(n_iter, converged, objective, seconds)`` of one fit."""
    _, X, y, sw, params = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        est = estimator_class(**params).fit(X, y, sample_weight=sw)
        seconds = time.perf_counter() - start
    return int(est.n_iter_), bool(est.converged_), float(est.objective_), seconds


def run(n_cases, fits):
    """Per case and fit label: ``(n_iter, converged, objective, seconds)``."""
    rows = []
    for seed in range(n_cases):
        case = draw_case(seed)
        labels = list(fits) if seed % 2 == 0 else list(fits)[::-1]  # interleaved
        rows.append((case[0], {label: fit_case(fits[label], case) for label in labels}))
    return rows


def report(rows, fits, command):
    labels = list(fits)
    lines = [
        "# Tall data: iterations of the subsampled Newton solvers over random problems",
        "",
        f"`{command}`",
        "",
        f"- code: {git_state()}; python {platform.python_version()}, numpy {np.__version__}; "
        f"{os.cpu_count()} cores; load average at the end: "
        + ", ".join(f"{v:.2f}" for v in os.getloadavg()),
        f"- {len(rows)} problems drawn by `draw_case(seed)`, seeds 0 to {len(rows) - 1}",
        "",
        "| fit | iterations on all rows, in all | not converged | time, in all (s) |",
        "|---|---|---|---|",
    ]
    for label in labels:
        iters = sum(r[label][0] for _, r in rows)
        failed = sum(not r[label][1] for _, r in rows)
        seconds = sum(r[label][3] for _, r in rows)
        lines.append(f"| {label} | {iters} | {failed} | {seconds:.2f} |")
    if len(labels) == 2:
        after, before = labels
        diff = [(r[after][0] - r[before][0], name) for name, r in rows]
        worse = sum(d > 0 for d, _ in diff)
        better = sum(d < 0 for d, _ in diff)
        agree = max(
            abs(r[after][2] - r[before][2]) / max(abs(r[before][2]), 1e-300) for _, r in rows
        )
        lines += [
            "",
            f"Per problem, {after} against {before}: fewer iterations on {better}, more on "
            f"{worse}, as many on {len(rows) - better - worse}; largest relative difference "
            f"of the objectives {agree:.1e}.",
            "",
            "| the most iterations saved and added | before | after |",
            "|---|---|---|",
        ]
        by_name = dict(rows)
        saved = [x for x in sorted(diff) if x[0] < 0][:5]
        added = [x for x in sorted(diff, reverse=True) if x[0] > 0][:5]
        for _, name in saved + added[::-1]:
            lines.append(f"| {name} | {by_name[name][before][0]} | {by_name[name][after][0]} |")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=160)
    parser.add_argument("--baseline", type=Path, help="another checkout, fitted as 'before'")
    parser.add_argument("--out", type=Path, default=RESULTS / "bench_subsample.md")
    args = parser.parse_args(argv)
    fits = {"after (this checkout)": SoftmaxClassifier}
    if args.baseline is not None:
        fits["before (--baseline)"] = bench_fit.load_baseline(args.baseline).SoftmaxClassifier
    rows = run(args.cases, fits)
    command = "python benchmarks/bench_subsample.py " + " ".join(argv or sys.argv[1:])
    lines = report(rows, fits, command.strip())
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
