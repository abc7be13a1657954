"""Float32 data beyond the cache: Newton iterations on float32 passes, then a float64 check.

The data term's float32 twin (``SoftmaxDatafit.in_float32``) multiplies float32
blocks by float32 coefficients and sums blocks in float64; the Newton loop
runs on it until ``max|grad| <= tol`` there, then a float64 pass confirms
``tol`` or the iterations go on in float64. What must hold: the fit is the
float64 optimum (its float64 gradient meets ``tol``, checked from scratch), and
the twin's passes agree with the float64 ones to float32's accuracy.
"""

import warnings

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.exceptions import ConvergenceWarning
from test_callbacks import StopAfter

from sk_softmax import SoftmaxClassifier, objective
from sk_softmax.datafits._blocks import _COPY_VALUES
from sk_softmax.datafits.numpy import SoftmaxDatafit

EPS32 = float(np.finfo(np.float32).eps)
# A float32 sum of a block's m <= 16384 rows (_MAX_ROWS) errs by about sqrt(m) eps32
# times the sum of its terms' magnitudes (rounding errors of random sign).
RTOL32 = np.sqrt(16384) * EPS32


def _data(n, d, n_classes, offset=0.0, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    W = rng.normal(size=(n_classes, d)) / np.sqrt(d)
    y = np.array([rng.choice(n_classes, p=p) for p in softmax(2 * X @ W.T, axis=1)])
    return (X + offset).astype(np.float32), y


@pytest.fixture(scope="module")
def beyond_cache():
    """3 classes, 24000 x 100 float32: beyond _COPY_VALUES, not tall (no subsample)."""
    X, y = _data(24_000, 100, 3)
    assert X.size > _COPY_VALUES
    return X, y


@pytest.fixture(scope="module", params=["float32", "float64"])
def either_dtype(request, beyond_cache):
    """``beyond_cache`` as float32, and as float64 (whose twin casts its blocks)."""
    X, y = beyond_cache
    return X.astype(request.param), y


def _gradient_from_scratch(clf, X, y):
    """``grad F / (C S)`` in float64 from the fitted coefficients (the ridge)."""
    X = X.astype(np.float64)
    codes = np.searchsorted(clf.classes_, y)
    residual = softmax(X @ clf.coef_.T + clf.intercept_, axis=1) - np.eye(clf.classes_.size)[codes]
    grad = residual.T @ X / X.shape[0] + clf.coef_ / (clf.C * X.shape[0])
    return grad, residual.mean(axis=0)


def _tol_bound(X, tol):
    """What ``max|grad| <= tol`` in standardised coordinates allows on each original column.

    The map to the original coordinates scales a column's weight by its spread
    ``sigma_j`` and moves ``mu_j`` times the intercept's gradient onto it.
    """
    X = X.astype(np.float64)
    return tol * (X.std(axis=0) + np.abs(X.mean(axis=0))) * 1.01


def _assert_float64_optimum(clf, X, y, tol=1e-8):
    grad, intercept_grad = _gradient_from_scratch(clf, X, y)
    assert np.all(np.abs(grad) <= _tol_bound(X, tol)), np.max(np.abs(grad) / _tol_bound(X, tol))
    assert np.max(np.abs(intercept_grad)) <= 1.01 * tol


def test_twin_passes_agree_with_float64_to_float32_accuracy(either_dtype):
    # float64 data: the twin's blocks are X rounded to float32, a relative change of
    # eps32 / 2 a value, within the logits' float32 error allowed below
    X, y = either_dtype
    datafit = SoftmaxDatafit(X, y, 3, np.ones(X.shape[0]), True)
    twin = datafit.in_float32()
    assert twin is not None and twin.in_float32() is None
    rng = np.random.default_rng(1)
    coef = rng.normal(size=3 * 101) * 0.3
    value, grad = datafit.loss_gradient(coef)
    value32, grad32 = twin.loss_gradient(coef)
    # the scale of each sum: the same sums over the terms' magnitudes
    X64 = X.astype(np.float64)
    W, b = coef.reshape(3, 101)[:, :-1], coef.reshape(3, 101)[:, -1]
    proba = softmax(X64 @ W.T + b, axis=1)
    residual = np.abs(proba - np.eye(3)[y]) / X.shape[0]
    grad_scale = np.hstack([residual.T @ np.abs(X64), residual.sum(axis=0)[:, None]]).ravel()
    # the logits move by the coefficients' rounding and a float32 sum of 101 terms
    logit_error = RTOL32 * (np.abs(X64) @ np.abs(W).T + np.abs(b)).mean()
    assert abs(value32 - value) <= RTOL32 * value + logit_error
    assert np.all(np.abs(grad32 - grad) <= RTOL32 * grad_scale + logit_error * grad_scale)
    assert twin.loss(coef) == pytest.approx(value32, rel=RTOL32)
    # what the float32 stage needs: at the optimum its gradient resolves the default tol
    # (about 3e-9 off on these centred data); an intercept off by 1e-5 relative is not
    fitted = SoftmaxClassifier().fit(X, y)
    optimum = np.hstack([fitted.coef_, fitted.intercept_[:, None]]).ravel()
    np.testing.assert_allclose(twin.loss_gradient(optimum)[1],
                               datafit.loss_gradient(optimum)[1], rtol=0, atol=1e-8)  # fmt: skip
    vector = rng.normal(size=coef.size)
    product, product32 = datafit.hessp(coef)(vector), twin.hessp(coef)(vector)
    np.testing.assert_allclose(product32, product, atol=RTOL32 * np.abs(product).max() * 10)


def test_twin_keeps_no_second_probability_matrix(beyond_cache):
    X, y = beyond_cache
    datafit = SoftmaxDatafit(X, y, 3, np.ones(X.shape[0]), True)
    twin = datafit.in_float32()
    coef = np.zeros(3 * 101)
    twin.loss_gradient(coef)
    datafit.hessp(coef)(coef)  # at the twin's point: its probabilities serve
    assert twin._kept is datafit._kept and datafit._kept.proba.dtype == np.float32
    # a pass of either marks the matrix as its own: no stale probabilities
    moved = coef + 0.1
    datafit.loss_gradient(moved)
    np.testing.assert_array_equal(datafit._kept.coef, moved)


def test_no_twin_for_small_or_sparse_data():
    X, y = _data(2000, 10, 3)
    from scipy import sparse

    for data in (X, X.astype(np.float64), sparse.csr_matrix(X)):
        assert SoftmaxDatafit(data, y, 3, np.ones(2000), True).in_float32() is None
    X, y = _data(24_000, 100, 3)
    assert SoftmaxDatafit(sparse.csr_matrix(X), y, 3, np.ones(24_000), True).in_float32() is None
    # float64 data beyond the cache have one: their blocks are cast, X is not touched
    X64 = X.astype(np.float64)
    before = X64.copy()
    twin = SoftmaxDatafit(X64, y, 3, np.ones(24_000), True).in_float32()
    assert twin is not None
    twin.loss_gradient(np.zeros(3 * 101))
    np.testing.assert_array_equal(X64, before)


def test_fit_runs_float32_then_reaches_the_float64_optimum(either_dtype, capsys):
    X, y = either_dtype
    clf = SoftmaxClassifier(verbose=1).fit(X, y)
    printed = capsys.readouterr().out
    assert "float32 passes" in printed and "float64" in printed
    assert clf.converged_
    _assert_float64_optimum(clf, X, y)
    reference = SoftmaxClassifier().fit(X.astype(np.float64), y)
    # both meet tol = 1e-8 on the same objective, whose curvature here is of order 0.1:
    # the optima agree to about 1e-7
    np.testing.assert_allclose(clf.coef_, reference.coef_, atol=1e-6)
    assert clf.objective_ == pytest.approx(objective(clf, X, y), rel=1e-12)
    assert clf.objective_ == pytest.approx(reference.objective_, rel=1e-12)


def test_tall_two_classes_take_a_float32_sample(capsys):
    X, y = _data(82_000, 100, 2, seed=3)  # at least 400 x 202 rows: tall
    clf = SoftmaxClassifier(verbose=1).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("subsample of") for line in lines)
    assert any(line.startswith("float32 passes") for line in lines)
    # the last step, predicted by the one before to meet tol, was judged in float64 at once
    assert lines[-1].startswith("float64") and "step" in lines[-1]
    assert clf.converged_
    _assert_float64_optimum(clf, X, y)
    # a tol below float32's noise: float64 iterations take over and reach it
    clf = SoftmaxClassifier(tol=1e-11, verbose=1).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    handover = next(i for i, line in enumerate(lines) if line.startswith("float64"))
    assert lines[-1].startswith("iter") and handover < len(lines) - 1
    assert clf.converged_
    _assert_float64_optimum(clf, X, y, tol=1e-11)


