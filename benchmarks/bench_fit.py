"""Fit benchmark: SoftmaxClassifier's solvers against every multinomial LogisticRegression solver.

For each data set (scikit-learn's bundled ones, raw and standardised,
generated look-alikes of real tables of middle size with raw features
(``benchmarks/tables.py``), and synthetic dense and sparse problems) and each
solver, it reports:

- the relative objective gap ``(F - F*) / |F*|`` of a fit at the default
  settings, its time, iterations and whether it converged (no
  ``ConvergenceWarning``);
- the time to reach a gap of at most ``1e-6``, found by a ``max_iter`` sweep
  (1, 2, 3, 5, 8, 13, ... with a tiny ``tol``; the same method for every
  solver), stopped when one fit takes longer than the budget;
- the peak extra memory of a default fit (``tracemalloc``, which sees numpy's
  allocations), in MB and as a multiple of the size of ``X`` and of
  ``n * K * 8`` bytes.

``F`` is :func:`sk_softmax.objective` (for two classes ``LogisticRegression``
runs with ``C' = 2 C``, the same model). ``F*`` is the lowest objective of a
very tight fit of ours (``tol=1e-12, max_iter=1000``) and of
``LogisticRegression(solver="newton-cholesky")`` at a tight ``tol`` when its
full Hessian is affordable.

Timings are medians over ``--repeats`` interleaved repetitions (every solver
once per repetition, in turn). The first repetition runs the sweep; later
ones re-time the fit that first reached the target. The default fit of the
first repetition runs under ``tracemalloc`` for the memory figure (which
slows code that makes many small allocations), so the default-fit times are
the medians of the later, untraced repetitions, or of one extra untraced fit
when there is a single repetition.

On the large dense problems it also times one evaluation of our loss and
gradient and one Hessian-vector product against two bare matrix products of
the same shapes (``X @ W.T`` and ``X.T @ R``), in float32 and in float64, and
the time per solver iteration.

    python benchmarks/bench_fit.py --quick
    python benchmarks/bench_fit.py [--datasets iris,dense] [--repeats 3] [--budget 20]
    python benchmarks/bench_fit.py --threads 1   # every BLAS/OpenMP pool at one thread
    python benchmarks/bench_fit.py --baseline ../other-checkout   # before/after, interleaved

``--baseline`` loads the ``sk_softmax`` package of another checkout (say a git
worktree of main) under another name and times its default fit ("base
auto") in the same interleaved run: the before/after comparison of a change.

Thread pools: by default every estimator runs with the pools as they are
(``SoftmaxClassifier`` limits scipy's BLAS pool itself). On a small machine
that other processes load, two OpenBLAS pools plus OpenMP oversubscribe the
cores and the spinning threads can slow a fit a hundredfold
(``LogisticRegression()`` on digits: 28-36 s instead of 0.3 s at a load
average of 8 on 2 cores); ``--threads 1`` measures the algorithms instead.

Writes ``benchmarks/results/bench_fit.{md,csv,png}`` (``--out`` to change).
"""

import argparse
import csv
import gc
import importlib.util
import json
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy
import sklearn
from scipy import sparse
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

import sk_softmax
from sk_softmax import SoftmaxClassifier, objective
from sk_softmax.datafits.numpy import SoftmaxDatafit
from sk_softmax.penalties import L2
from sk_softmax.solvers import choose_solver
from sk_softmax.solvers._smooth import SmoothObjective

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import cpu, git_state  # noqa: E402
from tables import SHAPES, table  # noqa: E402

TARGET_GAP = 1e-6
SWEEP_TOL = 1e-15  # so small that max_iter alone decides when a sweep fit stops
OURS = ("auto", "lbfgs", "newton-cg", "newton-cholesky")
THEIRS = ("lbfgs", "newton-cg", "newton-cholesky", "sag", "saga")
RESULTS = Path(__file__).resolve().parent / "results"
BASELINE = None  # another checkout's sk_softmax (--baseline), timed as "base auto"


