"""The caller's data, pickling, threads, and the model's state across failed fits."""

import pickle
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning

from sk_softmax import SoftmaxClassifier
from sk_softmax.solvers import SOLVERS

FITTED = ["classes_", "coef_", "intercept_", "n_iter_", "converged_", "objective_", "solver_"]


def _snapshot(clf):
    """Every public fitted attribute (trailing underscore), copied."""
    return {
        name: (value.copy() if isinstance(value, np.ndarray) else value)
        for name, value in vars(clf).items()
        if name.endswith("_") and not name.startswith("_")
    }


def _equal(a, b):
    """Equal values, arrays and plain objects (compared attribute by attribute) included."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        nan_too = all(np.asarray(v).dtype.kind in "fc" for v in (a, b))  # NaN where NaN was
        return np.array_equal(a, b, equal_nan=nan_too)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_equal(u, v) for u, v in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if hasattr(a, "__dict__") and type(a) is type(b):
        return _equal(vars(a), vars(b))
    return a is b or a == b


def _assert_same_state(clf, snapshot):
    now = _snapshot(clf)
    assert set(now) == set(snapshot)
    for name, value in snapshot.items():
        assert _equal(now[name], value), name


def _read_only(*arrays):
    for a in arrays:
        a.flags.writeable = False


@pytest.fixture
def data():
    rng = np.random.RandomState(0)
    X = rng.randn(40, 4)
    y = np.arange(40) % 3
    sw = rng.uniform(0.5, 2.0, 40)
    return X, y, sw


# -- the caller's data --------------------------------------------------------------


def _exercise(clf, X, y, sw):
    clf.fit(X, y, sample_weight=sw)
    for method in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
        getattr(clf, method)(X)
    clf.score(X, y, sample_weight=sw)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"solver": "lbfgs", "class_weight": "balanced"},
        {"solver": "newton-cg", "fit_intercept": False},
        {"C": np.inf},  # separable here? the separation check reads X too
        {"solver": "sgd", "max_iter": 3},
        {"warm_start": True},
    ],
)
@pytest.mark.parametrize("layout", ["C", "F", "float32", "csr", "csc", "csr64"])
def test_inputs_are_never_modified(data, params, layout):
    X, y, sw = data
    if layout == "F":
        X = np.asfortranarray(X)
    elif layout == "float32":
        X = X.astype(np.float32)
    elif layout.startswith("cs"):
        X = sparse.csr_matrix(np.where(np.abs(X) > 0.5, X, 0.0)).asformat(layout[:3])
        if layout == "csr64":
            X.indices, X.indptr = X.indices.astype(np.int64), X.indptr.astype(np.int64)
    parts = [X.data, X.indices, X.indptr] if sparse.issparse(X) else [X]
    before = [p.copy() for p in parts] + [y.copy(), sw.copy()]
    # read-only: any write in place raises instead of going unnoticed
    _read_only(*parts, y, sw)
    clf = SoftmaxClassifier(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence is not the point here
        _exercise(clf, X, y, sw)
        _exercise(clf, X, y, sw)  # a second fit (warm start when asked)
        huge = 1e30 if X.dtype == np.float32 else 1e307  # logits beyond float64 or near
        clf.predict_proba(X * huge if not sparse.issparse(X) else X.multiply(huge).tocsr())
    for original, now in zip(before, parts + [y, sw], strict=True):
        np.testing.assert_array_equal(now, original)
        assert now.dtype == original.dtype


def test_dataframes_and_series_are_never_modified(data):
    pd = pytest.importorskip("pandas")
    X, y, sw = data
    frame = pd.DataFrame(X, columns=list("abcd"))
    frame["d"] = frame["d"].astype(np.float32)
    labels = pd.Series(np.array(["x", "y", "z"])[y], name="label")
    weights = pd.Series(sw)
    copies = frame.copy(deep=True), labels.copy(deep=True), weights.copy(deep=True)
    clf = SoftmaxClassifier(class_weight="balanced")
    _exercise(clf, frame, labels, weights)
    pd.testing.assert_frame_equal(frame, copies[0])
    pd.testing.assert_series_equal(labels, copies[1])
    pd.testing.assert_series_equal(weights, copies[2])


def test_partial_fit_does_not_modify_inputs(data):
    X, y, sw = data
    before = X.copy(), y.copy(), sw.copy()
    _read_only(X, y, sw)
    clf = SoftmaxClassifier()
    clf.partial_fit(X, y, classes=np.unique(y), sample_weight=sw)
    clf.partial_fit(X, y, sample_weight=sw)
    for a, b in zip((X, y, sw), before, strict=True):
        np.testing.assert_array_equal(a, b)


# -- pickling -----------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg", "newton-cholesky", "sgd"])
def test_pickle_round_trip_predicts_bit_for_bit(data, solver):
    X, y, sw = data
    labels = np.array(["setosa", "versicolor", "virginica"], dtype=object)[y]
    clf = SoftmaxClassifier(solver=solver, max_iter=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, labels, sample_weight=sw)
    clone = pickle.loads(pickle.dumps(clf, protocol=pickle.HIGHEST_PROTOCOL))
    assert type(clone) is SoftmaxClassifier and clone.get_params() == clf.get_params()
    for method in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
        np.testing.assert_array_equal(getattr(clone, method)(X), getattr(clf, method)(X))
    _assert_same_state(clone, _snapshot(clf))


def test_pickle_keeps_feature_names(data):
    pd = pytest.importorskip("pandas")
    X, y, _ = data
    frame = pd.DataFrame(X, columns=list("abcd"))
    clf = pickle.loads(pickle.dumps(SoftmaxClassifier().fit(frame, y)))
    np.testing.assert_array_equal(clf.feature_names_in_, list("abcd"))
    with pytest.raises(ValueError, match="feature names should match"):
        clf.predict(frame.rename(columns={"a": "q"}))


# -- threads ------------------------------------------------------------------------


def test_concurrent_predictions_agree_with_serial(data):
    X, y, _ = data
    rng = np.random.RandomState(1)
    clf = SoftmaxClassifier().fit(X, y)
    batches = [rng.randn(200, 4) * scale for scale in (1, 10, 1e3, 1e307) * 4]
    serial = [clf.predict_proba(b) for b in batches]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            concurrent = list(pool.map(clf.predict_proba, batches))
            for got, want in zip(concurrent, serial, strict=True):
                np.testing.assert_array_equal(got, want)
    # predicting changed nothing on the estimator
    assert clf.n_features_in_ == 4


# -- failed and interrupted fits ----------------------------------------------------


def test_attributes_are_assigned_only_at_the_end(data, monkeypatch):
    # While the solver runs, the estimator still holds the previous model.
    X, y, _ = data
    clf = SoftmaxClassifier(warm_start=True, solver="newton-cholesky").fit(X, y)
    before = _snapshot(clf)
    real = SOLVERS["newton-cholesky"]
    solve = real._solve
    seen = {}

    def spy(datafit, penalty, coef0, **kwargs):
        seen["state"] = {name: getattr(clf, name) for name in FITTED}
        return solve(datafit, penalty, coef0, **kwargs)

    monkeypatch.setattr(real, "_solve", spy)
    clf.fit(X * 2, y)
    for name in FITTED:
        value = seen["state"][name]
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, before[name])
        else:
            assert value == before[name]


@pytest.mark.parametrize("failure", ["interrupt", "error"])
@pytest.mark.parametrize("other_features", [False, True])
def test_interrupted_fit_leaves_the_previous_model(data, monkeypatch, failure, other_features):
    X, y, sw = data
    clf = SoftmaxClassifier(warm_start=True, solver="newton-cholesky").fit(X, y)
    model = _snapshot(clf)
    coef_object = clf.coef_
    real = SOLVERS["newton-cholesky"]
    solve = real._solve
    calls = []

    def interrupted(datafit, penalty, coef0, **kwargs):
        def stop(n_iter, coef, value, grad):
            calls.append(n_iter)
            if failure == "interrupt":
                raise KeyboardInterrupt
            raise MemoryError("simulated")

        return solve(datafit, penalty, coef0, **{**kwargs, "callback": stop})

    monkeypatch.setattr(real, "_solve", interrupted)
    X_new = np.c_[X, X[:, :2]] if other_features else X + 1.0
    expected = KeyboardInterrupt if failure == "interrupt" else MemoryError
    with pytest.raises(expected):
        clf.set_params(warm_start=not other_features).fit(X_new, y, sample_weight=sw)
    assert calls == [1]  # interrupted inside the solver, after one step
    _assert_same_state(clf, model)
    assert clf.coef_ is coef_object  # not even updated in place
    # and the model is whole: it predicts on the old features, a warm start
    # from it on the original data needs no iteration
    monkeypatch.undo()
    clf.predict_proba(X)
    assert clf.set_params(warm_start=True).fit(X, y).n_iter_ == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"X": "nan"},
        {"sample_weight": "negative"},
        {"y": "one class"},
        {"X": "more features", "sample_weight": "negative"},
        {"warm_start": "other classes"},
    ],
    ids=lambda d: "-".join(f"{k}={v}" for k, v in d.items()),
)
def test_failed_fit_leaves_the_previous_model(data, bad):
    pd = pytest.importorskip("pandas")
    X, y, sw = data
    frame = pd.DataFrame(X, columns=list("abcd"))
    clf = SoftmaxClassifier(warm_start=True).fit(frame, y, sample_weight=sw)
    model = _snapshot(clf)
    X_bad, y_bad, sw_bad = frame, y, sw
    if bad.get("X") == "nan":
        X_bad = frame.copy()
        X_bad.iloc[3, 1] = np.nan
    if bad.get("X") == "more features":
        X_bad = pd.DataFrame(np.c_[X, X], columns=list("abcdefgh"))
    if bad.get("sample_weight") == "negative":
        sw_bad = -sw
    if bad.get("y") == "one class":
        y_bad = np.zeros_like(y)
    if bad.get("warm_start") == "other classes":
        y_bad = np.where(y == 2, 5, y)
    with pytest.raises(ValueError):
        clf.fit(X_bad, y_bad, sample_weight=sw_bad)
    _assert_same_state(clf, model)
    np.testing.assert_array_equal(clf.feature_names_in_, list("abcd"))
    assert clf.predict(frame).shape == (len(y),)
    assert clf.fit(frame, y, sample_weight=sw).n_iter_ == 0  # the warm start is intact


@pytest.mark.parametrize("solver", ["newton-cholesky", "newton-cg", "lbfgs", "sgd"])
@pytest.mark.parametrize("where", ["coef_", "intercept_"])
def test_warm_start_from_non_finite_coefficients_is_a_clear_error(data, solver, where):
    # scikit-learn's test_sag_classifier_raises_error, ported: a warm start
    # from NaN coefficients must be refused, not run into a NaN model.
    X, y, _ = data
    clf = SoftmaxClassifier(solver=solver, warm_start=True, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    getattr(clf, where)[0] = np.nan
    model = _snapshot(clf)
    with pytest.raises(ValueError, match="NaN or infinite values: fit with warm_start=False"):
        clf.fit(X, y)
    _assert_same_state(clf, model)
    # a cold start is fine
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert np.all(np.isfinite(clf.set_params(warm_start=False).fit(X, y).coef_))
