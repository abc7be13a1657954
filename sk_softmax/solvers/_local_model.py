"""The proximal Newton solver's inner problem: a quadratic plus a sum of group norms.

At ``theta`` the local model of ``f + h`` is, in ``u = theta + d``,

    q(u) = g . (u - theta) + 1/2 (u - theta)^T H (u - theta) + h(u)

(``g``, ``H`` the gradient and Hessian of ``f`` at ``theta``, on the
coefficients of a working set), solved by accelerated proximal gradient
(:func:`fista`), ``H`` a matrix or known through Hessian-vector products,
or, for the entry-wise norm on a small working set with ``H`` a matrix, by
the active-set (feature-sign) search (:func:`active_set`).

The active-set search is exact in a few linear solves when the sign pattern
changes little (a warm start along a path: 1 to 7 solves of 15 to 42
coefficients on iris and wine), where FISTA on raw, correlated features
needs hundreds of iterations (a 100-point path on iris: 2.3 s to 0.55 s,
wine 0.79 s to 0.50 s). On large sets it loses: on digits it needed 20 to
30 solves of a 500 x 500 block per Newton step, as the sign pattern changes
one kink at a time, 5 to 10 times FISTA's time. Measured and not kept:
Jacobi scaling of FISTA (under 20% fewer iterations), cyclic coordinate
descent in a Python loop (100 to 170 sweeps a step on raw iris: slower
than FISTA).
"""

import copy
import math
from types import SimpleNamespace

import numpy as np
from scipy import linalg

from ._base import max_abs, same_rows


class LocalModel:
    """The quadratic part of ``q`` on the coefficients ``index`` of ``smooth`` at ``coef``.

    ``columns``: the feature columns of the working set (``index`` is their
    coefficients in every class, and the intercept's). When ``explicit``,
    ``H`` is a matrix, the Hessian of ``smooth`` restricted to those columns
    (one pass costing ``n (K |columns|)^2``, not ``n (K d)^2``); otherwise
    only Hessian-vector products of the whole ``H`` are used.
    """

    def __init__(self, smooth, coef, grad, index, columns, explicit):
        self.index = index
        self.start = coef[index]
        self.grad = grad[index]
        self.matrix = None
        if explicit:
            if index.size < coef.size:
                matrix = smooth.columns(columns).hessian(self.start)
            else:
                matrix = smooth.hessian(coef)
            self.matrix = matrix
            self.product = matrix.__matmul__
        else:
            full = smooth.hessp(coef)
            buffer = np.zeros(coef.size)

            def product(v):
                buffer[index] = v
                return full(buffer)[index]

            self.product = product
        self.step = None  # FISTA's step, 1 / (an upper estimate of H's largest eigenvalue)

    def moved(self, coef, grad):
        """The same curvature at a new point: ``H`` kept, the gradient and start new."""
        out = copy.copy(self)
        out.start, out.grad = coef[self.index], grad[self.index]
        return out

    def patched(self, index, coef, grad, diagonal):
        """This explicit ``H`` on the entries ``index``, at a new point.

        Kept on the entries both sets hold; on the new ones the exact
        ``diagonal`` (of every entry of ``index``), uncoupled from the rest.
        """
        shared = np.flatnonzero(np.isin(index, self.index))
        new = np.flatnonzero(~np.isin(index, self.index))
        previous = np.searchsorted(self.index, index[shared])
        matrix = np.zeros((index.size, index.size))
        matrix[np.ix_(shared, shared)] = self.matrix[np.ix_(previous, previous)]
        matrix[new, new] = diagonal[new]
        out = copy.copy(self)
        out.index, out.matrix, out.product, out.step = index, matrix, matrix.__matmul__, None
        out.start, out.grad = coef[index], grad[index]
        return out


