"""Parity with LogisticRegression: the same objective, so the same optimum."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from sk_softmax import SoftmaxClassifier, objective

MULTICLASS = [
    "iris",
    "iris-std",
    "wine",
    "wine-std",
    "digits-std",
    "synthetic",
    "synthetic-unscaled",
]


def _reference(X, y, **params):
    """LogisticRegression driven to its optimum (newton-cholesky, tight tol)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=1000, **params).fit(
            X, y
        )


def _centred(coef):
    return coef - coef.mean(axis=0)


@pytest.mark.parametrize("name", MULTICLASS)
def test_same_optimum_as_logistic_regression(datasets, name):
    X, y = datasets[name]
    ours = SoftmaxClassifier(tol=1e-10).fit(X, y)
    theirs = _reference(X, y)
    f_ours, f_theirs = objective(ours, X, y), objective(theirs, X, y)
    # ours is the better (or equal) optimum, up to float64 rounding of F
    assert f_ours <= f_theirs * (1 + 1e-12)
    assert f_ours == pytest.approx(f_theirs, rel=1e-8)
    scale = np.max(np.abs(ours.coef_))
    np.testing.assert_allclose(ours.coef_, _centred(theirs.coef_), rtol=1e-5, atol=1e-5 * scale)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)
    assert ours.objective_ == pytest.approx(f_ours, rel=1e-12)


@pytest.mark.parametrize("name", ["wine-std", "synthetic"])
def test_sample_weight_and_class_weight_parity(datasets, name):
    X, y = datasets[name]
    rng = np.random.RandomState(0)
    sw = rng.uniform(0.1, 3.0, size=y.size)
    classes = np.unique(y)
    class_weight = {c: w for c, w in zip(classes, rng.uniform(0.5, 2, classes.size), strict=True)}
    for params in ({}, {"class_weight": class_weight}, {"class_weight": "balanced"}):
        ours = SoftmaxClassifier(tol=1e-10, **params).fit(X, y, sample_weight=sw)
        theirs = _reference(X, y, **params)
        theirs.fit(X, y, sample_weight=sw)
        np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)
        scale = np.max(np.abs(ours.coef_))
        np.testing.assert_allclose(ours.coef_, _centred(theirs.coef_), rtol=1e-5, atol=1e-5 * scale)


@pytest.mark.parametrize("C", [0.01, 1.0, 100.0])
def test_two_classes_match_binary_logistic_regression_with_twice_C(C):
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    ours = SoftmaxClassifier(C=C, tol=1e-10).fit(X, y)
    theirs = _reference(X, y, C=2 * C)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-7)
    # the two rows are -w/2 and w/2 of the binary model
    np.testing.assert_allclose(ours.coef_[1] - ours.coef_[0], theirs.coef_[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        ours.decision_function(X), theirs.decision_function(X), rtol=1e-5, atol=1e-6
    )
    # and the objectives correspond exactly: F_LR(C') = 2 F_ours(C)
    assert objective(theirs, X, y, C=C) == pytest.approx(ours.objective_, rel=1e-8)
    assert objective(theirs, X, y) == pytest.approx(ours.objective_, rel=1e-8)  # C'/2 read back


def test_unpenalised_parity():
    from sklearn.datasets import make_classification

    # few features and 20% flipped labels: no class can be separated, so the
    # unpenalised objective has a finite minimiser
    X, y = make_classification(
        n_samples=500,
        n_features=3,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=1,
        flip_y=0.2,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = SoftmaxClassifier(C=np.inf, tol=1e-10).fit(X, y)
    theirs = _reference(X, y, C=np.inf)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)
    np.testing.assert_allclose(ours.coef_, _centred(theirs.coef_), rtol=1e-5, atol=1e-6)


def test_objective_reads_the_penalty_each_estimator_was_fitted_with():
    # penalty=None is no penalty (it was read as C'/2 = 0.5 for binary data, C' for others),
    # a CV estimator's chosen C_, and any object with coef_, intercept_ and classes_
    # once C is given (a one-row one asked for its own C before, even then)
    from types import SimpleNamespace

    from sklearn.datasets import load_breast_cancer, make_classification

    from sk_softmax import SoftmaxClassifierCV

    X, y = make_classification(  # no class separable: a finite unpenalised optimum
        n_samples=300, n_features=3, n_informative=3, n_redundant=0, n_classes=3,
        flip_y=0.2, random_state=0,
    )  # fmt: skip
    free = LogisticRegression(penalty=None, solver="newton-cholesky", tol=1e-12, max_iter=500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # penalty is deprecated in 1.8
        free.fit(X, y)
    ours = SoftmaxClassifier(C=np.inf, tol=1e-10).fit(X, y)
    assert objective(free, X, y) == pytest.approx(objective(ours, X, y), rel=1e-8)
    search = SoftmaxClassifierCV(Cs=[0.1, 10.0], cv=3).fit(X, y)
    assert objective(search, X, y) == objective(search, X, y, C=search.C_)
    X, y = load_breast_cancer(return_X_y=True)
    binary = LogisticRegression(solver="newton-cholesky", max_iter=500).fit(X, y)
    bare = SimpleNamespace(
        coef_=binary.coef_, intercept_=binary.intercept_, classes_=binary.classes_
    )
    assert objective(bare, X, y, C=0.5, l1_ratio=0.0) == objective(binary, X, y)
    assert objective(bare, X, y, C=0.5) == objective(binary, X, y)  # l1_ratio 0 by default
    with pytest.raises(TypeError, match="cannot tell the C of a SimpleNamespace.*pass C="):
        objective(bare, X, y)
