"""Newton's method with the exact Hessian: the Cholesky step, and its factor reused.

Why Newton steps: the objective is smooth and strongly convex in every
direction that changes the model, so Newton's method converges
quadratically, and its steps are driven by the gradient. Near the optimum
the objective changes by about ``g^T H^{-1} g / 2``, which falls below the
float64 resolution of ``f`` long before the gradient is small; a method that
decides by function values (the L-BFGS-B line search) then stalls, while a
Newton step still halves the number of wrong digits.

The damped Newton loop every Newton solver runs (:func:`~._damped.newton`)
takes a ``direction(objective, coef, grad, tol)``: :class:`ReusedFactor`
here (solver "newton-cholesky": the exact Hessian's Cholesky factor, kept
as a preconditioner while it serves), preconditioned conjugate gradients in
:mod:`.cg` ("newton-cg"). ``objective`` is a
:class:`~sk_softmax.solvers._smooth.SmoothObjective`.
"""

import numpy as np
from scipy import linalg

from ._base import EPS, Solver, same_rows
from ._damped import newton
from ._pcg import cg_direction
from ._smooth import SmoothObjective, _add_to_diagonal

_potrf, _potrs = linalg.lapack.get_lapack_funcs(("potrf", "potrs"), dtype=np.float64)


def cholesky_direction(objective, coef, grad, tol=0.0):
    """Solve ``(H + N) d = -g`` with the exact Hessian ``H`` (see :func:`newton_system`)."""
    return newton_system(objective, coef)(grad)


def newton_system(objective, coef):
    """The exact Newton step at ``coef`` as a function of a gradient: ``g -> -(H + N)^{-1} g``.

    ``N`` is the projector onto the directions that do not change the model:
    adding the same vector to every class row, along the columns the
    penalty leaves free (``objective.free_columns()``: the intercept always,
    every column when unpenalised). The gradient has no component along
    them and ``H`` maps their complement into itself, so ``H + N`` is
    non-singular and gives the minimum-norm Newton step. If the Hessian is
    singular beyond that (duplicated columns and ``C=inf``, say), a small
    ridge is added until the factorisation succeeds; if even that fails,
    the step is the gradient's, scaled. Two classes take a system of half
    the size (:func:`_two_class_system`). The factorisation is done once:
    the function applies it to any gradient (``ReusedFactor``).
    """
    n_classes, n_dof = objective.shape
    if n_classes == 2:
        return _two_class_system(*objective.two_class_parts(coef))
    hess = np.ascontiguousarray(objective.hessian(coef))  # raveled as a view below
    scale = _diagonal_scale(hess)
    # N = (1 1^T / K) (x) D with D selecting the free columns:
    # hess[(k, j), (l, j)] += scale / K for every free column j
    hess.reshape(-1)[objective.projector_index] += scale / n_classes
    factor = cholesky_factor(hess, scale)
    if factor is None:
        return lambda grad: -grad / scale
    return lambda grad: _solve_factored(factor, -grad, scale)


def _two_class_system(data, penalty):
    """The Newton step for two classes, from an ``n_dof`` system: ``g -> step``.

    With ``p_1 = 1 - p_0`` the Hessian's blocks are ``H_00 = H_11 = D + A``
    and ``H_01 = -D`` (``D = data``, ``A = diag(penalty)`` the penalty's
    curvature, zero on the intercept). A step ``(delta + sigma, -delta +
    sigma)`` then splits into ``(2 D + A) delta = -(g_0 - g_1) / 2``, which
    changes the model, and ``A sigma = -(g_0 + g_1) / 2``, which only moves
    along the penalty (``sigma = 0`` where ``A`` is, as ``N`` gives in the
    general case): the same step as the 2 n_dof system with its projector,
    at an eighth of the factorisation's cost.
    """
    n_dof = penalty.size
    antisymmetric = 2.0 * data
    _add_to_diagonal(antisymmetric, penalty)
    scale = _diagonal_scale(antisymmetric)
    factor = cholesky_factor(antisymmetric, scale)
    # The penalty's curvature is alpha / sigma^2 or exactly zero; read from a
    # Hessian built as p - p^2 it may carry rounding noise: ignore anything
    # at the level of the data term's rounding.
    curved = penalty > np.sqrt(EPS) * scale

    def step(grad):
        half_sum = 0.5 * (grad[:n_dof] + grad[n_dof:])
        half_difference = 0.5 * (grad[:n_dof] - grad[n_dof:])
        if factor is None:
            delta = -half_difference / scale
        else:
            delta = _solve_factored(factor, -half_difference, scale)
        sigma = np.zeros(n_dof)
        np.divide(-half_sum, penalty, out=sigma, where=curved)
        return np.concatenate([delta + sigma, sigma - delta])

    return step


