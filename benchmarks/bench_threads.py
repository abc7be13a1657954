"""Thread hygiene: fit times under three thread policies, interleaved, medians.

numpy and scipy wheels each bundle an OpenBLAS with its own thread pool. This
script fits on digits (raw) and on a larger synthetic problem, with each of
our solvers and with LogisticRegression(solver="lbfgs"), under:

- "default": nothing limited; our loss runs on one thread of its own (the
  pools as numpy and scipy set them up);
- "scipy=1": only scipy's BLAS pool limited to one thread;
- "ours": what SoftmaxClassifier does in every fit (``fit_threads``): every
  BLAS pool at one thread, the loss's passes split over as many threads of
  its own as numpy's BLAS had. For LogisticRegression, "ours" means every
  BLAS pool at one thread (it has no threads of its own to add).

    python benchmarks/bench_threads.py [--repeats 5]
"""

import argparse
import contextlib
import statistics
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_info, threadpool_limits

import sk_softmax._fit as fit_module
from sk_softmax import SoftmaxClassifier
from sk_softmax._threads import blas_hygiene, fit_threads


@contextlib.contextmanager
def _one_thread_no_limits():
    yield 1


@contextlib.contextmanager
def _scipy_only():
    with blas_hygiene():
        yield 1


def _synthetic(n=50_000, d=100, k=10):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n, d))
    y = np.argmax(X @ rng.normal(size=(k, d)).T * 0.3 + rng.gumbel(size=(n, k)), axis=1)
    return X, y


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    for info in threadpool_info():
        print(f"{info['internal_api']:10s} {info['num_threads']} threads  {info['filepath']}")
    data = {"digits": load_digits(return_X_y=True), "synthetic 5e4x100, K=10": _synthetic()}
    cases = {
        f"SoftmaxClassifier {s}": (lambda s=s: SoftmaxClassifier(solver=s))
        for s in ("newton-cholesky", "newton-cg", "lbfgs")
    }
    cases["LogisticRegression lbfgs"] = LogisticRegression
    policies = {"default": _one_thread_no_limits, "scipy=1": _scipy_only, "ours": fit_threads}
    times = {}
    warnings.simplefilter("ignore", ConvergenceWarning)
    for _ in range(args.repeats):
        for dname, (X, y) in data.items():
            for case, make in cases.items():
                for policy, context in policies.items():
                    est = make()
                    start = time.perf_counter()
                    if case.startswith("Softmax"):
                        fit_module.fit_threads = context
                        est.fit(X, y)
                    elif policy == "ours":
                        with threadpool_limits(1, user_api="blas"):
                            est.fit(X, y)
                    else:
                        with context():
                            est.fit(X, y)
                    times.setdefault((dname, case, policy), []).append(time.perf_counter() - start)
    fit_module.fit_threads = fit_threads
    print(f"\nmedian fit time (s) over {args.repeats} interleaved runs\n")
    print("| data | estimator | " + " | ".join(policies) + " |")
    print("|---|---|" + "---|" * len(policies))
    for dname in data:
        for case in cases:
            row = [f"{statistics.median(times[dname, case, p]):.3f}" for p in policies]
            print(f"| {dname} | {case} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
