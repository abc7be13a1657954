"""Proximal Newton for the sparse penalties ("prox-newton").

The objective is ``f + h``: ``f`` the data term plus the penalty's ridge part
(smooth, a :class:`~._smooth.SmoothObjective`), ``h`` a sum of group norms (a
:class:`~sk_softmax.penalties.l1.GroupL1`). Each outer iteration minimises
the local model

    q(d) = g . d + 1/2 d^T H d + h(theta + d)

(``g``, ``H`` the gradient and Hessian of ``f`` at ``theta``) approximately,
by accelerated proximal gradient (FISTA, restarted whenever it stops
descending) on the coefficients of a working set, then takes the step ``d``
with a backtracking line search on ``f + h``. Near the optimum the local
model is the objective to second order, the steps are full and the zeros of
the solution are exact (the proximal operator sets them). The inner
problems are solved to a relative accuracy that shrinks with the outer
violation (``min(0.5, sqrt(v)) v``), as the Eisenstat-Walker rule does for
truncated Newton, so the outer iterations converge superlinearly.

The working set: the groups that are non-zero, plus those whose violation of
the optimality conditions is largest; the local model is solved on them (the
Hessian's rows and columns of those coefficients only), and grown while the
step leaves violations elsewhere. Small problems take the exact Hessian as a
matrix; larger ones its products.

Stopping rule: the largest absolute entry of the least-norm element of
``grad f + dh`` (:meth:`~sk_softmax.penalties.l1.GroupL1.violation`) is at
most ``tol``: the distance of ``-grad f`` to the subdifferential of ``h``, in
the same normalised, standardised units as the smooth solvers' ``tol``.
"""

import math

import numpy as np

from ._base import EPS, Solver, SolverResult, max_abs, report
from ._smooth import SmoothObjective
from ._subsample import _PRESOLVE_TOL, _SAMPLED_RATE, sample_of

# Largest number of coefficients for which the local model's Hessian is a matrix.
_EXPLICIT = 2500
# Inner iterations at most, per outer iteration.
_MAX_INNER = 2000


def _composite_line_search(smooth, norm, coef, value, grad, direction, violation):
    """Backtracking on ``f + h`` along ``direction``: ``(coef, value, grad, t)`` or None.

    Accepts the first ``t`` in 1, 1/2, ... with ``F(x + t d) <= F(x) + 1e-4 t
    delta``, ``delta = g.d + h(x + d) - h(x)`` (negative for a descent
    direction of the composite objective). When the decrease promised is
    below the float64 resolution of ``F``, it accepts a step that reduces the
    optimality violation instead (the objective can no longer tell).
    """
    h0 = norm.value(coef)
    delta = float(grad @ direction) + norm.value(coef + direction) - h0
    resolution = 64 * EPS * max(1.0, abs(value))
    if not (delta < 0 or abs(delta) <= resolution):
        return None
    t = 1.0
    for _ in range(40):
        trial = coef + t * direction
        trial_value, trial_grad = smooth.loss_gradient(trial)
        trial_total = trial_value + norm.value(trial)
        if np.isfinite(trial_total):
            if delta < 0 and trial_total <= value + 1e-4 * t * delta:
                return trial, trial_total, trial_grad, t
            if -t * delta <= resolution:  # below what F can tell: trust the violation
                if max_abs(norm.violation(trial, trial_grad)) < violation:
                    return trial, trial_total, trial_grad, t
        t *= 0.5
    return None


def _largest_eigenvalue(product, size, rng):
    """An upper estimate of the largest eigenvalue of a positive semi-definite operator.

    Twenty power iterations from a random start, plus ten per cent: the
    inner solver's step ``1 / L`` must not exceed the inverse of the
    curvature, and a restart catches the rare underestimate.
    """
    v = rng.standard_normal(size)
    v /= np.linalg.norm(v)
    estimate = 0.0
    for _ in range(20):
        w = product(v)
        estimate = float(np.linalg.norm(w))
        if not estimate > 0:
            return 1.0
        v = w / estimate
    return 1.1 * estimate


class _LocalModel:
    """The quadratic model of ``f`` at ``coef`` on the coefficients ``index``."""

    def __init__(self, smooth, coef, grad, index):
        self.index = index
        self.grad = grad[index]
        size = index.size
        if coef.size <= _EXPLICIT:
            hess = smooth.hessian(coef)
            block = hess[np.ix_(index, index)] if size < coef.size else hess
            self.product = block.__matmul__
        else:
            full = smooth.hessp(coef)
            buffer = np.zeros(coef.size)

            def product(v):
                buffer[index] = v
                return full(buffer)[index]

            self.product = product


def _fista(model, norm_prox, start, step, target, max_inner):
    """Minimise ``g.(u - u0) + 1/2 (u - u0)^T H (u - u0) + h(u)`` from ``u0 = start``.

    Accelerated proximal gradient with the gradient restart of O'Donoghue
    and Candes (2015); stops when the gradient mapping ``(y - u) / step`` has
    no entry above ``target``. Returns ``(u, iterations)``.
    """
    u = start.copy()
    y = u.copy()
    momentum = 1.0
    for it in range(1, max_inner + 1):
        grad_q = model.grad + model.product(y - start)
        new = norm_prox(y - step * grad_q, step)
        mapping = (y - new) / step
        if max_abs(mapping) <= target:
            return new, it
        if float((y - new) @ (new - u)) > 0:  # not descending: restart the momentum
            momentum, y = 1.0, new.copy()
        else:
            next_momentum = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * momentum * momentum))
            y = new + ((momentum - 1.0) / next_momentum) * (new - u)
            momentum = next_momentum
        u = new
    return u, max_inner


