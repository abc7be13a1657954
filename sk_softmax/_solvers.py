"""Solvers for the smooth, convex softmax objective.

Every solver has the same signature::

    solver(loss, coef0, *, tol, max_iter, verbose=0, callback=None, presolve=True)
        -> SolverResult

``loss`` offers ``shape``, ``loss(coef)``, ``loss_gradient(coef)`` and, for
the second-order solvers, ``hessp(coef)`` or ``hessian(coef)``, on
coefficient vectors raveled from shape ``loss.shape = (n_classes, n_dof)``.
A solver knows nothing of labels, estimators or parameter validation.

All of them stop when the largest absolute entry of the gradient is at most
``tol`` (the objective is the sample-normalised one of ``_loss.py``, so ``tol``
means the same for 10 or 10 million samples). ``callback(n_iter, coef, value,
grad)``, if given, is called after every iteration; returning ``True`` stops
the solver early (it then reports ``converged=False`` and ``stopped=True``).

Why Newton steps: the objective is smooth and strongly convex in every
direction that changes the model, so Newton's method converges
quadratically, and its steps are driven by the gradient. Near the optimum
the objective changes by about ``g^T H^{-1} g / 2``, which falls below the
float64 resolution of ``f`` long before the gradient is small; a method that
decides by function values (the L-BFGS-B line search) then stalls, while a
Newton step still halves the number of wrong digits.
"""

import math
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy import linalg, optimize

EPS = np.finfo(np.float64).eps
_potrf, _potrs = linalg.lapack.get_lapack_funcs(("potrf", "potrs"), dtype=np.float64)


@dataclass
class SolverResult:
    coef: np.ndarray
    n_iter: int
    converged: bool
    message: str
    stopped: bool = False


def _max_abs(grad):
    return float(np.abs(grad).max()) if grad.size else 0.0


def _report(verbose, n_iter, value, grad, extra="", label="iter"):
    if verbose:
        print(f"{label} {n_iter:4d}  objective {value:.12e}  max|grad| {_max_abs(grad):.3e}{extra}")


# -- the Newton family --------------------------------------------------------
def _line_search(loss, coef, value, grad, direction):
    """Backtracking line search that can trust the gradient near the optimum.

    Accepts the first step ``t`` in 1, 1/2, 1/4, ... that satisfies the
    Armijo condition ``f(x + t d) <= f(x) + 1e-4 t g.d``. When the decrease
    the step promises is below the float64 resolution of ``f`` (the function
    can no longer tell), it accepts the step if it shrinks the gradient
    instead. Returns ``(coef, value, grad, t)``, or ``None`` on failure.
    """
    slope = float(grad @ direction)
    if not slope < 0:
        return None
    resolution = 64 * EPS * max(1.0, abs(value))
    g_norm = math.sqrt(grad @ grad)
    t = 1.0
    for _ in range(40):
        trial = coef + t * direction
        trial_value, trial_grad = loss.loss_gradient(trial)
        if np.isfinite(trial_value):
            if trial_value <= value + 1e-4 * t * slope:
                return trial, trial_value, trial_grad, t
            if -t * slope <= resolution and math.sqrt(trial_grad @ trial_grad) < g_norm:
                return trial, trial_value, trial_grad, t
        t *= 0.5
    return None


def _cholesky_direction(loss, coef, grad, tol=0.0):
    """Solve ``(H + N) d = -g`` with the exact Hessian ``H``.

    ``N`` is the projector onto the directions that do not change the model:
    adding the same vector to every class row (of the intercept always, of
    the weights when unpenalised). The gradient has no component along them
    and ``H`` maps their complement into itself, so ``H + N`` is non-singular
    and gives the minimum-norm Newton step. If the Hessian is singular
    beyond that (duplicated columns and ``C=inf``, say), a small ridge is
    added until the factorisation succeeds. Two classes take a system of
    half the size (``_two_class_direction``).
    """
    n_classes, n_dof = loss.shape
    if n_classes == 2:
        parts = getattr(loss, "two_class_hessian", None)
        parts = parts(coef) if parts is not None else None
        if parts is None:  # read the parts off the full Hessian
            h = loss.hessian(coef).reshape(2, n_dof, 2, n_dof)
            parts = -h[0, :, 1, :], np.diagonal(h[0, :, 0, :] + h[0, :, 1, :])
        return _two_class_direction(*parts, grad)
    hess = np.ascontiguousarray(loss.hessian(coef))  # reshaped as views below
    scale = _diagonal_scale(hess)
    # N = (1 1^T / K) (x) D with D selecting the intercept (or everything):
    # hess[(k, j), (l, j)] += scale / K for every selected column j
    hess4 = hess.reshape(n_classes, n_dof, n_classes, n_dof)
    if loss.alpha == 0:
        np.einsum("kjlj->klj", hess4)[...] += scale / n_classes
    elif loss.fit_intercept:
        hess4[:, -1, :, -1] += scale / n_classes
    step = _cholesky_solve(hess, -grad, scale)
    return -grad / scale if step is None else step


