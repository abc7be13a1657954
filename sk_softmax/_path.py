"""A warm-started regularisation path: the fit pipeline at every ``C`` of a fold.

For the training rows of one fold the model is fitted at every ``C``, from
the smallest to the largest, each fit starting from the previous ``C``'s
solution or its extrapolation (the optimum moves smoothly with ``log
C``, so Newton needs a few steps instead of a cold start's many). Weights,
column moments and (on small dense data) the standardised design are
computed once per fold; each ``C`` builds its problem
(:func:`sk_softmax._fit.build_problem`) and runs the solver
(:func:`sk_softmax._fit.solve`), exactly as a ``SoftmaxClassifier`` fit would.
"""

import warnings
from dataclasses import replace
from numbers import Integral
from typing import NamedTuple

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._fit import Settings, build_problem, diagnose, solve, start_point
from ._grids import NO_PULL, checked_grid, zero_C
from ._threads import fit_threads
from ._weights import weigh
from .backends.numpy import NumpyData
from .solvers._smooth import SmoothObjective


class _Remembered:
    """A data term that remembers its last few values and gradients.

    :func:`_warm_start` evaluates the extrapolated start (and the last
    optimum, when its value was not kept); the solver's first evaluation,
    at the chosen one, is then free.
    """

    def __init__(self, datafit, size=3):
        self._datafit = datafit
        self._size = size
        self._memory = []

    def __getattr__(self, name):  # shape, hessian, hessp, ...: the data term's own
        return getattr(self._datafit, name)

    def loss_gradient(self, coef):
        for known, value, grad in self._memory:
            if np.array_equal(known, coef):
                return value, grad.copy()
        value, grad = self._datafit.loss_gradient(coef)
        self._memory = [*self._memory[-(self._size - 1) :], (coef.copy(), value, grad.copy())]
        return value, grad


def tangent(problem, memory, solution):
    """``d coef / d log C`` at the optimum ``solution`` of ``problem``, or None.

    At the optimum of ``f + alpha/2 ||P theta||^2`` (``alpha = 1 / (C S)``),
    differentiating ``grad f + alpha P theta = 0`` in ``log C`` gives
    ``(H + alpha P) theta' = alpha P theta``: the penalty's gradient as the
    right-hand side of a Newton system. Solved with the factor that the
    Newton-Cholesky solver left in ``memory``: no pass over the data. That
    is the last factor the fit built, of the Hessian at one of its iterates
    (the first, if the later steps reused it), so the tangent is off by the
    Hessian's change since: relative errors of 7e-4 (iris) to 5e-2 (nearly
    separable data) against a factor at the optimum, in an independent
    review's measurement; it only moves the next fit's start. None when the
    fit ran another solver, reused an older ``C``'s factor throughout, or
    took its Hessian from a subsample (tall data). In original coordinates,
    shape (n_classes, n_dof).
    """
    direction = memory.get("newton-cholesky")
    system = None if direction is None else direction.newton_system_of(problem.datafit)
    if system is None:
        return None
    rhs = problem.solver_penalty.gradient(problem.to_solver(solution))
    step = -system(rhs)
    if not np.isfinite(step).all():
        return None
    return problem.coordinates.to_original(step.reshape(problem.shape))


class _Optimum(NamedTuple):
    """A point of the path: ``log C``, the optimum (original coordinates), its
    tangent in ``log C`` (None where unknown) and its data term's value (NaN
    where unknown)."""

    log_C: float
    coef: np.ndarray
    tangent: object
    loss: float


def data_loss(result):
    """The data term's value at a fit's solution, from its ``F`` without a pass (NaN if unknown).

    ``F / (C S)`` (:meth:`~sk_softmax._weights.Weights.normalise`) less the penalty there.
    """
    problem = result.problem
    normalised = problem.weights.normalise(result.objective, problem.C)
    return normalised - problem.penalty.value(result.coef)


