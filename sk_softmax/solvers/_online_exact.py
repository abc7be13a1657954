"""``partial_fit``'s curvature from the minibatches' Hessians, for models of moderate size.

The Kronecker factors of :mod:`sk_softmax.solvers.online` assume that a row's
class probabilities do not depend on its features, which a fitted model
contradicts: near the optimum most rows are predicted with confidence and the
curvature sits on the few that are not. Models of at most ``EXACT_DOF``
coefficients keep the exact Hessian instead,

    H_B = 1/S_B sum_{i in B} s_i (diag p_i - p_i p_i^T) (x) z_i z_i^T,

of each minibatch at the iterate it is seen at (``z = (x~ - m) / s``, the
standardised row with its intercept), in an exponential average that keeps
half of the previous one per step: the curvature near the current iterate,
not the sum of the curvature at every iterate since the start (which, taken
where every class is about equally probable, overstates it). The step solves
``(n H + Lambda) delta = G`` (``n`` the weight seen, ``Lambda`` the penalty).
Once a batch is a small part of the stream it weighs at most five times its
share of the weight seen: the average then spans the stream's latest part
(batch ``b`` keeps about ``(n_b / n)^5``), which the ``1/t`` steps move
little, rather than its last two batches, whose curvature is noisy.
A step costs ``m (K D)^2`` for the Hessian and ``(K D)^3 / 3`` for its
Cholesky factor, hence the cap on ``K D``.

Larger models whose class blocks cost at most ``BLOCK_COST`` per row (``K
D^2``) keep the blocks ``Z^T diag(s p_k (1 - p_k)) Z`` only, averaged the same
way and re-estimated on the first ten steps, then at 5% growth of the weight
seen (on long streams their cost then vanishes), with the per-row cap of
:mod:`sk_softmax.solvers.online` computed under them exactly.

Measured (3 repeats of ``benchmarks/bench_online.py``'s protocol, excess
held-out log-loss after 1 / 3 epochs, Kronecker factors with the per-row cap
-> this): exact on penbased +36/+19 -> +14/+0.9, satimage +15/+9 -> +5/+2,
segment +42/+15 -> +40/+0.7, vowel +118/+6 -> +24/+1.2; blocks on optdigits
+31/+17 -> +14/+13, digits +70/+31 -> +39/-6, letter +6.3/+3.4 -> +4.7/+1.8,
products-40 +2.3/+0.6 -> +0.9/+0.1. The exact Hessian on the models of 442 to
650 coefficients did no better than the blocks, at 10 to 20 times the cost.
"""

import numpy as np
from scipy import sparse

# Models with at most this many coefficients (classes times columns, intercept
# included) keep the exact curvature.
EXACT_DOF = 256
# The weight the previous average keeps at a step of a batch of weight _KEEP_WEIGHT or more
# (64 rows of unit weight; the benchmarks' minibatches are 256 rows); a lighter batch weighs
# in proportion to its weight (integer weights stay repeated rows), so that the average spans
# at least about twice that weight. With half and half at every batch, minibatches of one row
# made the curvature that of the last row or two: near zero once those rows were predicted
# confidently, and the steps it gave ran to inf (raw breast_cancer one row at a time, and
# C=inf on standardised data, sent the coefficients to 1e3-1e17, then NaN).
_KEEP = 0.5
_KEEP_WEIGHT = 64.0
# ... but never more than _SPAN times its share of the weight seen: once the batches are small
# against the stream, batch b keeps a weight of about (n_b / n)^_SPAN, so the average spans a
# fixed part of the stream (its last fifth or so, where the 1/t steps move the model little)
# instead of the last two batches, whose curvature is noisy. Measured (3 repeats, excess
# held-out log-loss after 1 / 3 / 10 epochs, half per batch -> this): penbased
# +13.8/+0.9/-3.7 -> +12.7/-1.7/-7.5 (the C = E optima: 0/-6.3/-8.8), optdigits
# +13.7/+13.4/+34.8 -> +12.9/+9.7/+25.7; the objective gap to the C = E optimum after 10
# epochs, penbased 5.8% -> 0.7%, satimage 2.0% -> 0.14%. 3 and 8 did no better than 5.
_SPAN = 5.0


