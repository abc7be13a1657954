"""What the Newton solvers keep between steps and between fits: factors, blocks, budgets.

newton-cholesky's reused factor, newton-cg's class blocks or diagonal, the
cost models that decide between them, and the memory a regularisation path
carries from one C to the next: each saves work, and none may change the
optimum.
"""

import numpy as np
import pytest
from sklearn.datasets import load_wine, make_classification

from sk_softmax import SoftmaxClassifier
from sk_softmax.solvers._smooth import SmoothObjective
from sk_softmax.solvers.newton import cholesky_direction


def _table_problem():
    """Raw features of very different scales, 7 classes, 1500 rows: a mid-size table
    where a Hessian costs many Hessian-vector products."""
    X, y = make_classification(
        n_samples=1500, n_features=12, n_informative=8, n_classes=7, n_clusters_per_class=1,
        class_sep=1.5, random_state=7,
    )  # fmt: skip
    return X * np.logspace(-2, 3, 12) + np.linspace(0, 500, 12), y


def _counted_newton(X, y, direction, tol=1e-10):
    from sk_softmax import _fit
    from sk_softmax.backends import backend_of
    from sk_softmax.solvers.newton import newton

    data, weights = backend_of(X).fit_data(SoftmaxClassifier(), X, y, None)
    problem = _fit.build_problem(data, _fit.weigh(data, weights, None, 1.0), _fit.Settings())
    objective = problem.smooth()
    calls = []
    hessian = objective.hessian
    objective.hessian = lambda coef: calls.append(1) or hessian(coef)
    start = problem.to_solver(_fit.start_point(problem, tol))
    result = newton(direction, objective, start, tol=tol, max_iter=100)
    return result, len(calls), objective


def test_reused_factor_takes_fewer_hessians_for_the_same_optimum():
    from sk_softmax.solvers.newton import ReusedFactor, reuse_budget

    X, y = _table_problem()
    exact, exact_hessians, _ = _counted_newton(X, y, cholesky_direction)
    reused, reused_hessians, objective = _counted_newton(X, y, ReusedFactor())
    assert reuse_budget(objective) >= 2
    assert exact.converged and reused.converged
    assert exact_hessians == exact.n_iter
    # the factor is reused: fewer Hessians than steps, and fewer than the exact solver's
    assert reused_hessians < reused.n_iter and reused_hessians < exact_hessians
    _, grad = objective.loss_gradient(reused.coef)
    assert np.abs(grad).max() <= 1e-10
    # both optima within what max|grad| <= 1e-10 allows (strongly convex in the model)
    np.testing.assert_allclose(reused.coef, exact.coef, atol=1e-6 * np.abs(exact.coef).max())


def test_reused_factor_rebuilds_when_conjugate_gradients_fail(monkeypatch):
    # a budget of one product: every attempt on the old factor fails, and the
    # solver falls back to a new Hessian at each step, as the exact solver does
    from sk_softmax.solvers import newton as newton_module

    monkeypatch.setattr(newton_module, "reuse_budget", lambda objective: 1)
    X, y = _table_problem()
    exact, _, _ = _counted_newton(X, y, cholesky_direction)
    result, hessians, _ = _counted_newton(X, y, newton_module.ReusedFactor())
    assert result.converged and hessians >= result.n_iter - 1
    np.testing.assert_allclose(result.coef, exact.coef, atol=1e-6 * np.abs(exact.coef).max())


def test_reuse_budget_by_cost():
    from sk_softmax.solvers.newton import reuse_budget

    class Shape:
        def __init__(self, n, k, d):
            self.n_samples, self.shape = n, (k, d)

    assert reuse_budget(Shape(150, 3, 5)) == 0  # iris: a Hessian costs a few products
    mid = reuse_budget(Shape(2310, 7, 20))
    assert 5 <= mid < reuse_budget(Shape(5500, 11, 41)) <= 30


def _wide_short_problem(n_redundant=0):
    """Few rows, many columns, many classes: the class blocks cost more than 40 products."""
    X, y = make_classification(
        n_samples=240, n_features=70, n_informative=20, n_redundant=n_redundant, n_classes=12,
        n_clusters_per_class=1, random_state=11,
    )  # fmt: skip
    return X, y