def load_baseline(checkout):
    """The ``sk_softmax`` package of another checkout, imported as ``sk_softmax_baseline``."""
    global BASELINE
    package = Path(checkout).resolve() / "sk_softmax"
    spec = importlib.util.spec_from_file_location(
        "sk_softmax_baseline", package / "__init__.py", submodule_search_locations=[str(package)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its relative imports resolve under this name
    spec.loader.exec_module(module)
    BASELINE = module
    return module


# -- data sets -----------------------------------------------------------------
@dataclass
class Problem:
    """One data set with its settings."""

    name: str
    X: object
    y: np.ndarray
    kind: str  # "bundled", "table", "dense" or "sparse"
    budget: float
    C: float = 1.0

    @property
    def n_classes(self):
        return int(np.unique(self.y).size)

    @property
    def x_bytes(self):
        if sparse.issparse(self.X):
            return self.X.data.nbytes + self.X.indices.nbytes + self.X.indptr.nbytes
        return self.X.nbytes

    def describe(self):
        n, d = self.X.shape
        fmt = "csr" if sparse.issparse(self.X) else "dense"
        return f"n={n}, d={d}, K={self.n_classes}, {self.X.dtype}, {fmt}"


def bundled(name, standardise):
    """A bundled data set, raw or standardised (``StandardScaler``)."""
    loader = {
        "iris": load_iris,
        "wine": load_wine,
        "digits": load_digits,
        "breast_cancer": load_breast_cancer,
    }[name]
    X, y = loader(return_X_y=True)
    if standardise:
        X = StandardScaler().fit_transform(X)
    return X, y


def _sample_labels(raw, rng):
    """Labels drawn from softmax(raw) with the Gumbel-max trick."""
    return np.argmax(raw - np.log(-np.log(rng.uniform(size=raw.shape))), axis=1)


def make_dense(n_samples, n_features, n_classes, dtype, seed=0):
    """Gaussian features, labels drawn from a softmax model (about 80% accuracy)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    coef = rng.standard_normal((n_classes, n_features)) * (2.0 / np.sqrt(n_features))
    y = np.empty(n_samples, dtype=np.int64)
    for start in range(0, n_samples, 100_000):
        rows = slice(start, start + 100_000)
        y[rows] = _sample_labels(X[rows] @ coef.T, rng)
    return np.ascontiguousarray(X, dtype=dtype), y


def make_sparse_text(n_samples, n_features, n_classes, nnz_per_row=50, seed=0):
    """A text-like CSR matrix with labels from a sparse linear model.

    Column popularity follows a Zipf law (a few frequent "words", a long
    tail), entries are log term counts, rows are L2-normalised (tf-idf
    style). Each class has its own sparse set of indicative columns.
    """
    rng = np.random.default_rng(seed)
    popularity = 1.0 / (np.arange(n_features) + 10.0) ** 1.1
    popularity /= popularity.sum()
    cols = rng.choice(n_features, size=n_samples * nnz_per_row, p=popularity)
    rows = np.repeat(np.arange(n_samples), nnz_per_row)
    counts = sparse.csr_matrix(
        (np.ones(cols.size), (rows, cols)), shape=(n_samples, n_features)
    )  # duplicates summed: term counts
    counts.sum_duplicates()
    counts.data = 1.0 + np.log(counts.data)
    norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
    X = sparse.csr_matrix(sparse.diags(1.0 / norms) @ counts)
    coef = sparse.random(
        n_classes, n_features, density=0.02, random_state=seed, data_rvs=rng.standard_normal
    )
    raw = np.asarray((X @ coef.T).todense()) * 30.0
    y = _sample_labels(raw, rng)
    return X, y


def problems(quick, names=None, budget=None, budget_small=None):
    """The data sets of a run, lazily (large ones are built when needed)."""
    budget = budget if budget is not None else (1.0 if quick else 20.0)
    budget_small = budget_small if budget_small is not None else (0.2 if quick else 2.0)
    specs = []
    for base in ("iris", "wine", "digits", "breast_cancer"):
        for std in (False, True):
            name = base + ("-std" if std else "")
            specs.append((name, lambda b=base, s=std: (*bundled(b, s), "bundled", budget_small)))
    for name in SHAPES:
        specs.append((name, lambda n=name: (*table(n), "table", budget_small)))
    n_dense = 20_000 if quick else 1_000_000
    for dtype in ("float64", "float32"):
        specs.append(
            (
                f"dense-{dtype}",
                lambda t=dtype: (*make_dense(n_dense, 100, 10, t), "dense", budget),
            )
        )
    if quick:
        sparse_shape = dict(n_samples=5_000, n_features=20_000, n_classes=5, nnz_per_row=30)
    else:
        sparse_shape = dict(n_samples=100_000, n_features=100_000, n_classes=10, nnz_per_row=50)
    specs.append(("sparse-text", lambda: (*make_sparse_text(**sparse_shape), "sparse", budget)))
    for name, build in specs:
        if names and not any(name == w or name.startswith(w) for w in names):
            continue
        yield name, build


# -- estimators -----------------------------------------------------------------
@dataclass(frozen=True)
class Solver:
    """A solver of ours ("ours") or of LogisticRegression ("lr")."""

    family: str
    name: str

    @property
    def label(self):
        return f"{ {'ours': 'ours', 'base': 'base'}.get(self.family, 'LR') } {self.name}"


def solvers():
    baseline = [Solver("base", "auto")] if BASELINE is not None else []
    return [Solver("ours", s) for s in OURS] + baseline + [Solver("lr", s) for s in THEIRS]


def feasible(solver, problem):
    """Whether a solver is run at all: the full-Hessian ones need small n_dof * K."""
    if solver.name != "newton-cholesky":
        return True
    n, d = problem.X.shape
    size = (d + 1) * problem.n_classes
    # LR's newton-cholesky took 38 s for 4 iterations at n=2e4, n_dof K=1010
    # (n (n_dof K)^2 = 2e10) on the 2-core test machine: keep well below that.
    return size <= 1200 and n * size**2 <= 5e9


def resolved(problem):
    """The solver that ``SoftmaxClassifier()`` picks on this problem."""
    return choose_solver(problem.X.shape[1] + 1, problem.n_classes, problem.X.shape[0])


def make_estimator(solver, problem, **params):
    """The estimator at its defaults, with ``params`` (tol, max_iter) overridden."""
    if solver.family in ("ours", "base"):
        if solver.name != "auto":
            params["solver"] = solver.name
        kind = SoftmaxClassifier if solver.family == "ours" else BASELINE.SoftmaxClassifier
        return kind(C=problem.C, **params)
    # Two classes: LogisticRegression's binary model needs C' = 2C for the same optimum.
    C = 2 * problem.C if problem.n_classes == 2 else problem.C
    if solver.name in ("sag", "saga"):
        params.setdefault("random_state", 0)
    return LogisticRegression(C=C, solver=solver.name, **params)


def n_iter_of(est):
    return int(np.max(est.n_iter_))


def timed_fit(est, problem):
    """Fit; return ``(seconds, estimator, converged)``."""
    if problem.x_bytes > 10**7:  # free the previous fit's arrays (a full collection: slow)
        gc.collect()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        est.fit(problem.X, problem.y)
        seconds = time.perf_counter() - start
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return seconds, est, converged


def gap_of(est, problem, fstar):
    value = objective(est, problem.X, problem.y, C=problem.C)
    return (value - fstar) / abs(fstar)


def reference_optimum(problem):
    """``F*``: the lowest objective of the tight fits (ours, LR newton-cholesky)."""
    values = {}
    ours = SoftmaxClassifier(C=problem.C, tol=1e-12, max_iter=1000)
    _, ours, _ = timed_fit(ours, problem)
    values["ours"] = objective(ours, problem.X, problem.y, C=problem.C)
    theirs = Solver("lr", "newton-cholesky")
    if feasible(theirs, problem):
        est = make_estimator(theirs, problem, tol=1e-12, max_iter=500)
        _, est, _ = timed_fit(est, problem)
        values["LR newton-cholesky"] = objective(est, problem.X, problem.y, C=problem.C)
    return min(values.values()), values


# -- measurements ------------------------------------------------------------------
def sweep_iterations(cap=10**6):
    """1, 2, 3, 5, 8, 13, ...: Fibonacci numbers up to ``cap``."""
    a, b = 1, 2
    while a <= cap:
        yield a
        a, b = b, a + b


@dataclass
class Point:
    max_iter: int
    seconds: float
    gap: float
    n_iter: int


@dataclass
class Sweep:
    points: list
    status: str  # "reached", "budget" (a fit took longer than the budget), "stalled"

    @property
    def hit(self):
        """The fit with the fewest ``max_iter`` that reached the target, if any."""
        if self.status != "reached":
            return None
        return min((p for p in self.points if p.gap <= TARGET_GAP), key=lambda p: p.max_iter)


def run_sweep(solver, problem, fstar, budget):
    """Fits with growing ``max_iter`` until the gap is at most ``TARGET_GAP``.

    Stops when a fit takes longer than ``budget`` seconds, or when the solver
    stopped before ``max_iter`` (converged or stalled: a larger ``max_iter``
    would give the same fit). The Fibonacci steps then are refined by
    bisection to the fewest ``max_iter`` that reach the target, so that no
    solver is charged for iterations it did not need (a solver needing 10
    was charged 13, one needing 4 charged 5: a bias towards the few-step
    Newton solvers that an independent review measured at 0.48 against 0.57).
    """
    points = []

    def fit(max_iter):
        est = make_estimator(solver, problem, tol=SWEEP_TOL, max_iter=max_iter)
        seconds, est, _ = timed_fit(est, problem)
        point = Point(max_iter, seconds, gap_of(est, problem, fstar), n_iter_of(est))
        points.append(point)
        return point

    below = 0  # the largest max_iter known to fall short of the target
    for max_iter in sweep_iterations():
        point = fit(max_iter)
        if point.gap <= TARGET_GAP:
            above = max_iter
            while above - below > 1:
                middle = (above + below) // 2
                if fit(middle).gap <= TARGET_GAP:
                    above = middle
                else:
                    below = middle
            points.sort(key=lambda p: p.max_iter)
            return Sweep(points, "reached")
        if point.n_iter < max_iter:
            return Sweep(points, "stalled")
        if point.seconds > budget:
            return Sweep(points, "budget")
        below = max_iter
    return Sweep(points, "budget")


def traced_fit(est, problem):
    """A fit under tracemalloc: ``(seconds, estimator, converged, peak_extra_bytes)``."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        seconds, est, converged = timed_fit(est, problem)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return seconds, est, converged, peak


@dataclass
class Record:
    """Everything measured for one solver on one problem."""

    solver: Solver
    default_times: list = field(default_factory=list)
    default_gap: float = math.nan
    default_n_iter: int = 0
    default_converged: bool = False
    peak_bytes: int = 0
    sweep: Sweep = None
    target_times: list = field(default_factory=list)
    alias: str = ""  # "auto" is reported as the solver it resolves to


def per_iteration_seconds(sweep):
    """Time per iteration from the two last sweep points (setup costs cancel)."""
    pts = sweep.points
    for a, b in zip(pts[-2::-1], pts[:0:-1], strict=True):
        if b.n_iter > a.n_iter:
            return (b.seconds - a.seconds) / (b.n_iter - a.n_iter)
    return math.nan


def run_problem(problem, repeats, log=print):
    """All solvers on one problem, interleaved over ``repeats`` repetitions."""
    fstar, refs = reference_optimum(problem)
    log(
        f"\n## {problem.name} ({problem.describe()}), F* = {fstar:.12g} "
        f"({', '.join(f'{k}: {v:.12g}' for k, v in refs.items())})"
    )
    auto = resolved(problem)
    records = {}
    for solver in solvers():
        if not feasible(solver, problem):
            continue
        records[solver] = Record(solver)
    for solver, rec in records.items():
        if solver.family == "ours" and solver.name == "auto" and Solver("ours", auto) in records:
            rec.alias = auto
    for rep in range(repeats):
        for solver, rec in records.items():
            if rec.alias:
                continue  # shares the fits of the solver it resolves to
            if rep == 0:
                est = make_estimator(solver, problem)
                seconds, est, converged, peak = traced_fit(est, problem)
                rec.default_gap = gap_of(est, problem, fstar)
                rec.default_n_iter = n_iter_of(est)
                rec.default_converged = converged
                rec.peak_bytes = peak
                if repeats == 1:
                    # tracemalloc slows code that allocates many small blocks:
                    # time an untraced fit (later repetitions are untraced).
                    rec.default_times.append(timed_fit(make_estimator(solver, problem), problem)[0])
                rec.sweep = run_sweep(solver, problem, fstar, problem.budget)
                if rec.sweep.hit:
                    rec.target_times.append(rec.sweep.hit.seconds)
                hit = rec.sweep.hit
                log(
                    f"  {solver.label:22s} default {seconds:8.3f}s gap {rec.default_gap:9.2e} "
                    f"it {rec.default_n_iter:5d} conv {converged!s:5s} "
                    f"mem {peak / 2**20:8.1f}MB | sweep {rec.sweep.status:8s} "
                    + (f"{hit.seconds:8.3f}s at max_iter={hit.max_iter}" if hit else "")
                )
            else:
                seconds, _, _ = timed_fit(make_estimator(solver, problem), problem)
                rec.default_times.append(seconds)
                if rec.sweep.hit:
                    est = make_estimator(
                        solver, problem, tol=SWEEP_TOL, max_iter=rec.sweep.hit.max_iter
                    )
                    seconds, _, _ = timed_fit(est, problem)
                    rec.target_times.append(seconds)
    for rec in records.values():
        if rec.alias:
            source = records[Solver("ours", rec.alias)]
            for name in (
                "default_times",
                "default_gap",
                "default_n_iter",
                "default_converged",
                "peak_bytes",
                "sweep",
                "target_times",
            ):
                setattr(rec, name, getattr(source, name))
    return fstar, list(records.values())


def bare_products(X, n_classes, repeats=3):
    """Median seconds of ``X @ W.T`` plus ``X.T @ R`` in float32 and in float64."""
    out = {}
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        Xd = X if X.dtype == dtype else X.astype(dtype)
        W = rng.standard_normal((n_classes, X.shape[1])).astype(dtype)
        R = rng.standard_normal((X.shape[0], n_classes)).astype(dtype)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            Xd @ W.T
            Xd.T @ R
            times.append(time.perf_counter() - start)
        out[np.dtype(dtype).name] = statistics.median(times)
        del Xd
    return out


def loss_costs(problem, repeats=3):
    """Median seconds of one loss+gradient and one Hessian-vector product of ours."""
    n_classes = problem.n_classes
    y = np.unique(problem.y, return_inverse=True)[1]
    sw = np.ones(problem.X.shape[0])
    penalty = L2(1.0 / (problem.C * sw.sum()), problem.X.shape[1], True)
    loss = SmoothObjective(SoftmaxDatafit(problem.X, y, n_classes, sw, True), penalty)
    rng = np.random.default_rng(0)
    coef = rng.standard_normal(n_classes * loss.shape[1]) * 0.01
    vector = rng.standard_normal(coef.size)
    grad_times, hessp_times = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        loss.loss_gradient(coef)
        grad_times.append(time.perf_counter() - start)
        product = loss.hessp(coef)
        start = time.perf_counter()
        product(vector)
        hessp_times.append(time.perf_counter() - start)
    return {
        "loss_gradient": statistics.median(grad_times),
        "hessp": statistics.median(hessp_times),
    }


# -- reports --------------------------------------------------------------------------
def target_seconds(rec):
    return statistics.median(rec.target_times) if rec.target_times else math.inf


def default_seconds(rec):
    return statistics.median(rec.default_times) if rec.default_times else math.nan


def rows_of(problem_name, problem, records):
    n, d = problem.X.shape
    out = []
    for rec in records:
        sweep = rec.sweep
        hit = sweep.hit
        last = sweep.points[-1]
        out.append(
            {
                "dataset": problem_name,
                "n": n,
                "d": d,
                "K": problem.n_classes,
                "dtype": str(problem.X.dtype),
                "format": "csr" if sparse.issparse(problem.X) else "dense",
                "solver": rec.solver.label + (f" ({rec.alias})" if rec.alias else ""),
                "default_time_s": default_seconds(rec),
                "default_gap": rec.default_gap,
                "default_n_iter": rec.default_n_iter,
                "default_converged": rec.default_converged,
                "time_to_1e-6_s": target_seconds(rec),
                "max_iter_at_1e-6": hit.max_iter if hit else "",
                "sweep_status": sweep.status,
                "sweep_last_gap": last.gap,
                "sweep_last_time_s": last.seconds,
                "peak_mem_MB": rec.peak_bytes / 2**20,
                "mem_over_X": rec.peak_bytes / problem.x_bytes,
                "mem_over_nK8": rec.peak_bytes / (n * problem.n_classes * 8),
                "s_per_iter": per_iteration_seconds(sweep),
            }
        )
    return out


def _fmt_time(seconds):
    if not math.isfinite(seconds):
        return "-"
    return f"{seconds:.3g}"


def _fmt_gap(gap):
    return "<=0" if gap <= 0 else f"{gap:.1e}"


def _target_cell(row):
    if row["sweep_status"] == "reached":
        return _fmt_time(row["time_to_1e-6_s"])
    if row["sweep_status"] == "stalled":
        return f"stalled at {_fmt_gap(row['sweep_last_gap'])}"
    return f"> {row['sweep_last_time_s']:.3g} (gap {_fmt_gap(row['sweep_last_gap'])})"


def markdown_table(rows):
    head = (
        "| data set | solver | default: time (s) | gap | iter | conv | "
        "time to gap 1e-6 (s) | peak mem (MB) | x X | x nK8 |"
    )
    lines = [head, "|" + "---|" * 10]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['solver']} | {_fmt_time(r['default_time_s'])} | "
            f"{_fmt_gap(r['default_gap'])} | {r['default_n_iter']} | "
            f"{'yes' if r['default_converged'] else 'NO'} | {_target_cell(r)} | "
            f"{r['peak_mem_MB']:.1f} | {r['mem_over_X']:.2f} | {r['mem_over_nK8']:.2f} |"
        )
    return "\n".join(lines)