def _average(previous, batch, weight, share):
    """The running curvature after a batch of ``weight``, ``share`` of the weight seen.

    ``previous`` kept as above, but never more than the weight seen before
    the batch: until the average spans its weight it is the plain mean of
    every batch seen (a batch of one row then counts as much as the row
    before it, whose curvature lies along that row alone); and a batch
    counts at most ``_SPAN`` times its share of the weight seen, so that on
    long streams the average spans their latest part, not their last batches.
    """
    if previous is None:
        return batch
    new = max(min((1.0 - _KEEP) * min(1.0, weight / _KEEP_WEIGHT), _SPAN * share), share)
    return (1.0 - new) * previous + new * batch


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
    if state.hessian is not None and state.hessian_coordinates is not coordinates:
        state.hessian = remap(state.hessian, state.hessian_coordinates, coordinates, n_classes)
    total = float(weights.sum())
    state.hessian = _average(state.hessian, batch, total, total / state.n_seen)
    state.hessian_coordinates = coordinates
    system = state.n_seen * state.hessian
    penalty = np.zeros(n_dof)
    if np.isfinite(C):
        penalty[: coordinates.n_features] = 1.0 / (C * coordinates.scale**2)
    # a tiny floor keeps the classes' common shift (no curvature) solvable
    floor = 1e-12 * max(np.trace(system) / len(system), np.finfo(np.float64).tiny)
    system[np.diag_indices_from(system)] += np.tile(penalty, n_classes) + floor
    # numpy's LAPACK, not scipy's: numpy's products and scipy's Cholesky (each wheel with
    # its own OpenBLAS threads) made the two pools fight on a quiet two-core machine,
    # 7 to 9 times slower (penbased 26k -> 197k samples/s, segment 20k -> 183k)
    try:
        solved = np.linalg.solve(system, grad.ravel())
    except np.linalg.LinAlgError:
        solved = np.linalg.lstsq(system, grad.ravel())[0]
    return solved.reshape(n_classes, n_dof)


# -- class blocks, for larger models ---------------------------------------------------
# Models above EXACT_DOF keep the Hessian's class blocks if a block update costs
# at most this much per row (n_classes * n_dof^2), else the Kronecker factors.
BLOCK_COST = 65536
# The blocks are re-estimated on the first _BLOCK_FIRST steps, then when the
# weight seen has grown by _BLOCK_GROWTH since the last estimate.
_BLOCK_FIRST = 10
_BLOCK_GROWTH = 1.05


def block_eligible(n_classes, n_dof, full_features):
    """Whether a model of this shape keeps the class blocks of the Hessian."""
    return full_features and n_classes * n_dof**2 <= BLOCK_COST


def batch_blocks(Z, proba, weights):
    """The class blocks ``Z^T diag(s p_k (1 - p_k)) Z / S`` of the batch's Hessian, (K, D, D)."""
    curvature = proba * (1.0 - proba) * (weights / weights.sum())[:, None]
    weighted = curvature.T[:, :, None] * Z  # (K, m, D)
    return np.matmul(weighted.transpose(0, 2, 1), Z)


