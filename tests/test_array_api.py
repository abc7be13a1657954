"""Array API input: fit and predict in the input's namespace and on its device.

With ``array_api_dispatch=True`` an array-api-strict array (on its default
device and on its second device, "device1") or a PyTorch tensor is fitted
and predicted by ``xp`` on that device; the results must be those of the
NumPy path. Tolerances: both paths run the same solver from the same start on
the same float64 maths, differing only in the order of summations (rounding
of order 1e-15 relative per evaluation), so their iterates and outputs agree
to many more digits than the 1e-6 asked here, while a mistake in the maths
(a wrong gradient term, a misplaced intercept) moves the fit by far more.
"""

import warnings

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._array_api import device as array_device
from sklearn.utils._array_api import get_namespace, move_to

from sk_softmax import SoftmaxClassifier
from sk_softmax.datafits.array_api import ArrayAPIDatafit, column_moments_xp
from sk_softmax.datafits.moments import column_moments
from sk_softmax.datafits.numpy import SoftmaxDatafit

xps = pytest.importorskip("array_api_strict")

ATOL = 1e-6
METHODS = ["predict", "predict_proba", "predict_log_proba", "decision_function"]


def _torch_namespace():
    torch = pytest.importorskip("torch")
    return torch, torch.device("cpu")


NAMESPACES = {
    "strict": lambda: (xps, xps.Device("CPU_DEVICE")),
    "strict-device1": lambda: (xps, xps.Device("device1")),
    "torch-cpu": _torch_namespace,
}


@pytest.fixture(params=list(NAMESPACES))
def namespace(request):
    """``(xp, device)``: array-api-strict on two devices, PyTorch on CPU if installed."""
    return NAMESPACES[request.param]()


@pytest.fixture
def dispatch():
    with sklearn.config_context(array_api_dispatch=True):
        yield


def _to_numpy(array):
    return np.asarray(move_to(array, xp=np, device="cpu"))


def _data(n_classes=3, n_samples=90, n_features=5, seed=0):
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=3,
        n_redundant=0,
        n_classes=n_classes,
        n_clusters_per_class=1,
        random_state=seed,
    )
    X = X * np.logspace(-1, 1, n_features) + 2.0  # unscaled, uncentred columns
    return X, y


def _assert_in(array, xp, device):
    """``array`` is an array of namespace ``xp`` on ``device`` (dispatch on)."""
    assert get_namespace(array)[0].__name__ == get_namespace(xp.asarray(0.0))[0].__name__
    assert array_device(array) == device


@pytest.mark.parametrize("solver", ["newton-cholesky", "newton-cg", "lbfgs"])
@pytest.mark.parametrize("n_classes", [2, 4])
def test_fit_and_every_prediction_match_numpy(namespace, dispatch, solver, n_classes):
    xp, device = namespace
    X, y = _data(n_classes)
    with sklearn.config_context(array_api_dispatch=False):
        reference = SoftmaxClassifier(solver=solver).fit(X, y)
    X_xp, y_xp = xp.asarray(X, device=device), xp.asarray(y, device=device)
    clf = SoftmaxClassifier(solver=solver).fit(X_xp, y_xp)

    assert clf.solver_ == solver and clf.converged_
    for name in ("coef_", "intercept_"):
        _assert_in(getattr(clf, name), xp, device)
        assert_allclose(_to_numpy(getattr(clf, name)), getattr(reference, name), atol=ATOL)
    assert_array_equal(_to_numpy(clf.classes_), reference.classes_)
    assert clf.objective_ == pytest.approx(reference.objective_, rel=1e-9)
    for method in METHODS:
        out = getattr(clf, method)(X_xp)
        _assert_in(out, xp, device)
        expected = getattr(reference, method)(X)
        assert out.shape == expected.shape
        assert_allclose(_to_numpy(out), expected, atol=ATOL, err_msg=method)
    score = clf.score(X_xp, y_xp)
    assert isinstance(score, float)
    assert score == pytest.approx(reference.score(X, y), abs=ATOL)


def test_weights_class_weight_and_no_intercept_match_numpy(namespace, dispatch):
    xp, device = namespace
    X, y = _data(3, seed=1)
    sample_weight = np.random.RandomState(0).uniform(0.1, 3.0, size=y.size)
    for params in (
        {"class_weight": "balanced"},
        {"class_weight": {0: 2.0, 2: 0.5}, "fit_intercept": False},
        {"C": 0.05},
    ):
        with sklearn.config_context(array_api_dispatch=False):
            reference = SoftmaxClassifier(**params).fit(X, y, sample_weight=sample_weight)
        clf = SoftmaxClassifier(**params).fit(
            xp.asarray(X, device=device),
            xp.asarray(y, device=device),
            sample_weight=xp.asarray(sample_weight, device=device),
        )
        assert_allclose(_to_numpy(clf.coef_), reference.coef_, atol=ATOL, err_msg=str(params))
        assert_allclose(_to_numpy(clf.intercept_), reference.intercept_, atol=ATOL)
        proba = clf.predict_proba(xp.asarray(X, device=device))
        assert_allclose(_to_numpy(proba), reference.predict_proba(X), atol=ATOL)


