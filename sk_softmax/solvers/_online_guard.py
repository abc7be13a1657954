"""The online rule's guard against steps that raise the batch's own objective.

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

from ..datafits.numpy import SoftmaxDatafit

GUARD_SHARE = 0.1
_HALVINGS = 6


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
    if multiple < GUARD_SHARE:  # in place: most steps of a stream
        state.coef -= step
        state.coef -= state.coef.mean(axis=0)
        return state.coef
    new = state.coef - step
    new -= new.mean(axis=0)
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
