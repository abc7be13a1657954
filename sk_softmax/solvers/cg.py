"""Truncated Newton: conjugate gradients on Hessian-vector products ("newton-cg").

Only Hessian-vector products are needed, two passes over ``X`` each, no
``(d K)^2`` matrix; the Hessian's class-diagonal blocks precondition them.
"""

import numpy as np

from ._base import EPS, Solver
from ._pcg import cg_direction
from ._smooth import SmoothObjective
from .newton import cholesky_solve, newton


class ReusedPreconditioner:
    """Newton-CG directions that keep the preconditioner while it serves.

    Building the class blocks costs ``rows * n_dof^2 * K``: on digits (650
    coefficients) as much as 30 to 60 Hessian-vector products, more than a
    whole CG solve near the optimum, where the Hessian hardly changes from
    one step to the next. The blocks are rebuilt only when the last solve
    needed clearly more products (1.5 times, plus 2) than the first solve
    after the last rebuild, or when the loss changes (a subsample's, then
    the full one's).
    """

    def __init__(self):
        self.objective = self.precondition = None
        self.fresh_count = self.last_count = 0

    def __call__(self, objective, coef, grad, tol=0.0):
        stale = self.last_count > 1.5 * self.fresh_count + 2
        rebuild = objective is not self.objective or stale
        if rebuild:
            self.objective, self.precondition = objective, preconditioner(objective, coef)
        step, self.last_count, _ = cg_direction(objective, coef, grad, self.precondition, tol)
        if rebuild:
            self.fresh_count = self.last_count
        return step


# Largest n_dof for which the class-block preconditioner is used: K
# factorisations of n_dof x n_dof per Newton step.
_MAX_BLOCK_DOF = 1000
# Rows sampled for the class blocks: their cost, rows * n_dof^2 * K, then stays
# below a few Hessian-vector products even for millions of rows.
_BLOCK_ROWS = 16384


def preconditioner(objective, coef):
    """``r -> M^{-1} r`` for an approximation ``M`` of the Hessian.

    The Hessian's class-diagonal blocks (exact but for the coupling between
    classes) when ``n_dof`` is at most ``_MAX_BLOCK_DOF`` and every block
    factorises; else its diagonal.
    """
    n_classes, n_dof = objective.shape
    if n_dof <= _MAX_BLOCK_DOF:
        blocks = objective.class_blocks(coef, max_rows=max(_BLOCK_ROWS, 20 * n_dof))
        identity = np.eye(n_dof)
        inverses = [cholesky_solve(block, identity) for block in blocks]
        if all(inverse is not None for inverse in inverses):
            inverses = np.stack(inverses)

            # one batched product per CG step instead of K triangular solves
            def solve(r):
                return np.matmul(inverses, r.reshape(n_classes, n_dof, 1)).ravel()

            return solve
    diag = objective.hessian_diagonal(coef)
    inv_diag = 1.0 / np.maximum(diag, EPS * max(float(np.max(diag)), EPS))
    return lambda r: inv_diag * r


class NewtonCG(Solver):
    """Truncated Newton with the class-block preconditioner, reused while it serves."""

    name = "newton-cg"
    datafit_methods = (
        "loss_gradient", "hessp", "class_blocks", "hessian_diagonal", "subsample",
    )  # fmt: skip
    penalty_methods = ("value", "value_add_gradient", "curvature", "flat_curvature", "free_columns")

    def _solve(self, datafit, penalty, coef0, **options):
        objective = SmoothObjective(datafit, penalty)
        return newton(ReusedPreconditioner(), objective, coef0, **options)