def _counted_blocks(monkeypatch, X, y, direction=None):
    from sk_softmax.solvers import cg

    calls = []
    build = cg.preconditioner
    monkeypatch.setattr(cg, "preconditioner", lambda *args: calls.append(1) or build(*args))
    direction = cg.ReusedPreconditioner() if direction is None else direction
    result, _, objective = _counted_newton(X, y, direction)
    return result, len(calls), objective


def _assert_same_model(coef, expected, shape):
    """Equal up to what max|grad| <= 1e-10 allows, once the free shift is removed.

    Adding the same value to every class's intercept changes no prediction:
    conjugate gradients and the minimum-norm Cholesky step may end apart
    along it. Centring over classes removes it (the L2 penalty already
    centres every weight column at the optimum).
    """
    centred = [c.reshape(shape) - c.reshape(shape).mean(axis=0) for c in (coef, expected)]
    np.testing.assert_allclose(*centred, atol=1e-6 * np.abs(centred[1]).max())


def test_newton_cg_takes_the_diagonal_where_the_blocks_cost_most(monkeypatch, load_benchmark):
    # the look-alike of libras (360 x 90 x 15, columns of one scale): the
    # blocks would cost about 60 products, and the diagonal serves every step
    from sk_softmax.solvers import cg

    X, y = load_benchmark("tables").table("libras-like")
    exact, _, _ = _counted_newton(X, y, cholesky_direction)
    result, blocks, objective = _counted_blocks(monkeypatch, X, y)
    assert cg.block_cost(objective) > cg._DIAGONAL_FIRST
    assert result.converged and blocks == 0
    _, grad = objective.loss_gradient(result.coef)
    assert np.abs(grad).max() <= 1e-10
    _assert_same_model(result.coef, exact.coef, objective.shape)


def test_correlated_columns_hand_the_diagonal_over_to_the_blocks(monkeypatch):
    # 20 redundant columns of 70: a diagonal solve hits its cap (half the
    # blocks' cost) and the blocks take over, for good
    X, y = _wide_short_problem(n_redundant=20)
    exact, _, _ = _counted_newton(X, y, cholesky_direction)
    result, blocks, objective = _counted_blocks(monkeypatch, X, y)
    assert result.converged and blocks >= 1
    _assert_same_model(result.coef, exact.coef, objective.shape)


def test_block_cost_grows_with_the_blocks_against_the_products():
    from sk_softmax.solvers.cg import block_cost

    class Shape:
        def __init__(self, n, k, d):
            self.n_samples, self.shape = n, (k, d)

    # libras-like 360 x 90 x 15: the blocks cost about 60 products; vowel-like 990 x 13 x 11, 7
    assert 40 < block_cost(Shape(360, 15, 91)) < 80
    assert block_cost(Shape(990, 11, 14)) < 10
    # rows beyond the blocks' sample make products dearer, the blocks not
    assert block_cost(Shape(10**6, 10, 101)) < block_cost(Shape(10**4, 10, 101))


@pytest.mark.parametrize("solver", ["newton-cholesky", "newton-cg"])
def test_a_memory_kept_across_Cs_gives_the_same_optima_for_fewer_hessians(solver, monkeypatch):
    # a regularisation path: the next C on the same rows starts from the last
    # optimum and tries the last factor (or class blocks) first
    from sk_softmax import _fit
    from sk_softmax.backends import backend_of
    from sk_softmax.datafits.numpy import SoftmaxDatafit

    X, y = make_classification(
        n_samples=3000, n_features=15, n_informative=8, n_classes=5, random_state=2
    )
    built = []
    for method in ("hessian", "class_blocks"):
        original = getattr(SoftmaxDatafit, method)
        monkeypatch.setattr(
            SoftmaxDatafit, method,
            lambda self, *a, _o=original, **k: built.append(1) or _o(self, *a, **k),
        )  # fmt: skip
    data, weights = backend_of(X).fit_data(SoftmaxClassifier(), X, y, None)

    def path(memory):
        built.clear()
        solutions, coef = [], None
        for C in (0.1, 1.0, 10.0, 100.0):
            settings = _fit.Settings(C=C, solver=solver, tol=1e-10)
            problem = _fit.build_problem(data, _fit.weigh(data, weights, None, C), settings)
            start = _fit.start_point(problem, settings.tol) if coef is None else coef
            result = _fit.solve(problem, settings, start, memory=memory)
            assert result.converged
            coef = result.coef
            solutions.append(coef)
        return solutions, len(built)

    fresh, fresh_built = path(None)
    kept, kept_built = path({})
    assert kept_built < fresh_built
    for a, b in zip(kept, fresh, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6 * np.abs(b).max())