def test_offset_columns_take_float64_passes(capsys):
    # Columns whose centre is far beyond their spread: float32 sums over them lose
    # their digits to the offsets, so the fit takes float64 passes throughout.
    X, y = _data(24_000, 100, 3, offset=1e4, seed=2)
    clf = SoftmaxClassifier(verbose=1).fit(X, y)
    assert "float32 passes" not in capsys.readouterr().out
    assert clf.converged_
    _assert_float64_optimum(clf, X, y)


@pytest.mark.parametrize("solver", ["newton-cg", "newton-cholesky"])
def test_float32_noise_floor_hands_over_to_float64(solver):
    # Unstandardised columns at 100 spreads from zero (no wrapper to refuse the twin):
    # the float32 gradient stalls far above tol, and the float64 iterations that
    # follow must still reach it, from the float32 iterations' point.
    from sk_softmax.penalties.l2 import L2
    from sk_softmax.solvers import SOLVERS

    X, y = _data(24_000, 100, 3, offset=100.0, seed=2)
    datafit = SoftmaxDatafit(X, y, 3, np.ones(X.shape[0]), True)
    assert datafit.in_float32() is not None
    penalty = L2(1.0 / X.shape[0], 100, True)
    tol = 1e-8
    result = SOLVERS[solver].solve(datafit, penalty, np.zeros(3 * 101), tol=tol, max_iter=100)
    assert result.converged
    _, grad = datafit.loss_gradient(result.coef)  # float64
    penalty.value_add_gradient(grad, result.coef)
    assert np.max(np.abs(grad)) <= tol