def _two_class_direction(data, penalty, grad):
    """The Newton step for two classes, from an ``n_dof`` system.

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
    antisymmetric[np.diag_indices(n_dof)] += penalty
    half_sum = 0.5 * (grad[:n_dof] + grad[n_dof:])
    half_difference = 0.5 * (grad[:n_dof] - grad[n_dof:])
    scale = _diagonal_scale(antisymmetric)
    delta = _cholesky_solve(antisymmetric, -half_difference, scale)
    if delta is None:
        delta = -half_difference / scale
    sigma = np.zeros(n_dof)
    # The penalty's curvature is alpha / sigma^2 or exactly zero; read from a
    # Hessian built as p - p^2 it may carry rounding noise: ignore anything
    # at the level of the data term's rounding.
    np.divide(-half_sum, penalty, out=sigma, where=penalty > np.sqrt(EPS) * scale)
    return np.concatenate([delta + sigma, sigma - delta])


def _diagonal_scale(matrix):
    """The largest absolute diagonal entry of ``matrix``, at least ``EPS``."""
    return max(float(np.abs(np.diagonal(matrix)).max()), EPS)


def _cholesky_solve(matrix, rhs, scale=None):
    """``matrix^{-1} rhs`` by Cholesky, with a growing ridge if it is singular.

    LAPACK's potrf/potrs directly: on small problems the wrappers' checks
    would cost more than the factorisation. ``matrix`` may be modified.
    ``scale``: its :func:`_diagonal_scale`, if known. None if even a ridge
    of ``1e12`` times the largest diagonal entry fails.
    """
    scale = _diagonal_scale(matrix) if scale is None else scale
    ridge = 0.0
    for _ in range(12):
        factor, info = _potrf(matrix, lower=True)
        if info == 0:
            step, info = _potrs(factor, rhs, lower=True)
            if info == 0 and np.isfinite(step).all():
                return step
        ridge = scale * 1e-10 if ridge == 0 else ridge * 100
        matrix[np.diag_indices_from(matrix)] += ridge
    return None


def _cg_direction(loss, coef, grad, precondition, tol=0.0):
    """Approximately solve ``H d = -g`` by preconditioned conjugate gradients.

    Only Hessian-vector products are needed: two passes over ``X`` each, no
    (d K)^2 matrix. The relative residual target ``eta = min(0.5,
    sqrt(||g||))`` (Eisenstat-Walker) gives superlinear convergence; the
    residual need never be below ``tol / 2``, since the new gradient is about
    the residual plus O(||g||^2), and ``tol`` is all that is asked.
    ``precondition`` is ``r -> M^{-1} r`` (see :func:`_preconditioner`).
    Starting from zero, CG stays in the Krylov space of ``g``, which lies in
    the complement of the directions that do not change the model, so no
    projection is needed. Returns ``(d, number of Hessian-vector products)``.
    """
    product = loss.hessp(coef)
    g_norm = np.linalg.norm(grad)
    eta = min(0.5, np.sqrt(g_norm))
    target = max(eta * g_norm, 0.5 * tol)
    max_cg = max(20, min(grad.size, 200))
    d = np.zeros_like(grad)
    r = -grad.copy()
    z = precondition(r)
    p = z.copy()
    rz = r @ z
    n_cg = 0
    while n_cg < max_cg:
        n_cg += 1
        hp = product(p)
        curvature = p @ hp
        if curvature <= EPS * (p @ p):
            break  # flat or singular direction: stop with what we have
        step = rz / curvature
        d += step * p
        r -= step * hp
        if np.linalg.norm(r) <= target:
            break
        z = precondition(r)
        rz_new = r @ z
        p = z + (rz_new / rz) * p
        rz = rz_new
    if not d.any():
        d = -grad
    return d, n_cg


class _ReusedPreconditioner:
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
        self.loss = self.precondition = None
        self.fresh_count = self.last_count = 0

    def __call__(self, loss, coef, grad, tol=0.0):
        stale = self.last_count > 1.5 * self.fresh_count + 2
        rebuild = loss is not self.loss or stale
        if rebuild:
            self.loss, self.precondition = loss, _preconditioner(loss, coef)
        step, self.last_count = _cg_direction(loss, coef, grad, self.precondition, tol)
        if rebuild:
            self.fresh_count = self.last_count
        return step


# Largest n_dof for which the class-block preconditioner is used: K
# factorisations of n_dof x n_dof per Newton step.
_MAX_BLOCK_DOF = 1000
# Rows sampled for the class blocks: their cost, rows * n_dof^2 * K, then stays
# below a few Hessian-vector products even for millions of rows.
_BLOCK_ROWS = 16384


def _preconditioner(loss, coef):
    """``r -> M^{-1} r`` for an approximation ``M`` of the Hessian.

    The Hessian's class-diagonal blocks (exact but for the coupling between
    classes) when ``n_dof`` is at most ``_MAX_BLOCK_DOF`` and the loss offers
    them (``class_blocks`` not absent nor returning None); else its diagonal
    (``hessian_diagonal``), likewise; else the identity.
    """
    n_classes, n_dof = loss.shape
    blocks = None
    if n_dof <= _MAX_BLOCK_DOF and hasattr(loss, "class_blocks"):
        blocks = loss.class_blocks(coef, max_rows=max(_BLOCK_ROWS, 20 * n_dof))
    if blocks is not None:
        identity = np.eye(n_dof)
        inverses = [_cholesky_solve(block, identity) for block in blocks]
        if all(inverse is not None for inverse in inverses):
            inverses = np.stack(inverses)

            # one batched product per CG step instead of K triangular solves
            def solve(r):
                return np.matmul(inverses, r.reshape(n_classes, n_dof, 1)).ravel()

            return solve
    diag = loss.hessian_diagonal(coef) if hasattr(loss, "hessian_diagonal") else None
    if diag is not None:
        inv_diag = 1.0 / np.maximum(diag, EPS * max(float(np.max(diag)), EPS))
        return lambda r: inv_diag * r
    return lambda r: r


# Subsampled Newton: rows of the sample per coefficient, and the least ratio of
# all rows to sampled rows for which the sample is used.
_SAMPLE_ROWS_PER_COEF = 50
_MIN_SAMPLE_RATIO = 8
# The presolve on the sample stops at this max|grad| (or tol, if larger): its
# optimum is within the sampling error, about 1e-2 in the gradient for
# 50 rows per coefficient, of the full one, so more digits would be wasted.
_PRESOLVE_TOL = 1e-6
# A sampled-Hessian step must shrink max|grad| at least this much, or the
# solver switches to the full Hessian for good.
_SAMPLED_RATE = 0.5


def _sample_of(loss):
    """A subsample of ``loss`` for tall data, else None.

    Tall: at least ``400 * n_coef`` rows of positive weight. The subsample
    holds ``50 * n_coef`` of them, drawn at random with a fixed seed: which
    rows depends on their order in ``X``, so reordering the rows of tall
    data moves the result within ``tol`` (not only by rounding).
    """
    n_rows = _SAMPLE_ROWS_PER_COEF * int(np.prod(loss.shape))
    subsample = getattr(loss, "subsample", None)
    least = _MIN_SAMPLE_RATIO * n_rows
    n_samples = getattr(loss, "n_samples", None)
    if subsample is None or n_samples is None or not n_samples >= least:
        return None
    if not (getattr(loss, "n_weighted", None) or 0) >= least:  # rows of positive weight
        return None
    return subsample(n_rows)


def _presolve(solver, sample, coef, tol, max_iter, verbose):
    """The subsample's optimum, by ``solver``, from ``coef``: a cold start's better start."""
    return solver(
        sample, coef, tol=max(tol, _PRESOLVE_TOL), max_iter=max_iter, verbose=verbose,
        label="sample",
    ).coef  # fmt: skip


class _SampledDirection:
    """A Newton direction from the full gradient and a subsample's Hessian.

    On tall data the Hessian needs far fewer rows than the gradient: with
    ``m = 50 n_coef`` random rows, the sampled Hessian ``H_S`` is within about
    ``sqrt(n_coef / m) = 0.14`` of ``H`` in relative terms, so the step
    ``-H_S^{-1} g`` (``g`` exact, from all rows) shrinks the error about
    sevenfold per iteration, at the cost of one full pass for the gradient;
    the Hessian's work shrinks ``n / m`` times. This is the subsampled Newton
    method of Byrd, Chin, Neveitt and Nocedal (SIAM J. Optim. 21, 2011).
    ``tol`` is judged on the full gradient, so the optimum is the same. If a
    step fails, or shrinks ``max|grad|`` by less than half, the full Hessian
    takes over for the remaining iterations.
    """

    def __init__(self, base, sample):
        self.base, self.sample = base, sample
        self.full = False
        self._last = None

    def __call__(self, loss, coef, grad, tol=0.0):
        size = _max_abs(grad)
        if self._last is not None and size > _SAMPLED_RATE * self._last:
            self.full = True
        self._last = size
        return self.base(loss if self.full else self.sample, coef, grad, tol)


def _newton(
    direction, loss, coef0, *, tol, max_iter, verbose=0, callback=None, presolve=True, label="iter"
):
    """Damped Newton iterations with ``direction(loss, coef, grad, tol)``.

    On tall data (see ``_sample_of``) the directions use a subsample's
    Hessian, and with ``presolve`` (a cold start) the iterations begin from
    the subsample's own optimum, found at a fraction of the cost: the first,
    far-from-optimal steps then cost little, and the full data only polish.
    That solve has its own ``max_iter`` iterations at most; ``verbose``
    prints them as ``sample``, while ``n_iter`` and ``callback`` count and
    see only the iterations on all rows.
    """
    coef = np.array(coef0, dtype=np.float64).ravel()
    sample = _sample_of(loss) if direction is not _steepest else None
    if sample is not None:
        if verbose:
            print(f"subsample of {sample.n_samples} rows for the Hessian")
        if presolve:
            coef = _presolve(partial(_newton, direction), sample, coef, tol, max_iter, verbose)
        direction = _SampledDirection(direction, sample)
    value, grad = loss.loss_gradient(coef)
    _report(verbose, 0, value, grad, label=label)
    n_iter = 0
    while True:
        if _max_abs(grad) <= tol:
            return SolverResult(coef, n_iter, True, "max|grad| <= tol")
        if n_iter >= max_iter:
            return SolverResult(coef, n_iter, False, "max_iter reached")
        step = direction(loss, coef, grad, tol)
        found = _line_search(loss, coef, value, grad, step)
        if found is None and isinstance(direction, _SampledDirection) and not direction.full:
            direction.full = True
            found = _line_search(loss, coef, value, grad, direction(loss, coef, grad, tol))
        if found is None and direction is not _steepest:
            found = _line_search(loss, coef, value, grad, _steepest(loss, coef, grad))
        if found is None:
            return SolverResult(
                coef,
                n_iter,
                False,
                "line search failed: the objective stopped decreasing in float64 "
                f"with max|grad| = {_max_abs(grad):.2e}",
            )
        coef, value, grad, t = found
        n_iter += 1
        _report(verbose, n_iter, value, grad, f"  step {t:.3g}", label=label)
        if callback is not None and callback(n_iter, coef, value, grad):
            return SolverResult(coef, n_iter, _max_abs(grad) <= tol, "stopped by callback", True)


def _steepest(loss, coef, grad, tol=0.0):
    return -grad


def newton_cholesky(loss, coef0, **options):
    """Newton's method with the exact, block-symmetric Hessian and Cholesky.

    ``options``: ``tol``, ``max_iter``, ``verbose``, ``callback``, ``presolve``.
    """
    return _newton(_cholesky_direction, loss, coef0, **options)


def newton_cg(loss, coef0, **options):
    """Truncated Newton: conjugate gradients on Hessian-vector products.

    ``options``: ``tol``, ``max_iter``, ``verbose``, ``callback``, ``presolve``.
    """
    return _newton(_ReusedPreconditioner(), loss, coef0, **options)


# -- L-BFGS -------------------------------------------------------------------
def lbfgs(loss, coef0, *, tol, max_iter, verbose=0, callback=None, presolve=True, label="iter"):
    """L-BFGS-B from ``scipy.optimize.minimize``, with the analytic gradient.

    It stops at ``max|grad| <= tol`` (``gtol``) with ``ftol`` at the float64
    resolution. L-BFGS-B also stops when the objective no longer decreases in
    floating point, which on small problems happens with the gradient still
    near 1e-8; in that case, and only then, up to ten gradient-driven
    truncated-Newton steps finish the job (each counted in ``n_iter``).
    """
    coef = np.array(coef0, dtype=np.float64).ravel()
    sample = _sample_of(loss) if presolve else None
    if sample is not None:  # start from the subsample's optimum, as _newton does
        if verbose:
            print(f"subsample of {sample.n_samples} rows for the start")
        coef = _presolve(lbfgs, sample, coef, tol, max_iter, verbose)
    state = {"n_iter": 0}

    def scipy_callback(intermediate_result):
        state["n_iter"] += 1
        x = intermediate_result.x
        value, grad = (
            loss.loss_gradient(x) if callback or verbose else (intermediate_result.fun, None)
        )
        if verbose:
            _report(verbose, state["n_iter"], value, grad, label=label)
        if callback is not None and callback(state["n_iter"], x, value, grad):
            state["stopped"] = x.copy()
            raise StopIteration

    result = optimize.minimize(
        loss.loss_gradient,
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
        _, grad = loss.loss_gradient(state["stopped"])
        return SolverResult(
            state["stopped"], n_iter, _max_abs(grad) <= tol, "stopped by callback", True
        )
    value, grad = loss.loss_gradient(coef)
    if _max_abs(grad) <= tol:
        return SolverResult(coef, n_iter, True, "max|grad| <= tol")
    if n_iter >= max_iter:
        return SolverResult(coef, n_iter, False, "max_iter reached")
    # L-BFGS-B stalled on the float64 resolution of f: polish.
    shifted = None
    if callback is not None:

        def shifted(i, *args):  # iterations continue the L-BFGS count
            return callback(n_iter + i, *args)

    polish = _newton(
        _ReusedPreconditioner(),
        loss,
        coef,
        tol=tol,
        max_iter=min(10, max_iter - n_iter),
        verbose=verbose,
        callback=shifted,
        presolve=False,
        label=label,
    )
    polish.n_iter += n_iter
    if not polish.converged:
        polish.message = f"L-BFGS-B: {result.message}; then {polish.message}"
    return polish


SOLVERS = {
    "lbfgs": lbfgs,
    "newton-cg": newton_cg,
    "newton-cholesky": newton_cholesky,
}


def choose_solver(n_dof, n_classes):
    """The solver ``solver="auto"`` picks, from the problem's shape.

    ``newton-cholesky`` when ``n_dof * n_classes <= 500``, ``newton-cg``
    otherwise. One exact Hessian costs about ``n (n_dof K)^2`` operations
    (a dense symmetric product, fast per operation), one Hessian-vector
    product ``4 n n_dof K``; with the class-block preconditioner a Newton-CG
    step takes 5 to 20 products on well-conditioned data and up to a hundred
    on strongly collinear data, where the exact Hessian is the safe choice
    while it is cheap. Measured on this package's benchmarks (digits, with
    650 parameters: newton-cg 2 to 3 times faster; synthetic collinear data
    with 303 parameters: newton-cholesky 10 times faster). The number of
    samples does not enter (both costs grow linearly with it), nor does
    sparsity: Hessian blocks are dense either way, and for sparse data with
    many features the parameter count alone rules the Hessian out. On tall
    data both Newton solvers take their Hessian from a subsample
    (``_SampledDirection``), which divides either cost by the same factor.
    """
    if n_dof * n_classes <= 500:
        return "newton-cholesky"
    return "newton-cg"
