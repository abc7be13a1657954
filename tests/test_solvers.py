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
from sk_softmax.solvers._subsample import SampledDirection, sample_of
from sk_softmax.solvers.cg import ReusedPreconditioner
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
    # a Hessian worth about 85 products: optdigits' shape (5620 x 64 x 10) takes
    # it, digits' (1797 x 64 x 10), where the factorisation weighs more, does not
    assert choose_solver(65, 10, 5620) == "newton-cholesky"
    assert choose_solver(65, 10, 1797) == "newton-cg"
    # few rows and many coefficients: the factorisation alone rules it out
    assert choose_solver(91, 15, 360) == "newton-cg"
    assert choose_solver(101, 10, 10**6) == "newton-cg"
    assert choose_solver(41, 60, 10**6) == "newton-cg"  # 2460 rows of Hessian: too large
    # two classes solve one n_dof block: 199 correlated columns on 500 rows take it
    assert choose_solver(200, 2, 500) == "newton-cholesky"
    assert choose_solver(300, 2, 20000) == "newton-cholesky"
    assert choose_solver(1001, 2, 10**6) == "newton-cg"


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


def test_sampled_direction_meets_the_secant_pairs():
    # The sample's Newton step, corrected by the pairs (step, change of the full
    # gradient) of the steps taken: with none it is the sample's exact step; with
    # pairs it maps the latest change of the gradient back onto its step (the
    # secant equation B s = y that a BFGS update meets exactly), which the
    # sample's Hessian alone does not.
    X, y, sw = _tall_problem()
    loss = _scaled_loss(X, y, sw)
    sample = sample_of(loss)
    direction = SampledDirection(cholesky_direction, sample)
    rng = np.random.RandomState(0)
    coef = rng.standard_normal(15) * 0.1
    _, grad = loss.loss_gradient(coef)
    np.testing.assert_allclose(
        direction(loss, coef, grad), cholesky_direction(sample, coef, grad), rtol=1e-12
    )  # and the start of the first pair remembered
    for _ in range(3):
        step = rng.standard_normal((3, 5)) * 0.05
        step[:, -1] -= step[:, -1].mean()  # no part along the flat class shift of the intercept
        step = step.ravel()
        new_coef = coef + step
        _, new_grad = loss.loss_gradient(new_coef)
        direction._remember(new_coef, new_grad)  # the pair (step, new_grad - grad)
        change = new_grad - grad
        scale = np.abs(step).max()
        # exact up to rounding: the residual the two loops leave, about eps |y|,
        # goes through the sample's inverse Hessian (its one flat direction aside). A
        # loose bound: the condition number, 9e9, is that of a near-null direction (the
        # problem's redundant column) which these steps hardly excite; the errors seen
        # are a few hundred times smaller, and the plain sample step misses by far more.
        spectrum = np.linalg.eigvalsh(sample.hessian(new_coef))[1:]
        bound = 10 * np.finfo(float).eps * spectrum[-1] / spectrum[0] * scale
        np.testing.assert_allclose(
            direction._inverse(new_coef, change, 0.0), step, rtol=0, atol=bound
        )
        sampled = -cholesky_direction(sample, new_coef, change)
        assert np.abs(sampled - step).max() > 1e-3 * scale
        coef, grad = new_coef, new_grad


def test_sampled_system_is_solved_to_the_samples_own_accuracy():
    # The sample's Hessian stands for the full one to about 0.1, so conjugate
    # gradients on it stop at a relative residual of 0.1 (cg_direction's target is
    # max(eta |g|, tol / 2)), not at the truncated Newton target sqrt(|g|) |g|; a
    # larger tol asked by the caller still wins.
    X, y, sw = _tall_problem()
    loss = _scaled_loss(X, y, sw)
    sample = sample_of(loss)
    seen = []

    def recording(objective, coef, grad, tol=0.0):
        seen.append(tol)
        return ReusedPreconditioner()(objective, coef, grad, tol)

    coef = np.random.RandomState(0).standard_normal(15) * 0.1
    _, grad = loss.loss_gradient(coef)
    grad = grad * (1e-6 / np.abs(grad).max())  # near the optimum: eta = sqrt(|g|) ~ 2e-3
    norm = np.linalg.norm(grad)
    step = SampledDirection(recording, sample)(loss, coef, grad, tol=1e-12)
    assert seen[-1] == pytest.approx(0.2 * norm, rel=1e-12)
    residual = np.linalg.norm(sample.hessp(coef)(step) + grad)
    assert residual <= 0.1 * norm
    assert residual > 2e-3 * norm  # not the exact Hessian's target
    SampledDirection(recording, sample)(loss, coef, grad, tol=norm)
    assert seen[-1] == norm