def _diagonal_scale(matrix):
    """The largest absolute diagonal entry of ``matrix``, at least ``EPS``."""
    return max(float(np.abs(matrix.diagonal()).max()), EPS)


def cholesky_factor(matrix, scale=None):
    """The Cholesky factor of ``matrix`` (lower), with a growing ridge if it is singular.

    LAPACK's potrf directly: on small problems the wrappers' checks would
    cost more than the factorisation. ``matrix`` may be modified. ``scale``:
    its :func:`_diagonal_scale`, if known. None if even a ridge of ``1e12``
    times the largest diagonal entry fails.
    """
    scale = _diagonal_scale(matrix) if scale is None else scale
    ridge = 0.0
    for _ in range(12):
        factor, info = _potrf(matrix, lower=True)
        if info == 0 and np.isfinite(factor.diagonal()).all():
            return factor
        ridge = scale * 1e-10 if ridge == 0 else ridge * 100
        _add_to_diagonal(matrix, ridge)
    return None


def _solve_factored(factor, rhs, scale):
    """``L^{-T} L^{-1} rhs`` (potrs); a scaled ``rhs`` if that is not finite."""
    step, info = _potrs(factor, rhs, lower=True)
    if info != 0 or not np.isfinite(step).all():
        return rhs / scale
    return step


def cholesky_solve(matrix, rhs, scale=None):
    """``matrix^{-1} rhs`` by Cholesky (:func:`cholesky_factor`), or None if it fails."""
    factor = cholesky_factor(matrix, scale)
    if factor is None:
        return None
    step, info = _potrs(factor, rhs, lower=True)
    return step if info == 0 and np.isfinite(step).all() else None


# The residual target of a step on a reused factor, as a fraction of tol (see ReusedFactor).
_POLISH = 0.02