def test_float32_input_is_fitted_in_float64(namespace, dispatch):
    """As on the NumPy path, float32 data give float64 coefficients and outputs."""
    xp, device = namespace
    X, y = _data(3, seed=2)
    X = X.astype(np.float32)
    with sklearn.config_context(array_api_dispatch=False):
        reference = SoftmaxClassifier().fit(X, y)
    X_xp = xp.asarray(X, device=device)
    clf = SoftmaxClassifier().fit(X_xp, xp.asarray(y, device=device))
    assert clf.coef_.dtype == xp.float64
    proba = clf.predict_proba(X_xp)
    assert proba.dtype == xp.float64
    assert_allclose(_to_numpy(proba), reference.predict_proba(X), atol=ATOL)


def test_string_labels_and_warm_start(dispatch):
    xp, device = xps, xps.Device("device1")
    X, y = _data(3, seed=3)
    labels = np.array(["ant", "bee", "cat"])[y]
    X_xp = xp.asarray(X, device=device)
    clf = SoftmaxClassifier(warm_start=True).fit(X_xp, labels)
    assert_array_equal(clf.classes_, ["ant", "bee", "cat"])
    assert_array_equal(clf.predict(X_xp), SoftmaxClassifier().fit(X, labels).predict(X))
    # A warm start from the solution is already converged: no iteration left to do.
    clf.fit(X_xp, labels)
    assert clf.n_iter_ == 0 and clf.converged_


def test_predicting_on_another_namespace_raises(dispatch):
    X, y = _data(3)
    clf = SoftmaxClassifier().fit(xps.asarray(X), xps.asarray(y))
    for method in METHODS:
        with pytest.raises(ValueError, match=f"SoftmaxClassifier.{method}\\(\\) must use the same"):
            getattr(clf, method)(X)
    numpy_fit = SoftmaxClassifier().fit(X, y)
    with pytest.raises(ValueError, match="must use the same namespace"):
        numpy_fit.predict(xps.asarray(X))


def test_the_stochastic_engine_refuses_array_api_input(dispatch):
    X, y = _data(3)
    with pytest.raises(ValueError, match="solver='sgd' does not take Array API input"):
        SoftmaxClassifier(solver="sgd").fit(xps.asarray(X), xps.asarray(y))
    with pytest.raises(ValueError, match="partial_fit does not take Array API input"):
        SoftmaxClassifier().partial_fit(xps.asarray(X), xps.asarray(y), classes=[0, 1, 2])
    assert not SoftmaxClassifier(solver="sgd").__sklearn_tags__().array_api_support
    assert SoftmaxClassifier().__sklearn_tags__().array_api_support


def test_cv_and_objective_refuse_array_api_input_clearly(dispatch):
    """NumPy-only, as documented: a message naming the fix, not array-api-strict's
    "'dtype' must be a dtype" from deep inside scikit-learn's check_array."""
    from sk_softmax import SoftmaxClassifierCV, objective, softmax_path

    X, y = _data(3)
    with pytest.raises(ValueError, match="SoftmaxClassifierCV.fit does not take Array API.*NumPy"):
        SoftmaxClassifierCV(Cs=3, cv=3).fit(xps.asarray(X), xps.asarray(y))
    clf = SoftmaxClassifier().fit(xps.asarray(X), xps.asarray(y))
    with pytest.raises(ValueError, match="objective does not take Array API.*NumPy"):
        objective(clf, xps.asarray(X), xps.asarray(y))
    with pytest.raises(ValueError, match="softmax_path does not take Array API.*NumPy"):
        softmax_path(xps.asarray(X), xps.asarray(y), l1_ratio=1.0, Cs=3)
    # what the message asks for: NumPy data, for a model fitted on Array API data (an
    # IndexError from inside array-api-strict before)
    reference = objective(SoftmaxClassifier().fit(X, y), X, y)
    assert objective(clf, X, y) == pytest.approx(reference, rel=1e-8)


def test_separable_data_without_penalty_warns_as_on_numpy(dispatch):
    X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    y = np.array([0, 0, 1, 1, 2, 2])
    with pytest.warns(ConvergenceWarning, match="linearly separable"):
        clf = SoftmaxClassifier(C=np.inf, tol=1e-4).fit(xps.asarray(X), xps.asarray(y))
    assert not clf.converged_