def test_max_iter_counts_float32_iterations_and_reports_float64_values(beyond_cache):
    X, y = beyond_cache
    with pytest.warns(ConvergenceWarning):
        clf = SoftmaxClassifier(max_iter=2).fit(X, y)
    assert clf.n_iter_ == 2 and not clf.converged_
    assert clf.objective_ == pytest.approx(objective(clf, X, y), rel=1e-12)


def test_callbacks_see_float32_and_float64_iterations_once(beyond_cache):
    X, y = beyond_cache
    recorder = StopAfter(10**9)  # records, never stops
    clf = SoftmaxClassifier().set_callbacks(recorder).fit(X, y)
    assert clf.converged_ and recorder.ended == list(range(clf.n_iter_))
    # stopped during the float32 iterations: the objective is the float64 one there
    stopper = StopAfter(2)
    clf = SoftmaxClassifier().set_callbacks(stopper).fit(X, y)
    assert clf.n_iter_ == 2 and not clf.converged_
    assert clf.objective_ == pytest.approx(objective(clf, X, y), rel=1e-12)


# -- the review's cases (each failed before its fix) ------------------------------------


@pytest.mark.parametrize("params", [{"C": 1e8}, {}])
def test_float32_steps_do_not_drift_along_the_class_shifts(params):
    # float32 gradients sum to about 1e-8 over the classes (1e-17 in float64), along
    # directions where only the penalty curves: without the exact step there, the
    # Cholesky steps drifted far and the fit needed 10 or 11 iterations instead of 6
    X, y = _data(24_000, 100, 3)
    X = X * np.float32(1e5) if not params else X
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = SoftmaxClassifier(max_iter=8, **params).fit(X, y)
    assert clf.converged_
    np.testing.assert_allclose(clf.intercept_.sum(), 0.0, atol=1e-9)


def test_a_class_of_no_weight_keeps_float64_passes(capsys):
    # its intercept goes towards -inf along a direction float32 gradients cannot follow
    X, y = _data(24_000, 100, 3)
    clf = SoftmaxClassifier(class_weight={0: 0.0, 1: 1.0, 2: 1.0}, verbose=1).fit(X, y)
    assert "float32 passes" not in capsys.readouterr().out
    # the class's probability just below tol, as in float64: intercepts of tens, not 1e2
    assert clf.converged_ and np.abs(clf.intercept_).max() < 30


