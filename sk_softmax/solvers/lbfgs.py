"""L-BFGS-B from ``scipy.optimize.minimize``, finished by Newton-CG steps when it stalls."""

import numpy as np
from scipy import optimize

from ._base import EPS, Solver, SolverResult, max_abs, report
from ._damped import newton
from ._smooth import SmoothObjective
from ._subsample import presolve_on, sample_of
from .cg import ReusedPreconditioner


def lbfgs(
    objective, coef0, *, tol, max_iter, verbose=0, callback=None, presolve=True, label="iter"
):
    """L-BFGS-B from ``scipy.optimize.minimize``, with the analytic gradient.

    It stops at ``max|grad| <= tol`` (``gtol``) with ``ftol`` at the float64
    resolution. L-BFGS-B also stops when the objective no longer decreases in
    floating point, which on small problems happens with the gradient still
    near 1e-8; in that case, and only then, up to ten gradient-driven
    truncated-Newton steps finish the job (each counted in ``n_iter``).
    """
    coef = np.array(coef0, dtype=np.float64).ravel()
    sample = sample_of(objective) if presolve else None
    if sample is not None:  # start from the subsample's optimum, as newton does
        if verbose:
            print(f"subsample of {sample.n_samples} rows for the start")
        coef = presolve_on(lbfgs, sample, coef, tol, max_iter, verbose)
    state = {"n_iter": 0}

    def scipy_callback(intermediate_result):
        state["n_iter"] += 1
        x = intermediate_result.x
        value, grad = (
            objective.loss_gradient(x) if callback or verbose else (intermediate_result.fun, None)
        )
        if verbose:
            report(verbose, state["n_iter"], value, grad, label=label)
        if callback is not None and callback(state["n_iter"], x, value, grad):
            state["stopped"] = x.copy()
            raise StopIteration

    result = optimize.minimize(
        objective.loss_gradient,
        coef,
        method="L-BFGS-B",
        jac=True,
        callback=scipy_callback,
        options={
            "maxiter": max_iter,
            "maxfun": 2 * max_iter + 20,
            "gtol": tol,
            "ftol": 64 * EPS,
            # 30 pairs of vectors help on small problems; on wide ones (text
            # data, 1e6 coefficients) they would cost 12x the data's memory
            "maxcor": 30 if coef.size <= 100_000 else 10,
        },
    )
    coef = result.x
    n_iter = state["n_iter"]
    if "stopped" in state:
        _, grad = objective.loss_gradient(state["stopped"])
        return SolverResult(
            state["stopped"], n_iter, max_abs(grad) <= tol, "stopped by callback", True
        )
    value, grad = objective.loss_gradient(coef)
    if max_abs(grad) <= tol:
        return SolverResult(coef, n_iter, True, "max|grad| <= tol")
    if n_iter >= max_iter:
        return SolverResult(coef, n_iter, False, "max_iter reached")
    polish = _polish(objective, coef, n_iter, tol, max_iter, verbose, callback, label)
    if not polish.converged:
        polish.message = f"L-BFGS-B: {result.message}; then {polish.message}"
    return polish


def _polish(objective, coef, n_iter, tol, max_iter, verbose, callback, label):
    """Up to ten truncated-Newton steps after L-BFGS-B stalled on the resolution of ``f``.

    Their iterations continue the L-BFGS count, for ``n_iter`` and ``callback``.
    In float64 throughout: they polish digits float32 passes could not tell.
    """
    shifted = None
    if callback is not None:

        def shifted(i, *args):
            return callback(n_iter + i, *args)

    polish = newton(
        ReusedPreconditioner(), objective, coef, tol=tol, max_iter=min(10, max_iter - n_iter),
        verbose=verbose, callback=shifted, presolve=False, label=label, float32=False,
    )  # fmt: skip
    polish.n_iter += n_iter
    return polish


class LBFGS(Solver):
    """L-BFGS-B with the analytic gradient (see :func:`lbfgs`)."""

    name = "lbfgs"
    datafit_methods = ("loss_gradient", "subsample", "hessp", "class_blocks", "hessian_diagonal")
    penalty_methods = (
        "value", "value_add_gradient", "curvature", "flat_curvature", "free_columns", "canonical",
    )  # fmt: skip

    def _solve(self, datafit, penalty, coef0, *, memory, **options):
        return lbfgs(SmoothObjective(datafit, penalty), coef0, **options)
