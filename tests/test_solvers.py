"""Every solver reaches the same optimum, whatever the data's scale or format."""

import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import load_wine, make_classification

from sk_softmax import SoftmaxClassifier, objective
from sk_softmax.datafits.base import Datafit
from sk_softmax.datafits.moments import column_moments
from sk_softmax.datafits.numpy import SoftmaxDatafit
from sk_softmax.datafits.standardized import Coordinates, Standardized, standard_scales
from sk_softmax.penalties import L2
from sk_softmax.solvers import SOLVERS, choose_solver
from sk_softmax.solvers._smooth import SmoothObjective
from sk_softmax.solvers._subsample import sample_of
from sk_softmax.solvers.newton import cholesky_direction

SOLVER_NAMES = sorted(SOLVERS)


def _unscaled_problem():
    X, y = make_classification(
        n_samples=400, n_features=15, n_informative=8, n_classes=4, random_state=3
    )
    rng = np.random.RandomState(3)
    X = X * np.logspace(-4, 4, 15) + rng.uniform(-100, 100, 15)  # 8 decades of scale
    return X, y, rng.uniform(0.2, 3.0, size=y.size)


def _tall_problem():
    """Unscaled and weighted, with rows enough for the subsampled Newton path:
    n = 8000 >= 8 * 50 * (3 classes * 5 coefficients)."""
    X, y = make_classification(
        n_samples=8000, n_features=4, n_informative=3, n_redundant=1, n_classes=3,
        random_state=5,
    )  # fmt: skip
    rng = np.random.RandomState(5)
    X = X * np.logspace(-3, 3, 4) + rng.uniform(-50, 50, 4)
    return X, y, rng.uniform(0.2, 3.0, size=y.size)


PROBLEMS = {
    "wine-raw": lambda: (*load_wine(return_X_y=True), None),
    "unscaled-weighted": _unscaled_problem,
    "tall-subsampled": _tall_problem,
}


@pytest.mark.parametrize("problem", sorted(PROBLEMS))
@pytest.mark.parametrize("fmt", ["dense64", "dense32", "csr", "csc"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_every_solver_reaches_the_same_optimum(problem, fmt, fit_intercept):
    X, y, sw = PROBLEMS[problem]()
    if not fit_intercept:
        # Without an intercept, a column's offset is not a matter of scale: a
        # large common offset makes the weights nearly collinear with it, an
        # ill-conditioning the diagonal preconditioner does not claim to undo.
        X = X - X.mean(axis=0)
    X = X.astype(np.float32) if fmt == "dense32" else X
    data = sparse.csr_matrix(X).asformat(fmt) if fmt in ("csr", "csc") else X
    values = {}
    for solver in SOLVER_NAMES:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no ConvergenceWarning with the defaults
            clf = SoftmaxClassifier(solver=solver, fit_intercept=fit_intercept, max_iter=1000).fit(
                data, y, sample_weight=sw
            )
        assert clf.converged_
        values[solver] = objective(clf, X, y, sample_weight=sw)
    best = min(values.values())
    # max|grad| <= 1e-8 in standardised coordinates puts F within about
    # tol^2 / curvature of the optimum: relative 1e-8 is a loose bound.
    for solver, value in values.items():
        assert (value - best) <= 1e-8 * abs(best), (solver, values)


def test_all_formats_agree(iris):
    X, y = iris
    ref = SoftmaxClassifier().fit(X, y)
    for data in (X.astype(np.float32), sparse.csr_matrix(X), sparse.csc_matrix(X)):
        clf = SoftmaxClassifier().fit(data, y)
        # float32 X holds other numbers than X: compare within float32 rounding
        atol = 1e-5 if getattr(data, "dtype", None) == np.float32 else 1e-7
        np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=atol)


@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_warm_start_continues(solver):
    X, y, sw = _unscaled_problem()
    clf = SoftmaxClassifier(solver=solver, warm_start=True, max_iter=2)
    with pytest.warns(Warning):
        clf.fit(X, y)
    partial = objective(clf, X, y)
    clf.set_params(max_iter=1000).fit(X, y)
    cold = SoftmaxClassifier(solver=solver, max_iter=1000).fit(X, y)
    assert objective(clf, X, y) < partial
    assert objective(clf, X, y) == pytest.approx(objective(cold, X, y), rel=1e-8)
    # converged already: warm start stops at once
    assert clf.fit(X, y).n_iter_ == 0


@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_verbose_prints_progress(solver, capsys):
    X, y, _ = _unscaled_problem()
    clf = SoftmaxClassifier(solver=solver, verbose=1, max_iter=1000).fit(X, y)
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith("iter")]
    assert len(lines) >= clf.n_iter_
    assert all("objective" in l and "max|grad|" in l for l in lines)


