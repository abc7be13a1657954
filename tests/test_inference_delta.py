"""sk_softmax.inference by the delta method, and its Wald tests, against their definitions.

Marginal effects against differences of the predicted probabilities (and
against statsmodels where it computes them: its "eyex" and "dyex" fail on
MNLogit), their standard errors and the prediction intervals against the
delta method with Jacobians by central differences; the baseline as a
reparameterisation; Wald statistics against their formula.
"""

import numpy as np
import pytest
from scipy import stats
from scipy.special import softmax

from sk_softmax import SoftmaxClassifier, inference

RTOL_SAME = 1e-8  # same coefficients, other summation order and inverse
RTOL_FITS = 1e-6  # separately converged fits


def _design(X):
    X = np.asarray(X, dtype=float)
    return np.column_stack([np.ones(len(X)), X])


def _fit(X, y, **params):
    return SoftmaxClassifier(C=params.pop("C", np.inf), tol=1e-10, **params).fit(X, y)


def _close(actual, expected, rtol, name=""):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=0, err_msg=name)


@pytest.mark.parametrize("at", ["overall", "mean"])
@pytest.mark.parametrize("method", ["dydx", "eydx"])
def test_marginal_effects_equal_statsmodels(wine, at, method):
    """Where statsmodels computes them (its eyex and dyex fail on MNLogit: tested below)."""
    X, y = wine
    ours = inference(_fit(X, y), X, y).get_margeff(at=at, method=method)
    sm = pytest.importorskip("statsmodels.api")
    theirs = sm.MNLogit(y, sm.add_constant(X)).fit(method="newton", disp=0)
    theirs = theirs.get_margeff(at=at, method=method)
    _close(ours.margeff, theirs.margeff, RTOL_FITS, "margeff")
    _close(ours.margeff_se, theirs.margeff_se, RTOL_FITS, "margeff_se")
    _close(ours.pvalues, theirs.pvalues, 1e-5, "pvalues")


def _rows_at(X, at):
    Xt = _design(X)
    return Xt.mean(axis=0, keepdims=True) if at == "mean" else Xt


def _effects_by_differences(beta, X, method, at):
    """Effects by central differences of the probabilities in the features (error ~1e-10).

    ``beta`` (n_classes, 1 + n_features), the baseline's row zero.
    """
    rows = _rows_at(X, at)
    out = np.zeros((beta.shape[0], X.shape[1]))
    p = softmax(rows @ beta.T, axis=1)
    for j in range(X.shape[1]):
        h = 1e-5 * X[:, j].std()
        up, down = rows.copy(), rows.copy()
        up[:, j + 1] += h
        down[:, j + 1] -= h
        value = (softmax(up @ beta.T, axis=1) - softmax(down @ beta.T, axis=1)) / (2 * h)
        value = value / p if method.startswith("ey") else value
        if method.endswith("ex"):
            value = value * rows[:, j + 1 : j + 2]
        out[:, j] = value.mean(axis=0)
    return out


def _effects(beta, X, method, at):
    """The same by the closed form ``dp_k/dx_j = p_k (beta_kj - sum_l p_l beta_lj)``."""
    rows = _rows_at(X, at)
    p = softmax(rows @ beta.T, axis=1)
    u = beta[None, :, 1:] - (p @ beta[:, 1:])[:, None, :]
    value = p[:, :, None] * u if method.startswith("dy") else u
    if method.endswith("ex"):
        value = value * rows[:, None, 1:]
    return value.mean(axis=0)


@pytest.mark.parametrize("at", ["overall", "mean"])
@pytest.mark.parametrize("method", ["dydx", "eyex", "dyex", "eydx"])
def test_marginal_effects_by_their_definition(synthetic, at, method):
    """The effects against differences of the probabilities; their standard errors by
    the delta method, with the closed form's Jacobian by central differences in the
    coefficients (step 1e-5: error ~1e-10 of each entry). Frequency weights: the
    average and the mean row are those of the repeated rows."""
    X, y = synthetic
    f = np.random.RandomState(3).randint(1, 3, size=len(y)).astype(float)
    repeated = X[np.repeat(np.arange(len(y)), f.astype(int))]
    clf = SoftmaxClassifier(C=np.inf, tol=1e-10).fit(X, y, f)
    result = inference(clf, X, y, sample_weight=f)
    ours = result.get_margeff(at=at, method=method)
    beta = np.vstack([np.zeros(4), result.params.T])
    expected = _effects(beta, repeated, method, at)
    _close(expected, _effects_by_differences(beta, repeated, method, at), 1e-7, "closed form")
    _close(ours.margeff, expected.T, RTOL_SAME, "effects")
    jac = np.empty((expected.size, 8))
    for q in range(8):
        step = np.zeros((3, 4))
        step[1:].ravel()[q] = 1e-5  # a view of the non-baseline rows
        plus = _effects(beta + step, repeated, method, at)
        jac[:, q] = ((plus - _effects(beta - step, repeated, method, at)) / 2e-5).ravel()
    se = np.sqrt(np.diag(jac @ result.cov_params() @ jac.T)).reshape(expected.shape)
    _close(ours.margeff_se, se.T, 1e-7, "standard errors")
    if method in ("dydx", "dyex"):  # probabilities sum to one: effects sum to zero
        np.testing.assert_allclose(ours.margeff.sum(axis=1), 0, atol=1e-12)