def _bound(row):
    """Time to the target, or a lower bound (the last sweep fit's time) and ``">"``."""
    if row["sweep_status"] == "reached":
        return row["time_to_1e-6_s"], ""
    return row["sweep_last_time_s"], ">"


def summary(rows, who="ours auto"):
    """Ratios of our default against the fastest LR solver, and default against default.

    ``ratios[name] = (ratio, kind, fastest LR label, ours seconds, LR seconds)``
    with ``kind`` "" (both reached the target), ">" (only LR did: the ratio is a
    lower bound), "<" (only ours did: an upper bound) or "?" (neither did).
    ``who``: whose default ("base auto": the ``--baseline`` checkout's).
    """
    by_set = {}
    for r in rows:
        by_set.setdefault(r["dataset"], []).append(r)
    ratios, defaults = {}, []
    for name, rs in by_set.items():
        ours = next((r for r in rs if r["solver"].startswith(who)), None)
        if ours is None:
            continue
        lr = [r for r in rs if r["solver"].startswith("LR")]
        reached = [r for r in lr if r["sweep_status"] == "reached"]
        fastest = min(reached or lr, key=lambda r: _bound(r)[0])
        ours_t, ours_kind = _bound(ours)
        lr_t, lr_kind = _bound(fastest)
        kind = {("", ""): "", (">", ""): ">", ("", ">"): "<"}.get((ours_kind, lr_kind), "?")
        ratios[name] = (ours_t / lr_t, kind, fastest["solver"], ours_t, lr_t)
        lr_default = next(r for r in rs if r["solver"] == "LR lbfgs")
        defaults.append((name, ours, lr_default))
    return ratios, defaults