def _scaled(X, y, sw, n_classes, n_threads=1):
    """``(datafit, penalty)`` in standardised coordinates, the penalty ``1 / S``."""
    alpha = 1.0 / sw.sum()
    mean, std = column_moments(X, sw, center=True)
    coordinates = Coordinates(mean, standard_scales(std, alpha), True)
    datafit = SoftmaxDatafit(X, y, n_classes, sw, True, n_threads)
    penalty = L2(alpha, X.shape[1], True).in_coordinates(coordinates.scale)
    return Standardized(datafit, coordinates), penalty


@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_solvers_stop_on_the_gradient_criterion(solver):
    X, y, sw = _unscaled_problem()
    datafit, penalty = _scaled(X, y, sw, 4)
    objective = SmoothObjective(datafit, penalty)
    coef0 = np.zeros(np.prod(datafit.shape))
    for tol in (1e-4, 1e-10):
        result = SOLVERS[solver].solve(datafit, penalty, coef0, tol=tol, max_iter=1000)
        _, grad = objective.loss_gradient(result.coef)
        assert result.converged and np.max(np.abs(grad)) <= tol


def test_solver_callback_can_stop():
    X, y, sw = _unscaled_problem()
    datafit, penalty = _scaled(X, y, sw, 4)
    for solver in SOLVER_NAMES:
        seen = []
        result = SOLVERS[solver].solve(
            datafit,
            penalty,
            np.zeros(np.prod(datafit.shape)),
            tol=1e-12,
            max_iter=100,
            callback=lambda i, *a, seen=seen: seen.append(i) or i >= 2,
        )
        assert result.stopped and result.n_iter == 2 and seen == [1, 2]


class _NonSmooth:
    """A penalty without a gradient or curvature (an L1 norm, say)."""

    def value(self, coef):
        return float(np.abs(coef).sum())


@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_solvers_check_what_they_need_up_front(solver):
    X, y, sw = _unscaled_problem()
    datafit, _ = _scaled(X, y, sw, 4)
    with pytest.raises(ValueError, match=f"solver='{solver}' needs the penalty's"):
        SOLVERS[solver].solve(datafit, _NonSmooth(), np.zeros(datafit.shape), tol=1e-8, max_iter=5)


def test_auto_picks_by_shape():
    assert choose_solver(5, 3, 150) == "newton-cholesky"
    assert choose_solver(100_001, 10, 1000) == "newton-cg"
    # a Hessian worth about 100 products: optdigits' shape (5620 x 64 x 10) takes
    # it, digits' (1797 x 64 x 10), where the factorisation weighs more, does not
    assert choose_solver(65, 10, 5620) == "newton-cholesky"
    assert choose_solver(65, 10, 1797) == "newton-cg"
    # few rows and many coefficients: the factorisation alone rules it out
    assert choose_solver(91, 15, 360) == "newton-cg"
    assert choose_solver(101, 10, 10**6) == "newton-cg"
    assert choose_solver(41, 60, 10**6) == "newton-cg"  # 2460 rows of Hessian: too large


def _scaled_loss(X, y, sw, n_threads=1):
    """The tall problem's objective in standardised coordinates."""
    return SmoothObjective(*_scaled(X, y, sw / sw.max(), 3, n_threads))


def test_tall_data_take_the_subsampled_path(capsys):
    X, y, sw = _tall_problem()
    sample = sample_of(_scaled_loss(X, y, sw))
    assert sample is not None and sample.n_samples == 50 * 15
    # a sample of distinct rows of X, in order, with their own labels
    inner = sample.datafit.inner
    index = inner.chunks.index
    assert np.all(np.diff(index) > 0)
    np.testing.assert_array_equal(inner.y, y[index])
    np.testing.assert_allclose(inner.sw.sum(), 1.0)
    SoftmaxClassifier(verbose=1).fit(X, y, sample_weight=sw)
    assert "subsample of 750 rows" in capsys.readouterr().out
    # too few rows, or CSC data (not sliced by rows): no sample
    assert sample_of(_scaled_loss(X[:5000], y[:5000], sw[:5000])) is None
    assert sample_of(_scaled_loss(sparse.csc_matrix(X), y, sw)) is None


