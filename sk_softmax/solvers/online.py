"""The online rule of ``partial_fit``: Newton steps on Kronecker-factored running curvature.

After ``n`` samples the stream's objective is the sum ``J_n(W) = sum_i s_i
CE_i(W) + ||W||^2 / (2C)`` over every sample seen. Were each ``CE_i``
quadratic, recursive least squares would keep the minimiser of ``J_n``
exactly with one step per minibatch ``B``:

    W <- W - A_n^{-1} G_B,    A_n = (1/C) + sum over the samples seen of their Hessians,

``G_B`` the gradient of the minibatch's data term (the previous ``W``
minimised the rest). A step is the Newton step of the minibatch's mean
gradient, times ``S_B / n``: the ``1/t`` step of stochastic Newton methods,
which averages out the minibatch noise as the optimum does. The gradient
also carries the minibatch's share ``S_B / n`` of the penalty's gradient
``W / C``, so that the steps' fixed point is the stream's optimum whatever
the step's multiple (without it, a feature seen in one row, with no
penalty to hold it back between its appearances, drifts: on the digits a
held-out row with such a pixel alone doubled the held-out loss).

The curvature is that of the softmax cross-entropy, ``sum_i (diag p_i - p_i
p_i^T) (x) x~_i x~_i^T`` (``x~ = (x, 1)``), in its Kronecker-factored form
(as K-FAC approximates a layer's Fisher): the running class factor ``S =
sum_i s_i (diag p_i - p_i p_i^T)`` (K x K, at the iterates where the samples
were seen) times the running second moments of ``x~``. The moments are those
of every row seen so far, not of the first minibatch, and the steps are
taken in the coordinates they standardise (the centred features over their
spreads, where ``E[x~ x~^T]`` is the correlation matrix plus the intercept):
the rule is thereby invariant to shifting and scaling the features, raw or
standardised data alike, and a step costs a few gradients (the moments add a
d x d product over the batch).

Measured on the eleven real and generated tables (``benchmarks/bench_online.py``),
the curvature gathered at the early iterates, where every class is about
equally probable, overstates the curvature near the optimum, and the steps
fall short: a multiple of the recursive least squares step leaves the start
faster (the start's error decays as ``(n_0 / n)^learning_rate`` under ``1/n``
steps). Larger multiples overshoot on rows far out on a rare feature (a
pixel that is on in a few images, 40 standard deviations out once
standardised): their own term moves their own logits by ``learning_rate *
h_i |S^+ r_i| / n`` (``h_i`` the row's leverage under the feature factor),
tens of units. Each row's term is therefore scaled so that it moves its own
logits by at most ``_SELF_CHANGE`` (2), which lets ``learning_rate=3`` (the
"auto" multiple with these factors) help on every table of ten or more
minibatches per pass.

Models of moderate size (at most 256 coefficients, or class blocks of at most
65536 entries in all) take their curvature from the minibatches' Hessians
instead, with the "auto" multiple 2: :mod:`sk_softmax.solvers._online_exact`.
The factors above serve the larger ones, and the cap of the exact Hessian.
Early steps that would raise their batch's objective are halved, and no step moves a
logit of a row of its batch by more than ``MAX_MOVE`` (``_online_guard``).

The factors' eigendecompositions are refreshed on the first five steps and
then whenever the weight seen has grown by 25% (a step in between scales the
refreshed inverse by ``n_refresh / n``), so that their cost vanishes on long
streams (against refreshing on ten steps and at 10% growth, the excess held-out
log-loss of six tables moved by under a point, at half the cost).
Wider data (more than ``_FULL_FEATURES`` columns, text say) keep
the features' variances only: the feature factor is then the identity in the
standardised coordinates.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import sparse

from ..datafits.standardized import Coordinates, standard_scales
from ._online_exact import (
    block_caps,
    block_direction,
    block_eligible,
    eligible,
    exact_direction,
    standard_rows,
    update_blocks,
)
from ._online_guard import guarded_step
from ._online_moments import check_moments, update_moments

# Above this many features the feature factor keeps variances only (d x d is too much).
_FULL_FEATURES = 512
# Refresh the factors' inverses when the weight seen has grown by this factor.
_REFRESH_GROWTH = 1.25
_REFRESH_FIRST = 5
# learning_rate="auto": the measured best multiple of the step, per curvature
AUTO_RATE = {"exact": 2.0, "blocks": 2.0, "kronecker": 3.0}
# A row's own term of a step may move its own logits by at most this much.
_SELF_CHANGE = 2.0


class _Cache(NamedTuple):
    """The refreshed factors: the standardising map, the class modes ``vectors``,
    the per-mode inverses of the curvature, the weight seen ``n`` at the refresh,
    the pseudo-inverse of the class factor ``S / n`` and its largest absolute row
    sum, the pseudo-inverse of the feature factor
    (None on wide data, where it is the identity), and the largest eigenvalue of
    the latter."""

    coordinates: Coordinates
    vectors: np.ndarray
    inverses: np.ndarray
    n: float
    class_pinv: np.ndarray
    class_bound: float
    feature_pinv: np.ndarray | None
    feature_bound: float


@dataclass
class OnlineState:
    """What ``partial_fit`` carries from one minibatch to the next.

    Attributes
    ----------
    coef : ndarray of shape (n_classes, n_dof)
        The model, in the original coordinates (intercept last).
    fit_intercept : bool
    t : int
        Number of steps taken.
    n_seen : float
        Total sample weight seen (the online penalty is ``1 / (C n_seen)``).
    class_totals : ndarray of shape (n_classes,)
        Sample weight seen per class (for online "balanced" weights).
    mean : ndarray of shape (n_features,)
        The weighted mean of the rows seen.
    comoment : ndarray of shape (n_features, n_features) or (n_features,)
        Their weighted sum of centred outer products (its diagonal only on wide
        data and with the "blocks" curvature).
    class_curvature : ndarray of shape (n_classes, n_classes)
        ``sum_i s_i (diag p_i - p_i p_i^T)`` over the samples seen.
    curvature : {"exact", "blocks", "kronecker"}
        The curvature of the steps, by the model's size
        (:mod:`sk_softmax.solvers._online_exact`): the exact Hessian, its class
        blocks, or its Kronecker factors.
    hessian : ndarray or None
        "exact": the running average of the minibatches' mean Hessians, shape
        (n_classes * n_dof, n_classes * n_dof); "blocks": of their class
        blocks, shape (n_classes, n_dof, n_dof); in the coordinates
        ``hessian_coordinates``. "blocks" keeps the inverses of the systems
        (``block_inverse``) at the weight seen ``block_n``, and bounds (``block_caps``).
    """

    coef: np.ndarray
    fit_intercept: bool
    t: int = 0
    n_seen: float = 0.0
    class_totals: np.ndarray | None = None
    mean: np.ndarray | None = None
    comoment: np.ndarray | None = None
    class_curvature: np.ndarray | None = None
    curvature: str = "kronecker"
    hessian: np.ndarray | None = None
    hessian_coordinates: Coordinates | None = None
    block_inverse: np.ndarray | None = None
    block_bound: float = 0.0
    block_pooled: np.ndarray | None = None
    block_n: float = 0.0
    _cache: tuple | None = None

    @classmethod
    def start(cls, coef, fit_intercept):
        """A state at ``coef`` (shape (n_classes, n_dof)) that has seen nothing."""
        n_classes, n_dof = coef.shape
        n_features = n_dof - int(fit_intercept)
        full = n_features <= _FULL_FEATURES
        state = cls(np.array(coef, dtype=np.float64), fit_intercept)
        if eligible(n_classes, n_dof, full):
            state.curvature = "exact"
        elif block_eligible(n_classes, n_dof, full):
            state.curvature = "blocks"
            full = False  # the blocks need the features' variances only
        state.coef -= state.coef.mean(axis=0)
        state.class_totals = np.zeros(n_classes)
        state.mean = np.zeros(n_features)
        state.comoment = np.zeros((n_features, n_features) if full else n_features)
        state.class_curvature = np.zeros((n_classes, n_classes))
        return state

    def copy(self):
        """A shallow copy: the same arrays, which the steps replace, never change."""
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        return twin

    def original_coef(self):
        """The model, shape (n_classes, n_dof)."""
        return self.coef.copy()

    @property
    def coordinates(self):
        """The standardising map of the rows seen (:class:`Coordinates`)."""
        return self._coordinates()[0]

    def _coordinates(self):
        n = max(self.n_seen, np.finfo(np.float64).tiny)
        second = self.comoment if self.comoment.ndim == 1 else np.diag(self.comoment)
        variance = np.maximum(second / n, 0.0)
        if not self.fit_intercept:  # no centring: the root mean square
            variance = variance + self.mean**2
        scale = standard_scales(np.sqrt(variance), 0.0)
        return Coordinates(self.mean.copy(), scale, self.fit_intercept), scale  # a snapshot


def _proba(X, coef, fit_intercept):
    """The softmax of the scores, in place (scipy's ``softmax``, without its checks)."""
    n_features = X.shape[1]
    raw = np.asarray(X @ coef[:, :n_features].T, dtype=np.float64)  # a new array
    if fit_intercept:
        raw += coef[:, -1]
    raw -= raw.max(axis=1, keepdims=True)
    np.exp(raw, out=raw)
    raw /= raw.sum(axis=1, keepdims=True)
    return raw


def _feature_factor(state, scale):
    """``E[x~ x~^T]`` in the standardised coordinates (correlations, intercept last)."""
    d = state.mean.shape[0]
    second = state.comoment / state.n_seen
    if not state.fit_intercept:
        second = second + np.outer(state.mean, state.mean)
    factor = np.zeros((d + int(state.fit_intercept),) * 2)
    factor[:d, :d] = second / np.outer(scale, scale)
    if state.fit_intercept:
        factor[d, d] = 1.0
    return factor


def _refresh(state, C):
    """``(coordinates, U, inverses, n)``: the factors' inverse for the steps to come.

    With ``S / n = U diag(a) U^T``, the curvature ``n S/n (x) F + I (x) Lambda``
    (``Lambda`` the penalty's, per standardised column) is, in the basis of
    ``U``, one feature system ``n a_k F + Lambda`` per class mode ``k``. The
    mode of the common shift of the class rows (``a_k = 0``: it changes no
    prediction) is left out of the steps.
    """
    coordinates, scale = state._coordinates()
    n = state.n_seen
    if state.curvature == "blocks":  # only the coordinates: the blocks are their own
        return _Cache(coordinates, None, None, n, None, 0.0, None, 0.0)
    d = state.mean.shape[0]
    penalty = np.zeros(d + int(state.fit_intercept))
    if np.isfinite(C):
        penalty[:d] = 1.0 / (C * scale**2)
    values, vectors = np.linalg.eigh(state.class_curvature / n)
    keep = values > 1e-12 * max(values.max(), np.finfo(np.float64).tiny)
    values, vectors = values[keep], vectors[:, keep]
    class_pinv = (vectors / values) @ vectors.T
    class_bound = float(np.abs(class_pinv).sum(axis=1).max())
    # a tiny floor keeps an unpenalised intercept of a flat mode solvable
    floor = 1e-12 * max(values.max(initial=0.0), np.finfo(np.float64).tiny) * n
    if state.comoment.ndim == 1:  # wide data: the feature factor is the identity
        inverses = 1.0 / (n * values[:, None] + penalty + floor)
        return _Cache(coordinates, vectors, inverses, n, class_pinv, class_bound, None, 1.0)
    feature = _feature_factor(state, scale)
    systems = n * values[:, None, None] * feature
    systems += np.diag(penalty + floor)
    try:  # positive definite: the floor is on the diagonal
        inverses = np.linalg.inv(systems)
    except np.linalg.LinAlgError:
        inverses = np.linalg.pinv(systems, hermitian=True)
    spectrum, basis = np.linalg.eigh(feature)
    keep = spectrum > 1e-12 * spectrum.max()
    feature_pinv = (basis[:, keep] / spectrum[keep]) @ basis[:, keep].T
    bound = 1.0 / spectrum[keep].min()
    return _Cache(coordinates, vectors, inverses, n, class_pinv, class_bound, feature_pinv, bound)


def _direction(cache, grad):
    """``A^{-1} grad`` in standardised coordinates, from a refreshed cache."""
    vectors, inverse = cache.vectors, cache.inverses
    rotated = vectors.T @ grad
    if inverse.ndim == 3:
        rotated = np.matmul(inverse, rotated[:, :, None])[:, :, 0]
    else:
        rotated = rotated * inverse
    return vectors @ rotated


def observe(state, X, weights, proba=None):
    """Add the rows ``X`` to the state's curvature, moments and weight seen; no step.

    ``proba``: the model's probabilities on them (computed if None). Rows of
    zero total weight are ignored.
    """
    total = float(weights.sum())
    if not total > 0:
        return
    if proba is None:
        proba = _proba(X, state.coef, state.fit_intercept)
    weighted = proba * weights[:, None]
    state.class_curvature = state.class_curvature + (
        np.diag(weighted.sum(axis=0)) - weighted.T @ proba
    )
    update_moments(state, X, weights, total)
    state.n_seen += total


def _standard_norms(coordinates, X, fit_intercept):
    """``||x~_i||^2`` of the rows in the standardised coordinates (intercept included)."""
    inv2 = 1.0 / coordinates.scale**2
    if sparse.issparse(X):  # stays sparse: (x - m)^2 / s^2 expanded
        norms = np.asarray(X.multiply(X) @ inv2).ravel() - 2.0 * (X @ (coordinates.mean * inv2))
        norms = np.maximum(norms + float(coordinates.mean**2 @ inv2), 0.0)
    else:
        norms = np.square(X - coordinates.mean) @ inv2
    return norms + float(fit_intercept)


def _row_caps(cache, X, residual, fit_intercept, factor):
    """Each row's multiplier (at most 1) capping its pull on its own logits, or None.

    A row's own term of a step ``factor * A^{-1} G`` moves its logits by
    ``factor h_i S^+ r_i / n`` (``r_i = p_i - y_i``; ``h_i = x~_i^T F^+ x~_i``,
    its leverage under the feature factor ``F``; ``S / n`` the class factor),
    counted without the row's weight, so that a row of weight 2 and two
    copies of it are capped alike. ``h_i`` is bounded by ``||x~_i||^2`` over
    the smallest eigenvalue of ``F`` first; only rows that bound lets over the
    cap get their exact leverage. None when no row can reach the cap.
    """
    norms = _standard_norms(cache.coordinates, X, fit_intercept) * cache.feature_bound
    # |S^+ r_i| <= |S^+|_inf since |r_i| <= 1: most steps of a long stream stop here
    if factor * cache.class_bound * norms.max() <= _SELF_CHANGE:
        return None
    change = factor * np.abs(residual @ cache.class_pinv).max(axis=1)
    over = np.flatnonzero(change * norms > _SELF_CHANGE)
    if over.size and cache.feature_pinv is not None:
        Z = standard_rows(cache.coordinates, X[over], fit_intercept)
        norms[over] = np.einsum("ij,ij->i", Z @ cache.feature_pinv, Z)
    change *= norms
    return _SELF_CHANGE / np.maximum(change, _SELF_CHANGE)  # min(1, cap / change)


def online_step(state, X, y_codes, weights, C, learning_rate):
    """One step of the online rule on a minibatch; updates ``state``.

    The state's attributes are replaced, never changed in place, so that a
    shallow copy of the state taken before the step is the state before it
    (a ``partial_fit`` interrupted after the step, by a callback, keeps it).

    ``weights``: the samples' weights ``s_i`` (class weights included), with
    a positive, finite total. ``learning_rate`` multiplies the recursive
    least squares step; "auto" is ``AUTO_RATE`` (see the module's notes). A
    row whose own term would move its own logits by more than
    ``_SELF_CHANGE`` has its term scaled down to that.
    """
    if learning_rate == "auto":
        learning_rate = AUTO_RATE[state.curvature]
    proba = _proba(X, state.coef, state.fit_intercept)
    observe(state, X, weights, proba)
    check_moments(state, X)
    state.t += 1
    cache = state._cache
    if cache is None or state.t <= _REFRESH_FIRST or state.n_seen > _REFRESH_GROWTH * cache.n:
        cache = state._cache = _refresh(state, C)
    coordinates, kind = cache.coordinates, state.curvature
    residual = proba if kind == "kronecker" else proba.copy()
    residual[np.arange(len(y_codes)), y_codes] -= 1.0
    Z = None if kind == "kronecker" else standard_rows(coordinates, X, state.fit_intercept)
    if kind == "blocks":
        update_blocks(state, coordinates, Z, proba, weights, C)
        cap = block_caps(state, Z, residual, learning_rate, _SELF_CHANGE)
    else:
        cap = _row_caps(cache, X, residual, state.fit_intercept, learning_rate / state.n_seen)
    residual *= (weights if cap is None else weights * cap)[:, None]
    grad = np.asarray(X.T @ residual).T
    if state.fit_intercept:
        grad = np.hstack([grad, residual.sum(axis=0)[:, None]])
    if np.isfinite(C):  # the batch's share of the penalty's gradient
        share = float(weights.sum()) / (C * state.n_seen)
        grad[:, : X.shape[1]] += share * state.coef[:, : X.shape[1]]
    grad_std = coordinates.pull_back(grad.ravel(), grad.shape[0]).reshape(grad.shape)
    if kind == "exact":
        step_std = exact_direction(state, coordinates, Z, proba, weights, grad_std, C)
    elif kind == "blocks":
        step_std = block_direction(state, grad_std)
    else:
        step_std = _direction(cache, grad_std) * (cache.n / state.n_seen)
    step = coordinates.to_original(step_std * learning_rate)  # a linear map
    multiple = learning_rate * float(weights.sum()) / state.n_seen
    state.coef = guarded_step(state, X, y_codes, weights, C, step, multiple)