def _median_line(ratios, who):
    both = {k: v for k, v in ratios.items() if v[1] == ""}
    if not both:
        return []
    worst = max(ratios.items(), key=lambda kv: kv[1][0] if kv[1][1] in ("", ">") else 0)
    return [
        "",
        f"{who}: median ratio over the {len(both)} data sets where both reached the target: "
        f"**{statistics.median(v[0] for v in both.values()):.2f}**; worst: "
        f"**{worst[1][1]}{worst[1][0]:.2f}** ({worst[0]}). A ratio below 1 means our "
        "default is faster.",
    ]


def summary_markdown(rows):
    ratios, defaults = summary(rows)
    before = summary(rows, "base auto")[0]
    lines = [
        "### Our default against the fastest LogisticRegression solver (time to gap 1e-6)",
        "",
        "`>`: ours did not reach the target within the budget, so the ratio (with the time of "
        "our last sweep fit) is a lower bound; `<`: no LR solver reached it (an upper bound).",
        "",
        "| data set | ours auto (s) | fastest LR solver | its time (s) | ratio |"
        + (" before: base auto (s) | its ratio |" if before else ""),
        "|---|---|---|---|---|" + ("---|---|" if before else ""),
    ]
    for name, (ratio, kind, solver, ours_t, lr_t) in ratios.items():
        ours_cell = ("> " if kind in (">", "?") else "") + _fmt_time(ours_t)
        lr_cell = ("> " if kind in ("<", "?") else "") + _fmt_time(lr_t)
        line = f"| {name} | {ours_cell} | {solver} | {lr_cell} | {kind} {ratio:.2f} |"
        if name in before:
            b_ratio, b_kind, b_solver, b_t, _ = before[name]
            b_cell = ("> " if b_kind in (">", "?") else "") + _fmt_time(b_t)
            line += f" {b_cell} | {b_kind} {b_ratio:.2f} |"
        lines.append(line)
    lines += _median_line(ratios, "Ours")
    if before:
        lines += _median_line(before, "Before (--baseline)")
    lines += [
        "",
        "### Defaults: `SoftmaxClassifier()` against `LogisticRegression()`",
        "",
        "(For two classes, `LogisticRegression(C=2)`: the same model as ours with `C=1`.)",
        "",
        "| data set | ours: time (s) | gap | converged | LR: time (s) | gap | converged |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, ours, lr in defaults:
        lines.append(
            f"| {name} | {_fmt_time(ours['default_time_s'])} | {_fmt_gap(ours['default_gap'])} | "
            f"{'yes' if ours['default_converged'] else 'NO'} | "
            f"{_fmt_time(lr['default_time_s'])} | {_fmt_gap(lr['default_gap'])} | "
            f"{'yes' if lr['default_converged'] else 'NO'} |"
        )
    return "\n".join(lines)


def floor_markdown(floors):
    """Per-iteration and per-evaluation costs against the bare-product floor."""
    if not floors:
        return ""
    lines = [
        "### Large dense problems: cost against two bare matrix products",
        "",
        "Floor = `X @ W.T` plus `X.T @ R` with the shapes of one gradient. Our float32 path "
        "casts row blocks of X to float64 and multiplies in float64, so its floor is the "
        "float64 pair plus the casts; the float32 pair is the floor of a float32 computation.",
        "",
        "| data set | pair f32 (s) | pair f64 (s) | loss+grad (s) | / f64 pair | "
        "hessp (s) | / f64 pair | solver | s / iter | / f64 pair |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, info in floors.items():
        pair = info["bare"]["float64"]
        for i, (solver, per_iter) in enumerate(info["per_iter"].items()):
            first = (
                f"| {name} | {info['bare']['float32']:.3g} | {pair:.3g} | "
                f"{info['loss']['loss_gradient']:.3g} | "
                f"{info['loss']['loss_gradient'] / pair:.1f} | {info['loss']['hessp']:.3g} | "
                f"{info['loss']['hessp'] / pair:.1f} |"
                if i == 0
                else "| | | | | | | |"
            )
            lines.append(f"{first} {solver} | {per_iter:.3g} | {per_iter / pair:.1f} |")
    return "\n".join(lines)


def header():
    info = [
        f"- code: git {git_state()}",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        f"- processor: {cpu()}",
        f"- python {platform.python_version()}, numpy {np.__version__}, scipy "
        f"{scipy.__version__}, scikit-learn {sklearn.__version__}, "
        f"sk-softmax {sk_softmax.__version__}",
        "- load average (1, 5, 15 min) at the start: "
        + ", ".join(f"{v:.2f}" for v in os.getloadavg())
        + " (a shared machine: other processes add noise)",
    ]
    for pool in threadpool_info():
        info.append(
            f"- {pool['user_api']}: {pool['internal_api']} {pool.get('version', '')}, "
            f"{pool['num_threads']} threads ({Path(pool['filepath']).name})"
        )
    return "\n".join(info)


def write_csv(rows, path):
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        for r in rows:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})


