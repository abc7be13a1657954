"""Subsampled Newton on tall data: a sample's Hessian with the full gradient.

On tall data (at least ``400 n_coef`` rows of positive weight) the Newton
solvers take their Hessian from ``50 n_coef`` random rows while the gradient,
and ``tol``, stay exact: the same optimum at a fraction of the passes over
``X``. A cold start first solves the problem of a fifth of those rows (a
better start, :func:`presolve_on`). The data term draws the rows (its
``subsample`` method).
"""

from collections import deque

import numpy as np

from ..datafits._blocks import tall_sample_rows
from ._base import max_abs

# The presolve stops at this max|grad| (or tol, if larger): its optimum is
# within the sampling error, about 1e-2 in the gradient for 10 to 50 rows per
# coefficient, of the full one, so more digits would be wasted.
_PRESOLVE_TOL = 1e-6
# The presolve's own rows per coefficient, and the fewest (see presolve_on).
_PRESOLVE_ROWS_PER_COEF = 10
_PRESOLVE_MIN_ROWS = 2000
# A sampled-Hessian step must shrink max|grad| at least this much, or the
# solver switches to the full Hessian for good.
_SAMPLED_RATE = 0.5
# Secant pairs (step, change of the full gradient) that correct the sampled
# Hessian (see SampledDirection), and the shrinking of max|grad| a corrected step
# must reach (else the full Hessian takes over, as for a plain sampled step).
_SECANT_MEMORY = 10
_SECANT_RATE = 0.25
# The least relative residual to which a sampled step's system is solved: the
# sample's Hessian stands for the full one only to about 0.1 (see SampledDirection).
_SAMPLED_FORCING = 0.1


def sample_of(objective):
    """A subsample of ``objective`` for tall data, else None.

    Tall: at least ``400 * n_coef`` rows of positive weight. The subsample
    holds ``50 * n_coef`` of them, drawn at random with a fixed seed: which
    rows depends on their order in ``X``, so reordering the rows of tall
    data moves the result within ``tol`` (not only by rounding).
    """
    n_coef = objective.shape[0] * objective.shape[1]
    n_rows = tall_sample_rows(objective.n_samples, objective.n_weighted, n_coef)
    return None if n_rows is None else objective.subsample(n_rows)


def presolve_on(solver, sample, coef, tol, max_iter, verbose):
    """A smaller sample's optimum, by ``solver``, from ``coef``: a cold start's better start.

    The presolve runs on ``_PRESOLVE_ROWS_PER_COEF n_coef`` rows (at least
    ``_PRESOLVE_MIN_ROWS``) drawn from ``sample`` (whose ``50 n_coef`` rows
    serve the Hessian), if that is at most half of them (else on all of
    them: at 2000 of 3000 rows, 40000 x 14 x 4 took 7 full iterations
    instead of 6): its optimum is a start, whose error the full steps
    then shrink about tenfold each, and a sample five times smaller leaves
    it only about ``sqrt(5)`` times farther (a third of a full step) for a
    fifth of the presolve's cost. Measured on 1e6 x 100 x 10 (one core,
    ``benchmarks/bench_tall.py``, medians of 3): the same 6 iterations on
    all rows, float64 3.28 -> 3.08 s, float32 2.51 -> 2.23 s; on five
    smaller tall tables 0.92 to 1.07 times the time (one more iteration on
    four). In a trial drawing them from all rows: 3.32 -> 2.96 s; with 5
    rows per coefficient 7 iterations, with 2 13 s instead of 3 (the
    presolve's optimum too far off).
    """
    n_rows = max(_PRESOLVE_ROWS_PER_COEF * sample.shape[0] * sample.shape[1], _PRESOLVE_MIN_ROWS)
    smaller = sample.subsample(n_rows) if 2 * n_rows <= sample.n_samples else None
    if smaller is not None and verbose:
        print(f"presolve on {smaller.n_samples} of those rows")
    return solver(
        sample if smaller is None else smaller, coef, tol=max(tol, _PRESOLVE_TOL),
        max_iter=max_iter, verbose=verbose, label="sample",
    ).coef  # fmt: skip


