"""The damped Newton loop every Newton solver runs, float32 passes first on data beyond the cache.

The loop (:func:`newton`) takes a ``direction(objective, coef, grad, tol)``
(:class:`~.newton.ReusedFactor`, the exact Hessian's Cholesky factor;
:class:`~.cg.ReusedPreconditioner`, truncated Newton), on a subsample's
Hessian for tall data (:mod:`._subsample`), with the line search of
:mod:`._line_search`.
"""

from dataclasses import replace
from functools import partial

import numpy as np

from ._base import SolverResult, max_abs, report
from ._line_search import first_step, line_search, resolution
from ._subsample import SampledDirection, presolve_on, sample_of


def newton(
    direction, objective, coef0, *, tol, max_iter, verbose=0, callback=None, presolve=True,
    label="iter", float32=True,
):  # fmt: skip
    """Damped Newton iterations with ``direction(objective, coef, grad, tol)``.

    On tall data (see :func:`~._subsample.sample_of`) the directions use a
    subsample's Hessian, and with ``presolve`` (a cold start) the
    iterations begin from the subsample's own optimum, found at a fraction
    of the cost: the first, far-from-optimal steps then cost little, and the
    full data only polish. That solve has its own ``max_iter`` iterations at
    most; ``verbose`` prints them as ``sample``, while ``n_iter`` and
    ``callback`` count and see only the iterations on all rows.

    On dense data beyond the cache, float32 or float64
    (``objective.in_float32()``, see
    :meth:`~sk_softmax.datafits.numpy.SoftmaxDatafit.in_float32`) the
    iterations first take float32 passes, the subsample float32 too, until
    ``max|grad| <= tol`` there or float32 can no longer tell (see
    :func:`_iterate`); a float64 pass at that point (printed as ``float64``)
    then confirms ``tol``, or the iterations go on in float64 from there. A
    step that the last one's rate predicts will meet ``tol`` takes that
    float64 pass at once: on 1e6 x 100 x 10 float32 (one core) the fit
    took 1.77 s instead of 1.95, a float32 pass fewer. ``n_iter``,
    ``max_iter`` and ``callback`` count both kinds (the callback sees the
    float32 passes' values); the result's value and convergence are float64.
    A warm start (no ``presolve``) is evaluated in float64 first: it may
    already meet ``tol`` (a refit of a converged model), and on a path over
    ``C`` that value is known. ``float32=False``: float64 passes only.
    """
    coef = np.array(coef0, dtype=np.float64).ravel()
    coarse = objective.in_float32() if float32 and direction is not steepest else None
    sample = sample_of(coarse or objective) if direction is not steepest else None
    if sample is not None:
        if verbose:
            print(f"subsample of {sample.n_samples} rows for the Hessian")
        if presolve:
            solver = partial(newton, direction, float32=float32)
            coef = presolve_on(solver, sample, coef, tol, max_iter, verbose)
    options = dict(tol=tol, max_iter=max_iter, verbose=verbose, callback=callback, label=label)
    n_iter, known = 0, None
    if coarse is not None and verbose:
        print("float32 passes until max|grad| <= tol, then a float64 one")
    if coarse is not None and not presolve:
        known = objective.loss_gradient(coef)
        report(verbose, n_iter, *known, label="float64")
        if max_abs(known[1]) <= tol:
            return SolverResult(coef, n_iter, True, "max|grad| <= tol", value=known[0])
    if coarse is not None:
        steps = direction if sample is None else SampledDirection(direction, sample)
        result, known = _iterate(
            steps, coarse, coef, n_iter, finish=objective, known=known, **options
        )
        if result.stopped:  # by the callback: convergence and value judged in float64
            value, grad = objective.loss_gradient(result.coef) if known is None else known
            return replace(result, converged=bool(max_abs(grad) <= tol), value=value)
        coef, n_iter = result.coef, result.n_iter
        options["first_label"] = "float64"  # unless known: then not printed again
        if result.message == NOT_FINITE and sample is not None:
            sample = sample_of(objective)  # the float32 sample overflows too
    # a new sampled direction: the float32 steps' secant pairs and rates judged other values
    steps = direction if sample is None else SampledDirection(direction, sample)
    return _iterate(steps, objective, coef, n_iter, known=known, **options)[0]


# Why a loop on float32 passes ended at its start: float64 passes and a float64 sample follow.
NOT_FINITE = "float32 passes not finite"
# A float32 line search fails where its values cannot tell (line_search's untold), and float64
# takes over; likewise when a step it cannot judge shrinks max|grad| by less than half.
_COARSE_RATE = 0.5


