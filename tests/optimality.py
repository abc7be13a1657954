"""The elastic net's optimality conditions, checked entry by entry from scratch.

Shared by the tests of the sparse penalties. Tolerances: the proximal Newton
solver stops when no entry of the least-norm subgradient of ``F / (C S)``
exceeds ``tol`` in standardised coordinates; in the original coordinates the
conditions then hold to ``tol (sigma_j + |mu_j|)`` on column ``j`` (the map
scales a weight by its column's spread ``sigma_j`` and moves ``mu_j`` times
the intercept's gradient onto it), the bound checked here.
"""

import numpy as np
from scipy.special import softmax

TOL = 1e-10


def _smooth_gradient(clf, X, y, sample_weight=None):
    """``d/dW`` of ``F / (C S)`` without the norm: data term plus ridge, from scratch."""
    sw = np.ones(len(y)) if sample_weight is None else sample_weight
    codes = np.searchsorted(clf.classes_, y)
    proba = softmax(X @ clf.coef_.T + clf.intercept_, axis=1)
    residual = proba - np.eye(clf.classes_.size)[codes]
    grad = (residual * sw[:, None]).T @ X / sw.sum()
    intercept_grad = (residual * sw[:, None]).sum(axis=0) / sw.sum()
    alpha = 1.0 / (clf.C * sw.sum())
    return grad + alpha * (1 - clf.l1_ratio) * clf.coef_, intercept_grad, alpha


def _bound(X, alpha, l1_ratio, sample_weight=None):
    """Per column, what ``tol`` in standardised coordinates allows in the original ones."""
    sw = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    mean = sw @ X / sw.sum()
    std = np.sqrt(np.maximum(sw @ (X - mean) ** 2 / sw.sum(), 0.0))
    sigma = np.sqrt(std**2 + alpha * (1 - l1_ratio))
    return TOL * (sigma + np.abs(mean)) * 1.01 + 1e-15


def _assert_optimal_entries(clf, X, y, sample_weight=None):
    """The lasso/elastic-net conditions, entry by entry (module docstring)."""
    grad, intercept_grad, alpha = _smooth_gradient(clf, X, y, sample_weight)
    threshold = alpha * clf.l1_ratio
    bound = _bound(X, alpha, clf.l1_ratio, sample_weight)
    W = clf.coef_
    nonzero = W != 0
    excess = np.where(
        nonzero, np.abs(grad + threshold * np.sign(W)), np.maximum(np.abs(grad) - threshold, 0)
    )
    assert np.all(excess <= bound), np.max(excess / bound)
    np.testing.assert_allclose(intercept_grad, 0.0, atol=2 * TOL)
    return nonzero
