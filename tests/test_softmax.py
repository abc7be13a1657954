"""SoftmaxClassifier's behaviour as a scikit-learn classifier."""

import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier, objective


def test_probabilities_and_predictions_are_consistent(iris):
    X, y = iris
    clf = SoftmaxClassifier().fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(np.log(proba), clf.predict_log_proba(X), rtol=1e-12)
    decision = clf.decision_function(X)
    assert decision.shape == (150, 3)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[decision.argmax(axis=1)])
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert clf.coef_.shape == (3, 4) and clf.intercept_.shape == (3,)
    # the canonical representative: rows and intercepts sum to zero
    np.testing.assert_allclose(clf.coef_.sum(axis=0), 0, atol=1e-10)
    np.testing.assert_allclose(clf.intercept_.sum(), 0, atol=1e-10)


def test_two_classes_keep_two_rows_and_1d_decision(iris):
    X, y = iris
    mask = y > 0
    clf = SoftmaxClassifier().fit(X[mask], y[mask])
    assert clf.coef_.shape == (2, 4)
    d = clf.decision_function(X[mask])
    assert d.shape == (mask.sum(),)
    raw = X[mask] @ clf.coef_.T + clf.intercept_
    np.testing.assert_allclose(d, raw[:, 1] - raw[:, 0], rtol=1e-12)
    np.testing.assert_array_equal(clf.predict(X[mask]), np.where(d > 0, 2, 1))


def test_string_labels(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"], dtype=object)[y]
    clf = SoftmaxClassifier().fit(X, names)
    np.testing.assert_array_equal(clf.classes_, ["setosa", "versicolor", "virginica"])
    ref = SoftmaxClassifier().fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X))


@pytest.mark.parametrize("dtype", [bool, np.uint8, np.int64])
def test_integer_and_bool_labels(iris, dtype):
    # labels of these dtypes skip type_of_target: they are binary or multiclass
    X, y = iris
    labels = (y > 0).astype(dtype) if dtype is bool else y.astype(dtype)
    clf = SoftmaxClassifier().fit(X, labels)
    np.testing.assert_array_equal(clf.classes_, np.unique(labels))
    assert clf.classes_.dtype == labels.dtype and clf.predict(X).dtype == labels.dtype
    assert clf.score(X, labels) > 0.9


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_equals_dense(iris, fmt):
    X, y = iris
    dense = SoftmaxClassifier().fit(X, y)
    sp = SoftmaxClassifier().fit(sparse.csr_matrix(X).asformat(fmt), y)
    # both reach max|grad| <= tol = 1e-8 in standardised coordinates
    np.testing.assert_allclose(sp.predict_proba(X), dense.predict_proba(X), atol=1e-7)


def test_float32_is_not_copied_and_gives_the_float64_optimum(monkeypatch):
    # Data beyond one row block (smaller data are held as one standardised
    # float64 copy of at most a block's size, datafits.standardized.Compact).
    rng = np.random.default_rng(0)
    X32 = rng.normal(size=(20_000, 30)).astype(np.float32)
    y = (X32[:, 0] + 0.5 * rng.normal(size=20_000) > 0).astype(int) + (X32[:, 1] > 0)
    import sk_softmax.datafits.standardized as module

    seen = {}
    original = module.SoftmaxDatafit

    def spy(X, *args, **kwargs):
        seen["dtype"], seen["base"] = X.dtype, X
        return original(X, *args, **kwargs)

    monkeypatch.setattr(module, "SoftmaxDatafit", spy)
    clf32 = SoftmaxClassifier(tol=1e-10).fit(X32, y)
    assert seen["dtype"] == np.float32 and np.shares_memory(seen["base"], X32)
    monkeypatch.undo()
    clf64 = SoftmaxClassifier(tol=1e-10).fit(X32.astype(np.float64), y)
    np.testing.assert_allclose(clf32.coef_, clf64.coef_, rtol=1e-7, atol=1e-9)


def test_pipeline_and_grid_search(iris):
    X, y = iris
    pipe = make_pipeline(StandardScaler(), SoftmaxClassifier())
    search = GridSearchCV(pipe, {"softmaxclassifier__C": [0.01, 1.0, 100.0]}, cv=3)
    search.fit(X, y)
    assert search.best_params_["softmaxclassifier__C"] in (1.0, 100.0)
    assert search.score(X, y) > 0.9


