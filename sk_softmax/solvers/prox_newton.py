"""Proximal Newton for the sparse penalties ("prox-newton").

The objective is ``f + h``: ``f`` the data term plus the penalty's ridge part
(smooth, a :class:`~._smooth.SmoothObjective`), ``h`` a sum of group norms (a
:class:`~sk_softmax.penalties.l1.GroupL1`). Each outer iteration minimises
the local model

    q(d) = g . d + 1/2 d^T H d + h(theta + d)

(``g``, ``H`` the gradient and Hessian of ``f`` at ``theta``) approximately,
by accelerated proximal gradient (FISTA, restarted whenever it stops
descending), or for the entry-wise norm on a working set of at most
``_ACTIVE_SET`` coefficients by an active-set search on the signs (exact in a
few linear solves; see :mod:`._local_model`), then takes the step ``d`` with a
backtracking line search on ``f + h``. Near the optimum the local model is the
objective to second order, the steps are full and the zeros of the solution
are exact (the proximal operator sets them). The local models are solved to a
relative accuracy that shrinks with the outer violation (``min(0.5, sqrt(v))
v``), as the Eisenstat-Walker rule does for truncated Newton, so the outer
iterations converge superlinearly.

Working sets, at two levels, so that a sparse model costs what its active
features cost:

- inside a Newton step, the local model is solved on the coefficients of the
  non-zero groups and of as many (at least 10) of the groups that violate the
  optimality conditions most (the Hessian's rows and columns of those alone),
  that number doubling while violations remain outside;
- on wide data, the whole problem is solved on the feature columns of such a
  working set (the data term restricted to them: every pass over the data
  touches those columns only), to a tolerance tied to the violation left
  outside; the set grows while violations remain (as in skglm's solvers).

Stopping rule: the largest absolute entry of the least-norm element of
``grad f + dh`` (:meth:`~sk_softmax.penalties.l1.GroupL1.violation`) is at
most ``tol``: the distance of ``-grad f`` to the subdifferential of ``h``, in
the same normalised, standardised units as the smooth solvers' ``tol``.
"""

import math

import numpy as np
from scipy import sparse

from ._base import EPS, Solver, SolverResult, max_abs, report
from ._local_model import REUSE_RATE, KeptHessians, active_set, fista, largest_eigenvalue
from ._smooth import SmoothObjective
from ._subsample import _SAMPLED_RATE, presolve_on, sample_of

# Largest working set (coefficients) whose Hessian is built as a matrix: building it
# costs n m^2 in matrix-matrix products, against about 4 n m for each of the ~150 to
# 1000+ Hessian-vector products (FISTA's and the power iteration's, matrix-vector
# products that run several times slower per flop) it replaces; dense data. Measured
# (tol 1e-8, medians of 3, 2 loaded cores), 600 against 2500: 20000 x 100 x 10 raw
# 26-32 s to 5.7 s, standardised 19.1 s to 13.5 s (a 30-point path 215 s to 55 s);
# digits (m = 640) 1.02 s to 1.17 s. For sparse data a Hessian-vector product is a
# pass over the non-zeros alone, and the matrix is built only for working sets of up
# to _SPARSE_EXPLICIT coefficients.
_EXPLICIT = 2500
_SPARSE_EXPLICIT = 200
# Inner iterations at most, per outer iteration.
_MAX_INNER = 2000
# Largest working set (coefficients) of the entry-wise norm whose local model is solved by
# the active-set (feature-sign) search on its explicit Hessian rather than by FISTA. Entries
# join one at a time, a least-squares solve each: about m solves of m x m from a cold start
# (digits' first step, 110 coefficients: 0.20 s against FISTA's 0.03 s); iris and wine use
# 15 to 42.
_ACTIVE_SET = 64
_MAX_SOLVES = 50  # and twice the working set's size
# The active-set search solves its local model this much more tightly than FISTA: stopped at
# FISTA's accuracy it has added only the few entries that violate most (it adds one at a time),
# a poorer step far from the optimum (digits: the first step's objective 1.47 against 1.12,
# a Newton step more to the same gap); its extra solves cost little.
_EXACT = 0.01
# Fewest features for which the data term is restricted to a working set's columns.
_RESTRICT_FROM = 200


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


def _working_columns(norm, coef, violation, shape, size):
    """The feature columns of the non-zero groups and of the ``size`` most violating others.

    Groups are whole columns of the weights (a column's ``K`` entries for the
    entry-wise norm, all the columns of a group for a grouped one).
    """
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
    columns = active.copy()
    columns[chosen] = True
    return np.flatnonzero(columns)