def test_no_intercept_keeps_float64_passes(capsys):
    # without an intercept the centres are not measured; offset columns act as one
    X, y = _data(24_000, 100, 3, offset=1e4)
    clf = SoftmaxClassifier(fit_intercept=False, verbose=1).fit(X, y)
    assert "float32 passes" not in capsys.readouterr().out and clf.converged_


def test_lbfgs_polishes_in_float64(beyond_cache, capsys):
    X, y = beyond_cache
    clf = SoftmaxClassifier(solver="lbfgs", verbose=1).fit(X, y)
    assert "float32 passes" not in capsys.readouterr().out and clf.converged_


@pytest.mark.parametrize("tol", [1e-8, 1e-10])
def test_refitting_a_converged_model_takes_no_iteration(beyond_cache, tol):
    # a warm start is judged in float64 first (float32's noise would move it)
    X, y = beyond_cache
    clf = SoftmaxClassifier(warm_start=True, tol=tol).fit(X, y)
    coef = clf.coef_.copy()
    clf.fit(X, y)
    assert clf.n_iter_ == 0 and clf.converged_
    np.testing.assert_allclose(clf.coef_, coef, rtol=0, atol=1e-15)  # the maps' rounding


def test_a_callback_stop_where_tol_is_met_is_convergence(beyond_cache):
    X, y = beyond_cache
    n_iter = SoftmaxClassifier().fit(X, y).n_iter_
    clf = SoftmaxClassifier().set_callbacks(StopAfter(n_iter)).fit(X, y)
    assert clf.n_iter_ == n_iter and clf.converged_


def test_a_path_keeps_its_tangents_on_float32_data(monkeypatch):
    # the factor a fit built on float32 passes is its float64 objective's too (before
    # the fix: no tangent on 18 fits, against 3 of 18 with float64 passes throughout)
    import sk_softmax._path as path
    from sk_softmax import SoftmaxClassifierCV

    X, y = _data(36_000, 100, 3)
    found = []
    original = path.tangent

    def tangent(problem, memory, solution):
        found.append(original(problem, memory, solution))
        return found[-1]

    monkeypatch.setattr(path, "tangent", tangent)
    SoftmaxClassifierCV(Cs=np.logspace(-3, 3, 6), cv=3).fit(X, y)
    assert sum(t is not None for t in found) >= 3


def test_float32_overflow_hands_over_quietly(either_dtype):
    # rows of zero weight at float32's limit (float64 data: beyond it, cast to inf): the
    # weighted moments do not see them, the twin's products overflow; no warning reaches
    # the user, float64 passes finish
    X, y = either_dtype
    X = X.copy()
    big = 3e38 if X.dtype == np.float32 else 1e300
    X[5], X[6] = big, -big
    sample_weight = np.ones(X.shape[0])
    sample_weight[[5, 6]] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = SoftmaxClassifier().fit(X, y, sample_weight=sample_weight)
    assert clf.converged_
    kept = np.ones(X.shape[0], dtype=bool)
    kept[[5, 6]] = False
    _assert_float64_optimum(clf, X[kept], y[kept])


# -- float64 data, and the float32 passes' class shifts and line search ------------------


@pytest.mark.parametrize("scale", [1e-30, 1e30])
def test_float64_columns_beyond_float32s_range_keep_float64_passes(scale, capsys):
    # a column of spread 1e-30 (1e30) would leave float32 with subnormal (infinite)
    # weights or values: no twin
    X, y = _data(24_000, 100, 3)
    X = X.astype(np.float64)
    X[:, 7] *= scale
    clf = SoftmaxClassifier(verbose=1).fit(X, y)
    assert "float32 passes" not in capsys.readouterr().out and clf.converged_
    X[:, 7] /= scale * 2**-50  # within range (2**-50): float32 passes
    clf = SoftmaxClassifier(verbose=1).fit(X, y)
    assert "float32 passes" in capsys.readouterr().out and clf.converged_


