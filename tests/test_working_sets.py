"""prox-newton's working sets: how large the first one is, and that it serves warm starts.

A working set holds the columns of the non-zero groups and a number of the
most violating zero ones; that number doubles while the optimum needs more.
It starts at the support's size (at least 10), so that a warm start does not
spend one Newton step per doubling from 10 to reach a support it already has.
"""

import numpy as np
import pytest

from sk_softmax import SoftmaxClassifier
from sk_softmax.solvers import prox_newton as prox_newton_module


def _data(n, d, n_classes, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((n_classes, d)) * (rng.random(d) < 0.5)
    y = np.argmax(X @ W.T + rng.gumbel(size=(n, n_classes)), axis=1)
    return X, y


def _support(coef):
    return int(np.count_nonzero(np.any(coef != 0, axis=0)))


@pytest.fixture
def first_columns(monkeypatch):
    """The number of feature columns of each fit's first local model, recorded."""
    seen = []
    original = prox_newton_module.LocalModel

    def recording(smooth, coef, grad, index, columns, explicit):
        seen.append(columns.size)
        return original(smooth, coef, grad, index, columns, explicit)

    monkeypatch.setattr(prox_newton_module, "LocalModel", recording)
    return seen


def test_warm_start_first_working_set_holds_twice_the_support(first_columns):
    X, y = _data(400, 150, 3, seed=0)  # under 200 features: one problem, no restriction
    model = SoftmaxClassifier(C=0.05, l1_ratio=1.0, tol=1e-8, warm_start=True).fit(X, y)
    support = _support(model.coef_)
    assert 10 < support < X.shape[1] // 2  # the case where the first size matters
    first_columns.clear()
    model.set_params(C=0.2).fit(X, y)  # a support over twice as large at this C's optimum
    assert model.converged_ and _support(model.coef_) > 2 * support
    # the support and as many of the most violating zero columns (there are as many: the
    # new optimum needs more than that); it was the support and 10
    assert first_columns[0] >= 2 * support


def test_cold_start_first_working_set_is_ten_columns(first_columns):
    X, y = _data(400, 150, 3, seed=0)
    SoftmaxClassifier(C=0.05, l1_ratio=1.0, tol=1e-8).fit(X, y)
    assert first_columns[0] <= 10