def _extrapolated(history, new_log_C):
    """The optimum at ``new_log_C`` extrapolated from the last two on the path, or None.

    ``history`` holds the last :class:`_Optimum` s. With the last tangent: the
    quadratic in ``log C`` through the last optimum with that tangent and
    through the one before (the tangent line if there is none); without it,
    the secant through the last two. None for ``C = inf`` or a repeated ``C``.
    """
    last = history[-1]
    step = new_log_C - last.log_C
    if not (np.isfinite(step) and step > 0):
        return None
    before = history[-2] if len(history) > 1 else None
    back = before.log_C - last.log_C if before is not None else np.nan
    if not (np.isfinite(back) and back < 0):
        return None if last.tangent is None else last.coef + step * last.tangent
    if last.tangent is None:
        return last.coef + (last.coef - before.coef) * (step / -back)
    bend = (before.coef - last.coef - back * last.tangent) / back**2
    return last.coef + step * last.tangent + step**2 * bend


def _warm_start(problem, history, new_log_C):
    """The start of the next fit on the path, in original coordinates.

    The extrapolation of the last optima (:func:`_extrapolated`) when the
    objective is lower there than at the last optimum, else that optimum:
    the optimum moves smoothly with ``log C``, and where the path bends
    slowly (large C on nearly separable classes, where the weights grow like
    ``log C``) an extrapolation starts much closer. The last optimum's value
    at the new ``C`` is known without a pass (its data term's value, kept,
    plus the new penalty); the extrapolation's takes one pass, the solver's
    first evaluation when it is chosen (:class:`_Remembered`).

    Measured (5 folds x 10 Cs of ``np.logspace(-4, 4, 10)``, Newton steps in
    all): from the last optimum alone digits took 251, the secant 167 (cold
    starts 559). The tangent (:func:`tangent`) in place of the secant:
    iris 186 -> 161, a 2310 x 19 x 7 look-alike 235 -> 205, 5000 x 20 x 5
    126 -> 117; the quadratic through the last two optima with the last tangent:
    156, 199, 116; choosing by the objective instead of the gradient's
    largest entry: 146, 192, 116 (in a flat region a start further along
    has the larger gradient and the lower objective). When the tangent cost
    conjugate-gradient products it was no faster; from the fit's own factor
    it costs two triangular solves. Tried, no better: a quadratic through
    three optima; the last optimum's weights scaled by the ratio of the Cs
    (5000 x 20 x 5).
    """
    last = history[-1]
    guess = _extrapolated(history, new_log_C)
    if guess is None:
        return last.coef
    objective = SmoothObjective(problem.datafit, problem.solver_penalty)
    value, _ = objective.loss_gradient(problem.to_solver(guess))
    if not np.isfinite(last.loss):  # unknown: one more pass
        known, _ = objective.loss_gradient(problem.to_solver(last.coef))
    else:
        known = last.loss + problem.penalty.value(last.coef)
    return guess if value < known else last.coef


def run_path(data, weights, settings, Cs, order, n_threads=1, moments=None):
    """The fits at every ``C`` of ``Cs``, in ``order``, each warm-started from the last.

    Returns the :class:`~sk_softmax._fit.FitResult` of each ``C``, in the
    order of ``Cs``. For a sparse penalty the start is the last optimum (its
    zeros are the next fit's first working set); for the ridge the better of
    it and its extrapolation (:func:`_warm_start`). The solver keeps
    its ``memory`` from one ``C`` to the next: the Newton solvers try their
    last Hessian factor (or class blocks) first, so that a path of 10 Cs on
    5 folds of 5000 x 20 x 5 builds 27 Hessians instead of 61 (and take
    205 Hessian-vector products instead of 125).
    """
    results = [None] * len(Cs)
    history = []  # the last two optima along the path (_Optimum)
    memory = {}  # the solver's, from one C to the next (its Hessian factor, say)
    shared = None  # the first C's data term, whose design the others share
    for j in order:
        at_C = replace(settings, C=Cs[j])
        problem = build_problem(data, weights, at_C, n_threads, moments, shared)
        shared = problem.datafit if shared is None else shared
        if not history:
            start = start_point(problem, settings.tol)
        elif problem.penalty.is_smooth:
            problem.datafit = _Remembered(problem.datafit)
            start = _warm_start(problem, history, np.log(Cs[j]))
        else:
            start = history[-1].coef
        results[j] = solve(problem, at_C, start, presolve=not history, memory=memory)
        coef = results[j].coef
        slope = tangent(problem, memory, coef) if problem.penalty.is_smooth else None
        history = [*history[-1:], _Optimum(np.log(Cs[j]), coef, slope, data_loss(results[j]))]
    return results


