"""sk_softmax.inference on every kind of input: estimators, backends, bad data, clear errors.

The numbers themselves are tested in tests/test_inference.py; here the same
numbers must come out whatever holds the data (sparse, float32, data frames,
Array API, dask), whichever estimator fitted the model (SoftmaxClassifier or
LogisticRegression), and every input inference cannot honour must get an
error that names the problem, never a table of NaN.
"""

import warnings

import numpy as np
import pytest
import sklearn
from scipy import sparse
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier, SoftmaxInference, inference

# Same coefficients, other summation order and inverse: rounding only.
RTOL_SAME = 1e-8


@pytest.fixture(scope="module")
def fitted(wine):
    X, y = wine
    return SoftmaxClassifier(C=np.inf, tol=1e-10).fit(X, y)


def _same(a, b, rtol=RTOL_SAME):
    """Same coefficients, and covariances: entries against their standard errors' product."""
    np.testing.assert_allclose(a.params, b.params, rtol=rtol)
    cov = b.cov_params()
    scale = np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    assert np.all(np.abs(a.cov_params() - cov) <= rtol * scale)
    np.testing.assert_allclose(a.llf, b.llf, rtol=rtol)


# -- estimators ---------------------------------------------------------------------------


def test_logistic_regression_gives_the_same_inference(wine, fitted):
    X, y = wine
    ours = inference(fitted, X, y, cov_type="HC1")
    lr = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-12).fit(X, y)
    theirs = inference(lr, X, y, cov_type="HC1")
    _same(theirs, ours, rtol=1e-6)  # two fits, each to a gradient of about 1e-10
    assert theirs.model_name == "LogisticRegression" and not theirs.penalised
    penalised = inference(SoftmaxClassifier(C=0.5, tol=1e-12).fit(X, y), X, y)
    lr = LogisticRegression(C=0.5, solver="newton-cholesky", tol=1e-12).fit(X, y)
    _same(inference(lr, X, y), penalised, rtol=1e-6)


def test_binary_logistic_regression_is_softmax_with_half_C(wine):
    """Binary LogisticRegression(C=2c) and SoftmaxClassifier(C=c) share their optimum."""
    X, y = wine
    X, y = X[y > 0], y[y > 0]
    lr = LogisticRegression(C=2.0, solver="newton-cholesky", tol=1e-12).fit(X, y)
    ours = SoftmaxClassifier(C=1.0, tol=1e-12).fit(X, y)
    theirs, mine = inference(lr, X, y), inference(ours, X, y)
    _same(theirs, mine, rtol=1e-6)
    assert theirs.C == 1.0 and theirs.params.shape == (5, 1)


def test_logistic_regression_balanced_classes(wine):
    """Both estimators balance classes by their total sample_weight: one objective."""
    X, y = wine
    f = np.random.RandomState(0).randint(1, 4, size=len(y))
    lr = LogisticRegression(C=np.inf, class_weight="balanced", solver="newton-cholesky",
                            tol=1e-12).fit(X, y, f)  # fmt: skip
    ours = SoftmaxClassifier(C=np.inf, class_weight="balanced", tol=1e-12).fit(X, y, f)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # each at its optimum
        a = inference(lr, X, y, sample_weight=f, cov_type="HC0")
        b = inference(ours, X, y, sample_weight=f, cov_type="HC0")
    _same(a, b, rtol=1e-6)


@pytest.mark.parametrize(
    "estimator, match",
    [
        (LogisticRegression(l1_ratio=1.0, solver="saga", max_iter=5), "L1 part"),
        (LogisticRegression(l1_ratio=0.5, solver="saga", max_iter=5), "L1 part"),
    ],
)
def test_logistic_regression_with_an_l1_penalty_is_refused(wine, estimator, match):
    X, y = wine
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(StandardScaler().fit_transform(X), y)
    with pytest.raises(ValueError, match=match):
        inference(estimator, X, y)


@pytest.mark.parametrize("l1_groups", [None, "features"])
def test_a_sparse_softmax_model_is_refused(wine, l1_groups):
    X, y = wine
    X = StandardScaler().fit_transform(X)
    clf = SoftmaxClassifier(C=0.1, l1_ratio=0.5, l1_groups=l1_groups).fit(X, y)
    with pytest.raises(ValueError, match="l1_ratio=0.5.*Refit with l1_ratio=0"):
        inference(clf, X, y)
    # C=inf is no penalty at all, whatever l1_ratio says: the same inference as the L2 model's
    X2 = X[:, :2]  # two features: not separable
    free = inference(SoftmaxClassifier(C=np.inf, l1_ratio=0.5).fit(X2, y), X2, y)
    ridge = inference(SoftmaxClassifier(C=np.inf).fit(X2, y), X2, y)
    np.testing.assert_allclose(free.bse, ridge.bse, rtol=1e-6)


