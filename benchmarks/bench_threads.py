"""Thread hygiene: fit times with and without limiting scipy's BLAS pool.

numpy and scipy wheels each bundle an OpenBLAS with its own thread pool. This
script fits on digits (raw) with each solver, in interleaved repetitions, under
three thread policies, and prints the median fit time of each:

- "default": both pools as they are;
- "hygiene": what SoftmaxClassifier does, scipy's pool limited to one thread;
- "all-one": every BLAS pool limited to one thread.

LogisticRegression(solver="lbfgs") is timed too, under the default policy and
under the limit, since it suffers from the same contention.

    python benchmarks/bench_threads.py [--repeats 5]
"""

import argparse
import statistics
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_info, threadpool_limits

import sk_softmax._softmax as softmax_module
from sk_softmax import SoftmaxClassifier
from sk_softmax._threads import blas_hygiene


class _NoHygiene:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    X, y = load_digits(return_X_y=True)
    for info in threadpool_info():
        print(f"{info['internal_api']:10s} {info['num_threads']} threads  {info['filepath']}")
    cases = {}
    for solver in ("newton-cholesky", "newton-cg", "lbfgs"):
        cases[f"SoftmaxClassifier {solver}"] = lambda s=solver: SoftmaxClassifier(solver=s)
    cases["LogisticRegression lbfgs"] = lambda: LogisticRegression()
    policies = ("default", "hygiene", "all-one")
    times = {(c, p): [] for c in cases for p in policies}
    warnings.simplefilter("ignore", ConvergenceWarning)
    for _ in range(args.repeats):
        for case, make in cases.items():
            for policy in policies:
                softmax_module.blas_hygiene = _NoHygiene if policy == "default" else blas_hygiene
                est = make()
                start = time.perf_counter()
                if policy == "all-one":
                    with threadpool_limits(1, user_api="blas"):
                        est.fit(X, y)
                elif policy == "hygiene" and case.startswith("Logistic"):
                    with blas_hygiene():
                        est.fit(X, y)
                else:
                    est.fit(X, y)
                times[case, policy].append(time.perf_counter() - start)
    softmax_module.blas_hygiene = blas_hygiene
    print(f"\nmedian fit time over {args.repeats} interleaved runs, digits (raw)\n")
    print("| estimator | default (s) | scipy pool = 1 (s) | all pools = 1 (s) |")
    print("|---|---|---|---|")
    for case in cases:
        row = [f"{statistics.median(times[case, p]):.3f}" for p in policies]
        print(f"| {case} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
