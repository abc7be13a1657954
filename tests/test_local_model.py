"""The proximal Newton solver's inner problem: the quadratic plus the L1 norm.

``q(u) = g.(u - u0) + 1/2 (u - u0)^T H (u - u0) + sum_j t_j |u_j|``, solved by
FISTA and by the active-set (feature-sign) search; both are checked against
the optimality conditions directly, and against each other.
"""

import numpy as np
import pytest

from sk_softmax.solvers._local_model import _subgradient, active_set, fista


class _Model:
    def __init__(self, matrix, grad, start):
        self.matrix, self.grad, self.start = matrix, grad, start
        self.product = matrix.__matmul__


def _problem(m, singular, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((4 * m, m)) * np.logspace(0, 2, m)  # badly scaled columns
    grad = rng.standard_normal(m) * 10
    if singular:
        # flat along the shift of the two free entries, where the gradient has no part:
        # the intercepts' shift across classes, without a ridge
        A[:, -1] = A[:, -2]
        grad[-1] = grad[-2]
    matrix = A.T @ A / A.shape[0]
    start = rng.standard_normal(m) * (rng.random(m) < 0.5)
    thresholds = rng.uniform(0.5, 5.0, m)
    thresholds[-2:] = 0.0  # two free entries, as the intercepts
    return _Model(matrix, grad, start), thresholds


def _q(model, thresholds, u):
    d = u - model.start
    return model.grad @ d + 0.5 * d @ model.matrix @ d + thresholds @ np.abs(u)


def _violation(model, thresholds, u):
    residual = model.grad + model.matrix @ (u - model.start)
    return np.max(np.abs(_subgradient(u, residual, thresholds)))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("m, singular", [(12, False), (40, False), (12, True), (40, True)])
def test_active_set_meets_the_optimality_conditions(m, singular, seed):
    model, thresholds = _problem(m, singular, seed)
    target = 1e-9 * np.abs(model.grad).max()
    u, steps = active_set(model, thresholds, target, 4 * m)
    assert u is not None and steps <= 4 * m
    assert _violation(model, thresholds, u) <= target
    # the least-norm subgradient is zero at the minimiser only: FISTA, run long, is no lower
    step = 1.0 / (1.1 * np.linalg.eigvalsh(model.matrix)[-1])
    prox = lambda v, s: np.sign(v) * np.maximum(np.abs(v) - s * thresholds, 0.0)  # noqa: E731
    other, _ = fista(model, prox, step, target, 200_000)
    q_active, q_fista = _q(model, thresholds, u), _q(model, thresholds, other)
    scale = abs(q_fista) + np.abs(model.grad) @ np.abs(u - model.start)
    assert q_active <= q_fista + 1e-9 * scale
    # where the minimiser is unique (full rank) the two agree entry by entry, zeros included
    if not singular:
        np.testing.assert_allclose(u, other, atol=1e-6 * np.abs(u).max())
        assert np.array_equal(u == 0, np.abs(other) < 1e-8 * np.abs(u).max())


def test_active_set_gives_up_rather_than_loop():
    model, thresholds = _problem(30, False, 0)
    u, steps = active_set(model, thresholds, 0.0, 3)  # an unreachable target
    assert u is None and steps == 3


@pytest.mark.parametrize("m", [3, 15, 64])
def test_least_norm_solve_is_numpys_on_singular_blocks(m):
    # the active-set search's solves: blocks of a Hessian that is flat along the shift of
    # the free entries; the least-norm solution (not one of its 1e15-sized alternatives)
    from sk_softmax.solvers._local_model import _least_norm

    model, _ = _problem(m, singular=True, seed=m)
    rng = np.random.default_rng(m)
    rhs = model.matrix @ rng.standard_normal(m)  # consistent, as the search's right sides
    rhs[-2:] += [1.0, -1.0]  # and one that is not: least squares
    ours = _least_norm(model.matrix, rhs)
    numpys = np.linalg.lstsq(model.matrix, rhs, rcond=1e-12)[0]
    # two backward-stable solvers agree to the condition number (on the matrix's range)
    # times the rounding, relative to the solution
    singular = np.linalg.svd(model.matrix, compute_uv=False)
    condition = singular[0] / singular[singular > 1e-12 * singular[0]][-1]
    bound = 100 * condition * np.finfo(float).eps * np.linalg.norm(numpys)
    np.testing.assert_allclose(ours, numpys, rtol=0, atol=bound)
