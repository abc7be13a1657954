"""The cost of sk_softmax.inference, against statsmodels' MNLogit and against the fit.

Three measurements, each in interleaved repetitions, reporting medians:

1. Small real data where both packages find the maximum likelihood estimate
   (statsmodels' ANES96: 944 x 8, 7 classes; four wine features): the
   unpenalised fit plus its coefficient table, ``SoftmaxClassifier(C=inf)``
   + ``inference`` + ``summary()`` against ``MNLogit(...).fit()`` +
   ``summary()``, and the largest relative difference of their standard
   errors.
2. Digits (1797 x 64, 10 classes), as the issue asks: separable, so there is
   no maximum likelihood estimate. Ours: the penalised fit (``C=1``) and its
   sandwich table, and how long the unpenalised fit takes to be refused with
   a clear error; statsmodels: ``MNLogit(...).fit()`` + ``summary()`` on all
   64 columns (and on the 61 non-constant ones), what it returns and how
   long it takes.
3. Tall data, ``--n`` x 100, 5 classes (the problem of bench_scale.py): the
   fit against ``inference`` (nonrobust and HC0), in memory.

Both packages run on the machine's cores: statsmodels through numpy's BLAS
threads, ours with BLAS at one thread and its own row-block threads
(``sk_softmax._threads``), never more threads than cores.

    python benchmarks/bench_inference.py [--n 1000000] [--repeats 3]
                                         [--digits-repeats 2]

Output is a Markdown report on stdout (saved as
``benchmarks/results/bench_inference.md``). Needs statsmodels
(``pip install -e ".[bench]"``).
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
from sklearn.datasets import load_digits, load_wine

from sk_softmax import SoftmaxClassifier, inference

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import N_CLASSES, N_FEATURES, _problem  # noqa: E402


def _timed(func):
    start = time.perf_counter()
    out = func()
    return time.perf_counter() - start, out


def _interleaved(runs, repeats):
    """``{name: (median seconds, last output)}`` of ``runs`` interleaved ``repeats`` times."""
    times = {name: [] for name in runs}
    outputs = {}
    for _ in range(repeats):
        for name, run in runs.items():
            elapsed, outputs[name] = _timed(run)
            times[name].append(elapsed)
    return {name: (statistics.median(times[name]), outputs[name]) for name in runs}


# -- 1. where both find the MLE --------------------------------------------------------------


def _anes96():
    import statsmodels.api as sm

    data = sm.datasets.anes96.load_pandas().data
    columns = ["logpopul", "TVnews", "selfLR", "ClinLR", "DoleLR", "age", "educ", "income"]
    return data[columns].to_numpy(), data["PID"].to_numpy().astype(int)


def _wine4():
    X, y = load_wine(return_X_y=True)
    return X[:, [0, 1, 3, 9]], y


def ours_unpenalised(X, y):
    result = inference(SoftmaxClassifier(C=np.inf).fit(X, y), X, y)
    str(result.summary())
    return result


def statsmodels_mnlogit(X, y):
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its convergence and overflow warnings: reported
        result = sm.MNLogit(y, sm.add_constant(X)).fit(disp=0)
        str(result.summary())
    return result


def bench_small(repeats, log):
    rows = []
    for name, (X, y) in [("ANES96 (statsmodels)", _anes96()), ("wine, 4 features", _wine4())]:
        runs = {"ours": lambda X=X, y=y: ours_unpenalised(X, y),
                "statsmodels": lambda X=X, y=y: statsmodels_mnlogit(X, y)}  # fmt: skip
        out = _interleaved(runs, repeats)
        ours, theirs = out["ours"][1], out["statsmodels"][1]
        gap = float(np.max(np.abs(ours.bse / theirs.bse - 1)))
        rows.append((name, X.shape, len(np.unique(y)), out["ours"][0], out["statsmodels"][0], gap))
        log(f"{name}: ours {out['ours'][0]:.4f} s, statsmodels {out['statsmodels'][0]:.4f} s")
    return rows


# -- 2. digits -----------------------------------------------------------------------------


def ours_penalised(X, y):
    result = inference(SoftmaxClassifier(C=1.0).fit(X, y), X, y)
    str(result.summary())
    return result


def ours_refusal(X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fit's separation warning
        clf = SoftmaxClassifier(C=np.inf).fit(X, y)
    try:
        inference(clf, X, y)
    except ValueError as error:
        return str(error).split(":")[0]
    return "no error"


def statsmodels_outcome(X, y):
    """What ``MNLogit(...).fit()`` + ``summary()`` gives: an error, or its NaN count."""
    try:
        result = statsmodels_mnlogit(X, y)
    except Exception as error:  # noqa: BLE001 (reported, whatever it is)
        return f"{type(error).__name__}: {error}"
    converged = result.mle_retvals.get("converged")
    nan = int(np.isnan(result.bse).sum())
    return (
        f"converged={converged}, {nan} of {result.bse.size} standard errors NaN, "
        f"largest finite {np.nanmax(result.bse):.3g}"
    )


def bench_digits(repeats, log):
    X, y = load_digits(return_X_y=True)
    varying = X[:, X.std(axis=0) > 0]
    runs = {
        "ours: SoftmaxClassifier(C=1) + inference + summary": lambda: ours_penalised(X, y),
        "ours: SoftmaxClassifier(C=inf) + inference (refused)": lambda: ours_refusal(X, y),
        "statsmodels: MNLogit(y, add_constant(X)).fit() + summary": (
            lambda: statsmodels_outcome(X, y)
        ),
        "statsmodels: the same on the 61 non-constant columns": (
            lambda: statsmodels_outcome(varying, y)
        ),
    }
    out = _interleaved(runs, repeats)
    for name, (seconds, _) in out.items():
        log(f"digits, {name}: {seconds:.3f} s")
    return {
        name: (seconds, result if isinstance(result, str) else _describe(result))
        for name, (seconds, result) in out.items()
    }


def _describe(result):
    """A penalised result in a few words."""
    finite = bool(np.isfinite(result.bse).all())
    slopes = result.bse.size - result.bse.shape[1]
    return (
        f"penalised sandwich: {result.bse.size} standard errors, all finite: {finite}; "
        f"effective df_model {result.df_model:.1f} of {slopes} slopes"
    )


# -- 3. tall data ----------------------------------------------------------------------------


def bench_tall(n, repeats, log):
    X, y = _problem(1, n, N_FEATURES, N_CLASSES)
    fitted = {}

    def fit():
        fitted["clf"] = SoftmaxClassifier(C=np.inf).fit(X, y)
        return fitted["clf"]

    runs = {
        "fit: SoftmaxClassifier(C=inf)": fit,
        "inference, nonrobust": lambda: inference(fitted["clf"], X, y),
        "inference, HC0": lambda: inference(fitted["clf"], X, y, cov_type="HC0"),
    }
    out = _interleaved(runs, repeats)
    for name, (seconds, _) in out.items():
        log(f"{n} x {N_FEATURES}, {name}: {seconds:.2f} s")
    clf = out["fit: SoftmaxClassifier(C=inf)"][1]
    return out, clf


# -- the report ------------------------------------------------------------------------------


def report(args, small, digits, tall):
    lines = [
        "# Inference: benchmarks/bench_inference.py",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}. Command: `python "
        f"benchmarks/bench_inference.py --n {args.n} --repeats {args.repeats} "
        f"--digits-repeats {args.digits_repeats}`",
        "",
        f"Load average at the start: {args.load}.",
        "",
        "## Where both find the maximum likelihood estimate (unpenalised fit + table)",
        "",
        "| data | n x d | classes | ours (s) | statsmodels (s) | ratio | max rel. diff. of bse |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, shape, k, ours, theirs, gap in small:
        lines.append(f"| {name} | {shape[0]} x {shape[1]} | {k} | {ours:.4f} | {theirs:.4f} | "
                     f"{ours / theirs:.2f} | {gap:.1e} |")  # fmt: skip
    lines += ["", "## Digits (1797 x 64, 10 classes: separable, no MLE)", "",
              "| run | seconds (median) | outcome |", "| --- | ---: | --- |"]  # fmt: skip
    for name, (seconds, outcome) in digits.items():
        lines.append(f"| {name} | {seconds:.3f} | {outcome} |")
    out, clf = tall
    fit_time = out["fit: SoftmaxClassifier(C=inf)"][0]
    lines += ["", f"## Tall data: {args.n} x {N_FEATURES}, {N_CLASSES} classes, in memory", "",
              f"The fit: solver {clf.solver_}, {clf.n_iter_} iterations.", "",
              "| run | seconds (median) | ratio to the fit |", "| --- | ---: | ---: |"]  # fmt: skip
    for name, (seconds, _) in out.items():
        lines.append(f"| {name} | {seconds:.2f} | {seconds / fit_time:.2f} |")
    lines += ["", f"Load average at the end: {_load()}."]
    return "\n".join(lines)


def _load():
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg()) + " (1 / 5 / 15 min)"
    except OSError:
        return "unknown"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="rows of the tall problem")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats")
    parser.add_argument(
        "--digits-repeats", type=int, default=2, help="repeats on digits (statsmodels: ~40 s)"
    )
    args = parser.parse_args(argv)
    args.load = _load()

    def log(text):
        print(text, file=sys.stderr, flush=True)

    small = bench_small(args.repeats, log)
    digits = bench_digits(args.digits_repeats, log)
    tall = bench_tall(args.n, args.repeats, log)
    print(report(args, small, digits, tall))


if __name__ == "__main__":
    main()
