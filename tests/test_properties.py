"""Properties over random problems (hypothesis): shapes, values, weights, label sets.

Invariances are checked to a tolerance derived from the solver's stopping
rule, per example (see :func:`proba_tolerance`), not to a fixed figure.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import sparse

from sk_softmax import SoftmaxClassifier
from sk_softmax._fit import Settings, build_problem
from sk_softmax._weights import weigh
from sk_softmax.backends.numpy import NumpyData

TOL = 1e-10
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@st.composite
def problems(draw):
    """``(X, y, sample_weight, C, fit_intercept)``: at least two classes present."""
    n_samples = draw(st.integers(4, 25))
    n_features = draw(st.integers(1, 4))
    n_classes = draw(st.integers(2, 4))
    magnitude = 10.0 ** draw(st.integers(-3, 3))
    values = st.floats(-10, 10, allow_nan=False, allow_infinity=False)
    X = draw(arrays(np.float64, (n_samples, n_features), elements=values)) * magnitude
    codes = draw(arrays(np.int64, n_samples, elements=st.integers(0, n_classes - 1)))
    codes[:2] = [0, 1]  # at least two classes
    labels = draw(
        st.sampled_from([np.arange(n_classes) * 3 - 2, np.array(list("pqrs"))[:n_classes]])
    )
    y = labels[codes]
    weights = st.floats(0.1, 10, allow_nan=False)
    sw = draw(st.one_of(st.none(), arrays(np.float64, n_samples, elements=weights)))
    C = draw(st.sampled_from([0.1, 1.0, 10.0]))
    fit_intercept = draw(st.booleans())
    return X, y, sw, C, fit_intercept


def proba_tolerance(clf, X, y, sw):
    """How far the probabilities of two fits that both met ``tol`` can be apart.

    A fit stops at ``max|g| <= tol`` in the solver's standardised
    coordinates, so ``||g||_2 <= sqrt(m) tol`` (m coefficients). The objective
    is strongly convex with modulus ``lam``, the smallest eigenvalue of the
    Hessian at the solution off the directions that change no probability
    (the common shift of the intercepts): the fit is within
    ``sqrt(m) tol / lam`` of the optimum, two fits within twice that. A
    change ``d`` of the standardised coefficients moves a logit by at most
    ``||d|| ||z||`` (``z`` a standardised row with its 1) and a
    probability by at most half the largest logit change. A factor 4 covers
    the curvature varying between the fit and the optimum.
    """
    codes = np.searchsorted(clf.classes_, y)
    data = NumpyData(X, codes, clf.classes_)
    weights = weigh(data, np.ones(len(y)) if sw is None else sw, None, clf.C)
    problem = build_problem(data, weights, Settings(C=clf.C, fit_intercept=clf.fit_intercept))
    coef = clf.coef_
    if clf.fit_intercept:
        coef = np.hstack([coef, clf.intercept_[:, None]])
    hess = problem.hessian(coef)  # at the solution, in the solver's coordinates
    eig = np.linalg.eigvalsh(hess)
    lam = eig[1] if clf.fit_intercept else eig[0]  # skip the null direction
    m = hess.shape[0]
    mean, scale = problem.coordinates.mean, problem.coordinates.scale
    z = (X - mean) / scale
    if clf.fit_intercept:
        z = np.hstack([z, np.ones((len(y), 1))])
    z_norm = np.max(np.linalg.norm(z, axis=1))
    return 4 * 0.5 * z_norm * 2 * np.sqrt(m) * TOL / max(lam, 1e-300) + 1e-13


def fit(X, y, sw, C, fit_intercept):
    clf = SoftmaxClassifier(C=C, fit_intercept=fit_intercept, tol=TOL, max_iter=500)
    return clf.fit(X, y, sample_weight=sw)


@SETTINGS
@given(problems(), st.booleans())
def test_probabilities_are_a_distribution_and_agree_with_predict(problem, as_sparse):
    X, y, sw, C, fit_intercept = problem
    clf = fit(sparse.csr_matrix(X) if as_sparse else X, y, sw, C, fit_intercept)
    X_new = np.vstack([X, X * 1e3, -X, np.zeros((1, X.shape[1]))])  # far and odd points too
    proba = clf.predict_proba(X_new)
    log_proba = clf.predict_log_proba(X_new)
    decision = clf.decision_function(X_new)
    pred = clf.predict(X_new)

    assert np.all(np.isfinite(proba)) and np.all(proba >= 0) and np.all(proba <= 1)
    # each of K terms rounded once: the sum is one to a few K * eps
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=8 * proba.shape[1] * 2e-16)
    assert not np.any(np.isnan(log_proba)) and np.all(log_proba <= 0)
    np.testing.assert_allclose(np.exp(log_proba), proba, rtol=1e-14, atol=0)
    positive = proba > 1e-300
    np.testing.assert_allclose(np.log(proba[positive]), log_proba[positive], rtol=1e-12, atol=1e-15)
    assert not np.any(np.isnan(decision))

    # predict's class attains the largest probability, log-probability and
    # score; equal maxima (floats that round together) may go either way.
    rows = np.arange(len(pred))
    codes = np.searchsorted(clf.classes_, pred)
    assert np.array_equal(clf.classes_[codes], pred)
    assert np.all(proba[rows, codes] == proba.max(axis=1))
    assert np.all(log_proba[rows, codes] == log_proba.max(axis=1))
    if clf.classes_.size == 2:
        np.testing.assert_array_equal(pred, clf.classes_[(decision > 0).astype(int)])
    else:
        assert np.all(decision[rows, codes] == decision.max(axis=1))


@SETTINGS
@given(problems(), st.randoms(use_true_random=False))
def test_permuting_rows_changes_nothing_but_rounding(problem, random):
    X, y, sw, C, fit_intercept = problem
    order = np.array(random.sample(range(len(y)), len(y)))
    a = fit(X, y, sw, C, fit_intercept)
    b = fit(X[order], y[order], None if sw is None else sw[order], C, fit_intercept)
    assert a.converged_ and b.converged_
    np.testing.assert_array_equal(a.classes_, b.classes_)
    atol = proba_tolerance(a, X, y, sw)
    np.testing.assert_allclose(b.predict_proba(X), a.predict_proba(X), rtol=0, atol=atol)


@SETTINGS
@given(problems(), st.randoms(use_true_random=False))
def test_relabelling_classes_permutes_the_columns(problem, random):
    X, y, sw, C, fit_intercept = problem
    a = fit(X, y, sw, C, fit_intercept)
    # new names whose sorted order differs from the old one
    old = a.classes_
    new_names = np.array([f"class-{i}" for i in random.sample(range(10, 99), old.size)])
    mapping = dict(zip(old.tolist(), new_names.tolist(), strict=True))
    b = fit(X, np.array([mapping[v] for v in y.tolist()]), sw, C, fit_intercept)
    columns = np.searchsorted(b.classes_, new_names)  # b's column of each old class
    atol = proba_tolerance(a, X, y, sw)
    np.testing.assert_allclose(b.predict_proba(X)[:, columns], a.predict_proba(X), atol=atol)
    if _clear_margins(a, X, atol):
        renamed = np.array([mapping[v] for v in a.predict(X).tolist()])
        np.testing.assert_array_equal(b.predict(X), renamed)


def _clear_margins(clf, X, atol):
    """Predictions cannot flip within ``atol``: the top two probabilities differ by more."""
    top = np.sort(clf.predict_proba(X), axis=1)[:, -2:]
    return np.all(top[:, 1] - top[:, 0] > 2 * atol)


@SETTINGS
@given(problems())
def test_two_fits_with_the_same_input_are_identical(problem):
    X, y, sw, C, fit_intercept = problem
    a = fit(X, y, sw, C, fit_intercept)
    b = fit(X.copy(), y.copy(), None if sw is None else sw.copy(), C, fit_intercept)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.intercept_, b.intercept_)
    assert a.n_iter_ == b.n_iter_
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


@pytest.mark.parametrize("n_classes", [2, 3])
def test_exact_ties_predict_the_first_class(n_classes):
    # All-zero coefficients: every class equally likely. predict, the argmax
    # of predict_proba and of decision_function all pick the first class.
    X = np.zeros((4, 2))
    y = np.arange(4) % n_classes
    clf = SoftmaxClassifier().fit(np.array([[1.0, 0], [-1.0, 0]] * 2), y)
    clf.coef_ = np.zeros_like(clf.coef_)
    clf.intercept_ = np.zeros_like(clf.intercept_)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[0])
    np.testing.assert_array_equal(clf.predict_proba(X).argmax(axis=1), 0)
    decision = clf.decision_function(X)
    if n_classes == 2:
        assert np.all(decision == 0)
    else:
        np.testing.assert_array_equal(decision.argmax(axis=1), 0)
