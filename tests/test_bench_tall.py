"""Keep benchmarks/bench_tall.py from rotting: a tiny run, and its float32 pass checked.

Structure only; timings are never asserted (shared, noisy machine).
"""

import numpy as np
import pytest


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("bench_tall")


def test_the_float32_pass_is_the_data_terms_loss_and_gradient(bench, load_benchmark):
    # the reference pass must compute what ours computes, or its timing means nothing
    from sk_softmax.datafits.numpy import SoftmaxDatafit

    X, y = load_benchmark("bench_fit").make_dense(3000, 100, 10, "float32")
    codes = np.unique(y, return_inverse=True)[1]
    coef = np.random.default_rng(1).standard_normal((10, 101)) * 0.1
    value, grad, grad_intercept = bench.float32_pass(X, codes, coef, block_rows=700)
    ours = SoftmaxDatafit(X, codes, 10, np.ones(X.shape[0]), True)
    expected_value, expected = ours.loss_gradient(coef.ravel())
    expected = expected.reshape(10, 101)
    # float32 products: about 1e-7 relative to the terms summed (|x| ~ 1, |r| <= 1)
    assert value == pytest.approx(expected_value, rel=1e-5)
    np.testing.assert_allclose(grad, expected[:, :-1], atol=1e-5)
    np.testing.assert_allclose(grad_intercept, expected[:, -1], atol=1e-5)


def test_a_tiny_run_writes_both_tables(bench, tmp_path):
    out = tmp_path / "tall.md"
    bench.main(["--n", "4000", "--repeats", "1", "--out", str(out)])
    text = out.read_text()
    assert "| 4000 x 100 x 10 float64 | after (this checkout) |" in text
    assert "| 4000 x 100 x 10 float32 | pass: float32 products |" in text
    assert text.count("| 4000 x 100 x 10 float32 | pass: ours |") == 1
    assert text.count("iteration after the first |") == 2