def test_liblinear_and_other_estimators_are_refused(wine):
    X, y = wine
    binary = LogisticRegression(solver="liblinear").fit(X[y > 0], y[y > 0])
    with pytest.raises(ValueError, match="liblinear.*penalises the intercept"):
        inference(binary, X[y > 0], y[y > 0])
    with pytest.raises(TypeError, match="SoftmaxClassifier or a fitted multinomial"):
        inference(StandardScaler().fit(X), X, y)
    with pytest.raises(NotFittedError):
        inference(SoftmaxClassifier(), X, y)


def test_a_stochastic_fit_is_judged_by_its_distance_to_the_optimum(wine):
    X, y = wine
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sgd = SoftmaxClassifier(C=np.inf, solver="sgd", max_iter=3, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="not the optimum of its objective"):
        inference(sgd, X, y)
    loose = SoftmaxClassifier(C=np.inf, tol=1e-2).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="standard errors"):
        result = inference(loose, X, y)
    assert np.all(np.isfinite(result.bse))


# -- the data: checked to be the estimator's ------------------------------------------------


def test_other_data_is_an_error(wine, fitted):
    X, y = wine
    f = np.ones(len(y))
    f[:10] = 2.0
    for args, kwargs in [((X[:-3], y[:-3]), {}), ((X, y), {"sample_weight": f})]:
        with pytest.raises(ValueError, match="fitted on other rows, labels or sample_weight"):
            inference(fitted, *args, **kwargs)
    changed = sklearn.clone(fitted).fit(X, y).set_params(C=10.0)
    with pytest.raises(ValueError, match="or its C, class_weight or fit_intercept changed"):
        inference(changed, X, y)
    lr = LogisticRegression(C=np.inf, solver="newton-cholesky").fit(X[::2], y[::2])
    with pytest.raises(ValueError, match="fitted on other data"):
        inference(lr, X, y)
    with pytest.raises(ValueError, match="X has 3 features, but the SoftmaxClassifier was"):
        inference(fitted, X[:, :3], y)
    with pytest.raises(ValueError, match=r"y has the classes \[1, 2\], but"):
        inference(fitted, X[y > 0], y[y > 0])


def test_no_finite_maximum_likelihood_is_an_error():
    X, y = load_iris(return_X_y=True)  # setosa is separable
    for C in (np.inf, 1e12):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf = SoftmaxClassifier(C=C).fit(X, y)
        with pytest.raises(ValueError, match="linearly separable.*no finite maximum likelihood"):
            inference(clf, X, y)
    penalised = inference(SoftmaxClassifier(C=1.0).fit(X, y), X, y)  # a finite optimum
    assert np.all(np.isfinite(penalised.bse)) and np.all(np.isfinite(penalised.pvalues))


@pytest.mark.parametrize("kind", ["collinear", "constant", "zero"])
def test_a_singular_information_matrix_is_an_error_that_names_the_features(wine, kind):
    X, y = wine
    extra = {"collinear": 2 * X[:, 0] - X[:, 2], "constant": np.full(len(y), 3.0),
             "zero": np.zeros(len(y))}[kind]  # fmt: skip
    X = np.column_stack([X, extra])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = SoftmaxClassifier(C=np.inf).fit(X, y)
    named = "'x0', 'x2', 'x4'" if kind == "collinear" else "'x4'"
    with pytest.raises(ValueError, match=f"information matrix is singular.*{named}"):
        inference(clf, X, y)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"cov_type": "HC3"}, "cov_type='HC3' is not one of"),
        ({"groups": np.arange(178)}, "groups is only used with cov_type='cluster'"),
        ({"cov_type": "cluster"}, "needs groups"),
        ({"cov_type": "cluster", "groups": np.zeros(178)}, "at least 2 clusters"),
        ({"cov_type": "cluster", "groups": np.arange(5)}, "one cluster label per sample"),
        ({"cov_type": "cluster", "groups": np.r_[np.nan, np.arange(177.0)]}, "NaN"),
        ({"baseline": 7}, "baseline=7 is not one of the classes"),
    ],
)
def test_bad_options_are_errors(wine, fitted, kwargs, match):
    X, y = wine
    with pytest.raises(ValueError, match=match):
        inference(fitted, X, y, **kwargs)