def test_prediction_intervals_by_the_delta_method(synthetic):
    X, y = synthetic
    result = inference(_fit(X, y), X, y)
    beta = np.vstack([np.zeros(4), result.params.T])
    rows = X[:5]
    p = softmax(_design(rows) @ beta.T, axis=1)
    jac = np.empty((5, 3, 8))
    for q in range(8):
        step = np.zeros((3, 4))
        step[1:].ravel()[q] = 1e-6  # writes through: a view of the last two rows
        jac[:, :, q] = (softmax(_design(rows) @ (beta + step).T, axis=1)
                        - softmax(_design(rows) @ (beta - step).T, axis=1)) / 2e-6  # fmt: skip
    se = np.sqrt(np.einsum("ikq,qr,ikr->ik", jac, result.cov_params(), jac))
    z = stats.norm.ppf(0.975)
    intervals = result.predict_interval(rows)
    assert intervals.shape == (5, 3, 2)
    _close(intervals[..., 0], np.clip(p - z * se, 0, 1), 1e-6, "lower")
    _close(intervals[..., 1], np.clip(p + z * se, 0, 1), 1e-6, "upper")
    wide = result.predict_interval(rows, alpha=0.5)
    assert np.all(wide[..., 0] >= intervals[..., 0]) and np.all(wide[..., 1] <= intervals[..., 1])
    far = result.predict_interval(np.array([[50.0, 20.0, -1.0]]))  # far out: clipped
    assert far.min() >= 0.0 and far.max() <= 1.0


def test_baseline_is_a_reparameterisation(wine):
    """Another baseline: the contrasts and their covariance map linearly, the model and
    every test of a feature (over all classes) stay the same."""
    X, y = wine
    clf = _fit(X, y)
    first, last = inference(clf, X, y), inference(clf, X, y, baseline=2)
    assert last.baseline == 2 and last.classes_kept == [0, 1]
    # beta_k(2) = beta_k(0) - beta_2(0): class 0 against 2, class 1 against 2
    _close(last.params[:, 0], -first.params[:, 1], RTOL_SAME)
    _close(last.params[:, 1], first.params[:, 0] - first.params[:, 1], RTOL_SAME)
    A = np.kron(np.array([[0.0, -1.0], [1.0, -1.0]]), np.eye(5))
    _close(last.cov_params(), A @ first.cov_params() @ A.T, 1e-7)
    _close(last.llf, first.llf, RTOL_SAME)
    _close(last.wald_test_terms().statistic, first.wald_test_terms().statistic, 1e-7)


def test_wald_tests(wine):
    X, y = wine
    result = inference(_fit(X, y), X, y)
    flat, cov = result.params.T.ravel(), result.cov_params()
    R = np.zeros((2, 10))
    R[0, 1], R[1, 6] = 1.0, 1.0  # x0 for both classes
    test = result.wald_test(R)
    expected = flat[[1, 6]] @ np.linalg.solve(cov[np.ix_([1, 6], [1, 6])], flat[[1, 6]])
    assert test.statistic == pytest.approx(expected, rel=RTOL_SAME) and test.df_num == 2
    assert test.pvalue == pytest.approx(stats.chi2.sf(expected, 2), rel=1e-7)
    # the same restrictions in the layout of params, and the per-term test
    R3 = np.zeros((2, 5, 2))
    R3[0, 1, 0] = R3[1, 1, 1] = 1.0
    assert result.wald_test(R3).statistic == pytest.approx(test.statistic, rel=1e-12)
    terms = result.wald_test_terms()
    assert terms.terms == ["const", "x0", "x1", "x2", "x3"]
    assert terms.statistic[1] == pytest.approx(test.statistic, rel=1e-12)
    # one restriction with q: the square of the z statistic
    one = result.wald_test(np.eye(10)[3], q=[0.0])
    assert one.statistic == pytest.approx(result.tvalues[3, 0] ** 2, rel=1e-9)
    with pytest.raises(ValueError, match="linearly dependent"):
        result.wald_test(np.vstack([R, R[:1]]))
    with pytest.raises(ValueError, match="10 parameters"):
        result.wald_test(np.eye(9))
    with pytest.raises(ValueError, match="q has 1 values for 2"):
        result.wald_test(R, q=[1.0])
