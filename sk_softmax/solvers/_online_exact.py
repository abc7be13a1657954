"""``partial_fit``'s exact curvature, for models of at most ``EXACT_DOF`` coefficients.

The Kronecker factors of :mod:`sk_softmax.solvers.online` assume that a row's
class probabilities do not depend on its features, which a fitted model
contradicts: near the optimum most rows are predicted with confidence and the
curvature sits on the few that are not. On small models the rule keeps the
exact Hessian instead,

    H_B = 1/S_B sum_{i in B} s_i (diag p_i - p_i p_i^T) (x) z_i z_i^T,

of each minibatch at the iterate it is seen at (``z = (x~ - m) / s``, the
standardised row with its intercept), in an exponential average that keeps
half of the previous one per step: the curvature near the current iterate,
not the sum of the curvature at every iterate since the start (which, taken
where every class is about equally probable, overstates it). The step solves
``(n H + Lambda) delta = G`` (``n`` the weight seen, ``Lambda`` the penalty).

Measured on the benchmark's tables whose models are this small (penbased,
satimage, segment, vowel, anes96, census-raw; 3 repeats of
``benchmarks/bench_online.py``'s protocol), against the Kronecker rule with
the same per-row cap: the excess held-out log-loss after one epoch fell by a
half to two thirds, after three to about a point. A step costs ``m (K D)^2``
for the Hessian and ``(K D)^3 / 3`` for its Cholesky factor, hence the cap on
``K D``: at 256 coefficients about a millisecond on one core.
"""

import numpy as np
from scipy import linalg, sparse

# Models with at most this many coefficients (classes times columns, intercept
# included) keep the exact curvature.
EXACT_DOF = 256
# The weight the previous average keeps at each step.
_KEEP = 0.5


def eligible(n_classes, n_dof, full_features):
    """Whether a model of this shape keeps the exact curvature."""
    return full_features and n_classes * n_dof <= EXACT_DOF


def standard_rows(coordinates, X, fit_intercept):
    """The rows ``x~_i`` in the standardised coordinates, dense."""
    Z = ((X.toarray() if sparse.issparse(X) else X) - coordinates.mean) / coordinates.scale
    return np.hstack([Z, np.ones((Z.shape[0], 1))]) if fit_intercept else Z


def batch_hessian(Z, proba, weights):
    """The batch's weighted mean Hessian in the coordinates of ``Z``, (K D, K D)."""
    n_classes, n_dof = proba.shape[1], Z.shape[1]
    share = weights / weights.sum()
    outer = (np.sqrt(share)[:, None] * proba)[:, :, None] * Z[:, None, :]
    outer = outer.reshape(len(Z), n_classes * n_dof)
    hessian = -(outer.T @ outer)
    weighted = (proba * share[:, None]).T[:, :, None] * Z  # (K, m, D)
    blocks = np.matmul(weighted.transpose(0, 2, 1), Z)
    view = hessian.reshape(n_classes, n_dof, n_classes, n_dof)
    diagonal = np.arange(n_classes)
    view[diagonal, :, diagonal, :] += blocks
    return hessian


def remap(hessian, old, new, n_classes):
    """A Hessian in the coordinates ``old`` expressed in the coordinates ``new``.

    ``T = old^{-1} new`` takes coefficients in the new coordinates to the old
    ones, per class; the Hessian becomes ``T^T H T`` block by block.
    """
    n_dof = hessian.shape[0] // n_classes
    T = old.to_standardized(new.to_original(np.eye(n_dof))).T
    view = hessian.reshape(n_classes, n_dof, n_classes, n_dof)
    right = view @ T  # [k, a, l, e]: sum over b of H[k, a, l, b] T[b, e]
    both = right.transpose(0, 2, 3, 1) @ T  # [k, l, e, d]
    return np.ascontiguousarray(both.transpose(0, 3, 1, 2)).reshape(hessian.shape)


def exact_direction(state, coordinates, Z, proba, weights, grad, C):
    """``(n H + Lambda)^{-1} grad`` (shape (K, D)) after adding the batch to ``H``.

    ``state.hessian`` is kept in the coordinates ``state.hessian_coordinates``
    and moved into ``coordinates`` (those of the latest refresh) when they
    differ.
    """
    n_classes, n_dof = grad.shape
    batch = batch_hessian(Z, proba, weights)
    if state.hessian is None:
        state.hessian = batch
    else:
        if state.hessian_coordinates is not coordinates:
            state.hessian = remap(state.hessian, state.hessian_coordinates, coordinates, n_classes)
        state.hessian = _KEEP * state.hessian + (1.0 - _KEEP) * batch
    state.hessian_coordinates = coordinates
    system = state.n_seen * state.hessian
    penalty = np.zeros(n_dof)
    if np.isfinite(C):
        penalty[: coordinates.n_features] = 1.0 / (C * coordinates.scale**2)
    # a tiny floor keeps the classes' common shift (no curvature) solvable
    floor = 1e-12 * max(np.trace(system) / len(system), np.finfo(np.float64).tiny)
    system[np.diag_indices_from(system)] += np.tile(penalty, n_classes) + floor
    try:
        solved = linalg.cho_solve(linalg.cho_factor(system), grad.ravel())
    except linalg.LinAlgError:
        solved = linalg.lstsq(system, grad.ravel())[0]
    return solved.reshape(n_classes, n_dof)
