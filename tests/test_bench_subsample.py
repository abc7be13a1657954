"""Keep benchmarks/bench_subsample.py from rotting: its problems are tall, and a tiny run.

Structure only; timings are never asserted (shared, noisy machine).
"""

import numpy as np
import pytest


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("bench_subsample")


def test_every_drawn_problem_takes_the_subsampled_path(bench):
    from sk_softmax.datafits._blocks import MIN_SAMPLE_RATIO, SAMPLE_ROWS_PER_COEF

    for seed in range(12):
        name, X, y, sw, params = bench.draw_case(seed)
        n_classes, n_dof = np.unique(y).size, X.shape[1] + params["fit_intercept"]
        weighted = X.shape[0] if sw is None else np.count_nonzero(sw)
        # tall by the solvers' own rule, counted as they count (rows of positive weight)
        assert weighted >= MIN_SAMPLE_RATIO * SAMPLE_ROWS_PER_COEF * n_classes * n_dof, name
        assert np.all(np.isfinite(X)) and (sw is None or np.all(sw >= 0))
    assert bench.draw_case(3)[0] == bench.draw_case(3)[0]  # seeded


def test_a_tiny_report(bench, tmp_path):
    out = tmp_path / "report.md"
    bench.main(["--cases", "2", "--out", str(out)])
    text = out.read_text()
    assert "| after (this checkout) |" in text and "2 problems drawn" in text
