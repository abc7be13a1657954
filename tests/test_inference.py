"""sk_softmax.inference: parity with statsmodels where it is right, direct computations where not.

The reference computations here are written independently of the package:
probabilities, scores and Hessians by plain einsums over the rows, in the
symmetric parameterisation (every class a row, a pseudo-inverse over the
flat directions) mapped to the baseline one, in the original coordinates.
The package computes in the baseline parameterisation and standardised
coordinates, so agreement checks the maps between them too.

Tolerances. Against statsmodels and the references, at the same
coefficients, the only differences are rounding in sums of a few hundred
terms and in inverting a matrix of condition number up to about 1e6
(standardised), so 1e-8 relative; the issue asks for 1e-6, which is also
what separately converged fits (ours to a gradient of 1e-10, statsmodels'
Newton to a step of 1e-8) are held to.
"""

import numpy as np
import pytest
from scipy.special import softmax

from sk_softmax import SoftmaxClassifier, inference

sm = pytest.importorskip("statsmodels.api")

RTOL_SAME = 1e-8  # same coefficients, other summation order and inverse
RTOL_FITS = 1e-6  # separately converged fits


def _fit(X, y, **params):
    return SoftmaxClassifier(C=params.pop("C", np.inf), tol=1e-10, **params).fit(X, y)


# -- an independent reference ---------------------------------------------------------


def _design(X, fit_intercept=True):
    X = np.asarray(X, dtype=float)
    return np.column_stack([np.ones(len(X)), X]) if fit_intercept else X


def _symmetric(estimator):
    """The estimator's rows (n_classes, n_dof), intercept first."""
    coef = np.asarray(estimator.coef_, float)
    if estimator.fit_intercept:
        coef = np.column_stack([estimator.intercept_, coef])
    return coef


def _to_baseline(matrix, n_classes, n_dof, base):
    """``A M A^T``, ``A`` the map from every class's rows to the contrasts with ``base``."""
    contrast = np.delete(np.eye(n_classes) - np.eye(n_classes)[base], base, axis=0)
    A = np.kron(contrast, np.eye(n_dof))
    return A @ matrix @ A.T


def reference(estimator, X, y, f=None, class_weight=None, groups=None, base=0):
    """Covariances by the textbook formulas, in the symmetric parameterisation.

    ``F / C = sum_i s_i CE_i + 1/(2C) ||W||^2``, ``s_i = f_i c_{y_i}``; ``H``
    its Hessian (singular along the flat directions: a pseudo-inverse),
    ``I`` the data term's, the scores ``g_i = (p_i - e_{y_i}) (x) x~_i``;
    then mapped to the baseline contrasts. Returns the sandwiches
    (nonrobust ``H+ I H+``, HC0, cluster; no small-sample factor), in
    statsmodels' order, and the number of parameters ``tr(H+ I)``.
    """
    Xt = _design(X, estimator.fit_intercept)
    theta = _symmetric(estimator)
    n_classes, n_dof = theta.shape
    f = np.ones(len(y)) if f is None else np.asarray(f, float)
    c = np.ones(n_classes) if class_weight is None else np.asarray(class_weight, float)
    s = f * c[y]
    P = softmax(Xt @ theta.T, axis=1)
    W = np.einsum("ik,kl->ikl", P, np.eye(n_classes)) - np.einsum("ik,il->ikl", P, P)
    info = np.einsum("i,ikl,it,ir->ktlr", s, W, Xt, Xt).reshape(n_classes * n_dof, -1)
    penalised = np.ones(n_dof)
    if estimator.fit_intercept:
        penalised[0] = 0.0
    strength = 0.0 if np.isinf(estimator.C) else 1.0 / estimator.C
    hess = info + np.kron(np.eye(n_classes), np.diag(strength * penalised))
    bread = np.linalg.pinv(hess, rcond=1e-10, hermitian=True)
    scores = np.einsum("ik,it->ikt", P - np.eye(n_classes)[y], Xt).reshape(len(y), -1)
    meats = {"nonrobust": info, "HC0": scores.T @ (scores * (f * c[y] ** 2)[:, None])}
    if groups is not None:
        sums = np.array([s[groups == g] @ scores[groups == g] for g in np.unique(groups)])
        meats["cluster"] = sums.T @ sums
    covs = {
        name: _to_baseline(bread @ meat @ bread, n_classes, n_dof, base)
        for name, meat in meats.items()
    }
    return covs, float(np.trace(bread @ info))


