"""Keep benchmarks/bench_predict.py from rotting: one quick run into a temporary file.

Structure only; timings are never asserted (shared, noisy machine).
"""

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("skl2onnx")


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("bench_predict")


def test_every_case_predicts_the_same_probabilities(bench):
    _, X, y = next(bench.datasets())
    cases = bench.cases(X, y, threads=1)
    rows = X[:50]
    expected = cases["ours"][0](rows)
    model = cases["ours"][0].__self__
    S = (np.abs(rows) @ np.abs(model.coef_).T + np.abs(model.intercept_)).max()
    for name, (function, context) in cases.items():
        if name == "LogisticRegression":  # another model
            continue
        with context():
            # the float32 graph rounds its inputs (outputs move by 2**-24 S at most,
            # probabilities by half that) and its outputs (2**-24); see tests/test_onnx.py
            tolerance = 2.0**-25 * S + 2.0**-24 if name == "onnxruntime float32" else 1e-12
            assert np.abs(function(rows) - expected).max() <= tolerance, name


def test_full_checks_restores_the_skip(bench):
    skip = bench.numpy_backend._is_valid_already
    with bench.full_checks():
        assert bench.numpy_backend._is_valid_already is not skip
    assert bench.numpy_backend._is_valid_already is skip


def test_quick_run_writes_a_table(bench, tmp_path):
    out = tmp_path / "bench_predict.md"
    bench.main(["--quick", "--out", str(out)])
    rows = [line for line in out.read_text().splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + 2 * 2 * 5  # header, 2 data sets x 2 workloads x 5 cases
    assert all(row.count("|") == 7 for row in rows)
