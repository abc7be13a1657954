"""Keep benchmarks/bench_inference.py from rotting: its pieces on small problems.

Structure only; timings are never asserted (shared, noisy machine).
"""

from argparse import Namespace

import numpy as np
import pytest

pytest.importorskip("statsmodels")


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("bench_inference")


def test_the_report_of_small_runs(bench):
    small = bench.bench_small(1, log=lambda text: None)
    assert [row[0] for row in small] == ["ANES96 (statsmodels)", "wine, 4 features"]
    assert all(row[-1] < 1e-6 for row in small)  # the same standard errors as statsmodels
    X, y = bench._wine4()
    refused = bench.ours_refusal(np.column_stack([X, 2 * X[:, 0]]), y)
    assert refused.startswith("The information matrix is singular")
    described = bench._describe(bench.ours_penalised(X, y))
    assert "all finite: True" in described
    tall = bench.bench_tall(3000, 1, log=lambda text: None)
    args = Namespace(n=3000, repeats=1, digits_repeats=1, load="0")
    text = bench.report(args, small, {"ours": (0.1, described)}, tall)
    assert "| inference, HC0 |" in text and "ANES96" in text