def _close(actual, expected, rtol, name=""):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=0, err_msg=name)


def _statsmodels(X, y, **fit):
    return sm.MNLogit(y, sm.add_constant(X)).fit(method="newton", disp=0, **fit)


# -- parity with statsmodels ------------------------------------------------------------


def _anes96():
    """Real survey data shipped with statsmodels: party identification (7 classes)."""
    data = sm.datasets.anes96.load_pandas().data
    columns = ["logpopul", "TVnews", "selfLR", "ClinLR", "DoleLR", "age", "educ", "income"]
    return data[columns].to_numpy(), data["PID"].to_numpy().astype(int)


@pytest.mark.parametrize("dataset", ["wine", "anes96", "synthetic", "two classes"])
def test_nonrobust_equals_statsmodels(dataset, wine, synthetic):
    X, y = {"wine": wine, "synthetic": synthetic, "anes96": _anes96()}.get(dataset, wine)
    if dataset == "two classes":
        X, y = X[y > 0], y[y > 0]
    result = inference(_fit(X, y), X, y)
    theirs = _statsmodels(X, y)
    assert theirs.mle_retvals["converged"]
    _close(result.params, theirs.params, RTOL_FITS, "params")
    _close(result.bse, theirs.bse, RTOL_FITS, "bse")
    _close(result.tvalues, theirs.tvalues, RTOL_FITS, "z")
    _close(result.pvalues, theirs.pvalues, RTOL_FITS, "pvalues")
    _close(result.conf_int(), np.moveaxis(theirs.conf_int(), 0, 1), RTOL_FITS, "conf_int")
    _close(result.cov_params(), theirs.cov_params(), RTOL_FITS, "cov_params")
    for name in ("llf", "llnull", "prsquared", "llr", "aic", "bic", "df_model", "df_resid"):
        _close(getattr(result, name), getattr(theirs, name), RTOL_FITS, name)
    assert result.nobs == theirs.nobs


def test_statsmodels_aic_definition(wine):
    """aic counts every parameter, (K - 1) (d + 1); statsmodels' info_criteria misses one."""
    X, y = wine
    result = inference(_fit(X, y), X, y)
    k = 2 * 5
    assert result.aic == pytest.approx(-2 * result.llf + 2 * k, rel=1e-12)
    assert result.bic == pytest.approx(-2 * result.llf + np.log(len(y)) * k, rel=1e-12)


def test_robust_covariances_equal_statsmodels(wine):
    """HC0 and cluster (CR1) as statsmodels computes them; its HC1 is HC0 (not used)."""
    X, y = wine
    clf = _fit(X, y)
    groups = np.arange(len(y)) % 17
    for cov_type, extra in [("HC0", {}), ("cluster", {"cov_kwds": {"groups": groups}})]:
        ours = inference(clf, X, y, cov_type=cov_type, groups=groups if extra else None)
        theirs = _statsmodels(X, y, cov_type=cov_type, **extra)
        _close(ours.cov_params(), theirs.cov_params(), RTOL_FITS, cov_type)
        _close(ours.pvalues, theirs.pvalues, RTOL_FITS, cov_type)
    assert ours.n_groups == 17


# -- against direct computations ----------------------------------------------------------


