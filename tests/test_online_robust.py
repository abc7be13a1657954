"""partial_fit on small minibatches, raw features and no penalty: finite, and near the fit.

The online rule's running curvature is an average of its batches' Hessians.
Averaged half and half at every batch, minibatches of one row made it the
curvature of the last row or two: near zero once those rows were predicted
confidently, and the steps it gave ran to 1e17 and NaN (raw breast_cancer one
row at a time; standardised data with ``C=inf``), until a Cholesky factor of
NaN raised from inside scipy. Now a batch weighs in proportion to its weight
(the plain mean of every batch until the weight seen is twice 64 rows'), and no step
moves a logit of a row of its batch by more than ``MAX_MOVE``.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.metrics import log_loss

from sk_softmax import SoftmaxClassifier
from sk_softmax.solvers import _online_exact, _online_guard


def _stream(clf, X, y, batch, epochs, seed=0):
    order = np.random.default_rng(seed).permutation(len(y))
    for _ in range(epochs):
        for start in range(0, len(y), batch):
            rows = order[start : start + batch]
            clf.partial_fit(X[rows], y[rows], classes=np.unique(y))
    return clf


@pytest.mark.parametrize("loader", [load_breast_cancer, load_wine])
@pytest.mark.parametrize("batch", [1, 5])
def test_small_minibatches_of_raw_data_stay_near_the_fit(loader, batch):
    X, y = loader(return_X_y=True)  # raw: columns of 1e-3 to 1e3
    full = SoftmaxClassifier().fit(X, y)
    clf = _stream(SoftmaxClassifier(), X, y, batch, epochs=3)
    assert np.isfinite(clf.coef_).all()
    # three passes count each row three times (C's meaning for streams): about the fit
    # at 3 C, whose training log-loss is at most the fit's; 25% above it is far from the
    # diverged streams (log-losses of 10 and more, or NaN) and from a model that learnt
    # little (the prior's, 0.66 and 1.09)
    reference = log_loss(y, full.predict_proba(X))
    assert log_loss(y, clf.predict_proba(X)) <= 1.25 * reference + 0.02


def test_no_penalty_one_row_at_a_time_stays_finite():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 5))
    W = rng.normal(size=(3, 5))
    y = np.argmax(X @ W.T + rng.gumbel(size=(2000, 3)), axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # C=inf on data that are not separable: no warning due
        full = SoftmaxClassifier(C=np.inf).fit(X, y)
    clf = _stream(SoftmaxClassifier(C=np.inf), X, y, batch=1, epochs=1)
    assert np.isfinite(clf.coef_).all()
    assert log_loss(y, clf.predict_proba(X)) <= 1.25 * log_loss(y, full.predict_proba(X))


def test_a_step_moves_no_logit_of_its_batch_by_more_than_the_cap():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(8, 4))
    cap = _online_guard.MAX_MOVE

    def largest_move(step):
        moves = X @ step[:, :4].T + step[:, -1]
        return np.max(moves.max(axis=1) - moves.min(axis=1)) / 2

    small = rng.normal(size=(3, 5)) * 1e-3
    np.testing.assert_array_equal(_online_guard._capped(small, X, True), small)
    large = rng.normal(size=(3, 5)) * 100
    capped = _online_guard._capped(large, X, True)
    np.testing.assert_allclose(largest_move(capped), cap, rtol=1e-12)
    np.testing.assert_allclose(capped / large, capped[0, 0] / large[0, 0])  # only scaled
    overflowed = np.full((3, 5), np.inf)
    np.testing.assert_array_equal(_online_guard._capped(overflowed, X, True), 0.0)


def test_a_batch_weighs_in_the_curvature_by_its_weight():
    previous, batch = np.eye(2), np.zeros((2, 2))
    # a second batch of one row after one row: the mean of the two
    np.testing.assert_allclose(_online_exact._average(previous, batch, 1, 0.5), 0.5 * previous)
    # one row after two hundred: 1/128 of the average (half of the share of 64 rows)
    kept = _online_exact._average(previous, batch, 1, 1 / 201)
    np.testing.assert_allclose(kept, (1 - 0.5 / 64) * previous)
    # a batch of 64 rows or more early in a stream: half and half (the benchmarks' minibatches)
    np.testing.assert_allclose(_online_exact._average(previous, batch, 64, 0.2), 0.5 * previous)
    # ... and later at most _SPAN times its share of the weight seen, whatever its rows
    span = _online_exact._SPAN
    np.testing.assert_allclose(
        _online_exact._average(previous, batch, 64, 0.01), (1 - span * 0.01) * previous
    )
    kept = _online_exact._average(previous, batch, 1, 1 / 1001)
    np.testing.assert_allclose(kept, (1 - span / 1001) * previous)


def test_rows_of_zero_weight_do_not_hold_a_step_back():
    # a row of weight zero is no part of the objective: with it or without it, the same
    # steps (it once entered the cap on the batch's logits: one far-out row of weight zero
    # in each batch moved the coefficients by 0.4)
    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    with_rows, without = SoftmaxClassifier(), SoftmaxClassifier()
    for batch in np.array_split(np.arange(200), 10):
        far = X[batch[:1]] * 1e4
        Xb, yb = np.vstack([X[batch], far]), np.append(y[batch], y[batch[0]])
        weights = np.append(np.ones(batch.size), 0.0)
        with_rows.partial_fit(Xb, yb, classes=[0, 1], sample_weight=weights)
        without.partial_fit(X[batch], y[batch], classes=[0, 1])
    np.testing.assert_allclose(with_rows.coef_, without.coef_, rtol=1e-12, atol=1e-12)


def test_block_caps_bound_every_row_and_cap_those_over_exactly():
    """The rows' caps under the class blocks: a row whose pooled bound
    ``z^T (sum_k A_k^{-1}) z max_k |r_k|`` stays under the cap keeps its whole term, the
    others get the cap over their exact largest ``z^T A_k^{-1} z r_k``: the multipliers of
    computing every row's K leverages, with a skewed batch so that both kinds occur."""
    from types import SimpleNamespace

    rng = np.random.default_rng(0)
    n_classes, n_dof, m = 6, 9, 300
    roots = rng.standard_normal((n_classes, n_dof, n_dof))
    inverse = np.matmul(roots, roots.transpose(0, 2, 1)) / n_dof  # positive definite
    Z = rng.standard_normal((m, n_dof)) * rng.exponential(1.0, m)[:, None]  # a few long rows
    residual = rng.dirichlet(np.ones(n_classes), m)
    residual[np.arange(m), rng.integers(n_classes, size=m)] -= 1.0  # p - y, in [-1, 1]
    state = SimpleNamespace(
        block_n=500.0, n_seen=1000.0, block_inverse=inverse, block_pooled=None,
        block_bound=float(np.sqrt(np.einsum("kij,kij->k", inverse, inverse).max())),
    )  # fmt: skip
    factor, cap = 1.0, 8.0
    caps = _online_exact.block_caps(state, Z, residual, factor, cap)
    leverage = np.einsum("md,kmd->mk", Z, np.matmul(Z[None], inverse))
    change = factor * 0.5 * np.abs(leverage * residual).max(axis=1)
    expected = cap / np.maximum(change, cap)
    assert 0 < np.count_nonzero(expected < 1) < m // 2  # both kinds of rows
    np.testing.assert_allclose(caps, expected, rtol=1e-13)


@pytest.mark.parametrize("scale", [1e160, 1e300])
def test_features_whose_moments_overflow_are_a_clear_error(scale):
    # The running second moments of rows of 1e160 overflow float64: numpy's
    # "Eigenvalues did not converge" came out of the steps' algebra before.
    X, y = load_wine(return_X_y=True)
    clf = SoftmaxClassifier().partial_fit(X[:60], y[:60], classes=[0, 1, 2])
    before = clf.coef_.copy(), clf.sgd_state_.t
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning on the way
        with pytest.raises(ValueError, match=r"moments overflow float64.*below about 1e150"):
            clf.partial_fit(X[60:] * scale, y[60:])
    np.testing.assert_array_equal(clf.coef_, before[0])
    assert clf.sgd_state_.t == before[1]
    assert np.isfinite(clf.sgd_state_.comoment).all()
    with pytest.raises(ValueError, match="moments overflow"):
        SoftmaxClassifier().partial_fit(X * scale, y, classes=[0, 1, 2])