class _Restricted:
    """The norm's proximal operator on the coefficients ``index`` of a full vector."""

    def __init__(self, norm, coef, index):
        self.norm, self.full, self.index = norm, coef.copy(), index

    def __call__(self, values, step):
        self.full[self.index] = values
        return self.norm.prox(self.full, step)[self.index]


def _working_set(norm, coef, violation, shape, size):
    """The coefficients of the non-zero groups and of the ``size`` most violating others.

    Groups are whole columns of the weights (a column's ``K`` entries for the
    entry-wise norm); the intercept is always in.
    """
    n_classes, n_dof = shape
    n_features = norm.n_features
    weights = np.reshape(coef, shape)[:, :n_features]
    score = np.max(np.abs(np.reshape(violation, shape)[:, :n_features]), axis=0)
    active = np.any(weights != 0, axis=0)
    if norm.group_index is not None:  # a group's columns enter together
        group_score = np.zeros(norm.n_groups)
        np.maximum.at(group_score, norm.group_index, score)
        group_active = np.zeros(norm.n_groups, dtype=bool)
        np.logical_or.at(group_active, norm.group_index, active)
        score, active = group_score[norm.group_index], group_active[norm.group_index]
    candidates = np.flatnonzero(~active & (score > 0))
    chosen = candidates[np.argsort(-score[candidates], kind="stable")[:size]]
    if norm.group_index is not None:
        chosen = np.flatnonzero(np.isin(norm.group_index, norm.group_index[chosen]))
    columns = np.zeros(n_dof, dtype=bool)
    columns[:n_features] = active
    columns[chosen] = True
    columns[n_features:] = True  # the intercept
    return np.flatnonzero(np.tile(columns, n_classes))


def prox_newton(smooth, norm, coef0, *, tol, max_iter, verbose=0, callback=None, presolve=True,
                label="iter"):  # fmt: skip
    """Proximal Newton iterations on ``smooth + norm`` from ``coef0`` (module docstring).

    On tall data (:func:`~._subsample.sample_of`) the local models take their
    Hessian from a random subsample of the rows, the gradient and the
    stopping rule staying exact, until a step shrinks the violation by less
    than half; with ``presolve`` (a cold start) the iterations begin from
    the subsample's own optimum, as in :func:`~.newton.newton`.
    """
    rng = np.random.default_rng(0)
    coef = np.array(coef0, dtype=np.float64).ravel()
    sample = sample_of(smooth)
    if sample is not None:
        if verbose:
            print(f"subsample of {sample.n_samples} rows for the Hessian")
        if presolve:
            coef = prox_newton(
                sample, norm, coef, tol=max(tol, _PRESOLVE_TOL), max_iter=max_iter,
                verbose=verbose, presolve=False, label="sample",
            ).coef  # fmt: skip
    curvature = smooth if sample is None else sample
    value, grad = smooth.loss_gradient(coef)
    value += norm.value(coef)
    violation = norm.violation(coef, grad)
    size = max_abs(violation)
    report(verbose, 0, value, violation, label=label)
    n_iter, ws_size = 0, 10
    while True:
        if size <= tol:
            return SolverResult(coef, n_iter, True, "optimality violation <= tol")
        if n_iter >= max_iter:
            return SolverResult(coef, n_iter, False, "max_iter reached")
        index = _working_set(norm, coef, violation, smooth.shape, ws_size)
        model = _LocalModel(curvature, coef, grad, index)
        step = 1.0 / _largest_eigenvalue(model.product, index.size, rng)
        target = max(min(0.5, math.sqrt(size)) * size, 0.5 * tol)
        solution, _ = _fista(model, _Restricted(norm, coef, index), coef[index], step, target,
                             _MAX_INNER)  # fmt: skip
        direction = np.zeros_like(coef)
        direction[index] = solution - coef[index]
        found = _composite_line_search(smooth, norm, coef, value, grad, direction, size)
        if found is None:
            return SolverResult(
                coef, n_iter, False,
                "line search failed: the objective stopped decreasing in float64 with an "
                f"optimality violation of {size:.2e}",
            )  # fmt: skip
        coef, value, grad, t = found
        violation = norm.violation(coef, grad)
        previous, size = size, max_abs(violation)
        if size > _SAMPLED_RATE * previous:  # the sample's curvature no longer serves
            curvature = smooth
        outside = np.ones(coef.size, dtype=bool)
        outside[index] = False
        if outside.any() and max_abs(violation[outside]) > 0.5 * size:
            ws_size *= 2  # the optimum needs more groups than the working set held
        n_iter += 1
        report(verbose, n_iter, value, violation, f"  step {t:.3g}  working set {index.size}",
               label=label)  # fmt: skip
        if callback is not None and callback(n_iter, coef, value, violation):
            return SolverResult(coef, n_iter, size <= tol, "stopped by callback", True)


class ProxNewton(Solver):
    """Proximal Newton with working sets, for penalties with a non-smooth part."""

    name = "prox-newton"
    datafit_methods = ("loss_gradient", "hessian", "hessp", "subsample")
    penalty_methods = ("value", "smooth_part", "nonsmooth_part", "free_columns")

    def _solve(self, datafit, penalty, coef0, *, tol, max_iter, verbose, callback, presolve):
        smooth = SmoothObjective(datafit, penalty.smooth_part())
        return prox_newton(
            smooth, penalty.nonsmooth_part(), coef0, tol=tol, max_iter=max_iter,
            verbose=verbose, callback=callback, presolve=presolve,
        )  # fmt: skip