def _iterate(
    direction, objective, coef, n_iter, *, tol, max_iter, verbose, callback, label,
    finish=None, known=None, first_label=None,
):  # fmt: skip
    """The damped Newton loop of :func:`newton` from ``coef``, ``n_iter`` iterations done.

    Returns ``(result, known)``: ``known`` the float64 ``(value, grad)`` at
    ``result.coef`` when the loop ended on a float64 evaluation, else None.
    ``known``: the value and gradient at ``coef``, if already evaluated (in
    float64, also when ``objective`` takes float32 passes). ``first_label``:
    how ``verbose`` labels the first evaluation, if not ``label``.

    With ``finish`` (the float64 objective), ``objective`` takes float32
    passes (``in_float32``) and the loop stops (``converged`` False) where
    max|grad| <= tol, where a line search fails (a step whose decrease
    float32's resolution cannot tell, nor the gradient confirm), or where
    a step whose promised decrease float32 values cannot tell leaves more
    than half of max|grad| (near the optimum Newton steps shrink it
    fivefold or more: the float32 gradient has met its noise); a float64
    loop follows. A step that the last one's rate
    predicts will meet ``tol`` is evaluated in float64 at once (printed as
    ``float64``): that evaluation is the float64 loop's first, and a float32
    pass is spared.
    """
    coarse = finish is not None
    if known is None:
        value, grad = objective.loss_gradient(coef)
        report(verbose, n_iter, value, grad, label=first_label or label)
    else:
        value, grad = known
    first, rate = 1.0, None
    search = {"eps": objective.eps, "untold": coarse}
    exact = known if coarse else None  # float64 values at coef on float32 passes

    def end(message, converged=False, stopped=False):
        return SolverResult(coef, n_iter, converged, message, stopped, value), exact

    if coarse and not (np.isfinite(value) and np.isfinite(grad).all()):
        return end(NOT_FINITE)  # float32 overflowed where float64 need not
    while True:
        if max_abs(grad) <= tol:
            return end("max|grad| <= tol", converged=not coarse)
        if n_iter >= max_iter:
            return end("max_iter reached")
        step = direction(objective, coef, grad, tol)
        if coarse or not getattr(direction, "solves_shifts", False):
            # a reused factor solves the shifts exactly, but float32 gradients carry about
            # 1e-8 along them (their class sums, 1e-17 in float64), where only the
            # penalty curves: without the exact step there, the standardised weights of
            # X * 1e5 drifted to a class mean of 1.7e5 (2e-2 in float64), in a review's run
            step = objective.canonical_step(coef, grad, step)
        slope, before = float(grad @ step), max_abs(grad)
        unresolved = -slope <= resolution(value, objective.eps)
        # on float32 passes, a step the last one's rate says will meet tol: checked in float64
        checked = coarse and unresolved and rate is not None and before * rate <= tol
        evaluate = finish if checked else objective
        found = line_search(evaluate, coef, value, grad, step, first, **search)
        if found is None and coarse:
            return end("float32 line search failed")
        if found is not None and not isinstance(direction, SampledDirection):
            first = first_step(found[3], slope, float(found[2] @ step))
        else:  # a sample's Hessian, not the curvature, sets how short its steps fall
            first = 1.0
        if found is None and isinstance(direction, SampledDirection) and not direction.full:
            direction.full = True
            step = direction(objective, coef, grad, tol)
            found = line_search(objective, coef, value, grad, step, **search)
        if found is None and direction is not steepest:
            step = steepest(objective, coef, grad)
            found = line_search(objective, coef, value, grad, step, **search)
        if found is None:
            return end(
                "line search failed: the objective stopped decreasing in floating point "
                f"with max|grad| = {max_abs(grad):.2e}"
            )
        coef, value, grad, t = found
        exact = (value, grad) if checked else None
        n_iter += 1
        if verbose:
            shown = "float64" if checked else label
            report(verbose, n_iter, value, grad, f"  step {t:.3g}", label=shown)
        if callback is not None and callback(n_iter, coef, value, grad):
            converged = max_abs(grad) <= tol and (checked or not coarse)
            return end("stopped by callback", converged, stopped=True)
        if checked:
            return end("float64 from here")
        rate = max_abs(grad) / before if before > 0 else None
        if coarse and unresolved and rate > _COARSE_RATE:  # float32's noise floor
            return end("float32 gradient stalled")


def steepest(objective, coef, grad, tol=0.0):
    """The steepest-descent direction: the fallback when a Newton step fails."""
    return -grad
