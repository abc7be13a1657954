"""The online rule's guards: against steps that raise the batch's own objective, and
against steps that move a logit of the batch by more than ``MAX_MOVE``.

A step of :mod:`sk_softmax.solvers.online` is ``learning_rate`` times the
batch's share of the weight seen times a Newton step on the curvature it
keeps. Where that curvature is far below the batch's (a stream that starts
from a fitted model, whose confident predictions have almost no curvature,
and a first batch that carries the whole penalty), the step can go far past
the batch's optimum: continuing a fit on the digits with a batch of 50 rows
sent the intercepts to +-14 and every prediction wrong. So while a step is a
sizeable part of a Newton step on the batch (``learning_rate`` times the
share at least ``GUARD_SHARE``), it is halved, up to six times, until the
batch's objective (its weighted cross-entropy plus its share of the penalty)
is no higher than before. The deliberate early overshoot of the rule (up to
about twice the minimum along the step, where a quadratic comes back to its
starting value) passes; long streams never pay for the check.
"""

import numpy as np
from scipy import sparse

from ..datafits.numpy import SoftmaxDatafit

GUARD_SHARE = 0.1
_HALVINGS = 6
# No step moves a logit of a row of its batch (relative to the row's other classes) by more
# than this: past it a step only saturates the probabilities, where the curvature (and so
# the next steps' damping) vanishes. Minibatches of one row on raw data, or without a
# penalty, sent the coefficients to 1e17 and then NaN before it; steps of streams that
# converge move logits by far less (a row's own term by at most 2, online.py).
MAX_MOVE = 20.0


def _objective(datafit, coef, strength):
    """The batch's weighted cross-entropy plus ``strength / 2 * ||W||^2`` (features only)."""
    weights = coef[:, : datafit.shape[1] - int(datafit.fit_intercept)]
    penalty = 0.5 * strength * float(np.sum(weights**2))
    return datafit.loss(coef.ravel()) * datafit.total_weight + penalty


def guarded_step(state, X, y_codes, weights, C, step, multiple):
    """``state.coef - t * step`` (centred), ``t`` halved from 1 while the batch's objective rises.

    ``multiple``: the step as a multiple of a Newton step on the batch
    (``learning_rate`` times its share of the weight seen); below
    ``GUARD_SHARE`` the step is taken as it is.
    """
    step = _capped(step, X[weights > 0] if not np.all(weights > 0) else X, state.fit_intercept)
    # a new array, never state.coef changed in place: partial_fit steps a copy of the state
    new = state.coef - step
    new -= new.mean(axis=0)
    if multiple < GUARD_SHARE:  # most steps of a stream
        return new
    strength = float(weights.sum()) / (C * state.n_seen) if np.isfinite(C) else 0.0
    n_classes = state.coef.shape[0]
    batch = SoftmaxDatafit(X, y_codes, n_classes, weights, state.fit_intercept)
    before = _objective(batch, state.coef, strength)
    for _ in range(_HALVINGS):
        if _objective(batch, new, strength) <= before:
            break
        step = 0.5 * step
        new = state.coef - step
        new -= new.mean(axis=0)
    return new


def _capped(step, X, fit_intercept):
    """``step`` scaled so that it moves no logit of a row of ``X`` by more than ``MAX_MOVE``.

    ``X``: the batch's rows of positive weight (a row of weight zero is no
    part of the objective, and must not hold a step back).

    The moves are bounded first by the norm of the whole batch times the
    step's (Cauchy-Schwarz; two dot products), then by the largest row's
    norm: the steps of a long stream stop there.
    """
    if X.shape[0] == 0:
        return step
    data = X.data if sparse.issparse(X) else X
    step_norm = float(np.vdot(step, step))
    if not (float(np.vdot(data, data)) + fit_intercept) * step_norm > MAX_MOVE**2:
        return step  # (also for NaN: such a step is caught below)
    rows = X.multiply(X).sum(axis=1) if sparse.issparse(X) else np.einsum("ij,ij->i", X, X)
    if not (float(np.max(rows)) + fit_intercept) * step_norm > MAX_MOVE**2:
        return step
    with np.errstate(over="ignore", invalid="ignore"):  # a step that overflowed: NaN here
        moves = np.asarray(X @ step[:, : X.shape[1]].T)
        if fit_intercept:
            moves = moves + step[:, -1]
        largest = float(np.max(moves.max(axis=1) - moves.min(axis=1))) / 2
    if not np.isfinite(largest):
        return np.zeros_like(step)  # a step that overflowed: none at all
    return step * (MAX_MOVE / largest) if largest > MAX_MOVE else step