def test_subsample_derivatives_are_the_sampled_rows_objective():
    X, y, sw = _tall_problem()
    loss = _scaled_loss(X, y, sw)
    sample = loss.subsample(750)
    index = sample.datafit.inner.chunks.index
    # the sample keeps the full data's penalty and coordinates
    rows = SoftmaxDatafit(X[index], y[index], 3, sw[index], True)
    direct = SmoothObjective(Standardized(rows, loss.datafit.coordinates), loss.penalty)
    coef = np.random.RandomState(0).standard_normal(15) * 0.1
    value, grad = sample.loss_gradient(coef)
    expected_value, expected_grad = direct.loss_gradient(coef)
    assert value == pytest.approx(expected_value, rel=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(sample.hessian(coef), direct.hessian(coef), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_warm_start_at_the_optimum_skips_the_presolve(solver):
    X, y, sw = _tall_problem()
    clf = SoftmaxClassifier(solver=solver, warm_start=True).fit(X, y, sample_weight=sw)
    first = clf.coef_.copy()
    clf.fit(X, y, sample_weight=sw)  # a presolve would move it to the sample's optimum
    assert clf.n_iter_ == 0
    # unchanged but for the roundings of the map to standardised coordinates and back
    np.testing.assert_allclose(clf.coef_, first, rtol=1e-13, atol=1e-15 * np.abs(first).max())


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [0.0, 1e-3])
def test_two_class_step_is_the_minimum_norm_newton_step(fit_intercept, alpha):
    # The n_dof system of _two_class_direction against the pseudo-inverse of
    # the full 2 n_dof Hessian: the minimum-norm solution of H d = -g, which
    # is what the projector gives for any K. Weights with zeros, and a point
    # whose rows do not sum to zero (the gradient then has a part along the
    # penalty alone when alpha > 0).
    rng = np.random.RandomState(0)
    X = rng.standard_normal((60, 4)) * [1.0, 10.0, 0.1, 3.0]
    y = (X[:, 0] + rng.standard_normal(60) > 0).astype(int)
    sw = rng.uniform(0, 2, 60) * (rng.uniform(size=60) > 0.2)
    datafit = SoftmaxDatafit(X, y, 2, sw, fit_intercept)
    loss = SmoothObjective(datafit, L2(alpha, X.shape[1], fit_intercept))
    coef = rng.standard_normal(loss.shape).ravel() * 0.3
    _, grad = loss.loss_gradient(coef)
    hess = loss.hessian(coef)
    step = cholesky_direction(loss, coef, grad)
    # a data term with the full Hessian only: the same step, the two-class
    # block read off the Hessian (the protocol's default)
    full_only = Datafit()
    full_only.shape, full_only.hessian = datafit.shape, datafit.hessian
    full = SmoothObjective(full_only, loss.penalty)
    np.testing.assert_allclose(cholesky_direction(full, coef, grad), step, rtol=1e-12)
    # pinv's cut-off must drop the exact null directions (intercepts, and all
    # of them for alpha = 0) and keep alpha's curvature (1e-3 of the largest)
    expected = -np.linalg.pinv(hess, rcond=1e-9, hermitian=True) @ grad
    np.testing.assert_allclose(step, expected, rtol=1e-7, atol=1e-9 * np.abs(expected).max())


def test_the_subsample_is_drawn_from_weighted_rows():
    X, y, weights = _tall_problem()
    sw = weights.copy()
    sw[:7000] = 0.0  # 1000 weighted rows of 8000: too few to sample
    assert sample_of(_scaled_loss(X, y, sw)) is None
    X2, y2, sw2 = np.vstack([X, X]), np.concatenate([y, y]), np.concatenate([weights, weights])
    sw2[:8000] = 0.0  # 8000 weighted rows of 16000: a sample, of weighted rows only
    sample = sample_of(_scaled_loss(X2, y2, sw2))
    assert sample is not None
    index = sample.datafit.inner.chunks.index
    assert np.all(sw2[index] > 0)
    assert sample.datafit.subsample(10) is None  # no sample of a sample


@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_presolve_iterations_are_reported_apart(solver, capsys):
    X, y, sw = _tall_problem()
    clf = SoftmaxClassifier(solver=solver, verbose=1).fit(X, y, sample_weight=sw)
    out = capsys.readouterr().out.splitlines()
    sample_lines = [line for line in out if line.startswith("sample ")]
    full_lines = [line for line in out if line.startswith("iter ")]
    assert sample_lines and full_lines
    # n_iter_ counts the iterations on all rows only (Newton: iter 0 is the start)
    assert clf.n_iter_ == int(full_lines[-1].split()[1])


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


def _counted_blocks(monkeypatch, X, y):
    from sk_softmax.solvers import cg

    calls = []
    build = cg.preconditioner
    monkeypatch.setattr(cg, "preconditioner", lambda *args: calls.append(1) or build(*args))
    result, _, objective = _counted_newton(X, y, cg.ReusedPreconditioner())
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