@pytest.mark.parametrize("solver", ["newton-cholesky", "newton-cg", "lbfgs"])
@pytest.mark.parametrize("shape", [(300, 5, 3), (40000, 15, 4)])  # a standardised copy, or not
@pytest.mark.parametrize("C", [1.0, np.inf])
def test_objective_is_the_objective_at_the_returned_model(solver, shape, C):
    # the Newton solvers hand their last value to the fit (no pass over the
    # data for objective_): the same function at the same point, so equal to
    # what sk_softmax.objective computes from coef_ and intercept_ to
    # rounding, which here is that of the raw outputs in the original
    # coordinates: eps (d + 1) sum_j |W_kj x_ij| per row, large on raw columns
    # of offset 50 and scale 0.01, whose weights are large
    from sk_softmax import objective

    n, d, k = shape
    X, y = make_classification(
        n_samples=n, n_features=d, n_informative=d - 1, n_redundant=0, n_classes=k,
        flip_y=0.2, random_state=4,
    )  # fmt: skip
    X = X * np.logspace(-2, 2, d) + 50  # raw: standardising moves the coordinates
    clf = SoftmaxClassifier(C=C, solver=solver).fit(X, y)
    raw = (np.abs(X) @ np.abs(clf.coef_).T + np.abs(clf.intercept_)).max()
    rounding = 2 * (d + 1) * np.finfo(np.float64).eps * raw * n * (C if np.isfinite(C) else 1.0)
    expected = objective(clf, X, y)
    assert abs(clf.objective_ - expected) <= rounding + 1e-13 * abs(expected)


def test_objective_of_a_solver_point_off_canonical_is_the_models():
    # A solver's rows need not sum to zero (its tolerance hardly sees the
    # ridge's weight along that direction); the model is the canonical form, whose
    # penalty is smaller: objective_ is F at the model, not at the solver's point.
    # (The elastic net's canonical form centres only the unpenalised intercepts:
    # the same F, checked by test_sparse_penalties.)
    from sk_softmax._fit import Settings, build_problem, objective_at, solve, start_point
    from sk_softmax._weights import weigh
    from sk_softmax.backends.numpy import NumpyData
    from sk_softmax.solvers._base import SolverResult

    X, y = load_wine(return_X_y=True)
    classes, codes = np.unique(y, return_inverse=True)
    data = NumpyData(X, codes, classes)
    settings = Settings(C=0.3)
    weights = weigh(data, np.ones(len(y)), None, settings.C)
    problem = build_problem(data, weights, settings)
    solution = solve(problem, settings, start_point(problem, settings.tol)).coef
    point = problem.to_solver(solution).reshape(problem.shape)
    point += np.linspace(0.5, 1.5, point.shape[1])  # the same vector on every class row
    point = point.ravel()
    value = SmoothObjective(problem.datafit, problem.solver_penalty).loss(point)
    model = problem.to_model(point)
    reported = objective_at(problem, model, SolverResult(point, 1, True, "", value=value))
    expected = problem.objective(model)
    shift = abs(problem.weights.unnormalise(value, problem.C) - expected)
    assert shift > 1e-6 * expected  # the point's own objective is visibly higher
    assert reported == pytest.approx(expected, rel=1e-12)


def test_wide_data_keep_one_diagonal_instead_of_one_a_step(monkeypatch):
    # beyond _MAX_BLOCK_DOF the preconditioner is the diagonal, built once and
    # kept while it serves (not rebuilt at every step by the diagonal-first rule)
    from sk_softmax.datafits.numpy import SoftmaxDatafit
    from sk_softmax.solvers import cg

    monkeypatch.setattr(cg, "_MAX_BLOCK_DOF", 10)
    X, y = _wide_short_problem()  # 71 coefficients a class: "wide" here
    diagonals = []
    original = SoftmaxDatafit.hessian_diagonal
    monkeypatch.setattr(
        SoftmaxDatafit, "hessian_diagonal",
        lambda self, *a, **k: diagonals.append(1) or original(self, *a, **k),
    )  # fmt: skip
    direction = cg.ReusedPreconditioner()
    result, blocks, objective = _counted_blocks(monkeypatch, X, y, direction)
    assert cg.block_cost(objective) > cg._DIAGONAL_FIRST and direction.diagonal_cap is None
    assert result.converged and len(diagonals) == blocks < result.n_iter