class SampledDirection:
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

    Each step also tells what the full Hessian does along it, for free: the
    change of the full gradient, ``y = g_new - g_old ~ H s``. The last
    ``_SECANT_MEMORY`` such pairs correct the sample's Hessian where it
    errs (the BFGS update, applied by L-BFGS's two loops with ``H_S`` as
    the initial matrix): a Krylov acceleration of the fixed-point
    iteration, whose error then shrinks like conjugate gradients
    preconditioned by ``H_S`` instead of like ``I - H_S^{-1} H``. Measured
    on 1e6 x 100 x 10 (``make_dense``): from the sample's optimum, the full
    gradient fell about 12-fold a step without the pairs and 13- to 16-fold
    with them, 7 passes over ``X`` to ``tol=1e-8`` instead of 8 (2.15 s
    instead of 2.53, two threads). A corrected step must shrink ``max|grad|``
    fourfold, not twofold, or the full Hessian takes over: on nearly
    separable tall data (30000 x 5 x 3, C=100), where a sample of 900 rows
    holds few of the rows that shape the Hessian, corrected steps shrank it
    only threefold and took 8 iterations where the switch takes 5.

    The system ``H_S r = q`` itself is solved by newton-cg's conjugate
    gradients to a relative residual of ``_SAMPLED_FORCING`` (0.1) at
    least, not to the truncated Newton accuracy of an exact Hessian
    (``sqrt(|g|)``, 1e-3 near the optimum): ``H_S`` stands for ``H`` only
    to about 0.1, so a more exact solve buys no better step. (newton-cholesky
    solves it exactly with a fresh factor, and on a reused one to a fiftieth
    of the tolerance it is handed, ``_POLISH``: 0.02.)
    Measured on 1e6 x 100 x 10 (one core, ``benchmarks/bench_tall.py``,
    medians of 3): the same 6 iterations, float64 3.58 -> 3.28 s, float32
    2.79 -> 2.51 s; on four smaller tall tables 0.89 to 1.01 times the
    time; over ``benchmarks/bench_subsample.py``'s 160 problems 926
    iterations on all rows instead of 919 in the same total time. A
    residual of 0.2 tipped a step of that table under the fourfold
    shrinking a corrected step must reach, and the full Hessian took over
    (3.2 s instead of 1.9, two threads). The other way round, a corrected
    step may now shrink the gradient just over fourfold where it fell just
    short before: bench_subsample's 30000 x 5 x 5 at C=inf takes 9 full
    iterations instead of 5 (two of them on the full Hessian), in the same
    time.
    """

    def __init__(self, base, sample, memory=_SECANT_MEMORY):
        self.base, self.sample = base, sample
        self.full = False
        self._last = None
        self._pairs = deque(maxlen=memory)
        self._previous = None

    def __call__(self, objective, coef, grad, tol=0.0):
        size = max_abs(grad)
        # the last step's own bar: a corrected step (pairs in use) must do better
        rate = _SECANT_RATE if self._pairs else _SAMPLED_RATE
        if self._last is not None and size > rate * self._last:
            self.full = True
        self._last = size
        if self.full:
            return self.base(objective, coef, grad, tol)
        self._remember(coef, grad)
        return -self._inverse(coef, grad, tol)

    def _remember(self, coef, grad):
        """Keep the secant pair of the last step: ``s`` and ``y = g(new) - g(old)``."""
        if self._previous is not None:
            s = coef - self._previous[0]
            y = grad - self._previous[1]
            sy = s @ y
            if sy > 1e-12 * np.sqrt((s @ s) * (y @ y)):
                self._pairs.append((s, y, 1.0 / sy))
        self._previous = (coef.copy(), grad.copy())

    def _inverse(self, coef, grad, tol):
        """``B^{-1} g``: the sampled Hessian updated by the pairs (L-BFGS's two loops)."""
        q = grad.copy()
        alphas = []
        for s, y, rho in reversed(self._pairs):
            alpha = rho * (s @ q)
            q -= alpha * y
            alphas.append(alpha)
        # conjugate gradients on H_S need not go below the residual 0.1 |q|
        # (newton-cg's cg_direction targets max(eta |q|, tol / 2))
        loose = max(tol, 2 * _SAMPLED_FORCING * float(np.linalg.norm(q)))
        r = -self.base(self.sample, coef, q, loose)
        for (s, y, rho), alpha in zip(self._pairs, reversed(alphas), strict=True):
            beta = rho * (y @ r)
            r += (alpha - beta) * s
        return r