def _newton_step(smooth, norm, model, coef, value, grad, size, tol, rng):
    """The local model's solution as a step, line-searched: ``(coef, value, grad, t)`` or None.

    The local model is solved to ``min(0.5, sqrt(v)) v`` (``v`` the outer
    violation ``size``): by the active-set search on a small explicit
    Hessian of the entry-wise norm, else (or if it fails) by FISTA.
    """
    n_classes = smooth.shape[0]
    index = model.index
    target = max(min(0.5, math.sqrt(size)) * size, 0.5 * tol)
    solution = None
    thresholds = norm.restricted_thresholds(index, n_classes)
    if model.matrix is not None and thresholds is not None and index.size <= _ACTIVE_SET:
        solution, _ = active_set(model, thresholds, max(_EXACT * target, 0.5 * tol),
                                 max(_MAX_SOLVES, 2 * index.size))  # fmt: skip
    if solution is None:
        if model.step is None:
            model.step = 1.0 / largest_eigenvalue(model.product, index.size, rng)
        prox = norm.restricted_prox(index, n_classes)
        solution, _ = fista(model, prox, model.step, target, _MAX_INNER)
    direction = np.zeros_like(coef)
    direction[index] = solution - coef[index]
    return _composite_line_search(smooth, norm, coef, value, grad, direction, size)


def prox_newton(smooth, norm, coef0, *, tol, max_iter, verbose=0, callback=None, presolve=True,
                label="iter", memory=None):  # fmt: skip
    """Proximal Newton iterations on ``smooth + norm`` from ``coef0`` (module docstring).

    On tall data (:func:`~._subsample.sample_of`) the local models take their
    Hessian from a random subsample of the rows, the gradient and the
    stopping rule staying exact, until a step shrinks the violation by less
    than half; with ``presolve`` (a cold start) the iterations begin from
    the subsample's own optimum, as in :func:`~._damped.newton`. ``memory``:
    a dict kept across the fits of a path on the same rows, through which the
    last Hessian serves the next fit (:class:`~._local_model.KeptHessians`).
    """
    rng = np.random.default_rng(0)
    coef = np.array(coef0, dtype=np.float64).ravel()
    shape = smooth.shape
    sparse_data = _is_sparse(smooth.datafit)
    sample = sample_of(smooth)
    if sample is not None:
        if verbose:
            print(f"subsample of {sample.n_samples} rows for the Hessian")
        if presolve:

            def solver(objective, start, **options):
                return prox_newton(objective, norm, start, presolve=False, **options)

            coef = presolve_on(solver, sample, coef, tol, max_iter, verbose)
    curvature = smooth if sample is None else sample
    value, grad = smooth.loss_gradient(coef)
    value += norm.value(coef)
    violation = norm.violation(coef, grad)
    size = max_abs(violation)
    report(verbose, 0, value, violation, label=label)
    n_iter, ws_size = 0, _first_size(norm, coef, shape)
    hessians = KeptHessians(memory, smooth)
    intercept = np.zeros(shape[1], dtype=bool)
    intercept[norm.n_features :] = True
    while True:
        if size <= tol:
            return SolverResult(coef, n_iter, True, "optimality violation <= tol", value=value)
        if n_iter >= max_iter:
            return SolverResult(coef, n_iter, False, "max_iter reached", value=value)
        columns = intercept.copy()
        columns[_working_columns(norm, coef, violation, shape, ws_size)] = True
        index = np.flatnonzero(np.tile(columns, shape[0]))
        explicit = index.size <= (_SPARSE_EXPLICIT if sparse_data else _EXPLICIT)
        features = np.flatnonzero(columns[: norm.n_features])
        model = hessians.local_model(curvature, coef, grad, index, features, explicit)
        found = _newton_step(smooth, norm, model, coef, value, grad, size, tol, rng)
        if found is None and hessians.kept:  # a kept Hessian's step failed: a new one's
            model = hessians.local_model(curvature, coef, grad, index, features, explicit,
                                         fresh=True)  # fmt: skip
            found = _newton_step(smooth, norm, model, coef, value, grad, size, tol, rng)
        if found is None:
            return SolverResult(
                coef, n_iter, False,
                "line search failed: the objective stopped decreasing in float64 with an "
                f"optimality violation of {size:.2e}", value=value,
            )  # fmt: skip
        coef, value, grad, t = found
        violation = norm.violation(coef, grad)
        previous, size = size, max_abs(violation)
        if size > _SAMPLED_RATE * previous:  # the sample's curvature no longer serves
            curvature = smooth
        hessians.judge(t == 1.0 and size <= REUSE_RATE * previous)
        outside = np.ones(coef.size, dtype=bool)
        outside[index] = False
        if outside.any() and max_abs(violation[outside]) > 0.5 * size:
            ws_size *= 2  # the optimum needs more groups than the working set held
        n_iter += 1
        report(verbose, n_iter, value, violation, f"  step {t:.3g}  working set {index.size}",
               label=label)  # fmt: skip
        if callback is not None and callback(n_iter, coef, value, violation):
            return SolverResult(coef, n_iter, size <= tol, "stopped by callback", True, value)


