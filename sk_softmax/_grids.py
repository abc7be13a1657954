"""The grids of ``C`` a path runs over: ``C_0`` of a sparse penalty, and the CV's grids.

A sparse model's grid starts at ``C_0``, the largest ``C`` at which every
penalised weight is zero (glmnet's ``lambda_max``, closed form from the
gradient at the intercept-only model), and rises from there; the ridge's is
``np.logspace(-4, 4, Cs)``, as ``LogisticRegressionCV``'s. Used by
:func:`sk_softmax.softmax_path` and :class:`sk_softmax.SoftmaxClassifierCV`.
"""

import warnings
from dataclasses import replace
from numbers import Integral, Real

import numpy as np

from ._fit import Settings, build_problem, start_point
from ._validation import checked_Cs
from ._weights import weigh
from .backends.numpy import NumpyData


def zero_C(data, weights, settings):
    """The largest ``C`` at which every penalised coefficient is zero (``l1_ratio > 0``).

    At ``W = 0`` the intercepts' optimum is the log-prior, where the data
    term's gradient ``G`` (in the original coordinates) has no intercept
    part. ``W = 0`` is optimal exactly while every group of ``G`` lies in its
    ball, ``||G_g|| <= alpha r w_g``: down to ``alpha_max = max_g ||G_g|| /
    (r w_g)``, that is ``C_0 = 1 / (S alpha_max)`` (glmnet's ``lambda_max``,
    in ``C``'s units). Computed in the solvers' coordinates, where the
    gradient and the group weights are divided by the same column scales.
    ``inf`` when that gradient is zero to rounding (``eps``; features of
    zeros or constants): ``W = 0`` at every ``C``.
    """
    problem = build_problem(data, weights, replace(settings, C=1.0))
    start = start_point(problem, settings.tol)
    _, grad = problem.datafit.loss_gradient(problem.to_solver(start))
    norm = problem.solver_penalty.nonsmooth_part()
    dual = norm.dual_norm(np.reshape(grad, problem.shape)[:, : data.n_features])
    if not dual > np.finfo(np.float64).eps:  # zero, to rounding: zeros, constants
        return np.inf
    total = weights.scale * weights.total
    return settings.l1_ratio / (dual * total)


NO_PULL = (
    "No feature pulls any weight away from zero, at any C: at the intercept-only model "
    "the data term's gradient is zero, to rounding, for every feature (features of zeros, "
    "or constants), so there is no C_0, the largest C with every weight zero, to start "
    "a grid from."
)


def checked_grid(Cs, C_ratio):
    """``Cs`` checked as :class:`SoftmaxClassifierCV` checks it, and ``C_ratio`` if it is used."""
    Cs = checked_Cs(Cs)
    if isinstance(Cs, Integral):
        if Cs < 1:
            raise ValueError(f"Cs must be at least 1 (the number of values of C); got {Cs}.")
        if isinstance(C_ratio, bool) or not (isinstance(C_ratio, Real) and 1 <= C_ratio < np.inf):
            raise ValueError(
                f"C_ratio must be a finite number of at least 1 (the grid ends at C_0 * C_ratio); "
                f"got {C_ratio!r}. The default, 1e4, is glmnet's."
            )
    return Cs


def cv_grids(X, y_codes, classes, sample_weight, params, Cs, l1_ratios):
    """The grid of ``C`` for each l1_ratio, shape (n_l1_ratios, n_Cs).

    An int ``Cs`` gives, for the ridge (``l1_ratio = 0``),
    ``np.logspace(-4, 4, Cs)``, and for a sparse penalty that many values
    evenly spaced in ``log C`` above ``C_0`` (:func:`zero_C` on all the
    rows), up to ``1e4 C_0``: ``C_0`` itself would give the intercept-only
    model, known without a fit (the paths start from it), not worth a
    score (the ridge's grid, with a warning, when no feature pulls: every
    ``C`` then gives the intercept-only model); an array is every
    l1_ratio's grid.
    """
    if not isinstance(Cs, Integral):
        return np.tile(Cs, (len(l1_ratios), 1))
    data = NumpyData(X, y_codes, classes)
    grids = []
    for l1_ratio in l1_ratios:
        if l1_ratio == 0:
            grids.append(np.logspace(-4, 4, Cs))
            continue
        settings = Settings.of(params, C=1.0, l1_ratio=l1_ratio)
        weights = weigh(data, sample_weight, settings.class_weight, settings.C)
        C_0 = zero_C(data, weights, settings)
        if np.isinf(C_0):  # every C gives the intercept-only model: the ridge's grid
            warnings.warn(
                f"{NO_PULL} l1_ratio={l1_ratio}: every C gives the intercept-only model; "
                "its grid is the ridge's, np.logspace(-4, 4, Cs).",
                UserWarning,
                stacklevel=5,  # fit's caller: through cv_grids, fit and its two decorators
            )
            grids.append(np.logspace(-4, 4, Cs))
            continue
        grids.append(C_0 * np.logspace(4 / Cs, 4, Cs))
    return np.array(grids)