def test_twin_is_flat_along_class_shifts(beyond_cache):
    # the data term does not change when the same vector is added to every class's row:
    # its gradient sums to zero over the classes and its Hessian maps such a shift to
    # zero. In float32 arithmetic both held only to about 1e-8 before the shifts were
    # taken out, which misled conjugate gradients (the next test)
    X, y = beyond_cache
    datafit = SoftmaxDatafit(X, y, 3, np.ones(X.shape[0]), True)
    twin = datafit.in_float32()
    rng = np.random.default_rng(4)
    coef = rng.normal(size=3 * 101) * 0.3
    eps64 = np.finfo(np.float64).eps
    _, grad = twin.loss_gradient(coef)
    # float64's rounding of a sum of three centred terms
    assert np.abs(grad.reshape(3, 101).sum(axis=0)).max() <= 4 * eps64 * np.abs(grad).max()
    product = twin.hessp(coef)
    vector, shift = rng.normal(size=coef.size), np.tile(rng.normal(size=101), 3)
    scale = np.abs(product(vector)).max()
    # the shift's centring leaves float64's rounding of it, eps64 |shift|, at most
    assert np.abs(product(shift)).max() <= 4 * eps64 * scale
    # and the product's class sums are zero, as the gradient's
    assert np.abs(product(vector).reshape(3, 101).sum(axis=0)).max() <= 4 * eps64 * scale
    np.testing.assert_allclose(product(vector + shift), product(vector), rtol=0,
                               atol=RTOL32 * scale)  # fmt: skip


def test_float32_newton_cg_takes_as_many_products_as_float64(monkeypatch):
    # columns of spreads 0.1 to 10: near the optimum the float32 gradient's class sums
    # (noise where only the penalty curves) had conjugate gradients chase them, and a
    # Newton step took 187 Hessian products instead of 6 (30000 x 200 x 5)
    import sk_softmax.solvers.cg as cg

    X, y = _data(12_000, 200, 5, seed=5)
    X *= np.random.default_rng(6).uniform(0.1, 10, X.shape[1]).astype(np.float32)
    counts = []
    original = cg.cg_direction

    def counted(*args, **kwargs):
        step, count, reached = original(*args, **kwargs)
        counts[-1] += count
        return step, count, reached

    monkeypatch.setattr(cg, "cg_direction", counted)
    fits = {}
    for data in (X, X.astype(np.float64)):
        for twin in (True, False):
            counts.append(0)
            if not twin:
                monkeypatch.setattr(SoftmaxDatafit, "in_float32", lambda self: None)
            fits[data.dtype, twin] = SoftmaxClassifier(solver="newton-cg").fit(data, y)
            monkeypatch.undo()
            monkeypatch.setattr(cg, "cg_direction", counted)
    assert all(fit.converged_ for fit in fits.values())
    assert counts[0] <= counts[1] + 3 and counts[2] <= counts[3] + 3, counts


def test_float32_line_search_backtracks_while_values_tell():
    # a float32 line search backtracks while its values can tell a decrease (a nearly
    # separable fit needed step 1/8 where float32 passes gave up after three trials and
    # float64 ones took over); it ends only where they cannot
    from sk_softmax.solvers._line_search import line_search

    class Quadratic:  # f(x) = (x - 0.1)^2 / 2 + 1 along one coordinate
        calls = 0

        def loss_gradient(self, x):
            self.calls += 1
            return float((x[0] - 0.1) ** 2 / 2 + 1), x - 0.1

    objective = Quadratic()
    x, direction = np.array([1.0]), np.array([-16.0])  # the minimum at t = 0.05625
    value, grad = objective.loss_gradient(x)
    found = line_search(objective, x, value, grad, direction, eps=EPS32, untold=True)
    assert found is not None and found[3] == 2.0**-4
    # a decrease below float32's resolution that does not shrink the gradient: none
    x = np.array([0.1 + 1e-4])
    value, grad = objective.loss_gradient(x)
    objective.calls = 0
    assert line_search(objective, x, value, grad, -grad * 1e2, eps=EPS32, untold=True) is None
    assert objective.calls == 1


# -- the offsets' rule -------------------------------------------------------------------


@pytest.mark.parametrize(("columns", "offset", "twin"), [(3, 3.0, True), (100, 1.5, False)])
def test_offsets_count_in_root_mean_square(columns, offset, twin, capsys):
    # a few columns far from zero (frequent words) add no more rounding than the centred
    # ones; every column 1.5 spreads away adds more: float64 passes
    X, y = _data(24_000, 100, 3, seed=10)
    X[:, :columns] += np.float32(offset)
    clf = SoftmaxClassifier(verbose=1).fit(X, y)
    assert ("float32 passes" in capsys.readouterr().out) == twin and clf.converged_
    _assert_float64_optimum(clf, X, y)


