"""Truncated Newton: conjugate gradients on Hessian-vector products ("newton-cg").

Only Hessian-vector products are needed, two passes over ``X`` each, no
``(d K)^2`` matrix; the Hessian's class-diagonal blocks precondition them.
"""

import numpy as np

from ._base import EPS, Solver, same_rows
from ._damped import newton
from ._pcg import cg_direction
from ._smooth import SmoothObjective
from .newton import cholesky_solve


class ReusedPreconditioner:
    """Newton-CG directions that keep the preconditioner while it serves.

    Building the class blocks costs ``rows * n_dof^2 * K``: on digits (650
    coefficients) as much as 30 to 60 Hessian-vector products, more than a
    whole CG solve near the optimum, where the Hessian hardly changes from
    one step to the next. The blocks are rebuilt only when the last solve
    needed clearly more products (1.5 times, plus 2) than the first solve
    after the last rebuild or stopped at its cap short of its target (a
    first solve at the cap would otherwise keep a stale preconditioner for
    good: a 500 x 10 x 4 fit at ``C=inf`` took 37 steps instead of 8), or
    when the loss changes rows (a subsample's, then the full one's); along a
    regularisation path (the next ``C`` on the same rows, through the
    solver's ``memory``) they carry over.

    Where products are cheap against the blocks (few rows and wide blocks:
    :func:`block_cost` over ``_DIAGONAL_FIRST`` products), the Hessian's
    diagonal preconditions first, and the blocks are built, for good, once
    a diagonal solve needs more products than half of what they cost.
    Measured on a 360 x 90 x 15 table (one thread): 6.6 ms instead of 15.6
    (the blocks were half the fit). Below that threshold the blocks win:
    with it at 10, digits (block cost 34 products) took 15 Newton steps
    instead of 11 and 87 ms instead of 75, its standardised copy 60 ms
    instead of 38.
    """

    def __init__(self):
        self.objective = self.precondition = None
        self.fresh_count = self.last_count = 0
        self.last_reached = True
        self.diagonal_cap = None  # products a diagonal solve may take (None: blocks)

    def __call__(self, objective, coef, grad, tol=0.0):
        if not same_rows(objective, self.objective):
            # beyond _MAX_BLOCK_DOF the preconditioner is the diagonal anyway, built once
            wide = objective.shape[1] > _MAX_BLOCK_DOF
            cost = block_cost(objective)
            self.diagonal_cap = int(cost // 2) if cost > _DIAGONAL_FIRST and not wide else None
            self.precondition = None
        self.objective = objective
        if self.diagonal_cap is not None:
            step, _, reached = cg_direction(
                objective, coef, grad, diagonal(objective, coef), tol, max_cg=self.diagonal_cap
            )
            if reached:
                return step
            self.diagonal_cap = None  # the blocks, for good
        rebuild = (
            self.precondition is None
            or not self.last_reached
            or self.last_count > 1.5 * self.fresh_count + 2
        )
        if rebuild:
            self.precondition = preconditioner(objective, coef)
        step, self.last_count, self.last_reached = cg_direction(
            objective, coef, grad, self.precondition, tol
        )
        if rebuild:
            self.fresh_count = self.last_count
        return step


def block_cost(objective):
    """The class-block preconditioner's cost (blocks and inverses) in Hessian-vector products.

    Multiply-adds: the blocks ``K rows n_dof^2`` (``rows`` as many as
    :func:`preconditioner` samples), their inverses ``K 4 n_dof^3 / 3``; a
    product ``2 n K n_dof`` plus a fixed cost of about ``2e4`` (its Python
    and numpy calls).
    """
    n_classes, n_dof = objective.shape
    n = objective.n_samples
    rows = min(n, max(_BLOCK_ROWS, 20 * n_dof))
    blocks = n_classes * (rows * n_dof**2 + 4 * n_dof**3 / 3)
    return blocks / (2 * n * n_classes * n_dof + 2e4)


# Largest n_dof for which the class-block preconditioner is used: K
# factorisations of n_dof x n_dof per Newton step.
_MAX_BLOCK_DOF = 1000
# Rows sampled for the class blocks: their cost, rows * n_dof^2 * K, then stays
# below a few Hessian-vector products even for millions of rows.
_BLOCK_ROWS = 16384
# The diagonal preconditioner comes first when the blocks cost more than this
# many Hessian-vector products.
_DIAGONAL_FIRST = 40


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
    return diagonal(objective, coef)


def diagonal(objective, coef):
    """``r -> r / diag(H)``: the Jacobi preconditioner, ``n K n_dof`` to build."""
    diag = objective.hessian_diagonal(coef)
    inv_diag = 1.0 / np.maximum(diag, EPS * max(float(np.max(diag)), EPS))
    return lambda r: inv_diag * r


class NewtonCG(Solver):
    """Truncated Newton with the class-block preconditioner, reused while it serves."""

    name = "newton-cg"
    datafit_methods = (
        "loss_gradient", "hessp", "class_blocks", "hessian_diagonal", "subsample",
    )  # fmt: skip
    penalty_methods = (
        "value", "value_add_gradient", "curvature", "flat_curvature", "free_columns", "canonical",
    )  # fmt: skip

    def _solve(self, datafit, penalty, coef0, *, memory, **options):
        direction = memory.setdefault(self.name, ReusedPreconditioner())
        return newton(direction, SmoothObjective(datafit, penalty), coef0, **options)