def test_too_many_parameters_is_an_error():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(20, 5001)), np.arange(20) % 3
    clf = SoftmaxClassifier(C=1.0)  # as if fitted: coefficients set by hand
    clf.coef_, clf.intercept_ = np.zeros((3, 5001)), np.zeros(3)
    clf.classes_, clf.n_features_in_ = np.arange(3), 5001
    with pytest.raises(ValueError, match="10004 free parameters.*Select fewer features"):
        inference(clf, X, y)


def test_nothing_is_modified(wine, fitted):
    X, y = wine
    X_copy, y_copy, f = X.copy(), y.copy(), np.ones(len(y))
    before = {k: np.copy(v) if isinstance(v, np.ndarray) else v for k, v in vars(fitted).items()}
    result = inference(fitted, X, y, sample_weight=f, cov_type="HC0")
    assert isinstance(result, SoftmaxInference)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    assert np.all(f == 1.0)
    assert set(vars(fitted)) == set(before)
    for key, value in before.items():
        np.testing.assert_array_equal(getattr(fitted, key), value)


# -- the backends: the same numbers ----------------------------------------------------------


def test_sparse_and_float32_data(wine, fitted):
    X, y = wine
    dense = inference(fitted, X, y, cov_type="HC0")
    _same(inference(fitted, sparse.csr_matrix(X), y, cov_type="HC0"), dense)
    _same(inference(fitted, sparse.csc_matrix(X), y, cov_type="HC0"), dense)
    X32 = X.astype(np.float32)
    fit32 = SoftmaxClassifier(C=np.inf, tol=1e-10).fit(X32, y)
    ref = inference(fit32, X32.astype(np.float64), y)
    _same(inference(fit32, X32, y), ref)
    assert np.abs(fit32.coef_ - fitted.coef_).max() > 0  # other data, other fit


def test_float32_data_beyond_one_block_give_the_same_covariances():
    # 60000 x 8: no standardised float64 copy, so the data term keeps its
    # probabilities in float32 (half the memory); the Hessian then carries
    # their rounding, 2**-24 relative, and the covariances agree with those of
    # the same values in float64 to a few times that, well within 1e-6
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=60000,
        n_features=8,
        n_informative=4,
        n_redundant=0,
        n_classes=3,
        random_state=0,
    )
    X[:, 7] = X[:, 0] + 1e-3 * np.random.default_rng(0).standard_normal(X.shape[0])
    X32 = X.astype(np.float32)
    fit = SoftmaxClassifier(C=np.inf, tol=1e-10).fit(X32, y)
    for cov_type in ("nonrobust", "HC0"):
        _same(
            inference(fit, X32, y, cov_type=cov_type),
            inference(fit, X32.astype(np.float64), y, cov_type=cov_type),
            rtol=1e-6,
        )


def test_data_frames_name_the_rows_of_the_tables(wine):
    pd = pytest.importorskip("pandas")
    X, y = wine
    frame = pd.DataFrame(X, columns=["alcohol", "malic acid", "alcalinity", "colour"])
    target = pd.Series(y, name="cultivar")
    clf = SoftmaxClassifier(C=np.inf, tol=1e-10).fit(frame, target)
    result = inference(clf, frame, target)
    assert result.param_names == ["const", "alcohol", "malic acid", "alcalinity", "colour"]
    assert result.dep_name == "cultivar"
    table = result.summary_frame()
    assert list(table.index.get_level_values("term")[:5]) == result.param_names
    np.testing.assert_array_equal(table["coef"].to_numpy(), result.params.T.ravel())
    with pytest.raises(ValueError, match="was fitted on"):
        inference(clf, frame[frame.columns[::-1]], target)
    margeff = result.get_margeff().summary_frame()
    assert margeff.shape == (3 * 4, 6)
    assert result.predict_interval(frame.iloc[:2]).shape == (2, 3, 2)
    with pytest.raises(ValueError, match="pass the same features"):
        result.predict_interval(frame[frame.columns[::-1]])