def test_convergence_warning_says_what_to_do(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning, match="Increase max_iter"):
        clf = SoftmaxClassifier(max_iter=1).fit(X, y)
    assert clf.n_iter_ == 1 and not clf.converged_


def test_default_fit_converges_without_warning(datasets):
    for name in ("iris", "wine", "digits", "synthetic-unscaled"):
        X, y = datasets[name]
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            clf = SoftmaxClassifier().fit(X, y)
        assert clf.converged_


def test_warm_start_continues_from_previous_solution(datasets):
    X, y = datasets["wine"]
    with pytest.warns(ConvergenceWarning):
        clf = SoftmaxClassifier(solver="lbfgs", max_iter=5, warm_start=True).fit(X, y)
    first = clf.coef_.copy()
    clf.set_params(max_iter=1000).fit(X, y)
    full = SoftmaxClassifier(solver="lbfgs", max_iter=1000).fit(X, y)
    assert not np.allclose(first, clf.coef_)
    np.testing.assert_allclose(clf.predict_proba(X), full.predict_proba(X), atol=1e-6)
    # a converged warm start needs no further iteration
    assert clf.fit(X, y).n_iter_ == 0


def test_warm_start_with_other_classes_is_an_error(iris):
    X, y = iris
    clf = SoftmaxClassifier(warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="same classes and number of features"):
        clf.fit(X[y > 0], y[y > 0])


def test_verbose_prints_each_iteration(iris, capsys):
    X, y = iris
    clf = SoftmaxClassifier(verbose=1).fit(X, y)
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith("iter")]
    assert len(lines) == clf.n_iter_ + 1
    assert "max|grad|" in lines[-1]


def test_feature_names_are_recorded(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = SoftmaxClassifier().fit(frame, y)
    np.testing.assert_array_equal(clf.feature_names_in_, ["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(frame.rename(columns={"a": "z"}))


def test_caller_arrays_are_not_modified(iris):
    X, y = iris
    X = X.copy()
    sw = np.linspace(0.5, 2, len(y))
    before = X.copy(), y.copy(), sw.copy()
    SoftmaxClassifier(class_weight="balanced").fit(X, y, sample_weight=sw)
    for a, b in zip((X, y, sw), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_zero_weight_class_without_penalty_is_a_clear_error(iris):
    X, y = iris
    sw = (y != 2).astype(float)
    with pytest.raises(ValueError, match="class 2 has zero total sample weight.*C=inf"):
        SoftmaxClassifier(C=np.inf).fit(X, y, sample_weight=sw)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("how", ["sample_weight", "class_weight"])
def test_zero_weight_class_is_fitted_with_a_penalty(datasets, how, fit_intercept):
    # scikit-learn's LogisticRegression fits a class of zero total weight
    # (same objective for three classes): ours reaches its objective or below.
    X, y = datasets["wine-std"]
    sw = (y != 2).astype(float)
    params = dict(C=0.5, fit_intercept=fit_intercept, tol=1e-10)
    if how == "sample_weight":
        clf = SoftmaxClassifier(**params).fit(X, y, sample_weight=sw)
    else:
        clf = SoftmaxClassifier(class_weight={2: 0.0}, **params).fit(X, y)
    assert clf.converged_
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    theirs = LogisticRegression(
        C=0.5, fit_intercept=fit_intercept, solver="newton-cholesky", tol=1e-12, max_iter=1000
    ).fit(X, y, sample_weight=sw)
    ours_F, theirs_F = (
        objective(clf, X, y, sample_weight=sw),
        objective(theirs, X, y, sample_weight=sw),
    )
    # both to a gradient of 1e-10: F agrees to far below 1e-10 relative
    assert ours_F <= theirs_F * (1 + 1e-10)
    assert ours_F == pytest.approx(theirs_F, rel=1e-10)
    if fit_intercept:
        # Its rows count for nothing, so the other classes' model is the one
        # fitted without them (the same S, the same penalty), and its
        # intercept went down until tol held: probabilities of order tol.
        kept = y != 2
        reduced = SoftmaxClassifier(**params).fit(X[kept], y[kept])
        proba = clf.predict_proba(X)
        assert proba[:, 2].max() < 1e-8
        renormalised = proba[:, :2] / proba[:, :2].sum(axis=1, keepdims=True)
        np.testing.assert_allclose(renormalised, reduced.predict_proba(X), atol=1e-8)
