"""How few Newton steps a warm-started path over C can take: the floor under bench_cv.py's ratio.

``SoftmaxClassifierCV`` fits every (fold, C) model to the same ``tol`` as a
cold ``SoftmaxClassifier`` fit would, each from the last C's optimum or its
extrapolation (``sk_softmax._path``). Its speed-up over ``GridSearchCV`` is
then about the ratio of cold to warm Newton steps, times how much cheaper a
warm step is (it reuses a Hessian factor more often). This script measures,
on the first fold of each data set (5-fold StratifiedKFold, shuffled, seed 0;
``Cs = np.logspace(-4, 4, 10)``, the grid of ``bench_cv.py``):

1. the Newton steps of a cold fit at each ``C`` and of the path's warm fit
   (``SoftmaxClassifierCV(...).n_iter_``);
2. the steps of a warm fit (``SoftmaxClassifier(warm_start=True)``) from
   starts built with the path's *exact* derivatives, which the path itself
   only approximates: the last optimum; the tangent line (``theta +
   Delta theta'``, ``Delta`` the step in ``log C``); the second-order Taylor
   start (``+ Delta^2 theta'' / 2``); the tangent in ``C`` instead of ``log
   C`` (``theta + (e^Delta - 1) theta'``, exact where the weights grow like
   ``C``). ``theta'`` and ``theta''`` are central differences of optima at
   ``log C +- 1e-2``, each fitted to ``tol=1e-12``;
3. starts from another fold's path (the second fold's fits): that fold's
   optimum at the same ``C`` (and the first C's cold start replaced by it);
   the own last optimum plus the other fold's step from the previous ``C``;
   the own secant extrapolation corrected by the other fold's error of the
   same extrapolation;
4. the time of the five folds' gradient passes at one point each, as five
   passes over their own rows against one joint pass over all rows with
   the five folds' coefficients side by side (one wide product instead of
   five narrow ones: the arithmetic of a solver that would take the folds'
   Newton steps in lockstep), the same NumPy code for both, medians of 200.

    python benchmarks/bench_cv_floor.py --quick
    python benchmarks/bench_cv_floor.py [--threads 1]

Writes ``benchmarks/results/bench_cv_floor.md`` (``--out`` to change).
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
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sk_softmax import SoftmaxClassifier, SoftmaxClassifierCV

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import cpu, git_state  # noqa: E402
from online_tables import keel_table  # noqa: E402
from tables import table  # noqa: E402

CS = np.logspace(-4, 4, 10)
H = 1e-2  # the step in log C of the central differences


def datasets(quick=False):
    X, y = table("segment-like")
    if quick:
        X, y = X[:600], y[:600]
    n = X.shape[0]
    yield f"segment-like standardised ({n} x 19 x 7)", StandardScaler().fit_transform(X), y
    for name in () if quick else ("segment", "vowel", "texture"):
        real = keel_table(name)
        if real is not None:
            n, d = real.X.shape
            k = np.unique(real.y).size
            X = StandardScaler().fit_transform(real.X)
            yield f"KEEL {name} standardised ({n} x {d} x {k})", X, real.y
    n = 1000 if quick else 5000
    X, y = make_classification(
        n_samples=n, n_features=20, n_informative=10, n_classes=5, flip_y=0.05, random_state=0
    )
    yield f"synthetic ({n} x 20 x 5)", X, y


def as_matrix(model):
    return np.column_stack([model.coef_, model.intercept_])


def fitted(X, y, C, start=None, **params):
    """A SoftmaxClassifier fitted at ``C``, from ``start`` (coefficients, intercept last)."""
    model = SoftmaxClassifier(C=C, warm_start=start is not None, **params)
    if start is not None:
        model.classes_ = np.unique(y)
        model.coef_, model.intercept_ = start[:, :-1].copy(), start[:, -1].copy()
    return model.fit(X, y)


def steps(X, y, C, start=None):
    return int(np.ravel(fitted(X, y, C, start).n_iter_)[0])


def derivatives(X, y):
    """Optima at every C (tol 1e-12) and their first and second derivatives in log C."""
    tight = {"tol": 1e-12, "max_iter": 1000}
    optima, first, second = [], [], []
    for C in CS:
        here = as_matrix(fitted(X, y, C, **tight))
        up = as_matrix(fitted(X, y, C * np.exp(H), here, **tight))
        down = as_matrix(fitted(X, y, C * np.exp(-H), here, **tight))
        optima.append(here)
        first.append((up - down) / (2 * H))
        second.append((up - 2 * here + down) / H**2)
    return optima, first, second


def exact_starts(X, y):
    """Steps at each C > C_0 from the starts of item 2, and cold steps at every C."""
    optima, first, second = derivatives(X, y)
    delta = np.diff(np.log(CS))
    rows = {"cold": [steps(X, y, C) for C in CS]}
    starts = {
        "last optimum": lambda j, d: optima[j - 1],
        "tangent line": lambda j, d: optima[j - 1] + d * first[j - 1],
        "Taylor, 2nd order": lambda j, d: (
            optima[j - 1] + d * first[j - 1] + d**2 / 2 * second[j - 1]
        ),
        "tangent in C": lambda j, d: optima[j - 1] + np.expm1(d) * first[j - 1],
    }
    for name, start in starts.items():
        rows[name] = [None] + [
            steps(X, y, CS[j], start(j, delta[j - 1])) for j in range(1, CS.size)
        ]
    return rows


def other_fold_starts(X, y, folds):
    """Steps of the second fold's fits from the first fold's path (item 3)."""
    paths = SoftmaxClassifierCV(Cs=CS, cv=folds).fit(X, y)
    mine, other = paths.coefs_paths_[1], paths.coefs_paths_[0]
    train = folds[1][0]
    Xf, yf = X[train], y[train]

    def secant(path, j):
        return path[0] if j == 1 else 2 * path[j - 1] - path[j - 2]  # equal steps in log C

    rows = {"path (SoftmaxClassifierCV)": paths.n_iter_[1].tolist()}
    rows["other fold's optimum"] = [steps(Xf, yf, C, other[j]) for j, C in enumerate(CS)]
    rows["own optimum + other's step"] = [steps(Xf, yf, CS[0], other[0])] + [
        steps(Xf, yf, CS[j], mine[j - 1] + other[j] - other[j - 1]) for j in range(1, CS.size)
    ]
    rows["own secant + other's error"] = [steps(Xf, yf, CS[0], other[0])] + [
        steps(Xf, yf, CS[j], secant(mine, j) + other[j] - secant(other, j))
        for j in range(1, CS.size)
    ]
    return rows, paths.n_iter_[0].tolist()


def pass_times(X, y, folds, repeats=200):
    """Medians (ms) of five folds' gradient passes: separately, and as one joint pass."""
    classes, codes = np.unique(y, return_inverse=True)
    n, k = X.shape[0], classes.size
    design = np.hstack([X, np.ones((n, 1))])
    onehot = np.eye(k)[codes]
    rng = np.random.default_rng(0)
    thetas = [rng.normal(scale=0.1, size=(k, design.shape[1])) for _ in folds]

    def gradient(rows, labels, theta, weights):
        """The weighted gradients of ``theta``'s row blocks of ``k`` classes each: (blocks k, d).

        ``rows`` (m, d), ``labels`` one-hot (m, k), ``weights`` (m, blocks).
        """
        raw = (rows @ theta.T).reshape(rows.shape[0], -1, k)
        raw -= raw.max(axis=2, keepdims=True)
        np.exp(raw, out=raw)
        raw /= raw.sum(axis=2, keepdims=True)
        raw -= labels[:, None, :]
        raw *= weights[:, :, None]
        return raw.reshape(rows.shape[0], -1).T @ rows

    parts = [
        (design[train], onehot[train], theta, np.full((train.size, 1), 1.0 / train.size))
        for (train, _), theta in zip(folds, thetas, strict=True)
    ]
    member = np.zeros((n, len(folds)))  # each fold's weights, zero off its rows
    for f, (train, _) in enumerate(folds):
        member[train, f] = 1.0 / train.size
    stacked = np.concatenate(thetas)

    def separate():
        for part in parts:
            gradient(*part)

    def joint():
        gradient(design, onehot, stacked, member)

    times = {"separate": [], "joint": []}
    for _ in range(repeats):
        for name, function in (("separate", separate), ("joint", joint)):
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}