def fold_path(X, y_codes, classes, sample_weight, train, params, Cs, order):
    """The warm-started path over ``Cs`` on the rows ``train``.

    Classes with no positive weight among those rows are left out of the
    fit (a fold model never predicts them, as a SoftmaxClassifier fitted on
    rows without them would not).

    Returns
    -------
    coefs : ndarray of shape (n_Cs, n_classes, n_dof)
        In the order of ``Cs``; NaN rows for the classes left out.
    n_iter : ndarray of shape (n_Cs,)
    present : ndarray of shape (n_classes,), bool
    converged : ndarray of shape (n_Cs,), bool
        Whether the solver reached ``tol``.
    """
    n_classes, n_features = classes.size, X.shape[1]
    n_dof = n_features + int(params["fit_intercept"])
    y_train, sw_train = y_codes[train], sample_weight[train]
    present = np.bincount(y_train, weights=sw_train, minlength=n_classes) > 0
    if not present.any():
        raise ValueError(
            f"The {train.size} training rows of a fold all have zero sample_weight: there is "
            "nothing to fit. Use folds whose training rows include rows of positive weight "
            "(or leave rows of zero weight out of the data)."
        )
    keep = train[present[y_train]]
    y_fold = (np.cumsum(present) - 1)[y_codes[keep]]  # codes among the present classes
    data = NumpyData(X[keep], y_fold, classes[present])

    class_weight = params["class_weight"]
    if isinstance(class_weight, dict):  # keys of absent classes are not errors here
        known = set(data.classes.tolist())
        class_weight = {k: v for k, v in class_weight.items() if k in known}
    settings = Settings.of(params, class_weight=class_weight, C=np.max(Cs))
    weights = weigh(data, sample_weight[keep], class_weight, settings.C)
    with fit_threads() as n_threads:
        moments = data.moments(weights.weights, settings.fit_intercept)
        results = run_path(data, weights, settings, Cs, order, n_threads, moments)
    coefs = np.full((len(Cs), n_classes, n_dof), np.nan)
    coefs[:, present] = np.stack([r.coef for r in results])
    n_iter = np.array([r.n_iter for r in results])
    converged = np.array([r.converged for r in results])
    return coefs, n_iter, present, converged