def test_first_step_is_the_secant_minimum_of_the_last_line_when_the_step_fell_short():
    from sk_softmax.solvers._line_search import _LONGEST, _SHORT, first_step

    assert first_step(1.0, -1.0, -0.5 * _SHORT) == 1.0  # near the optimum: a Newton step
    assert first_step(1.0, -1.0, 0.3) == 1.0  # overshot: the slope changed sign
    # the slope, linear in t, falls from -1 to -0.25 over the step: zero at t = 4/3
    assert first_step(1.0, -1.0, -0.25) == pytest.approx(4.0 / 3.0, rel=1e-15)
    assert first_step(1.5, -2.0, -1.0) == min(3.0, _LONGEST)  # zero at 1.5 / (1 - 1/2)
    assert first_step(1.0, -1.0, -1.0) == _LONGEST  # no curvature seen: the cap


def _decrement(model, X, y):
    """``F``'s Newton decrement ``g^T (H + N)^{-1} g / 2`` at a fitted model: its gap to
    leading order near the optimum (F in the estimator's units, ``C S`` times the solvers')."""
    from sk_softmax import _fit
    from sk_softmax.backends import backend_of
    from sk_softmax.solvers.newton import newton_system

    data, weights = backend_of(X).fit_data(SoftmaxClassifier(), X, y, None)
    problem = _fit.build_problem(data, _fit.weigh(data, weights, None, model.C), _fit.Settings())
    objective = problem.smooth()
    coef = problem.to_solver(np.column_stack([model.coef_, model.intercept_]))
    grad = objective.loss_gradient(coef)[1]
    step = newton_system(objective, coef)(grad)  # -(H + N)^{-1} g
    return -0.5 * float(grad @ step) * model.C * X.shape[0]


@pytest.mark.parametrize("loader", ["wine", "breast_cancer"])
def test_longer_first_steps_save_newton_steps_for_the_same_optimum(monkeypatch, loader):
    """On raw features the Newton steps from zero stop short (the curvature falls as the
    probabilities saturate): trying the last line's secant minimum first takes fewer steps
    to the same optimum than always trying the unit step (9 -> 7 on both, measured)."""
    from sklearn import datasets

    from sk_softmax.solvers import _damped

    X, y = getattr(datasets, f"load_{loader}")(return_X_y=True)
    longer = SoftmaxClassifier().fit(X, y)
    monkeypatch.setattr(_damped, "first_step", lambda t, slope, end_slope: 1.0)
    unit = SoftmaxClassifier().fit(X, y)
    assert longer.n_iter_ < unit.n_iter_
    assert longer.converged_ and unit.converged_
    # each objective is within its Newton decrement of the optimum (to leading order;
    # twice it allowed), plus the rounding of a sum of n positive terms, n eps |F| each
    bound = 2 * (_decrement(longer, X, y) + _decrement(unit, X, y))
    rounding = 2 * X.shape[0] * np.finfo(np.float64).eps * abs(unit.objective_)
    assert abs(longer.objective_ - unit.objective_) <= bound + rounding


def test_newton_cg_rebuilds_a_preconditioner_whose_solve_missed(monkeypatch):
    """A solve stopped at its cap short of its target rebuilds the class blocks next
    step. Before, the first solve after a rebuild setting the bar at its cap (44
    products) kept a stale preconditioner for good: this fit took 62 steps at tol=1e-10
    where rebuilding at every step takes 13."""
    from sk_softmax.solvers import cg

    X, y = make_classification(
        500, 10, n_informative=5, n_classes=4, n_clusters_per_class=1, class_sep=1.3,
        flip_y=0.05, random_state=2,
    )  # fmt: skip
    X = X * np.logspace(-1, 2, X.shape[1])
    kept = SoftmaxClassifier(C=np.inf, solver="newton-cg", tol=1e-10).fit(X, y)
    call = cg.ReusedPreconditioner.__call__

    def fresh(self, objective, coef, grad, tol=0.0):
        self.precondition = None
        return call(self, objective, coef, grad, tol)

    monkeypatch.setattr(cg.ReusedPreconditioner, "__call__", fresh)
    rebuilt = SoftmaxClassifier(C=np.inf, solver="newton-cg", tol=1e-10).fit(X, y)
    assert kept.converged_ and rebuilt.converged_
    # reusing blocks trades a few more Newton steps for fewer blocks; not four times more
    assert kept.n_iter_ <= 2 * rebuilt.n_iter_