def _parse(value):
    if value in ("True", "False"):
        return value == "True"
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() and "." not in value and "e" not in value else number


def read_previous(out, keep):
    """Rows, curves and floors of an earlier run in ``out``, for the data sets ``keep`` says.

    ``keep(name)`` is true for the data sets to carry over (``--update``).
    """
    rows, curves, floors = [], {}, {}
    if (out / "bench_fit.csv").exists():
        with open(out / "bench_fit.csv", newline="") as fh:
            rows = [{k: _parse(v) for k, v in r.items()} for r in csv.DictReader(fh)]
        rows = [r for r in rows if keep(r["dataset"])]
    if (out / "bench_fit_curves.csv").exists():
        with open(out / "bench_fit_curves.csv", newline="") as fh:
            for r in csv.DictReader(fh):
                if keep(r["dataset"]):
                    point = Point(
                        int(r["max_iter"]), float(r["seconds"]), float(r["gap"]), int(r["n_iter"])
                    )
                    curves.setdefault(r["dataset"], {}).setdefault(r["solver"], []).append(point)
    if (out / "bench_fit_floors.json").exists():
        floors = json.loads((out / "bench_fit_floors.json").read_text())
        floors = {k: v for k, v in floors.items() if keep(k)}
    return rows, curves, floors


