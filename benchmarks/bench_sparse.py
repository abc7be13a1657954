"""Sparse softmax models: ours against LogisticRegression(saga) and python-glmnet.

For each problem (bundled tables raw and standardised, generated tables, a
sparse text-like one; ``l1_ratio`` 0.5 or 1; ``C`` chosen so that 20% to 90%
of the weights are zero at the optimum), in one run, interleaved:

1. A single fit. The reference optimum ``F*`` is the lowest objective of our
   fit at ``tol=1e-12`` and the competitors' fits. Ours: the time to a relative
   gap ``(F - F*) / F* <= 1e-6``, found by a ``max_iter`` sweep (1, 2, 3, 5,
   8, ... with a tiny ``tol``) and re-timed. ``saga``: a default fit
   (``tol=1e-4``), its time and gap. ``python-glmnet``: ``LogitNet`` reaching
   the same ``lambda = 1 / (C n)`` through a warm path of 10 values from its
   ``lambda_max`` (a cold fit at a single lambda returns wrong answers), its
   time and the gap at the last one.
2. A path of 100 values, ours from ``C_0`` (every weight zero) to ``1e4 C_0``
   with every point to ``tol=1e-8`` (:func:`sk_softmax.softmax_path`), against
   glmnet's own path (100 lambdas down to ``1e-4 lambda_max``, its default
   tolerance), with glmnet's largest gap along its path (against our
   optimum at its lambdas).

Timings are medians of ``--repeats`` interleaved repetitions, every estimator
with the thread pools as they come (``--threads 1`` limits every pool).

    python benchmarks/bench_sparse.py [--quick] [--repeats 3] [--out DIR]

Writes ``bench_sparse.md`` to ``--out`` (``benchmarks/results`` by default).
Needs python-glmnet (``pip install "sk-softmax[bench]"``); without it the
glmnet columns are left empty.
"""

import argparse
import math
import os
import platform
import statistics
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy
import sklearn
from scipy import sparse
from sklearn.datasets import load_digits, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sk_softmax import SoftmaxClassifier, objective, softmax_path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import git_state  # noqa: E402

try:
    import glmnet
except ImportError:  # pragma: no cover - optional
    glmnet = None

RESULTS = Path(__file__).resolve().parent / "results"
TARGET = 1e-6
SWEEP = (1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144)


@dataclass
class Problem:
    name: str
    X: object
    y: np.ndarray
    l1_ratio: float
    C: float = None

    def describe(self):
        n, d = self.X.shape
        kind = "sparse" if sparse.issparse(self.X) else "dense"
        return f"{n} x {d}, K={np.unique(self.y).size}, {kind}"


def _sparse_rows(rng, n, d, per_row):
    """A CSR matrix of ``per_row`` distinct random columns a row (scipy.sparse.random
    takes 36 s for the full size's 800k non-zeros)."""
    indices = np.concatenate([np.sort(rng.choice(d, per_row, replace=False)) for _ in range(n)])
    indptr = np.arange(0, n * per_row + 1, per_row)
    return sparse.csr_matrix((np.ones(n * per_row), indices, indptr), shape=(n, d))