@pytest.mark.parametrize("C", [np.inf, 0.5])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_covariances_equal_the_textbook_formulas(synthetic, C, fit_intercept):
    X, y = synthetic
    f = np.random.RandomState(1).randint(1, 4, size=len(y)).astype(float)
    groups = np.arange(len(y)) // 7
    clf = SoftmaxClassifier(C=C, fit_intercept=fit_intercept, tol=1e-10).fit(X, y, f)
    covs, k = reference(clf, X, y, f=f, groups=groups)
    n, p = f.sum(), 2 * (3 + fit_intercept)
    if np.isinf(C):
        assert k == pytest.approx(p, rel=1e-9)
    else:
        assert k < p  # the penalty takes effective parameters away
    expected = {
        "nonrobust": covs["nonrobust"],
        "HC0": covs["HC0"],
        "HC1": covs["HC0"] * n / (n - k),
        "cluster": covs["cluster"] * 58 / 57 * (n - 1) / (n - k),
    }
    for cov_type, cov in expected.items():
        result = inference(
            clf, X, y, sample_weight=f, cov_type=cov_type,
            groups=groups if cov_type == "cluster" else None,
        )  # fmt: skip
        _close(result.cov_params(), cov, RTOL_SAME, cov_type)
        assert result.df_resid == pytest.approx(n - k, rel=1e-9)
        assert result.aic == pytest.approx(-2 * result.llf + 2 * k, rel=1e-9)


def test_class_weights_need_a_sandwich(synthetic):
    """s_i = f_i c_{y_i}: the HC0 meat is sum_i f_i c_i^2 g_i g_i^T; nonrobust refused."""
    X, y = synthetic
    class_weight = {0: 1.0, 1: 2.5, 2: 0.5}
    clf = SoftmaxClassifier(C=np.inf, class_weight=class_weight, tol=1e-10).fit(X, y)
    covs, _ = reference(clf, X, y, class_weight=[1.0, 2.5, 0.5])
    _close(inference(clf, X, y, cov_type="HC0").cov_params(), covs["HC0"], RTOL_SAME)
    with pytest.raises(ValueError, match="class_weight.*cov_type='HC0'"):
        inference(clf, X, y)
    balanced = SoftmaxClassifier(C=np.inf, class_weight="balanced", tol=1e-10).fit(X, y)
    counts = np.bincount(y)
    covs, _ = reference(balanced, X, y, class_weight=len(y) / (3 * counts))
    _close(inference(balanced, X, y, cov_type="HC1").cov_params() * (1 - 8 / len(y)),
           covs["HC0"], RTOL_SAME)  # fmt: skip


def test_frequency_weights_are_repeated_rows(synthetic):
    """Integer sample_weight give exactly the inference of the data with repeated rows."""
    X, y = synthetic
    f = np.random.RandomState(2).randint(0, 4, size=len(y))
    groups = np.arange(len(y)) // 10
    clf = SoftmaxClassifier(C=np.inf, tol=1e-10).fit(X, y, f)
    rows = np.repeat(np.arange(len(y)), f)
    for cov_type in ("nonrobust", "HC0", "HC1", "cluster"):
        g = groups if cov_type == "cluster" else None
        weighted = inference(clf, X, y, sample_weight=f, cov_type=cov_type, groups=g)
        repeated = inference(clf, X[rows], y[rows], cov_type=cov_type,
                             groups=None if g is None else g[rows])  # fmt: skip
        _close(weighted.bse, repeated.bse, RTOL_SAME, cov_type)
        for name in ("llf", "llnull", "nobs", "df_resid", "aic", "bic"):
            _close(getattr(weighted, name), getattr(repeated, name), RTOL_SAME, name)
    assert weighted.nobs == f.sum()
    assert weighted.n_groups == len(np.unique(groups[f > 0]))