def _solver_order(label):
    family, name = label.split(" ", 1)
    rank = {"ours": 0, "base": 1}.get(family, 2)
    return (rank, (THEIRS if rank == 2 else OURS).index(name))


def write_curves(curves, path):
    """The sweep points behind the plot: one row per fit."""
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["dataset", "solver", "max_iter", "seconds", "gap", "n_iter"])
        for name, by_solver in curves.items():
            for label, points in by_solver.items():
                for p in points:
                    writer.writerow(
                        [name, label, p.max_iter, f"{p.seconds:.6g}", f"{p.gap:.6g}", p.n_iter]
                    )


def auto_labels(rows):
    """``{data set: label of the solver ours auto resolved to}``."""
    out = {}
    for r in rows:
        if r["solver"].startswith("ours auto ("):
            out[r["dataset"]] = "ours " + r["solver"][len("ours auto (") : -1]
    return out


def plot(curves, path, defaults=None):
    """Objective gap against time, log-log, one panel per data set.

    ``defaults[name]`` is the label of the solver our default resolves to on
    data set ``name``: its line is drawn thick.
    """
    defaults = defaults or {}
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.lines
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    names = list(curves)
    cols = min(4, len(names))
    nrows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.4 * nrows), squeeze=False)
    labels = sorted({label for c in curves.values() for label in c}, key=_solver_order)
    colours = {label: f"C{i}" for i, label in enumerate(labels)}
    for ax, name in zip(axes.ravel(), names, strict=False):
        for label, points in curves[name].items():
            # A fit with more iterations cannot really be faster: at millisecond
            # scale the differences are noise, so times are made non-decreasing.
            t = np.maximum.accumulate([p.seconds for p in points])
            g = [max(p.gap, 1e-16) for p in points]
            default = defaults.get(name) == label
            ax.loglog(
                t,
                g,
                "-" if label.startswith("ours") else "--",
                marker=".",
                color=colours[label],
                lw=2.6 if default else 1.2,
                label=label,
            )
        ax.axhline(TARGET_GAP, color="grey", lw=0.6)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("fit time (s)", fontsize=8)
        ax.set_ylabel("relative objective gap", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())  # no overlapping labels
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    handles = [
        matplotlib.lines.Line2D([], [], color=colours[lb], ls="-" if lb[0] == "o" else "--")
        for lb in labels
    ]
    handles.append(matplotlib.lines.Line2D([], [], color="k", lw=2.6))
    fig.legend(
        handles,
        [*labels, "thick: ours auto (the solver it picks)"],
        loc="lower center",
        ncol=min(9, len(labels) + 1),
        fontsize=8,
    )
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