def test_no_warning_on_an_ordinary_fit(dispatch):
    X, y = _data(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SoftmaxClassifier().fit(xps.asarray(X), xps.asarray(y))


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_loss_matches_numpy_loss(namespace, dispatch, fit_intercept):
    """Every quantity the solvers use, against the NumPy data term at a random point.

    The same float64 formulae summed in another order: agreement to 1e-12
    relative to the quantities' size (rounding is about 1e-16 per term times
    a few hundred terms).
    """
    xp, device = namespace
    X, y = _data(4, n_samples=60, n_features=3, seed=4)
    rng = np.random.RandomState(0)
    sw = rng.uniform(0.5, 2.0, size=y.size)
    reference = SoftmaxDatafit(X, y, 4, sw, fit_intercept)
    loss = ArrayAPIDatafit(
        xp.asarray(X, device=device),
        xp.asarray(y, device=device),
        4,
        xp.asarray(sw, device=device),
        fit_intercept,
    )
    assert loss.shape == reference.shape and loss.n_dof == reference.n_dof
    coef = rng.normal(size=reference.shape).ravel()
    vector = rng.normal(size=coef.size)
    mean, scale = X.mean(axis=0), X.std(axis=0) + 0.5

    def close(actual, expected):
        assert_allclose(actual, expected, rtol=1e-12, atol=1e-12 * np.max(np.abs(expected)))

    close(loss.loss(coef), reference.loss(coef))
    for actual, expected in zip(
        loss.loss_gradient(coef), reference.loss_gradient(coef), strict=True
    ):
        close(actual, expected)
    close(loss.hessp(coef)(vector), reference.hessp(coef)(vector))
    close(loss.hessian(coef), reference.hessian(coef))
    close(loss.hessian(coef, mean, scale), reference.hessian(coef, mean, scale))
    close(loss.hessian_diagonal(coef, mean, scale), reference.hessian_diagonal(coef, mean, scale))
    close(loss.class_blocks(coef, mean, scale), reference.class_blocks(coef, mean, scale))


@pytest.mark.parametrize("center", [True, False])
def test_column_moments_match_numpy(namespace, dispatch, center):
    xp, device = namespace
    X, _ = _data(3, seed=5)
    X[:, 0] = 7.0  # a constant column
    X[:, 1] *= 1e-200  # a tiny one: no underflow
    sw = np.random.RandomState(1).uniform(0.5, 2.0, size=X.shape[0])
    mean, std = column_moments_xp(
        xp.asarray(X, device=device), xp.asarray(sw, device=device), center
    )
    expected_mean, expected_std = column_moments(X, sw, center)
    assert isinstance(mean, np.ndarray) and isinstance(std, np.ndarray)
    assert_allclose(mean, expected_mean, rtol=1e-12)
    assert_allclose(std, expected_std, rtol=1e-12)
    # no spread about the mean; the root mean square without centring
    assert std[0] == (0.0 if center else pytest.approx(7.0, rel=1e-12))


def test_overflowing_logits_predict_as_numpy(namespace, dispatch):
    # Rows scaled towards 1e308 under large coefficients: W x overflows float64.
    # The one prediction kernel rescues those rows in X's namespace too.
    xp, device = namespace
    X, y = _data(3, seed=6)
    with sklearn.config_context(array_api_dispatch=False):
        reference = SoftmaxClassifier(C=1e4).fit(X * 1e-3, y)
    clf = SoftmaxClassifier(C=1e4).fit(xp.asarray(X * 1e-3, device=device), xp.asarray(y))
    rows = X / np.abs(X).max(axis=1, keepdims=True) * 1e307
    with np.errstate(over="ignore"):
        assert np.isinf(rows @ reference.coef_.T).any()  # the case at hand
    rows_xp = xp.asarray(rows, device=device)
    for method in METHODS:
        out = _to_numpy(getattr(clf, method)(rows_xp))
        with sklearn.config_context(array_api_dispatch=False):
            expected = getattr(reference, method)(rows)
        assert out.shape == expected.shape
        if method == "predict":
            assert_array_equal(out, expected)
        else:
            assert not np.isnan(out).any(), method
            finite = np.isfinite(expected)
            assert_array_equal(np.isfinite(out), finite)
            assert_allclose(out[finite], expected[finite], rtol=1e-6, atol=ATOL, err_msg=method)
    proba = _to_numpy(clf.predict_proba(rows_xp))
    assert np.all(np.isfinite(proba))
    assert_allclose(proba.sum(axis=1), 1.0)