def test_a_corrected_step_must_shrink_the_gradient_fourfold():
    # A plain sampled step hands over to the full Hessian if it shrinks max|grad| by
    # less than half; once secant pairs correct the steps, by less than a quarter
    # (on nearly separable tall data the corrected steps shrank it 3-fold a step, for
    # 8 steps in all where the full Hessian took 6).
    X, y, sw = _tall_problem()
    loss = _scaled_loss(X, y, sw)
    v = np.linspace(1.0, 2.0, 15) * 1e-3
    for plain, corrected, full in [(0.4, 0.3, True), (0.4, 0.2, False), (0.6, None, True)]:
        direction = SampledDirection(cholesky_direction, sample_of(loss))
        coef = np.zeros(15)
        direction(loss, coef, v)
        coef = coef - 0.1 * v  # a step along -v, its gradient shrunk: s.y > 0, a pair
        direction(loss, coef, plain * v)
        assert direction.full == (corrected is None)
        if corrected is not None:
            direction(loss, coef - 0.1 * v, corrected * plain * v)
            assert direction.full == full


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
    # a sample of the sample (the presolve's): some of its rows, numbered in X again,
    # with their own labels and weights
    inner = sample.datafit.inner
    smaller = inner.subsample(50)
    rows = smaller.chunks.index
    assert smaller.n_samples == 50 and np.isin(rows, index).all()
    np.testing.assert_array_equal(smaller.y, y2[rows])
    np.testing.assert_allclose(smaller.sw, sw2[rows] / sw2[rows].sum(), rtol=1e-12)
    direct = SoftmaxDatafit(X2[rows], y2[rows], 3, sw2[rows], True)
    coef = np.random.RandomState(0).standard_normal(15) * 0.1
    np.testing.assert_allclose(smaller.loss_gradient(coef)[1], direct.loss_gradient(coef)[1],
                               rtol=1e-10, atol=1e-14)  # fmt: skip


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


def _smooth_problem(X, y, C=1.0):
    from sk_softmax import _fit
    from sk_softmax.backends import backend_of

    data, weights = backend_of(X).fit_data(SoftmaxClassifier(), X, y, None)
    problem = _fit.build_problem(data, _fit.weigh(data, weights, None, C), _fit.Settings(C=C))
    return problem, problem.smooth()


@pytest.mark.parametrize("loader", ["wine", "segment-like", "collinear"])
def test_sgd_preconditioner_inverts_the_hessian_off_its_flat_directions(loader):
    """solver="sgd" preconditions by the Hessian at the snapshot: its inverse on every
    direction that changes the model, whatever the rounding of the Hessian's flat
    direction (the intercepts shifted together), where it is singular. The Hessian alone
    factorised there with a condition number of 1e17 on a 1732 x 19 x 7 table, an inverse
    wrong in every entry."""
    from sk_softmax.solvers.sgd import preconditioner

    if loader == "wine":
        X, y = load_wine(return_X_y=True)
    elif loader == "collinear":
        X, y = make_classification(400, 6, n_informative=3, n_redundant=3, n_classes=4,
                                   n_clusters_per_class=1, random_state=3)  # fmt: skip
    else:
        import sys
        from pathlib import Path

        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
        from tables import table

        X, y = table(loader)
    problem, objective = _smooth_problem(X, y)
    n_classes, n_dof = objective.shape
    rng = np.random.default_rng(0)
    coef = 0.1 * rng.standard_normal(n_classes * n_dof)
    hess = objective.hessian(coef)
    applies = [preconditioner(objective, coef), preconditioner(objective, coef, uses=10_000)]
    vectors = rng.standard_normal((5, n_classes, n_dof))
    vectors[:, :, -1] -= vectors[:, :, -1].mean(axis=1, keepdims=True)  # off the flat one
    # H + N (N: the flat direction's projector, as the Newton step adds it) is
    # non-singular; a backward-stable solve with it errs by about n cond(H + N) eps
    system = hess.copy()
    system.reshape(-1)[objective.projector_index] += np.abs(np.diag(hess)).max() / n_classes
    eigenvalues = np.linalg.eigvalsh(system)
    bound = system.shape[0] * eigenvalues[-1] / eigenvalues[0] * np.finfo(np.float64).eps
    assert bound < 1e-3  # a meaningful check: the singular Hessian's inverse errs by O(1)
    for apply in applies:  # the factor's solves, and the inverse kept for many minibatches
        for vector in vectors.reshape(5, -1):
            back = apply(hess @ vector)
            assert np.linalg.norm(back - vector) <= bound * np.linalg.norm(vector)