def test_array_api_data(wine, fitted):
    xp = pytest.importorskip("array_api_strict")
    X, y = wine
    expected = inference(fitted, X, y, cov_type="cluster", groups=np.arange(len(y)) % 9)
    device = xp.Device("device1")
    Xa, ya = xp.asarray(X, device=device), xp.asarray(y, device=device)
    groups = xp.asarray(np.arange(len(y)) % 9, device=device)
    with sklearn.config_context(array_api_dispatch=True):
        result = inference(fitted, Xa, ya, cov_type="cluster", groups=groups)
        effects = result.get_margeff()
    _same(result, expected)
    np.testing.assert_allclose(effects.margeff, expected.get_margeff().margeff, rtol=RTOL_SAME)


def test_dask_data_on_a_local_scheduler(wine, fitted):
    da = pytest.importorskip("dask.array")
    X, y = wine
    groups = np.arange(len(y)) % 9
    Xd, yd = da.from_array(X, chunks=(50, 4)), da.from_array(y, chunks=50)
    for cov_type in ("nonrobust", "HC0", "cluster"):
        g = groups if cov_type == "cluster" else None
        expected = inference(fitted, X, y, cov_type=cov_type, groups=g)
        result = inference(fitted, Xd, yd, cov_type=cov_type, groups=g)
        _same(result, expected)
    gd = da.from_array(groups, chunks=30)  # groups as a dask array, chunked otherwise
    _same(inference(fitted, Xd, yd, cov_type="cluster", groups=gd), expected)
    for at in ("overall", "mean"):
        np.testing.assert_allclose(
            result.get_margeff(at=at).margeff_se, expected.get_margeff(at=at).margeff_se,
            rtol=RTOL_SAME,
        )  # fmt: skip
    with pytest.raises(TypeError, match="predict_interval takes NumPy"):
        result.predict_interval(Xd)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_features_without_information_in_a_penalised_fit():
    """Digits: three pixels are 0 on every image. A penalised fit fixes their coefficients
    at 0 with no spread left: standard error 0, z 0, p 1, and a warning naming them; never
    0 / 0 (NaN z statistics in the table, as before this was handled)."""
    X, y = load_digits(return_X_y=True)
    clf = SoftmaxClassifier(C=1.0).fit(X, y)
    with pytest.warns(UserWarning, match="no information on the coefficients of 'x0', 'x32'"):
        result = inference(clf, X, y)
    assert np.all(np.isfinite(result.tvalues)) and np.all(np.isfinite(result.pvalues))
    for row in (1, 33, 40):  # after the intercept
        assert np.all(result.bse[row] == 0) and np.all(result.params[row] == 0)
        assert np.all(result.pvalues[row] == 1)
    assert "nan" not in str(result.summary()).lower()
    assert np.all(np.isfinite(result.get_margeff().pvalues))


def test_a_constant_feature_beside_the_intercept_and_its_term_test():
    """A constant (non-zero) column leaves rounding, -1e-45, for its variances: standard
    error 0 as for a zero column (NaN before), and the per-term Wald test reports it with
    statistic 0 and p 1 (it raised "R V R^T is singular" before, also for a zero column)."""
    X, y = load_iris(return_X_y=True)
    X = np.column_stack([X[:, :2], np.full(len(y), 3.5), np.zeros(len(y))])
    with pytest.warns(UserWarning, match="no information on the coefficients of 'x2', 'x3'"):
        result = inference(SoftmaxClassifier(C=1.0).fit(X, y), X, y)
    assert np.all(result.bse[3:] == 0) and np.all(result.pvalues[3:] == 1)
    assert np.all(np.isfinite(result.bse)) and "nan" not in str(result.summary()).lower()
    terms = result.wald_test_terms()
    np.testing.assert_array_equal(terms.statistic[3:], 0.0)
    np.testing.assert_array_equal(terms.pvalue[3:], 1.0)
    assert np.all(terms.statistic[:3] > 0)


def test_quasi_complete_separation_is_an_error_whatever_the_tol():
    """A dummy whose level 1 occurs in class 0 only: no finite maximum likelihood. The
    table's numbers were set by tol (p 0.885 at tol 1e-4, 0.935 at 1e-6) without a word."""
    rng = np.random.default_rng(0)
    z = rng.normal(size=400)
    dummy = (rng.uniform(size=400) < 0.15).astype(float)
    y = rng.integers(0, 3, 400)
    y[dummy == 1] = 0
    X = np.column_stack([z, dummy])
    fits = [SoftmaxClassifier(C=np.inf, tol=tol, max_iter=10_000) for tol in (1e-4, 1e-6)]
    for estimator in [*fits, LogisticRegression(C=np.inf)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X, y)
        with pytest.raises(ValueError, match="quasi-completely separated along the coef.*'x1'"):
            inference(estimator, X, y)
    # the same data with the level in every class: a finite optimum, a table (in two
    # classes only, the third's coefficients would still run off)
    y[np.flatnonzero(dummy == 1)[:6]] = [1, 1, 1, 2, 2, 2]
    result = inference(SoftmaxClassifier(C=np.inf).fit(X, y), X, y)
    assert np.all(np.isfinite(result.bse)) and np.all(result.bse < 10)