# -- the second review's cases (each failed before its fix) ------------------------------


def _count_float32_passes(monkeypatch):
    counts = {"float32": 0}
    original = SoftmaxDatafit.loss_gradient

    def counted(self, coef):
        counts["float32"] += bool(self._native)
        return original(self, coef)

    monkeypatch.setattr(SoftmaxDatafit, "loss_gradient", counted)
    return counts


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_non_finite_float32_trials_hand_over_at_once(dtype, monkeypatch):
    # a warm start is judged in float64, so the float32 loop begins; rows of no weight
    # beyond float32's range then make every float32 trial NaN: 40 trials before the fix
    X, y = _data(24_000, 100, 3)
    X = X.astype(dtype)
    X[5], X[6] = (3e38, -3e38) if dtype == "float32" else (1e300, -1e300)
    sample_weight = np.ones(X.shape[0])
    sample_weight[[5, 6]] = 0.0
    clf = SoftmaxClassifier(warm_start=True).fit(X, y, sample_weight=sample_weight)
    clf.C = 2.0
    counts = _count_float32_passes(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.fit(X, y, sample_weight=sample_weight)
    assert clf.converged_ and counts["float32"] <= 2, counts


@pytest.mark.parametrize(
    "weights",
    [{"class_weight": {0: 1e-36, 1: 1.0, 2: 1.0}}, {"class_weight": {0: 1e-42, 1: 1.0, 2: 1.0}},
     {"sample_weight": "1e35 on a fifth of the rows"}],
)  # fmt: skip
def test_weights_beyond_float32s_range_keep_float64_passes(weights, capsys):
    # float32 products of such weights are subnormal (slow) or zero (a class lost)
    X, y = _data(24_000, 100, 3, seed=11)
    fit = {}
    if "sample_weight" in weights:
        fit["sample_weight"] = np.where(np.arange(X.shape[0]) % 5 == 0, 1e35, 1.0)
    params = {k: v for k, v in weights.items() if k == "class_weight"}
    clf = SoftmaxClassifier(verbose=1, **params).fit(X.astype(np.float64), y, **fit)
    assert "float32 passes" not in capsys.readouterr().out and clf.converged_


def test_subnormal_values_keep_float64_passes():
    # 90% of the entries of 50 columns at 1e-44 to 1e-39: subnormal in float32, where a
    # pass took 61 ms against 7 in float64; the spreads look ordinary
    X, y = _data(24_000, 100, 3, seed=12)
    X = X.astype(np.float64)
    rng = np.random.default_rng(13)
    tiny = rng.random((X.shape[0], 50)) < 0.9
    X[:, :50] = np.where(tiny, 10.0 ** rng.uniform(-44, -39, (X.shape[0], 50)), X[:, :50])
    assert SoftmaxDatafit(X, y, 3, np.ones(X.shape[0]), True).in_float32() is None
    X[:, :50] = np.where(tiny, 0.0, X[:, :50])  # the same columns without them: a twin
    assert SoftmaxDatafit(X, y, 3, np.ones(X.shape[0]), True).in_float32() is not None


@pytest.mark.parametrize("scales", [1e6, 1e8])
def test_float32_products_keep_the_reused_factor(scales, monkeypatch):
    # columns of scales 1e-6 to 1e6 (1e-8 to 1e8): the float32 products' class sums, about
    # 1e-8, went through a factor whose class shifts only the penalty curves; conjugate
    # gradients broke down (spent their 25 products) and new Hessians were built, three
    # (two) in all against one on float64 passes
    import sk_softmax.solvers.newton as newton

    X, y = _data(24_000, 100, 3)
    X = X.astype(np.float64) * np.logspace(-np.log10(scales), np.log10(scales), X.shape[1])
    built = []
    original = newton.newton_system

    def counted(objective, coef):
        built.append(objective.eps)
        return original(objective, coef)

    monkeypatch.setattr(newton, "newton_system", counted)
    clf = SoftmaxClassifier(solver="newton-cholesky").fit(X, y)
    assert clf.converged_ and len(built) == 1, built