# A full step that shrinks the optimality violation by this factor or more keeps its Hessian
# for the next step (KeptHessians). It was once, then rebuilt: keeping it while it serves,
# carrying it along a path and patching it where the working set changed took a 25-point
# path of dense-std (benchmarks/bench_sparse.py, 20000 x 100 x 10, l1_ratio 0.5) from 73
# Hessians to 36, 24.7 / 16.6 s to 11.8 / 11.6 s (alternating runs on a loaded machine).
REUSE_RATE = 0.1
# Smallest Hessian worth keeping, in n m^2 (rows times coefficients squared): below it a
# new one costs less than the extra steps a kept one may take (a step's Python overhead
# alone is a few hundred microseconds). Measured on 100-point paths: iris and wine
# standardised (m <= 42, n m^2 <= 3e5) 15% slower with every Hessian kept; digits
# standardised (m up to 650, 7.6e8) 20% faster.
_KEEP_FROM = 1e7
# Smallest share of a new working set's entries that a kept Hessian must hold to be patched
# (the rest taking their diagonal) rather than rebuilt.
_PATCH_SHARE = 0.8


class KeptHessians:
    """The local models' Hessians: a new one, or the last one kept while it serves.

    Only explicit Hessians (matrices) of ``n m^2`` at least ``_KEEP_FROM``
    are kept: they are most of a step's cost (``m`` coefficients), while a
    model of Hessian-vector products costs nothing to rebuild, and a small
    matrix less than the extra steps a kept one may take. A full step that shrank the
    optimality violation by ``REUSE_RATE`` or more keeps its Hessian for the
    next step: near the optimum it changes little, and the step it gives
    still shrinks the violation by about that factor times its relative
    change; a step that did not, or was not full, has the next one build a
    new Hessian, and so does a kept Hessian whose step fails (``fresh``).
    Through ``memory`` (a solver's, kept across the fits of a path on the
    same rows: :func:`~._base.same_rows`) the last step's Hessian is the next
    fit's first. When the working set has changed, a kept Hessian that holds
    at least ``_PATCH_SHARE`` of the new set's entries serves on them, the
    new entries taking their exact diagonal (one pass over the data): the
    entries that join are near zero, and the rule above judges the step
    either way.
    """

    def __init__(self, memory, smooth):
        self.memory = memory
        self.model, self.reuse, self.kept = None, False, False
        if memory is not None:
            carried = memory.get("hessian")
            if carried is not None and same_rows(smooth, carried[0]):
                self.model, self.reuse = carried[1], True

    def local_model(self, curvature, coef, grad, index, columns, explicit, fresh=False):
        """The local model on ``index`` at ``coef`` (see :class:`LocalModel`)."""
        model = None if fresh or not (self.reuse and explicit) else self.model
        if model is not None and not np.array_equal(index, model.index):
            if np.isin(index, model.index).mean() >= _PATCH_SHARE:
                model = model.patched(index, coef, grad, curvature.hessian_diagonal(coef)[index])
            else:
                model = None
        elif model is not None:
            model = model.moved(coef, grad)  # the last Hessian, at the new point
        self.kept = model is not None
        if model is None:
            model = LocalModel(curvature, coef, grad, index, columns, explicit)
        self.model = model
        self.worth = model.matrix is not None and curvature.n_samples * index.size**2 >= _KEEP_FROM
        if self.memory is not None and self.worth:  # not the data term itself
            rows = SimpleNamespace(shape=curvature.shape, n_samples=curvature.n_samples)
            self.memory["hessian"] = (rows, model)
        return model

    def judge(self, served):
        """Whether the next step may keep the Hessian: ``served``, the rule above."""
        self.reuse = served and self.worth


def largest_eigenvalue(product, size, rng):
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


def fista(model, norm_prox, step, target, max_inner):
    """Minimise ``q`` from ``u0 = model.start`` by accelerated proximal gradient.

    With the gradient restart of O'Donoghue and Candes (2015); stops when
    the gradient mapping ``(y - u) / step`` has no entry above ``target``.
    Returns ``(u, iterations)``.
    """
    start = model.start
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