@pytest.mark.parametrize("tall", [False, True])
def test_newton_cg_steps_end_with_rows_summing_to_zero(tall):
    # Along the shifts of the rows across classes only the ridge curves the
    # objective (1 / (C S), far below a conjugate-gradient residual target), and
    # its minimum is the rows summing to zero: every step of newton-cg, on the
    # class-block preconditioner or on a tall data's subsample, ends there exactly
    # (without it the iterates kept class sums of 3 to 6% of their largest entry here).
    from sk_softmax.solvers.cg import ReusedPreconditioner
    from sk_softmax.solvers.newton import newton

    X, y, sw = _tall_problem() if tall else _unscaled_problem()
    n_classes = int(y.max()) + 1
    objective = SmoothObjective(*_scaled(X, y, sw, n_classes))
    sums = []

    def record(n_iter, coef, value, grad):
        rows = coef.reshape(objective.shape)
        sums.append(np.abs(rows.sum(axis=0)).max() / np.abs(rows).max())

    coef0 = np.zeros(np.prod(objective.shape))
    result = newton(ReusedPreconditioner(), objective, coef0, tol=1e-10, max_iter=100,
                    callback=record)  # fmt: skip
    assert result.converged and sums
    assert max(sums) <= 1e-13


def test_tall_dense_data_take_their_moments_from_a_sample(monkeypatch):
    """The standardisation's centres and spreads only choose coordinates: on tall dense data
    they come from the 50 n_coef rows of positive weight a sample would hold, sparing a pass
    over X, and the fit reaches the optimum it reaches with exact moments."""
    import sk_softmax.backends.numpy as numpy_backend

    X, y, sw = _tall_problem()
    sw[:500] = 0.0
    seen = []

    def spy(X_rows, weights, center):
        seen.append((X_rows.shape[0], bool(np.all(weights > 0))))
        return column_moments(X_rows, weights, center)

    monkeypatch.setattr(numpy_backend, "column_moments", spy)
    sampled = SoftmaxClassifier().fit(X, y, sample_weight=sw)
    assert seen == [(50 * 3 * 5, True)]
    monkeypatch.setattr(numpy_backend, "tall_sample_rows", lambda *args: None)
    exact = SoftmaxClassifier().fit(X, y, sample_weight=sw)
    assert seen[-1] == (X.shape[0], False)  # every row, the unweighted ones too
    # both stop at max|grad| <= 1e-8 in their own coordinates: F within about tol^2 / curvature
    best = min(objective(sampled, X, y, sample_weight=sw), objective(exact, X, y, sample_weight=sw))
    for clf in (sampled, exact):
        assert objective(clf, X, y, sample_weight=sw) - best <= 1e-8 * abs(best)
    # CSR data, and data short of tall, take every row
    seen.clear()
    SoftmaxClassifier().fit(sparse.csr_matrix(X), y)
    SoftmaxClassifier().fit(X[:2000], y[:2000])
    assert [rows for rows, _ in seen] == [X.shape[0], 2000]