def problems(quick, names=None):
    """The problems, in the tables' order; ``names``: build only those."""
    wanted = (lambda name: True) if names is None else (lambda name: name in names)
    out = []
    for name, loader in [("iris", load_iris), ("wine", load_wine), ("digits", load_digits)]:
        if wanted(name) or wanted(f"{name}-std"):
            X, y = loader(return_X_y=True)
            out.append(Problem(f"{name}", X, y, 1.0))
            out.append(Problem(f"{name}-std", StandardScaler().fit_transform(X), y, 0.5))
    rng = np.random.RandomState(0)
    K = 5 if quick else 10
    if wanted("dense-raw") or wanted("dense-std"):
        n, d = (2000, 50) if quick else (20000, 100)
        X = rng.standard_normal((n, d)) @ rng.uniform(0, 1, (d, d)) / np.sqrt(d)
        W = np.zeros((K, d))
        W[:, : d // 5] = rng.standard_normal((K, d // 5)) * 2
        y = np.argmax(X @ W.T + rng.gumbel(size=(n, K)), axis=1)
        out.append(Problem("dense-raw", X * np.logspace(-2, 2, d), y, 1.0))
        out.append(Problem("dense-std", StandardScaler().fit_transform(X), y, 0.5))
    if wanted("sparse-text") or wanted("sparse-text-en"):
        # text-like: 10 (quick) or 40 non-zeros a row, 200 informative columns
        n, d, per_row = (3000, 1000, 10) if quick else (20000, 20000, 40)
        rng = np.random.RandomState(1)
        X = _sparse_rows(rng, n, d, per_row)
        X.data = np.log1p(rng.poisson(3, X.data.size).astype(float))
        W = np.zeros((K, d))
        W[:, :200] = rng.standard_normal((K, 200)) * 3
        y = np.argmax(X @ W.T + rng.gumbel(size=(n, K)), axis=1)
        out.append(Problem("sparse-text", X, y, 1.0))
        out.append(Problem("sparse-text-en", X, y, 0.5))
    return [p for p in out if wanted(p.name)]


def choose_C(problem):
    """A C at which about half the weights are zero (between 20% and 90%)."""
    Cs, coefs, _ = softmax_path(problem.X, problem.y, l1_ratio=problem.l1_ratio, Cs=12,
                                tol=1e-6)  # fmt: skip
    zero = np.mean(coefs[:, :, :-1] == 0, axis=(1, 2))
    j = int(np.argmin(np.abs(zero - 0.5)))
    return Cs[j], zero[j]


def timed(fit):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        out = fit()
    return time.perf_counter() - start, out


class _Coef:
    """An estimator-like holder of coefficients, for :func:`sk_softmax.objective`."""

    def __init__(self, coef, intercept, classes, C, l1_ratio):
        self.coef_, self.intercept_, self.classes_ = coef, intercept, classes
        self.C, self.l1_ratio = C, l1_ratio


# glmnet's passes over the data per lambda, at most (its default, 100000, ran 368 s on one
# fit of dense-raw and stopped at a relative gap of 0.66): its gap is reported beside its time
GLMNET_MAX_ITER = 10_000
# glmnet's path is timed only where its one fit reached this relative gap
GLMNET_PATH_GAP = 1e-3


def _glmnet_fit(problem, lambdas):
    model = glmnet.LogitNet(alpha=problem.l1_ratio, lambda_path=lambdas, standardize=False,
                            n_splits=0, fit_intercept=True, max_iter=GLMNET_MAX_ITER)  # fmt: skip
    model.fit(problem.X, problem.y)
    return model


def _glmnet_point(model, problem, j):
    coef = model.coef_path_[..., j]
    intercept = model.intercept_path_[..., j]
    if coef.shape[0] == 1:  # binomial: one row
        coef = np.vstack([-coef / 2, coef / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return _Coef(coef, intercept, np.unique(problem.y), problem.C, problem.l1_ratio)


def glmnet_lambda_max(problem):
    """glmnet's lambda_max, ``1 / (C_0 n)`` with ``C_0`` the closed form softmax_path starts
    from (equal to the first lambda of glmnet's own 100-point path: 0.38783 on digits-std).
    python-glmnet's short paths (n_lambda 2 or 3) put a 9.9e35 placeholder there, and a
    warm path from it ends far from the optimum."""
    Cs, _, _ = softmax_path(problem.X, problem.y, l1_ratio=problem.l1_ratio, Cs=1)
    return 1.0 / (Cs[0] * problem.X.shape[0])


def single_fit(problem, repeats, with_saga=True):
    X, y, C, r = problem.X, problem.y, problem.C, problem.l1_ratio
    ref_model = SoftmaxClassifier(C=C, l1_ratio=r, tol=1e-12, max_iter=1000).fit(X, y)
    F_ref = objective(ref_model, X, y)
    # our sweep: the least max_iter reaching the target
    ours_iter = None
    for max_iter in SWEEP:
        _, model = timed(lambda m=max_iter: SoftmaxClassifier(
            C=C, l1_ratio=r, tol=1e-15, max_iter=m).fit(X, y))  # fmt: skip
        if (objective(model, X, y) - F_ref) / F_ref <= TARGET:
            ours_iter = max_iter
            break
    lam = 1.0 / (C * X.shape[0])
    lambdas = None
    if glmnet is not None:
        lambdas = np.geomspace(glmnet_lambda_max(problem), lam, 10)
    times = {"ours": [], "saga": [], "glmnet": []}
    models = {}
    for _ in range(repeats):
        if ours_iter is not None:
            t, models["ours"] = timed(lambda: SoftmaxClassifier(
                C=C, l1_ratio=r, tol=1e-15, max_iter=ours_iter).fit(X, y))  # fmt: skip
            times["ours"].append(t)
        if with_saga:
            saga = LogisticRegression(C=C, l1_ratio=r, solver="saga")
            t, models["saga"] = timed(lambda s=saga: s.fit(X, y))
            times["saga"].append(t)
        if lambdas is not None:
            t, models["glmnet"] = timed(lambda: _glmnet_fit(problem, lambdas))
            times["glmnet"].append(t)
    gaps = {}
    for name in ("saga", "glmnet"):
        if name in models:
            est = models[name] if name == "saga" else _glmnet_point(models[name], problem, -1)
            if name == "glmnet" and not _reached(models[name], lam):
                gaps[name] = math.inf  # python-glmnet cut the path short: no fit at this C
                continue
            F = objective(est, X, y, C=C, l1_ratio=r)
            F_ref = min(F_ref, F)
            gaps[name] = F
    gaps = {name: (F - F_ref) / F_ref for name, F in gaps.items()}
    median = {name: statistics.median(v) if v else math.nan for name, v in times.items()}
    return median, gaps, ours_iter


def _gap(gap):
    return "stopped short of this C" if gap == math.inf else f"{gap:.1e}"


def _reached(model, lam):
    """Whether python-glmnet's path reaches ``lam``: where its iterations do not converge
    it warns and returns the path down to the last lambda that did."""
    return bool(np.isclose(model.lambda_path_[-1], lam, rtol=1e-9, atol=0.0))


def path(problem, repeats, with_glmnet=True):
    X, y, r = problem.X, problem.y, problem.l1_ratio
    times = {"ours": [], "glmnet": []}
    glm = None
    for _ in range(repeats):
        t, (Cs, coefs, nnz) = timed(lambda: softmax_path(X, y, l1_ratio=r, Cs=100))
        times["ours"].append(t)
        if glmnet is not None and with_glmnet:
            t, glm = timed(lambda: _glmnet_fit_path(problem))
            times["glmnet"].append(t)
    worst = math.nan
    if glm is not None:  # glmnet's gaps at five of its lambdas, against our optima there
        points = np.linspace(0, glm.lambda_path_.size - 1, 5).astype(int)
        gaps = []
        for j in points:
            C = 1.0 / (glm.lambda_path_[j] * X.shape[0])
            ours = SoftmaxClassifier(C=C, l1_ratio=r, tol=1e-10, max_iter=1000).fit(X, y)
            theirs = _glmnet_point(glm, problem, j)
            F_ref = objective(ours, X, y)
            gaps.append((objective(theirs, X, y, C=C, l1_ratio=r) - F_ref) / F_ref)
        worst = max(gaps)
    median = {name: statistics.median(v) if v else math.nan for name, v in times.items()}
    # python-glmnet returns fewer lambdas where its iterations stop converging (a warning)
    reached = None if glm is None else glm.lambda_path_.size
    return median, worst, reached


def _glmnet_fit_path(problem):
    model = glmnet.LogitNet(alpha=problem.l1_ratio, n_lambda=100, min_lambda_ratio=1e-4,
                            standardize=False, n_splits=0, max_iter=GLMNET_MAX_ITER)  # fmt: skip
    return model.fit(problem.X, problem.y)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller generated problems")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each single fit")
    parser.add_argument(
        "--path-repeats",
        type=int,
        default=1,
        help="runs of each 100-point path (minutes each on the large problems)",
    )
    parser.add_argument("--threads", type=int, default=None, help="limit every thread pool")
    parser.add_argument("--only", help="comma-separated problem names")
    parser.add_argument(
        "--skip-saga",
        help="comma-separated problem names: saga not run "
        "(on the 20000 x 20000 text-like data saga ran over 7 min without finishing a fit)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    limits = threadpool_limits(args.threads) if args.threads else None
    lines = [
        "# Sparse softmax models: benchmarks/bench_sparse.py",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}, numpy "
        f"{np.__version__}, scipy {scipy.__version__}, scikit-learn {sklearn.__version__}, "
        f"python-glmnet {getattr(glmnet, '__version__', 'absent')}. Threads: "
        f"{args.threads or 'as they come'}. Repeats: {args.repeats} of each fit, "
        f"{args.path_repeats} of each path, medians. Code: {git_state()}; load average at the "
        f"start {os.getloadavg()[0]:.1f} (a shared 2-core machine adds noise to the "
        "millisecond fits).",
        "",
        "## One fit: time to a relative gap of 1e-6 (ours), against saga at its default tol "
        "and glmnet through a 10-point warm path",
        "",
        "| problem | shape | l1_ratio | C | zeros | ours (s) | its max_iter | saga (s) | "
        "saga gap | glmnet (s) | glmnet gap | ours / saga | ours / glmnet |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    path_lines = [
        "",
        "## Paths of 100 values: ours (every point to tol=1e-8) against glmnet's own",
        "",
        "(its first k of 100: python-glmnet stopped converging and returned the path down "
        "to its k-th lambda; its time is that of the shorter path, ours of all 100)",
        "",
        "| problem | ours (s) | glmnet (s) | glmnet's largest gap | ours / glmnet |",
        "|---|---|---|---|---|",
    ]
    ratios_saga, ratios_glmnet, ratios_path = [], [], []
    selected = problems(args.quick, set(args.only.split(",")) if args.only else None)
    skip_saga = set(args.skip_saga.split(",")) if args.skip_saga else set()
    for problem in selected:
        problem.C, zeros = choose_C(problem)
        with_saga = problem.name not in skip_saga
        times, gaps, ours_iter = single_fit(problem, args.repeats, with_saga)
        rs, rg = times["ours"] / times["saga"], times["ours"] / times["glmnet"]
        if with_saga:
            ratios_saga.append(rs)
        if not math.isnan(rg) and not gaps.get("glmnet", math.inf) > GLMNET_PATH_GAP:
            ratios_glmnet.append(rg)
        lines.append(
            f"| {problem.name} | {problem.describe()} | {problem.l1_ratio} | {problem.C:.4g} | "
            f"{zeros:.0%} | {times['ours']:.3g} | {ours_iter} | {times['saga']:.3g} | "
            f"{gaps.get('saga', math.nan):.1e} | {times['glmnet']:.3g} | "
            f"{_gap(gaps.get('glmnet', math.nan))} | {rs:.2f} | {rg:.2f} |"
        )
        print(lines[-1], flush=True)
        # glmnet's path is skipped where its one fit stopped far from the optimum: a hundred
        # such fits run for hours (each at GLMNET_MAX_ITER passes) and time nothing useful
        converged = not gaps.get("glmnet", 0.0) > GLMNET_PATH_GAP
        ptimes, worst, reached = path(problem, args.path_repeats, with_glmnet=converged)
        rp = ptimes["ours"] / ptimes["glmnet"]
        if not math.isnan(rp):
            ratios_path.append(rp)
        short = f" (its first {reached} of 100)" if reached is not None and reached < 100 else ""
        path_lines.append(
            f"| {problem.name} | {ptimes['ours']:.3g} | "
            + (
                f"{ptimes['glmnet']:.3g}{short} | {worst:.1e} | {rp:.2f} |"
                if converged
                else f"not run (its one fit: {_gap(gaps['glmnet'])}) | | |"
            )
        )
        print(path_lines[-1], flush=True)
    summary = [""]
    if ratios_saga:
        summary.append(
            f"Median ratio of one fit, ours to saga's default: "
            f"**{statistics.median(ratios_saga):.3f}** (worst {max(ratios_saga):.2f});"
        )
    if skip_saga:
        summary.append(f"saga not run on: {', '.join(sorted(skip_saga))};")
    if ratios_glmnet:
        summary.append(
            f"to glmnet's warm path: median **{statistics.median(ratios_glmnet):.2f}** "
            f"(worst {max(ratios_glmnet):.2f}) where glmnet reached a gap of "
            f"{GLMNET_PATH_GAP:g}; paths, ours to glmnet's: median "
            f"**{statistics.median(ratios_path):.2f}** (worst {max(ratios_path):.2f})."
        )
    summary.append(f"\nLoad average at the end: {os.getloadavg()[0]:.1f}.")
    report = "\n".join(lines + path_lines + summary) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_sparse.md").write_text(report)
    print("\n".join(summary))
    if limits is not None:
        limits.restore_original_limits()


if __name__ == "__main__":
    main()