def test_logistic_regression_cv_with_an_l1_part_is_refused(wine):
    """LogisticRegressionCV keeps l1_ratio_, not l1_ratio: its L1 fits were read as L2."""
    from sklearn.linear_model import LogisticRegressionCV

    X, y = wine
    X = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator = LogisticRegressionCV(
            Cs=[5.0], l1_ratios=[1.0], solver="saga", max_iter=200, use_legacy_attributes=False
        ).fit(X, y)
    with pytest.raises(ValueError, match="L1 part"):
        inference(estimator, X, y)
    # a search without l1_ratios keeps l1_ratio_ = [None, ...] (float(None) raised), and
    # one that chose l1_ratio 0 is a ridge: both are read as L2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ridge = LogisticRegressionCV(Cs=[5.0]).fit(X, y)  # the legacy attributes: per class
        chosen_zero = LogisticRegressionCV(
            Cs=[5.0], l1_ratios=[0.0], solver="saga", max_iter=2000, tol=1e-8,
            use_legacy_attributes=False,
        ).fit(X, y)  # fmt: skip
    for estimator in (ridge, chosen_zero):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # saga's loose tol
            result = inference(estimator, X, y)
        assert "C=5" in str(result.summary()) and np.isfinite(result.bse).all()


def test_result_methods_check_their_arguments(wine, fitted):
    """Intervals of margins at alpha 2 were [inf, -inf]; a formula string failed inside
    numpy; a data frame after an array fit was refused with made-up names."""
    X, y = wine
    result = inference(fitted, X, y)
    effects = result.get_margeff()
    for alpha in (0.0, 1.0, 2.0, -1.0, np.nan):
        with pytest.raises(ValueError, match="alpha in \\(0, 1\\)"):
            effects.conf_int(alpha=alpha)
        with pytest.raises(ValueError, match="alpha in \\(0, 1\\)"):
            effects.summary(alpha=alpha)
    with pytest.raises(TypeError, match="formulas are not parsed.*param_names"):
        result.wald_test("x0 = 0")
    with pytest.raises(TypeError, match="not a numeric matrix"):
        result.wald_test([["a"] * result.params.size])
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(np.asarray(X)[:2], columns=[f"f{j}" for j in range(np.shape(X)[1])])
    np.testing.assert_allclose(
        result.predict_interval(frame), result.predict_interval(np.asarray(X)[:2])
    )


def test_standard_errors_follow_the_features_units(wine):
    """Rescaling a feature by s divides its coefficients and standard errors by s. With a
    feature in units 1e12 beside one in 1e-3, a real variance, small against the largest,
    was taken for rounding (standard error 0, p 1) before."""
    X, y = wine
    units = np.array([1e12, 1e-3, 1.0, 1.0])
    plain = inference(SoftmaxClassifier(C=np.inf, tol=1e-10).fit(X, y), X, y)
    scaled = inference(SoftmaxClassifier(C=np.inf, tol=1e-10).fit(X * units, y), X * units, y)
    # rows: the intercept, then the features; fits to tol 1e-10 agree to about 1e-7
    np.testing.assert_allclose(scaled.bse[1:] * units[:, None], plain.bse[1:], rtol=1e-6)
    np.testing.assert_allclose(scaled.pvalues, plain.pvalues, rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(
        scaled.wald_test_terms().statistic, plain.wald_test_terms().statistic, rtol=1e-6
    )


def test_the_separation_programme_copies_nothing_beyond_its_size_limit():
    """Its size is known from the shapes: data over the limit were densified (and scaled, and
    widened) first, then left (+275 MB on a sparse 30000 x 1000 one-hot, in a review)."""
    from sk_softmax._diagnostics import recession

    X = sparse.random(30_000, 1_000, density=0.001, format="csr", random_state=0)
    y = np.arange(30_000) % 3

    class Untouchable(sparse.csr_matrix):
        def toarray(self, *args, **kwargs):
            raise AssertionError("densified")

    assert recession(Untouchable(X), y, 3, np.ones(1_000), True) is None