def update_blocks(state, coordinates, Z, proba, weights, C):
    """Re-estimate the blocks when due; their inverses ``(n H_k + Lambda)^{-1}`` in the state.

    When only the coordinates moved (a refresh of the moments), the blocks
    and their inverses are carried over exactly: with ``T`` taking new
    coefficients to old ones, ``H -> T^T H T`` and ``A^{-1} -> T^{-1} A^{-1}
    T^{-T}`` (the penalty on the original coefficients transforms alike).
    """
    moved = state.hessian is not None and state.hessian_coordinates is not coordinates
    due = state.t <= _BLOCK_FIRST or state.n_seen > _BLOCK_GROWTH * state.block_n
    if moved:
        old, eye = state.hessian_coordinates, np.eye(Z.shape[1])
        T = old.to_standardized(coordinates.to_original(eye)).T
        T_inv = coordinates.to_standardized(old.to_original(eye)).T
        state.hessian = T.T @ state.hessian @ T
        state.block_inverse = T_inv @ state.block_inverse @ T_inv.T
        state.block_bound = _frobenius(state.block_inverse)
        state.block_pooled = None  # their sum, made when block_caps needs it
    state.hessian_coordinates = coordinates
    if not (due or state.hessian is None):
        return
    batch = batch_blocks(Z, proba, weights)
    total = float(weights.sum())
    # the estimate stands for the weight seen since the last one (at least the batch's)
    since = max(state.n_seen - state.block_n, total) if state.hessian is not None else total
    state.hessian = _average(state.hessian, batch, total, since / state.n_seen)
    penalty = np.zeros(Z.shape[1])
    if np.isfinite(C):
        penalty[: coordinates.n_features] = 1.0 / (C * coordinates.scale**2)
    systems = state.n_seen * state.hessian
    floor = 1e-12 * max(np.trace(systems, axis1=1, axis2=2).max() / Z.shape[1], 1e-300)
    systems += np.diag(penalty + floor)
    try:
        state.block_inverse = np.linalg.inv(systems)
    except np.linalg.LinAlgError:
        state.block_inverse = np.linalg.pinv(systems, hermitian=True)
    state.block_bound = _frobenius(state.block_inverse)
    state.block_pooled = None
    state.block_n = state.n_seen


def _frobenius(blocks):
    """The largest Frobenius norm of the blocks: a bound on their largest eigenvalue."""
    return float(np.sqrt(np.einsum("kij,kij->k", blocks, blocks).max()))


def block_caps(state, Z, residual, factor, cap):
    """Each row's multiplier capping its own logits' move under the blocks, or None.

    Row ``i``'s own term moves its logit ``k`` by ``factor (n_b / n) z_i^T
    A_k^{-1} z_i r_ik``; bounded first by ``|z_i|^2`` times the largest
    Frobenius norm of the inverses, then row by row by ``z_i^T (sum_j
    A_j^{-1}) z_i max_k |r_ik|`` (each ``A_j^{-1}`` is positive semidefinite,
    so the sum bounds every class's leverage): one product instead of ``K``,
    and only the rows that bound lets over the cap get their ``K`` exact
    leverages. The others' multiplier is 1 either way. Measured on a
    ``make_classification`` stream (256-row batches of 50 features, 10
    classes): every row passed the first bound, 0.5% needed the cap, and the
    ``K`` leverages of every row were 40% of a step (on bench_scale.py's
    stream most steps stop at the first bound).
    """
    scale = factor * state.block_n / state.n_seen
    norms = np.einsum("ij,ij->i", Z, Z)
    if scale * state.block_bound * norms.max() <= cap:
        return None
    if state.block_pooled is None:
        state.block_pooled = state.block_inverse.sum(axis=0)
    pooled = np.einsum("ij,ij->i", Z @ state.block_pooled, Z)
    over = np.flatnonzero(scale * pooled * np.abs(residual).max(axis=1) > cap)
    if over.size == 0:
        return None
    rows = Z[over]
    leverage = np.einsum("md,kmd->mk", rows, np.matmul(rows[None], state.block_inverse))
    change = np.zeros(Z.shape[0])
    change[over] = scale * np.abs(leverage * residual[over]).max(axis=1)
    return cap / np.maximum(change, cap)


def block_direction(state, grad):
    """``(n_b / n) A^{-1} grad`` with the latest blocks, shape (K, D)."""
    solved = np.matmul(state.block_inverse, grad[:, :, None])[:, :, 0]
    return solved * (state.block_n / state.n_seen)