NOTES = (
    "Gap = (F - F*) / |F*| at the default settings; time to gap 1e-6 from a max_iter "
    "sweep (`> t (gap g)`: the last fit, longer than the budget, reached only g; "
    "`stalled`: the solver stopped on its own above the target). Peak memory: extra "
    "traced memory of one default fit, also as a multiple of the size of X and of "
    "n*K*8 bytes. `ours auto (s)` shares the fits of the solver `s` it resolves to."
)


# -- main ---------------------------------------------------------------------------------
def run(args, log=print, on_problem=None):
    """Run the benchmark; return ``(rows, curves, floors)``.

    ``on_problem(rows, curves, floors)``, if given, is called after every data
    set with the results so far (the script writes its files each time, so an
    interrupted run leaves the finished data sets behind).
    """
    names = args.datasets.split(",") if args.datasets else None
    repeats = args.repeats if args.repeats is not None else (1 if args.quick else 3)
    rows, curves, floors = [], {}, {}
    for name, build in problems(args.quick, names, args.budget, args.budget_small):
        X, y, kind, budget = build()
        problem = Problem(name, X, y, kind, budget)
        reps = repeats if kind == "bundled" else min(repeats, args.repeats_large)
        fstar, records = run_problem(problem, reps, log=log)
        rows += rows_of(name, problem, records)
        curves[name] = {r.solver.label: r.sweep.points for r in records if not r.alias}
        if kind == "dense":
            floors[name] = {
                "bare": bare_products(problem.X, problem.n_classes),
                "loss": loss_costs(problem),
                "per_iter": {
                    r.solver.label: per_iteration_seconds(r.sweep) for r in records if not r.alias
                },
            }
        del problem, X, y, records
        gc.collect()
        if on_problem is not None:
            on_problem(rows, curves, floors)
    return rows, curves, floors


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repetition")
    parser.add_argument("--datasets", help="comma-separated names or prefixes (iris,dense,...)")
    parser.add_argument("--repeats", type=int, help="interleaved repetitions (3; quick: 1)")
    parser.add_argument(
        "--repeats-large", type=int, default=1, help="at most this many on synthetic data (1)"
    )
    parser.add_argument("--budget", type=float, help="seconds per fit, synthetic (20; quick: 1)")
    parser.add_argument(
        "--budget-small", type=float, help="seconds per fit, bundled (2; quick: 0.2)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="limit every BLAS and OpenMP pool to this many threads for the whole run "
        "(default: leave the pools as they are)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="output directory")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout whose sk_softmax is timed too, as 'base auto' (before/after)",
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="keep the earlier results in --out of the data sets not selected by --datasets",
    )
    args = parser.parse_args(argv)
    if args.baseline is not None:
        load_baseline(args.baseline)
    if args.threads is not None:
        with threadpool_limits(limits=args.threads):
            _main(args)
    else:
        _main(args)