def table_lines(rows):
    """A Markdown table of step counts, a row per start and a column per C (None: blank)."""
    header = "| start | " + " | ".join(f"{C:.3g}" for C in CS) + " | sum |"
    lines = [header, "|---" * (CS.size + 2) + "|"]
    for name, counts in rows.items():
        total = sum(c for c in counts if c is not None)
        cells = " | ".join("" if c is None else str(c) for c in counts)
        lines.append(f"| {name} | {cells} | {total} |")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller data, fewer timings")
    parser.add_argument("--threads", type=int, default=None, help="limit every thread pool")
    parser.add_argument(
        "--out", default=str(Path(__file__).resolve().parent / "results" / "bench_cv_floor.md")
    )
    args = parser.parse_args(argv)
    lines = [
        "# Newton steps of a warm-started path over C, from better and better starts",
        "",
        f"`python benchmarks/bench_cv_floor.py {' '.join(sys.argv[1:] if argv is None else argv)}`",
        "",
        f"- commit {git_state()}; Python {platform.python_version()}, scikit-learn "
        f"{sklearn.__version__}, numpy {np.__version__}; {os.cpu_count()} cores; threads: "
        f"{args.threads or 'as they are'}; processor: {cpu()}",
        "- Cs = np.logspace(-4, 4, 10); 5-fold StratifiedKFold (shuffled, seed 0); "
        "Newton steps of one fit per cell, to the default tol=1e-8",
        "",
    ]
    limits = threadpool_limits(args.threads) if args.threads else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for name, X, y in datasets(args.quick):
                print(name, flush=True)
                folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
                train = folds[0][0]
                exact = exact_starts(X[train], y[train])
                others, path_first = other_fold_starts(X, y, folds)
                exact = {"path (SoftmaxClassifierCV)": path_first, **exact}
                times = pass_times(X, y, folds, repeats=5 if args.quick else 200)
                lines += [f"## {name}", "", "First fold, exact derivatives (item 2):", ""]
                lines += table_lines(exact)
                lines += ["", "Second fold, from the first fold's path (item 3):", ""]
                lines += table_lines(others)
                lines += [
                    "",
                    f"Five folds' gradient passes: {times['separate']:.2f} ms separately, "
                    f"{times['joint']:.2f} ms as one joint pass "
                    f"(separate / joint {times['separate'] / times['joint']:.2f}).",
                    "",
                ]
                print("\n".join(lines[-6:]), flush=True)
    finally:
        if limits is not None:
            limits.restore_original_limits()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
