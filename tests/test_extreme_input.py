"""Extreme but valid input: finite probabilities that sum to one, the right argmax.

Tolerances: a fit stops at max|grad| <= tol in standardised coordinates.
Two fits of the same problem that differ only in rounding (a rescaled copy
of the data, another memory layout) then agree in their coefficients to
about tol / lambda_min, lambda_min the smallest curvature of the
standardised objective, which is of order p (1 - p) ~ 0.1 or more for the
small, overlapping problems used here; probabilities move by at most a
quarter of the change in the logits. With tol=1e-10 that is ~1e-9, hence
the 1e-7 used below, with margin for the conditioning.
"""

import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning

from sk_softmax import SoftmaxClassifier

SOLVERS = ["lbfgs", "newton-cg", "newton-cholesky"]
TOL = 1e-10
ATOL = 1e-7  # see the module docstring


def check_predictions(clf, X):
    """Finite probabilities summing to one, consistent log-probabilities and argmax."""
    proba = clf.predict_proba(X)
    log_proba = clf.predict_log_proba(X)
    decision = clf.decision_function(X)
    assert np.all(np.isfinite(proba)) and np.all(proba >= 0)
    # K probabilities, each rounded once: the sum is one to a few K * eps
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=8 * proba.shape[1] * 2e-16)
    assert not np.any(np.isnan(log_proba)) and not np.any(np.isnan(decision))
    assert np.all(log_proba <= 0)
    pred = clf.predict(X)
    codes = np.searchsorted(clf.classes_, pred)
    rows = np.arange(len(pred))
    # the predicted class attains the largest probability (ties are possible
    # when probabilities round to the same float, hence not argmax equality)
    assert np.all(proba[rows, codes] == proba.max(axis=1))
    assert np.all(log_proba[rows, codes] == log_proba.max(axis=1))
    return proba


@contextmanager
def no_convergence_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        yield


@pytest.fixture(scope="module")
def overlapping():
    """Random labels on two features: classes overlap, a finite unpenalised optimum."""
    rng = np.random.RandomState(1)
    return rng.randn(60, 2), rng.randint(0, 3, 60)


# -- scale ----------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1e150, 1e300])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_unpenalised_fit_is_scale_equivariant(overlapping, scale, solver, fmt):
    # Without a penalty, scaling the features by s scales W by 1/s and changes
    # no probability: the standardised problems are identical.
    X, y = overlapping
    ref = SoftmaxClassifier(C=np.inf, tol=TOL, solver=solver).fit(X, y)
    X_scaled = X * scale
    if fmt == "csr":
        X_scaled = sparse.csr_matrix(X_scaled)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, underflow or convergence warning
        clf = SoftmaxClassifier(C=np.inf, tol=TOL, solver=solver).fit(X_scaled, y)
        proba = check_predictions(clf, X_scaled)
    assert clf.converged_
    np.testing.assert_allclose(proba, ref.predict_proba(X), atol=ATOL)
    np.testing.assert_allclose(clf.coef_ * scale, ref.coef_, atol=10 * ATOL)
    assert np.all(np.isfinite(clf.coef_)) and np.all(np.isfinite(clf.intercept_))


@pytest.mark.parametrize("solver", SOLVERS)
def test_huge_features_make_the_penalty_vanish(overlapping, solver):
    # F = C sum CE + ||W||^2 / 2: with features of 1e300 the optimal W is of
    # 1e-300, whose penalty is nothing: the fit is the unpenalised one.
    X, y = overlapping
    ref = SoftmaxClassifier(C=np.inf, tol=TOL).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = SoftmaxClassifier(C=1.0, tol=TOL, solver=solver).fit(X * 1e300, y)
    np.testing.assert_allclose(clf.predict_proba(X * 1e300), ref.predict_proba(X), atol=ATOL)
    # the canonical representative: rows sum to zero, even when the penalty
    # that picks it is too small to register in float64
    np.testing.assert_allclose(clf.coef_.sum(axis=0) * 1e300, 0, atol=1e-12)