class ReusedFactor:
    """Newton-Cholesky directions that keep the last Hessian's factor while it serves.

    A new Hessian costs ``n K (K - 1) n_dof (n_dof + 1) / 4`` multiply-adds, a
    Hessian-vector product about ``2 n K (n_dof + 2)``: on tables of a few
    thousand rows and 100 to 500 coefficients, as much as 10 to 60
    products. From one step to the next the Hessian changes little, and
    near the optimum hardly at all; the factor of the last one then makes
    an excellent preconditioner of conjugate gradients on exact
    Hessian-vector products, which reach the Newton step (to the truncated
    Newton accuracy of :func:`~._pcg.cg_direction`, superlinear) in a few
    products. The factor is kept while a step takes at most ``budget``
    products (:func:`reuse_budget`, half a Hessian's cost, at most 30), and renewed
    at the next step once a solve takes more than a third of that (before
    an ageing factor costs a failed solve); when a solve fails, or the loss
    changes rows (a subsample's, then the full one's), the Hessian is
    rebuilt at the current point and its exact step taken. Along a
    regularisation path (the next ``C`` on the same rows, through the
    solver's ``memory``) the factor carries over, and is tried first: in the
    previous ``C``'s coordinates, a preconditioner still, whose conjugate
    gradients either reach their target or give way to a new Hessian. The residual is driven
    below ``tol / 100`` (not ``tol / 2``): the last step then lands as far
    below ``tol`` as an exact Newton step would, for a few products more.

    Measured (one thread, interleaved with the exact-Hessian solver of the
    previous version): 5500 x 40 x 11 (21 steps) 4 times faster, 6435 x 36 x
    6 and 10992 x 16 x 10 3 to 4 times, 2310 x 19 x 7 2.5 times, the
    symmetric Hessian (``_second_order.py``) included.
    """

    # its steps solve the shifts of the rows across classes exactly (see _damped._iterate)
    solves_shifts = True

    def __init__(self):
        self.objective = self.system = None
        self.budget = 0
        self.stale = True
        self.fresh = False  # whether ``system`` was factored for ``objective``

    def __call__(self, objective, coef, grad, tol=0.0):
        if objective is not self.objective:
            # a float32 twin and its float64 objective are one fit's (SmoothObjective.origin)
            same_fit = self.objective is not None and _fit_of(objective) is _fit_of(self.objective)
            self.stale = self.stale or not same_rows(objective, self.objective)
            self.objective, self.budget = objective, reuse_budget(objective)
            self.stale = self.stale or self.budget == 0
            self.fresh = self.fresh and same_fit
        if not self.stale:
            system = self.system
            step, count, reached = cg_direction(
                objective, coef, grad, lambda r: -system(r), _POLISH * tol, max_cg=self.budget
            )
            if reached:
                # the factor is ageing: a fresh one next time, before it costs a failure
                self.stale = count > self.budget // 3
                return step
        self.system = newton_system(objective, coef)
        self.stale = self.budget == 0
        self.fresh = True
        return self.system(grad)

    def newton_system_of(self, datafit):
        """``g -> -(H + N)^{-1} g`` factored during the last fit, if that fit was on ``datafit``.

        The last factor that fit built, of its objective's Hessian at one of
        its iterates (the first, if the later steps reused it), or None
        (another data term, or every step of the fit reused an older
        factor). A path's tangent at the optimum (:func:`sk_softmax._path.tangent`).
        """
        if self.fresh and self.objective is not None and _fit_of(self.objective) is datafit:
            return self.system
        return None


def _fit_of(objective):
    """The data term whose fit ``objective`` serves: its own, or its float64 origin's."""
    origin = getattr(objective, "origin", None)
    return objective.datafit if origin is None else origin


def reuse_budget(objective):
    """The most Hessian-vector products a step of :class:`ReusedFactor` may spend.

    Half the cost of a new Hessian and its factorisation, counted in
    multiply-adds: the Hessian ``n P T`` (``P = K (K - 1) / 2`` pairs of
    distinct classes, whose blocks give the diagonal ones too; ``T = n_dof
    (n_dof + 1) / 2`` entries of each symmetric block; two classes one
    block, ``n T``), the factorisation ``(K n_dof)^3 / 6``
    (``n_dof^3 / 6`` for two classes); a product ``2 n K (n_dof + 2)``, and
    each call a fixed cost of about ``2e4`` (its Python and numpy calls,
    which dominate on data of a few hundred rows). 0 (never reuse) when a
    new Hessian costs less than four products.
    """
    n_classes, n_dof = objective.shape
    n = objective.n_samples
    entries = n_dof * (n_dof + 1) // 2
    if n_classes == 2:
        hessian = n * entries + n_dof**3 / 6
    else:
        hessian = n * entries * n_classes * (n_classes - 1) / 2 + (n_classes * n_dof) ** 3 / 6
    product = 2 * n * n_classes * (n_dof + 2) + 2e4
    budget = int(0.5 * (hessian + 2e4) / product)
    return min(budget, 30) if budget >= 2 else 0


class NewtonCholesky(Solver):
    """Newton's method with the exact Hessian's Cholesky factor, reused while it serves."""

    name = "newton-cholesky"
    datafit_methods = ("loss_gradient", "hessian", "two_class_hessian", "hessp", "subsample")
    penalty_methods = (
        "value", "value_add_gradient", "curvature", "flat_curvature", "free_columns", "canonical",
    )  # fmt: skip

    def _solve(self, datafit, penalty, coef0, *, memory, **options):
        direction = memory.setdefault(self.name, ReusedFactor())
        return newton(direction, SmoothObjective(datafit, penalty), coef0, **options)