def active_set(model, thresholds, target, max_steps):
    """Minimise ``q`` for the entry-wise norm by the feature-sign search of Lee et al. (2007).

    On the explicit Hessian of a small working set. With a guess of the
    signs of the non-zero entries, ``q`` is a quadratic on them, minimised by
    one linear solve; a step towards that minimiser stops at the best of the
    points where an entry changes sign (a convex function along the segment);
    once the non-zero entries are optimal, the zero entry whose gradient
    exceeds its threshold most joins, with the sign that lowers ``q``. Stops
    when the least-norm subgradient of ``q`` has no entry above ``target``.
    Returns ``(u, steps)``, or ``(None, steps)`` if ``max_steps`` linear
    solves did not get there.
    """
    matrix = model.matrix
    shift = model.grad - matrix @ model.start  # q's smooth gradient at u: shift + H u
    free = thresholds == 0  # the intercepts: never held at zero
    u = model.start.copy()
    for step in range(1, max_steps + 1):
        residual = shift + matrix @ u
        violation = _subgradient(u, residual, thresholds)
        if max_abs(violation) <= target:
            return u, step - 1
        sign = np.sign(u)
        moving = (u != 0) | free
        if max_abs(violation[moving]) <= target:
            # the non-zero entries are optimal: the zero entry that violates most joins, with
            # the sign that lowers q (one at a time: the search then cannot cycle)
            at_zero = np.flatnonzero(~moving)
            worst = at_zero[np.argmax(np.abs(violation[at_zero]))]
            sign[worst] = -np.sign(residual[worst])
        active = np.flatnonzero((sign != 0) | free)
        block = matrix[np.ix_(active, active)]
        right = -(shift[active] + thresholds[active] * sign[active])
        # the least-norm solution: without a ridge the Hessian is singular along the shift
        # of every class's intercept, where q is flat (a plain solve returns 1e15 there)
        solved = _least_norm(block, right)
        if not np.all(np.isfinite(solved)):
            return None, step
        new = np.zeros_like(u)
        new[active] = solved
        u = _best_on_segment(u, new, shift, matrix, thresholds)
    return None, max_steps


def _least_norm(matrix, rhs):
    """The least-norm least-squares solution of ``matrix x = rhs`` (relative cutoff 1e-12).

    LAPACK's gelsy (complete orthogonal factorisation) called directly: on
    the active-set search's small blocks ``numpy.linalg.lstsq`` (gelsd, an
    SVD) cost 28 us a solve against 10 (15 x 15; iris' L1 fit makes 25).
    The two agree to rounding on the blocks here, whose null space (the
    intercepts' shift) is exact; gelsy decides the rank from a condition
    estimate, so a singular value within a few orders of the cutoff can be
    kept where gelsd drops it. NumPy's on the rare failure.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    rhs = np.asarray(rhs, dtype=np.float64)
    n = matrix.shape[1]
    gelsy, gelsy_lwork = linalg.lapack.get_lapack_funcs(("gelsy", "gelsy_lwork"), (matrix,))
    work, info = gelsy_lwork(matrix.shape[0], n, 1, 1e-12)
    if info == 0:
        _, solved, _, _, info = gelsy(matrix, rhs[:, None], np.zeros(n, dtype=np.int32), 1e-12,
                                      int(work))  # fmt: skip
        if info == 0:
            return solved[:n, 0]
    return np.linalg.lstsq(matrix, rhs, rcond=1e-12)[0]


def _best_on_segment(u, new, shift, matrix, thresholds):
    """The point of lowest ``q`` among ``new`` and the sign changes between ``u`` and it."""
    delta = new - u
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing = -u / delta
    ts = np.unique(crossing[(crossing > 0) & (crossing < 1)])
    if ts.size == 0:
        return new
    points = u + np.append(ts, 1.0)[:, None] * delta
    values = (
        points @ shift
        + 0.5 * np.einsum("ij,ij->i", points @ matrix, points)
        + np.abs(points) @ thresholds
    )
    k = int(np.argmin(values))
    best = points[k]
    if k < ts.size:
        best[crossing == ts[k]] = 0.0  # the entries that cross there, exactly zero
    return best


def _subgradient(u, residual, thresholds):
    """The least-norm subgradient of ``q`` at ``u``, for the entry-wise norm."""
    shrunk = np.sign(residual) * np.maximum(np.abs(residual) - thresholds, 0.0)
    return np.where(u != 0, residual + thresholds * np.sign(u), shrunk)