def restricted_prox_newton(datafit, ridge, norm, coef0, *, tol, max_iter, verbose=0,
                           callback=None, presolve=True):  # fmt: skip
    """:func:`prox_newton` on wide data, through working sets of feature columns.

    Each round solves the problem on the columns of a working set (the data
    term, the ridge and the norm restricted to them: the other weights stay
    zero) to a tolerance of ``0.3`` times the violation outside it, then
    takes the full gradient, once, to judge every column; the set doubles
    while the violation outside it stays above ``tol``. ``n_iter`` counts the
    Newton steps of every round; ``callback`` sees the full coefficients.
    """
    shape = datafit.shape
    n_classes, n_dof = shape
    n_features = norm.n_features
    full = SmoothObjective(datafit, ridge)
    coef = np.array(coef0, dtype=np.float64).ravel()
    _, grad = full.loss_gradient(coef)
    violation = norm.violation(coef, grad)
    size = max_abs(violation)
    n_iter, ws_size = 0, _first_size(norm, coef, shape)
    while True:
        if size <= tol:
            return SolverResult(coef, n_iter, True, "optimality violation <= tol")
        if n_iter >= max_iter:
            return SolverResult(coef, n_iter, False, "max_iter reached")
        columns = _working_columns(norm, coef, violation, shape, ws_size)
        if columns.size > n_features // 2:  # nearly everything: no restriction
            return _offset(prox_newton(
                full, norm, coef, tol=tol, max_iter=max_iter - n_iter, verbose=verbose,
                callback=_shifted(callback, n_iter, None), presolve=presolve and not n_iter,
            ), n_iter)  # fmt: skip
        keep = np.zeros(n_dof, dtype=bool)
        keep[columns] = True
        keep[n_features:] = True
        index = np.flatnonzero(np.tile(keep, n_classes))
        if verbose:
            print(f"working set of {columns.size} of {n_features} features")
        sub = prox_newton(
            SmoothObjective(datafit.columns(columns), ridge.columns(columns)),
            norm.columns(columns), coef[index], tol=max(tol, 0.3 * size),
            max_iter=max_iter - n_iter, verbose=verbose,
            callback=_shifted(callback, n_iter, (coef.size, index)),
            presolve=presolve and not n_iter,
        )  # fmt: skip
        coef = np.zeros_like(coef)
        coef[index] = sub.coef
        n_iter += sub.n_iter
        if sub.stopped:
            _, grad = full.loss_gradient(coef)
            size = max_abs(norm.violation(coef, grad))
            return SolverResult(coef, n_iter, size <= tol, "stopped by callback", True)
        _, grad = full.loss_gradient(coef)
        violation = norm.violation(coef, grad)
        size = max_abs(violation)
        outside = np.ones(coef.size, dtype=bool)
        outside[index] = False
        if max_abs(violation[outside]) > tol:
            ws_size *= 2  # the optimum needs more groups than the working set held
        if not sub.converged and sub.n_iter == 0:  # no progress left to make here
            return SolverResult(coef, n_iter, size <= tol, sub.message)


def _first_size(norm, coef, shape):
    """How many zero columns a first working set adds: as many as are non-zero, at least 10.

    The set then holds about twice the support (as skglm's solvers start),
    so that a warm start, or a round on wider columns, does not spend one
    Newton step per doubling from 10 to reach the support it already has.
    """
    weights = np.reshape(coef, shape)[:, : norm.n_features]
    return max(10, int(np.count_nonzero(np.any(weights != 0, axis=0))))


def _is_sparse(datafit):
    """Whether the data term's rows are sparse (SciPy) data."""
    X = getattr(getattr(datafit, "inner", datafit), "X", None)
    return X is not None and sparse.issparse(X)


def _shifted(callback, offset, expand):
    """``callback`` for a round's Newton steps: iterations continued, coefficients full."""
    if callback is None:
        return None

    def shifted(n_iter, coef, value, violation):
        if expand is not None:
            size, index = expand
            full = np.zeros(size)
            full[index] = coef
            coef = full
        return callback(offset + n_iter, coef, value, violation)

    return shifted


def _offset(result, n_iter):
    result.n_iter += n_iter
    return result


class ProxNewton(Solver):
    """Proximal Newton with working sets, for penalties with a non-smooth part."""

    name = "prox-newton"
    datafit_methods = ("loss_gradient", "hessian", "hessp", "subsample", "columns")
    penalty_methods = ("value", "smooth_part", "nonsmooth_part", "free_columns", "columns")

    def _solve(self, datafit, penalty, coef0, *, tol, max_iter, verbose, callback, presolve,
               memory):  # fmt: skip
        ridge, norm = penalty.smooth_part(), penalty.nonsmooth_part()
        options = dict(tol=tol, max_iter=max_iter, verbose=verbose, callback=callback,
                       presolve=presolve)  # fmt: skip
        if norm.n_features >= _RESTRICT_FROM and norm.strength > 0:
            return restricted_prox_newton(datafit, ridge, norm, coef0, **options)
        memory = memory.setdefault(self.name, {})  # the next C's first Hessian (KeptHessians)
        return prox_newton(SmoothObjective(datafit, ridge), norm, coef0, memory=memory, **options)