def softmax_path(
    X, y, *, l1_ratio, Cs=100, C_ratio=1e4, l1_groups=None, fit_intercept=True,
    class_weight=None, tol=1e-8, max_iter=100, sample_weight=None,
):  # fmt: skip
    """The whole regularisation path of a sparse softmax model, from the empty model up.

    Fits :class:`SoftmaxClassifier` (``l1_ratio > 0``) at every ``C`` of a
    grid, each fit warm-started from the previous one. With ``Cs`` an int,
    the grid holds that many values spaced evenly in ``log C`` from ``C_0``,
    the largest ``C`` at which every weight is zero (glmnet's
    ``lambda_max``: ``C_0 = l1_ratio / (S max_g ||G_g|| / w_g)``, ``G`` the
    gradient of the data term at the intercept-only model, ``S`` the total
    weight), up to ``C_0 * C_ratio`` (glmnet's default path, ``lambda``
    down to ``1e-4 lambda_max``).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    l1_ratio : float in (0, 1]
        As in :class:`SoftmaxClassifier`.
    Cs : int or array-like of shape (n_Cs,), default=100
        The grid, or how many values (see above).
    C_ratio : float, default=1e4
        The end of an int grid, as a multiple of ``C_0``.
    l1_groups, fit_intercept, class_weight, tol, max_iter
        As in :class:`SoftmaxClassifier`.
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    Cs : ndarray of shape (n_Cs,)
        The values of ``C``, increasing when ``Cs`` was an int.
    coefs : ndarray of shape (n_Cs, n_classes, n_features + fit_intercept)
        The coefficients at each ``C``, the intercept in the last column.
    n_nonzero : ndarray of shape (n_Cs,)
        The number of features with a non-zero weight in some class.

    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sk_softmax import softmax_path
    >>> X, y = load_wine(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> Cs, coefs, n_nonzero = softmax_path(X, y, l1_ratio=1.0, Cs=5)
    >>> coefs.shape
    (5, 3, 14)
    >>> n_nonzero.tolist()
    [0, 9, 10, 10, 10]
    """
    from ._classifier import SoftmaxClassifier
    from .backends.array_api import PATHS_FIX, check_numpy_only
    from .backends.numpy import fit_data

    check_numpy_only(X, "softmax_path", PATHS_FIX)

    estimator = SoftmaxClassifier(
        l1_ratio=l1_ratio, l1_groups=l1_groups, fit_intercept=fit_intercept,
        class_weight=class_weight, tol=tol, max_iter=max_iter,
    )  # fmt: skip
    estimator._validate_params()
    if not l1_ratio > 0:
        raise ValueError(
            f"softmax_path follows sparse models (l1_ratio > 0), got l1_ratio={l1_ratio!r}: "
            "for the ridge, fit SoftmaxClassifier at each C, or use SoftmaxClassifierCV."
        )
    Cs = checked_grid(Cs, C_ratio)
    data, sample_weight = fit_data(estimator, X, y, sample_weight)
    settings = Settings.of(estimator, C=1.0)
    weights = weigh(data, sample_weight, class_weight, settings.C)
    if isinstance(Cs, Integral):
        C_0 = zero_C(data, weights, settings)
        if np.isinf(C_0):
            raise ValueError(f"{NO_PULL} Check X, or give Cs as an array.")
        Cs = C_0 * np.logspace(0, np.log10(C_ratio), Cs)
    Cs = np.asarray(Cs, dtype=np.float64)
    order = np.argsort(Cs, kind="stable")
    with fit_threads() as n_threads:
        moments = data.moments(weights.weights, fit_intercept)
        results = run_path(data, weights, settings, Cs, order, n_threads, moments)
    diagnosed = [
        diagnose(r, data, replace(settings, C=C)) for C, r in zip(Cs, results, strict=True)
    ]
    _warn_unreached(Cs, diagnosed, tol)
    coefs = np.stack([r.coef for r in results])
    n_nonzero = np.count_nonzero(np.any(coefs[:, :, : data.n_features] != 0, axis=1), axis=1)
    return Cs, coefs, n_nonzero


def _warn_unreached(Cs, results, tol):
    """One ConvergenceWarning naming the Cs whose fits did not reach ``tol`` (or separated)."""
    unconverged = [float(C) for C, r in zip(Cs, results, strict=True) if not r.converged]
    if not unconverged:
        return
    separated = [float(C) for C, r in zip(Cs, results, strict=True) if r.separated]
    why = (
        f" At C in {separated!r} the classes are separable with no penalty to speak of: "
        "there is no finite optimum; use smaller Cs."
        if separated
        else " Increase max_iter, or loosen tol."
    )
    warnings.warn(
        f"softmax_path: the solver did not reach tol={tol} at C in {unconverged!r}: the "
        f"coefficients there are not the optimum.{why}",
        ConvergenceWarning,
        stacklevel=3,
    )


def cv_paths(X, y_codes, classes, sample_weight, folds, params, grids, l1_ratios, parallel):
    """Every fold's path for every l1_ratio; the arrays ``SoftmaxClassifierCV`` keeps.

    Returns ``(paths, coefs, n_iter, present, converged)``: ``paths[r]`` the
    folds' :func:`fold_path` results for ``l1_ratios[r]`` (for scoring), and
    arrays of shapes (n_folds, n_l1_ratios, n_Cs, n_classes, n_dof),
    (n_folds, n_l1_ratios, n_Cs), (n_folds, n_classes), (n_folds,
    n_l1_ratios, n_Cs).
    """
    from sklearn.utils.parallel import delayed

    jobs = [(r, train) for r in range(len(l1_ratios)) for train, _ in folds]
    results = parallel(
        delayed(fold_path)(
            X, y_codes, classes, sample_weight, train, {**params, "l1_ratio": l1_ratios[r]},
            grids[r], np.argsort(grids[r], kind="stable"),
        )
        for r, train in jobs
    )  # fmt: skip
    n_folds = len(folds)
    paths = [results[r * n_folds : (r + 1) * n_folds] for r in range(len(l1_ratios))]

    def stack(i):
        return np.stack([np.stack([fold[i] for fold in path]) for path in paths], axis=1)

    return paths, stack(0), stack(1), np.stack([fold[2] for fold in paths[0]]), stack(3)