def test_penalised_intervals_cover_the_truth():
    """95% intervals of a weakly penalised fit (C=1, n=4000) cover the true coefficients.

    R replicates of 6 coefficients. The coverage of one replicate is a mean
    of 6 dependent Bernoulli(0.95) variables, whose variance is at most
    0.95 * 0.05 (all equal): the mean over R independent replicates has a
    standard deviation at most sqrt(0.95 * 0.05 / R). Four of them, a false
    alarm below 1e-4 (normal approximation), and an error of 15% in the
    standard errors (coverage 0.90) fails. The bias of the shrinkage,
    about alpha / curvature = 1 / (4000 * 0.2) of a coefficient, is under a
    twentieth of a standard error here.
    """
    rng = np.random.default_rng(0)
    truth = np.array([[0.0, 0.0, 0.0], [0.5, 1.0, -0.5], [-0.3, -0.5, 1.0]])
    beta = (truth[1:] - truth[0]).T  # (intercept, x0, x1) x (class 1, class 2)
    n, repeats = 4000, 400
    covered = []
    for _ in range(repeats):
        Z = rng.normal(size=(n, 2))
        P = softmax(_design(Z) @ truth.T, axis=1)
        y = (rng.random(n)[:, None] > np.cumsum(P, axis=1)).sum(axis=1)
        result = inference(SoftmaxClassifier(C=1.0).fit(Z, y), Z, y)
        low, high = np.moveaxis(result.conf_int(), -1, 0)
        covered.append(np.mean((low <= beta) & (beta <= high)))
    assert result.penalised and "Penalised fit" in str(result.summary())
    spread = np.sqrt(0.95 * 0.05 / repeats)
    assert abs(np.mean(covered) - 0.95) < 4 * spread


def test_summary_tables(wine):
    X, y = wine
    result = inference(_fit(X, y), X, y, cov_type="HC1")
    text = str(result.summary())
    lines = text.splitlines()
    assert lines[0].strip() == "SoftmaxClassifier inference results"
    assert all(len(line) <= 78 for line in lines)
    facts = [("Covariance Type:", "HC1", 37), ("Penalty:", "none (C=inf)", 37),
             ("Baseline:", "0", 37), ("No. Observations:", "178", 38)]  # fmt: skip
    for key, value, width in facts:  # statsmodels' layout: halves of 37 and 38 characters
        assert f"{key}{value:>{width - len(key)}}" in text
    header = next(line for line in lines if line.strip().startswith("y=2"))
    assert header.split() == ["y=2", "coef", "std", "err", "z", "P>|z|", "[0.025", "0.975]"]
    row = lines[lines.index(header) + 3].split()  # the second term: x0
    assert row[0] == "x0" and float(row[1]) == pytest.approx(result.params[1, 1], abs=1e-4)
    assert float(row[2]) == pytest.approx(result.bse[1, 1], abs=1e-3)
    assert "Notes:" not in text
    assert "[0.05" in str(result.summary(alpha=0.1)) and "0.95]" in str(result.summary(0.1))
    html = result._repr_html_()
    assert html.count("<table") == 3 and "y=1" in html and "HC1" in html
    assert result.summary()._repr_html_() == html
    frame = pytest.importorskip("pandas") and result.summary_frame(alpha=0.1)
    assert list(frame.columns) == ["coef", "std err", "z", "P>|z|", "[0.05", "0.95]"]
    np.testing.assert_allclose(frame["std err"].to_numpy(), result.bse.T.ravel())
    penalised = inference(_fit(X, y, C=0.1), X, y)
    text = str(penalised.summary())
    assert "Method:                 Penalised MLE" in text and "L2, C=0.1" in text
    assert "Notes:" in text and "shrunk" in text
    assert penalised.df_model < 8  # effective parameters: fewer than the 8 slopes
    with pytest.raises(ValueError, match="alpha"):
        result.conf_int(alpha=1.5)
    effects = result.get_margeff()
    assert "y=0" in effects.summary() and effects.conf_int().shape == (4, 3, 2)
    with pytest.raises(ValueError, match="at='median'"):
        result.get_margeff(at="median")
    with pytest.raises(ValueError, match="method='dydz'"):
        result.get_margeff(method="dydz")