def test_features_near_the_float64_limit_on_both_sides_of_the_mean(overlapping):
    # x - mean would overflow here (4e307 - -1.5e308): the standardised
    # copy of small data is built as x / sigma - mean / sigma instead.
    X, y = overlapping
    X = np.where(X > 1.3, 0.4e308, -1.7e308) + X * 1e306  # a few at 4e307, the mean near -1.5e308
    ref = SoftmaxClassifier(C=np.inf, tol=TOL).fit(X / 1e308, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = SoftmaxClassifier(tol=TOL).fit(X, y)
    assert clf.converged_
    np.testing.assert_allclose(check_predictions(clf, X), ref.predict_proba(X / 1e308), atol=ATOL)


@pytest.mark.parametrize("solver", SOLVERS)
def test_tiny_features_give_the_class_frequencies(overlapping, solver):
    # The opposite end: features of 1e-300 need W of 1e300 to matter, which
    # the penalty forbids; the probabilities are the (weighted) class priors.
    X, y = overlapping
    clf = SoftmaxClassifier(C=1.0, solver=solver).fit(X * 1e-300, y)
    proba = check_predictions(clf, X * 1e-300)
    prior = np.bincount(y) / len(y)
    np.testing.assert_allclose(proba, np.tile(prior, (len(y), 1)), atol=1e-8)


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
def test_subnormal_features(overlapping, fmt):
    # Below 2.2e-308, 1 / x overflows: scaling by it gave NaN for sparse data.
    X, y = overlapping
    X_sub = X * 1e-310
    X_in = X_sub if fmt == "dense" else sparse.csr_matrix(X_sub).asformat(fmt)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = SoftmaxClassifier().fit(X_in, y)
        proba = check_predictions(clf, X_in)
    prior = np.bincount(y) / len(y)
    np.testing.assert_allclose(proba, np.tile(prior, (len(y), 1)), atol=1e-8)


# Trial steps of the solver overflow (and are rejected, as its line search
# intends): numpy's RuntimeWarnings about them are expected here.
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_unpenalised_fit_needing_coefficients_beyond_float64(overlapping):
    # At 1e-310 the unpenalised optimum has W of ~1e310: not representable.
    # The fit says so, and the model it keeps is finite.
    X, y = overlapping
    with pytest.warns(ConvergenceWarning, match="beyond its range. Rescale X"):
        clf = SoftmaxClassifier(C=np.inf).fit(X * 1e-310, y)
    assert not clf.converged_ and np.all(np.isfinite(clf.coef_))
    check_predictions(clf, X * 1e-310)


def test_logits_beyond_exp_overflow(overlapping):
    # exp(800) overflows float64; softmax must not.
    X, y = overlapping
    clf = SoftmaxClassifier().fit(X, y)
    direction = clf.coef_[0] - clf.coef_[1]
    X_far = np.outer([1e4, 1e6, -1e4], direction / np.linalg.norm(direction))
    proba = check_predictions(clf, X_far)
    assert np.all(np.max(np.abs(clf.decision_function(X_far)), axis=1) > 800)
    np.testing.assert_allclose(proba.max(axis=1), 1.0)


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
def test_logits_beyond_float64(overlapping, fmt):
    # W x itself overflows (features of 1e307): probabilities are still the
    # limit along the ray, one-hot on argmax W x; no NaN anywhere.
    X, y = overlapping
    clf = SoftmaxClassifier().fit(X, y)
    X_huge = X * 1e307
    X_in = X_huge if fmt == "dense" else sparse.csr_matrix(X_huge).asformat(fmt)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proba = check_predictions(clf, X_in)
        decision = clf.decision_function(X_in)
    expected = clf.classes_[np.argmax(X @ clf.coef_.T, axis=1)]
    np.testing.assert_array_equal(clf.predict(X_in), expected)
    np.testing.assert_array_equal(proba.max(axis=1), 1.0)
    assert np.all(np.isinf(decision).any(axis=1) | (np.abs(decision) > 1e300).any(axis=1))
    # binary decision function too
    binary = SoftmaxClassifier().fit(X[y < 2], y[y < 2])
    d = binary.decision_function(X_in)
    assert not np.any(np.isnan(d))
    np.testing.assert_array_equal(binary.predict(X_in), np.where(d > 0, 1, 0))


def test_huge_coefficients_do_not_overflow_predictions(overlapping):
    # Fitted on features of 1e-300 without a penalty, W is of 1e300: ordinary
    # features then give logits beyond float64.
    X, y = overlapping
    clf = SoftmaxClassifier(C=np.inf, tol=TOL).fit(X * 1e-300, y)
    assert np.max(np.abs(clf.coef_)) > 1e299
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_predictions(clf, X)
    ref = SoftmaxClassifier(C=np.inf, tol=TOL).fit(X, y)
    expected = ref.classes_[np.argmax(X @ ref.coef_.T, axis=1)]
    np.testing.assert_array_equal(clf.predict(X), expected)


def test_binary_decision_beyond_float64_is_infinite_without_warnings():
    # rows of +-1e308 make o_1 - o_0 overflow (numpy's "overflow encountered in
    # subtract" came out before), and scikit-learn's finiteness check sums them
    # to inf - inf ("invalid value encountered in reduce")
    rng = np.random.RandomState(0)
    X = rng.randn(40, 4)
    y = (X[:, 0] > 0).astype(int)
    clf = SoftmaxClassifier().fit(X, y)
    Z = np.tile([1e308, -1e308], (3, 2)) * np.sign(clf.coef_[1] - clf.coef_[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = clf.decision_function(Z)
        np.testing.assert_array_equal(clf.predict(Z), np.ones(3))
    np.testing.assert_array_equal(d, np.inf)


# -- separable data -------------------------------------------------------------------


def _separable(n_classes=2):
    rng = np.random.RandomState(0)
    centres = np.array([[6.0, 0.0], [-6.0, 0.0], [0.0, 9.0]])[:n_classes]
    X = np.vstack([rng.randn(15, 2) + c for c in centres])
    return X, np.repeat(np.arange(n_classes), 15)


@pytest.mark.parametrize("C", [1e10, 1e300, np.inf])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_separable_data_without_effective_penalty_warns(C, solver, n_classes):
    X, y = _separable(n_classes)
    with pytest.warns(ConvergenceWarning, match="linearly separable.*Use a finite, smaller C"):
        clf = SoftmaxClassifier(C=C, solver=solver).fit(X, y)
    assert not clf.converged_
    assert np.all(np.isfinite(clf.coef_)) and np.all(np.isfinite(clf.intercept_))
    assert np.isfinite(clf.objective_)
    proba = check_predictions(clf, X)
    np.testing.assert_array_equal(clf.predict(X), y)
    assert np.all(proba[np.arange(len(y)), y] > 0.5)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_separable_data_without_penalty_warns_with_sgd_too(n_classes):
    # fit(solver="sgd") once reported converged_=True there, without a word (found by a
    # bug hunt): it now diagnoses its result as the other solvers' fits do
    X, y = _separable(n_classes)
    with pytest.warns(ConvergenceWarning, match="linearly separable.*Use a finite, smaller C"):
        clf = SoftmaxClassifier(C=np.inf, solver="sgd", random_state=0).fit(X, y)
    assert not clf.converged_
    assert np.all(np.isfinite(clf.coef_))
    np.testing.assert_array_equal(clf.predict(X), y)


@pytest.mark.parametrize("tol", [1e-30, 1e-300])
def test_separable_data_with_tiny_tol_keeps_finite_coefficients(tol):
    X, y = _separable(3)
    with pytest.warns(ConvergenceWarning, match="linearly separable"):
        clf = SoftmaxClassifier(C=np.inf, tol=tol, max_iter=200).fit(X, y)
    assert np.all(np.isfinite(clf.coef_)) and np.isfinite(clf.objective_)
    check_predictions(clf, X)


def test_one_separable_class_is_detected(iris):
    # Setosa alone is split from the two other iris classes, which overlap:
    # the unpenalised objective still has no finite minimiser.
    X, y = iris
    with pytest.warns(ConvergenceWarning, match="at least one class can be split"):
        SoftmaxClassifier(C=np.inf).fit(X, y)


def test_a_finite_penalty_gives_a_finite_optimum_without_warning():
    X, y = _separable(3)
    with no_convergence_warning():
        clf = SoftmaxClassifier(C=1.0).fit(X, y)
    assert clf.converged_


def test_overlapping_classes_without_penalty_converge_without_warning(overlapping):
    X, y = overlapping
    with no_convergence_warning():
        clf = SoftmaxClassifier(C=np.inf).fit(X, y)
    assert clf.converged_


# -- degenerate designs ---------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
def test_constant_columns(overlapping, solver):
    X, y = overlapping
    X_const = np.c_[X, np.full(len(y), 7.0), np.zeros(len(y))]
    with no_convergence_warning():
        clf = SoftmaxClassifier(tol=TOL, solver=solver).fit(X_const, y)
    ref = SoftmaxClassifier(tol=TOL).fit(X, y)
    check_predictions(clf, X_const)
    # a constant column only duplicates the intercept, unpenalised: its weight is 0
    np.testing.assert_allclose(clf.coef_[:, 2:], 0, atol=ATOL)
    np.testing.assert_allclose(clf.predict_proba(X_const), ref.predict_proba(X), atol=ATOL)


@pytest.mark.parametrize("solver", SOLVERS)
def test_duplicated_columns(overlapping, solver):
    X, y = overlapping
    X_dup = np.c_[X, X[:, :1]]
    clf = SoftmaxClassifier(tol=TOL, solver=solver).fit(X_dup, y)
    check_predictions(clf, X_dup)
    # the penalty splits the weight of a duplicated column evenly
    np.testing.assert_allclose(clf.coef_[:, 0], clf.coef_[:, 2], atol=ATOL)
    # without a penalty the split is arbitrary but the probabilities are unique
    free = SoftmaxClassifier(C=np.inf, tol=TOL, solver=solver).fit(X_dup, y)
    ref = SoftmaxClassifier(C=np.inf, tol=TOL).fit(X, y)
    assert np.all(np.isfinite(free.coef_))
    np.testing.assert_allclose(free.predict_proba(X_dup), ref.predict_proba(X), atol=ATOL)


@pytest.mark.parametrize("solver", SOLVERS)
def test_far_more_features_than_samples(solver):
    rng = np.random.RandomState(0)
    X, y = rng.randn(12, 400), np.arange(12) % 3
    with no_convergence_warning():
        clf = SoftmaxClassifier(solver=solver).fit(X, y)
    check_predictions(clf, X)
    np.testing.assert_array_equal(clf.predict(X), y)
    # unpenalised, n < p: always separable
    with pytest.warns(ConvergenceWarning, match="linearly separable"):
        SoftmaxClassifier(C=np.inf, solver=solver).fit(X, y)


def test_many_classes_with_few_samples_each():
    rng = np.random.RandomState(0)
    y = np.repeat(np.arange(40), 2)
    X = rng.randn(80, 5) + y[:, None] * 0.05
    with no_convergence_warning():
        clf = SoftmaxClassifier().fit(X, y)
    assert clf.coef_.shape == (40, 5)
    check_predictions(clf, X)


def test_a_class_with_one_sample(overlapping):
    X, y = overlapping
    y = y.copy()
    y[0] = 9
    with no_convergence_warning():
        clf = SoftmaxClassifier().fit(X, y)
    proba = check_predictions(clf, X)
    # the intercept is unpenalised: at the optimum sum_i (p_ik - y_ik) = 0,
    # so the class's mean probability is its frequency, to tol
    np.testing.assert_allclose(proba[:, -1].mean(), 1 / len(y), atol=1e-7)


def test_extreme_imbalance():
    rng = np.random.RandomState(0)
    X = rng.randn(2000, 3)
    y = np.zeros(2000, dtype=int)
    y[:2] = 1
    with no_convergence_warning():
        clf = SoftmaxClassifier().fit(X, y)
    proba = check_predictions(clf, X)
    # the rare class's average probability matches its frequency: the
    # intercept's optimality condition sum_i (p_i - y_i) = 0, to tol
    np.testing.assert_allclose(proba[:, 1].mean(), 2 / 2000, atol=1e-7)
    balanced = SoftmaxClassifier(class_weight="balanced").fit(X, y)
    check_predictions(balanced, X)


# -- sample weights -------------------------------------------------------------------


@pytest.mark.parametrize("weight", [1e-300, 1e-200, 1e200, 1e300, 1e308])
def test_scaling_the_weights_is_scaling_C(overlapping, weight):
    # F = C sum_i s_i CE_i + ||W||^2 / 2: weights a * s with C equal C * a
    # with weights s; both computed without overflow, even as a * n > 1e308.
    X, y = overlapping
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        heavy = SoftmaxClassifier(tol=TOL).fit(X, y, sample_weight=np.full(len(y), weight))
        light = SoftmaxClassifier(C=weight, tol=TOL).fit(X, y)
    assert np.all(np.isfinite(heavy.coef_))
    np.testing.assert_allclose(heavy.coef_, light.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(heavy.intercept_, light.intercept_, rtol=1e-9, atol=1e-12)
    check_predictions(heavy, X)


def test_mixed_huge_and_tiny_weights(overlapping):
    # Only the ratios and C * S matter: 1e300 and 1e-300 behave like 1 and
    # 1e-600, i.e. the light rows do not count (they are not dropped: each
    # class keeps positive weight).
    X, y = overlapping
    sw = np.where(np.arange(len(y)) % 2 == 0, 1e300, 1e-300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = SoftmaxClassifier(C=np.inf, tol=TOL).fit(X, y, sample_weight=sw)
    heavy = sw > 1
    ref = SoftmaxClassifier(C=np.inf, tol=TOL).fit(X[heavy], y[heavy])
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=ATOL)


def test_class_weights_times_huge_sample_weights(overlapping):
    X, y = overlapping
    sw = np.full(len(y), 1e308)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = SoftmaxClassifier(class_weight={0: 10.0}, tol=TOL).fit(X, y, sample_weight=sw)
        ref = SoftmaxClassifier(C=1e308, class_weight={0: 10.0}, tol=TOL).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=ATOL)


# -- dtypes, layouts, containers ------------------------------------------------------


def test_float16_integer_and_boolean_X(overlapping):
    X, y = overlapping
    for X_other in (X.astype(np.float16), np.round(X * 3).astype(np.int32), X > 0):
        clf = SoftmaxClassifier(tol=TOL).fit(X_other, y)
        ref = SoftmaxClassifier(tol=TOL).fit(np.asarray(X_other, dtype=np.float64), y)
        check_predictions(clf, X_other)
        # the same numbers, converted to float64 on entry: the same fit
        np.testing.assert_array_equal(clf.coef_, ref.coef_)
        np.testing.assert_array_equal(clf.predict_proba(X_other), ref.predict_proba(X_other))


@pytest.mark.parametrize("solver", SOLVERS)
def test_fortran_and_strided_arrays(overlapping, solver):
    X, y = overlapping
    X = np.c_[X, X[:, 0] * X[:, 1]]
    ref = SoftmaxClassifier(tol=TOL, solver=solver).fit(X, y)
    big = np.zeros((2 * X.shape[0], 2 * X.shape[1]))
    big[::2, ::2] = X
    strided = big[::2, ::2]
    assert not strided.flags.c_contiguous and not strided.flags.f_contiguous
    for layout in (np.asfortranarray(X), strided, X[::-1][::-1]):
        clf = SoftmaxClassifier(tol=TOL, solver=solver).fit(layout, y)
        # the same numbers; only the order of summation in BLAS may differ
        np.testing.assert_allclose(clf.coef_, ref.coef_, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(clf.predict_proba(layout), ref.predict_proba(X), atol=1e-12)
    sw_strided = np.linspace(1, 2, 2 * len(y))[::2]
    a = SoftmaxClassifier(tol=TOL).fit(X, y, sample_weight=sw_strided)
    b = SoftmaxClassifier(tol=TOL).fit(X, y, sample_weight=sw_strided.copy())
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-12)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_sparse_index_widths(overlapping, fmt, index_dtype):
    X, y = overlapping
    X = np.c_[X, np.where(X[:, 0] > 0.5, X[:, 0], 0.0)]
    dense = SoftmaxClassifier(tol=TOL).fit(X, y)
    sp = sparse.csr_matrix(X).asformat(fmt)
    sp.indices = sp.indices.astype(index_dtype)
    sp.indptr = sp.indptr.astype(index_dtype)
    clf = SoftmaxClassifier(tol=TOL).fit(sp, y)
    check_predictions(clf, sp)
    np.testing.assert_allclose(clf.predict_proba(sp), dense.predict_proba(X), atol=ATOL)
    assert sp.indices.dtype == index_dtype  # the caller's matrix is untouched


def test_pandas_with_and_without_feature_names(overlapping):
    pd = pytest.importorskip("pandas")
    X, y = overlapping
    ref = SoftmaxClassifier(tol=TOL).fit(X, y)
    named = pd.DataFrame(X, columns=["height", "weight"])
    unnamed = pd.DataFrame(X)  # integer column labels: no feature names
    mixed = pd.DataFrame({"height": X[:, 0].astype(np.float32), "weight": X[:, 1]})
    for frame in (named, unnamed, mixed):
        clf = SoftmaxClassifier(tol=TOL).fit(frame, pd.Series(y, dtype="category"))
        check_predictions(clf, frame)
        np.testing.assert_allclose(clf.predict_proba(frame), ref.predict_proba(X), atol=1e-6)
    assert list(SoftmaxClassifier().fit(named, y).feature_names_in_) == ["height", "weight"]
    assert not hasattr(SoftmaxClassifier().fit(unnamed, y), "feature_names_in_")
    # a refit on a plain array (validated without validate_data, _plain_xy)
    # forgets the names and counts the new features, as validate_data would
    refit = SoftmaxClassifier().fit(named, y).fit(np.hstack([X, X[:, :1]]), y)
    assert not hasattr(refit, "feature_names_in_") and refit.n_features_in_ == 3
    sparse_frame = named.astype(pd.SparseDtype("float64", 0.0))
    clf = SoftmaxClassifier(tol=TOL).fit(sparse_frame, y)
    np.testing.assert_allclose(clf.predict_proba(sparse_frame), ref.predict_proba(X), atol=ATOL)


def test_sgd_with_early_stopping_is_not_called_separated():
    # there the validation rows chose the epoch: the coefficients are theirs, not tol's
    from sklearn.preprocessing import StandardScaler

    X, y = _separable(3)
    X = StandardScaler().fit_transform(X)
    with no_convergence_warning():
        clf = SoftmaxClassifier(C=np.inf, solver="sgd", early_stopping=True, random_state=0)
        clf.fit(X, y)
    assert not getattr(clf, "separated_", False)