def _main(args):

    head = header()
    print("# Fit benchmark\n\n" + head, flush=True)
    start = time.perf_counter()
    mode = "--quick" if args.quick else "full"
    args.out.mkdir(parents=True, exist_ok=True)

    previous = ([], {}, {})
    if args.update:
        names = args.datasets.split(",") if args.datasets else []

        def keep(name):
            return not any(name == w or name.startswith(w) for w in names)

        previous = read_previous(args.out, keep)

    def write(rows, curves, floors):
        rows = previous[0] + rows
        curves = {**previous[1], **curves}
        floors = {**previous[2], **floors}
        settings = (
            f"- command: `python benchmarks/bench_fit.py {' '.join(sys.argv[1:])}` ({mode}); "
            f"target gap {TARGET_GAP:g}; {(time.perf_counter() - start) / 60:.1f} min so far; "
            "load average at the end: " + ", ".join(f"{v:.2f}" for v in os.getloadavg())
        )
        report = "\n\n".join(
            [
                "# Fit benchmark",
                head + "\n" + settings,
                NOTES,
                markdown_table(rows),
                summary_markdown(rows),
                floor_markdown(floors),
            ]
        )
        (args.out / "bench_fit.md").write_text(report + "\n")
        write_csv(rows, args.out / "bench_fit.csv")
        write_curves(curves, args.out / "bench_fit_curves.csv")
        (args.out / "bench_fit_floors.json").write_text(json.dumps(floors, indent=1) + "\n")
        plot(curves, args.out / "bench_fit.png", defaults=auto_labels(rows))
        return report

    rows, curves, floors = run(args, log=lambda s: print(s, flush=True), on_problem=write)
    print("\n" + write(rows, curves, floors))
    print(f"\nwrote {args.out}/bench_fit.md, .csv, .png")


if __name__ == "__main__":
    main()
