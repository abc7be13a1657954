"""Raw predictions carried along Newton directions (sk_softmax/datafits/_lines.py).

A data term that follows lines evaluates points on the line of the last
direction from its kept raw predictions plus a multiple of the direction's
image, without the product ``X W^T``. These tests check that such points get
the value and gradient of a full pass (to rounding: both sum the same raw
predictions, in another order), that anything off the line takes the full
pass, and that fits that use it meet ``tol`` in exact arithmetic.
"""

import numpy as np
import pytest
from optimality import TOL, _bound, _smooth_gradient
from scipy import sparse
from sklearn.datasets import load_digits

import sk_softmax.datafits._lines as lines
from sk_softmax import SoftmaxClassifier
from sk_softmax.datafits.numpy import SoftmaxDatafit
from sk_softmax.datafits.standardized import Coordinates, in_coordinates

# Both passes round the raw predictions differently (a sum of ~15 products a
# row against the kept sum plus a multiple of the image): a few eps of the raw
# predictions, which are of order one here; a wrong image would be off by O(1).
RTOL = 1e-12


def _data(fmt, n=300, d=40, k=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * (rng.uniform(size=(n, d)) < 0.4)
    y = rng.integers(k, size=n)
    y[:k] = np.arange(k)
    sw = rng.uniform(0.5, 2.0, size=n)
    return sparse.csr_matrix(X).asformat(fmt), y, k, sw


@pytest.fixture
def everywhere(monkeypatch):
    """Data terms follow lines on data of any width (the mechanism, not its threshold)."""
    monkeypatch.setattr(lines, "_LINE_VALUES", 1)


def _spy(monkeypatch):
    """The steps ``along`` found (None: a full pass) for each gradient pass."""
    found = []

    def spy(*args):
        step = original(*args)
        found.append(step)
        return step

    original = lines.along
    monkeypatch.setattr(lines, "along", spy)
    return found


def _direction(datafit, coef, rng):
    """A direction built as conjugate gradients build one: products, then ``take``."""
    product = datafit.hessp(coef)
    product.follow()
    direction = np.zeros_like(coef)
    for _ in range(3):
        vector = rng.normal(size=coef.size)
        product(vector)
        step = rng.uniform(0.2, 1.0)
        product.take(step)
        direction += step * vector
    return direction


def _assert_same_pass(datafit, exact, coef):
    value, grad = datafit.loss_gradient(coef)
    exact_value, exact_grad = exact.loss_gradient(coef)
    np.testing.assert_allclose(value, exact_value, rtol=RTOL)
    np.testing.assert_allclose(grad, exact_grad, rtol=RTOL, atol=RTOL * np.max(np.abs(exact_grad)))


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_points_on_the_line_get_the_full_pass(monkeypatch, everywhere, fmt, fit_intercept):
    X, y, k, sw = _data(fmt)
    datafit = SoftmaxDatafit(X, y, k, sw, fit_intercept, lines=True)
    exact = SoftmaxDatafit(X, y, k, sw, fit_intercept)
    assert datafit.follows_lines and not exact.follows_lines
    found = _spy(monkeypatch)
    rng = np.random.default_rng(1)
    coef = rng.normal(size=datafit.shape).ravel() * 0.3
    _direction(datafit, coef, rng)  # a solver follows: the passes keep raw predictions
    datafit.loss_gradient(coef)
    direction = _direction(datafit, coef, rng)
    shift = np.tile(rng.normal(size=datafit.shape[1]), datafit.shape[0])  # a class shift
    trial = coef + 0.7 * direction + shift
    _assert_same_pass(datafit, exact, trial)
    back = coef + 0.35 * direction  # from the last point, along the same line
    _assert_same_pass(datafit, exact, back)
    assert found[-2] == pytest.approx(0.7, rel=1e-12)
    assert found[-1] == pytest.approx(-0.35, rel=1e-12)
    # and the kept raw predictions carry on: a Hessian product there is the exact one's
    vector = rng.normal(size=coef.size)
    np.testing.assert_allclose(
        datafit.hessp(back)(vector), exact.hessp(back)(vector), rtol=1e-10, atol=1e-12
    )


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_points_off_the_line_take_the_full_pass(monkeypatch, everywhere, fmt):
    X, y, k, sw = _data(fmt, seed=2)
    datafit = SoftmaxDatafit(X, y, k, sw, True, lines=True)
    exact = SoftmaxDatafit(X, y, k, sw, True)
    found = _spy(monkeypatch)
    rng = np.random.default_rng(3)
    coef = rng.normal(size=datafit.shape).ravel() * 0.3
    _direction(datafit, coef, rng)
    datafit.loss_gradient(coef)
    direction = _direction(datafit, coef, rng)
    # off the line by 1e-6 of the step: far beyond the rounding the test allows
    off = rng.normal(size=coef.size) * 1e-6 * np.max(np.abs(direction))
    _assert_same_pass(datafit, exact, coef + direction + off)
    assert found[-1] is None
    # a product of an older Hessian no longer builds the direction
    older = datafit.hessp(coef)
    older.follow()
    newer = datafit.hessp(coef)
    newer.follow()  # starts a direction of its own (empty)
    vector = rng.normal(size=coef.size)
    older(vector)
    older.take(1.0)
    del newer
    datafit.loss_gradient(coef)
    _assert_same_pass(datafit, exact, coef + vector)
    assert found[-1] is None


def test_only_sparse_float64_multiclass_data_terms_with_values_to_spare_follow_lines():
    y = np.arange(200) % 4
    sw = np.ones(200)
    per_row = lines._LINE_VALUES
    text = sparse.random(200, 1000, density=per_row / 1000, format="csr", random_state=0)
    assert text.nnz == 200 * per_row
    assert SoftmaxDatafit(text, y, 4, sw, True, lines=True).follows_lines
    assert not SoftmaxDatafit(text, y, 4, sw, True).follows_lines  # only where asked
    assert not SoftmaxDatafit(text, y % 2, 2, sw, True, lines=True).follows_lines
    assert not SoftmaxDatafit(text.astype(np.float32), y, 4, sw, True, lines=True).follows_lines
    assert not SoftmaxDatafit(text.toarray(), y, 4, sw, True, lines=True).follows_lines
    # the solvers' data terms ask for it (in_coordinates)
    solvers = in_coordinates(text, y, 4, sw, Coordinates(np.zeros(1000), np.ones(1000), True))
    assert solvers.inner.follows_lines
    text.data[0] = 0.0
    text.eliminate_zeros()  # one stored value fewer than the threshold
    assert not SoftmaxDatafit(text, y, 4, sw, True, lines=True).follows_lines


def test_a_point_off_the_line_on_a_column_of_large_values_takes_the_full_pass(
    monkeypatch, everywhere
):
    """The remainder off the line counts by what it moves in the raw predictions.

    A direction on a column of values 1e-4, a point off its line by 5e-10 of
    the direction's largest entry on a column of values 1e4: in coefficients
    a tiny remainder, in raw predictions 1e-2 of the step's whole effect.
    """
    rng = np.random.default_rng(5)
    X = sparse.csr_matrix(rng.normal(size=(200, 2)) * np.array([1e-4, 1e4]))
    y = np.arange(200) % 3
    sw = np.ones(200)
    datafit = SoftmaxDatafit(X, y, 3, sw, True, lines=True)
    exact = SoftmaxDatafit(X, y, 3, sw, True)
    found = _spy(monkeypatch)
    coef = np.zeros((3, 3))
    coef[:, 0] = [1.0, -2.0, 1.0]  # weights on the small column only
    coef = coef.ravel()
    datafit.hessp(coef).follow()
    datafit.loss_gradient(coef)
    product = datafit.hessp(coef)
    product.follow()
    vector = np.zeros((3, 3))
    vector[:, 0] = [2e3, -1e3, -1e3]
    product(vector.ravel())
    product.take(1.0)
    off = np.zeros((3, 3))
    off[:, 1] = [5e-10 * 2e3, 0.0, 0.0]  # on the column of large values
    _assert_same_pass(datafit, exact, coef + vector.ravel() + off.ravel())
    assert found[-1] is None


@pytest.mark.parametrize("dtype", [np.int64, np.float32])
def test_zero_weights_pass_in_float64_whatever_the_coefficients_dtype(dtype):
    X, y, k, sw = _data("csr")
    datafit = SoftmaxDatafit(X, y, k, sw, True)
    coef = np.zeros(datafit.shape, dtype=dtype)
    coef[:, -1] = [1, -1, 2, 0]
    value, grad = datafit.loss_gradient(coef.ravel())
    exact_value, exact_grad = datafit.loss_gradient(coef.astype(np.float64).ravel())
    assert value == exact_value and grad.dtype == np.float64
    np.testing.assert_array_equal(grad, exact_grad)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("solver", ["newton-cg", "newton-cholesky"])
def test_fits_that_follow_lines_meet_tol_exactly(monkeypatch, everywhere, fmt, solver):
    """On digits (real data) as sparse: the optimality conditions, from scratch."""
    X, y = load_digits(return_X_y=True)
    found = _spy(monkeypatch)
    clf = SoftmaxClassifier(C=10.0, solver=solver, tol=TOL, max_iter=1000)
    clf.fit(sparse.csr_matrix(X).asformat(fmt), y)
    assert any(step is not None for step in found)
    grad, intercept_grad, alpha = _smooth_gradient(clf, X, y)
    bound = _bound(X, alpha, 0.0)
    assert np.all(np.abs(grad) <= bound), np.max(np.abs(grad) / bound)
    np.testing.assert_allclose(intercept_grad, 0.0, atol=2 * TOL)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_column_bound_is_each_columns_largest_value_chunk_by_chunk(monkeypatch, fmt):
    """Chunks smaller than a column's run of values, and a column with none stored."""
    monkeypatch.setattr(lines, "_CHUNK", 7)
    monkeypatch.setattr(lines, "_CHUNK_COLUMNS", 3)
    X, _, _, _ = _data(fmt, n=50, d=11)
    X = X.tolil()
    X[:, 4] = 0
    X = X.asformat(fmt)
    X.eliminate_zeros()
    expected = np.abs(X.toarray()).max(axis=0)
    np.testing.assert_array_equal(lines.column_bound(X, False), expected)
    np.testing.assert_array_equal(lines.column_bound(X, True), np.append(expected, 1.0))
