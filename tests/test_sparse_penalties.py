"""Sparse softmax models: the elastic net and the group norms, solved to the optimum.

Tolerances: the proximal Newton solver stops when no entry of the least-norm
subgradient of ``F / (C S)`` exceeds ``tol`` in standardised coordinates. In
the original coordinates the conditions then hold to ``tol (sigma_j + |mu_j|)``
on column ``j`` (the map scales a weight by its column's spread ``sigma_j``
and moves ``mu_j`` times the intercept's gradient onto it), which is the bound
the direct checks below use, computed from the data. Objectives of two
solutions within ``tol`` of the optimum differ by about ``tol^2`` over the
curvature: relative ``1e-8`` is loose for ``tol=1e-10``.
"""

import warnings

import numpy as np
import pytest
from optimality import TOL, _assert_optimal_entries, _bound, _smooth_gradient
from scipy import sparse
from scipy.optimize import Bounds, NonlinearConstraint, minimize
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier, SoftmaxClassifierCV, objective, softmax_path


def _data(name, standardise):
    loader = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer}[name]
    X, y = loader(return_X_y=True)
    return (StandardScaler().fit_transform(X) if standardise else X), y


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer"])
@pytest.mark.parametrize("standardise", [False, True])
@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
@pytest.mark.parametrize("C", [0.05, 1.0])
def test_optimality_conditions_hold(name, standardise, l1_ratio, C):
    X, y = _data(name, standardise)
    clf = SoftmaxClassifier(C=C, l1_ratio=l1_ratio, tol=TOL, max_iter=500).fit(X, y)
    assert clf.converged_ and clf.solver_ == "prox-newton"
    nonzero = _assert_optimal_entries(clf, X, y)
    assert nonzero.any() and not nonzero.all()  # a sparse model: the case at hand


@pytest.mark.parametrize("groups", ["features", "ids"])
@pytest.mark.parametrize("standardise", [False, True])
def test_group_optimality_conditions_hold(groups, standardise):
    X, y = _data("wine", standardise)
    ids = np.arange(X.shape[1]) // 3  # groups of three columns (the last of one)
    l1_groups = "features" if groups == "features" else ids
    clf = SoftmaxClassifier(C=0.05, l1_ratio=0.8, l1_groups=l1_groups, tol=TOL).fit(X, y)
    assert clf.converged_
    grad, intercept_grad, alpha = _smooth_gradient(clf, X, y)
    index = np.arange(X.shape[1]) if groups == "features" else ids
    weight = np.ones(X.shape[1]) if groups == "features" else np.sqrt(np.bincount(ids))
    bound = _bound(X, alpha, 0.8)
    n_zero = 0
    for g in np.unique(index):
        cols = index == g
        block, block_grad = clf.coef_[:, cols], grad[:, cols]
        t = alpha * 0.8 * weight[g]
        # in the original coordinates the group's columns have spreads sigma_j:
        # bound the violation by the largest of them
        allowed = np.sqrt(cols.sum() * clf.classes_.size) * bound[cols].max()
        if np.all(block == 0):
            n_zero += 1
            assert np.linalg.norm(block_grad) <= t + allowed
        else:
            assert not np.any(block == 0)  # a group enters whole
            direction = block / np.linalg.norm(block)
            assert np.linalg.norm(block_grad + t * direction) <= allowed
    assert 0 < n_zero < np.unique(index).size
    np.testing.assert_allclose(intercept_grad, 0.0, atol=2 * TOL)


def _saga(X, y, C, l1_ratio):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LogisticRegression(
            C=C, l1_ratio=l1_ratio, solver="saga", tol=1e-12, max_iter=100_000
        ).fit(X, y)


@pytest.mark.parametrize("name, standardise", [("iris", False), ("iris", True), ("wine", True)])
@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_same_optimum_as_saga(name, standardise, l1_ratio):
    X, y = _data(name, standardise)
    ours = SoftmaxClassifier(C=0.1, l1_ratio=l1_ratio, tol=TOL).fit(X, y)
    theirs = _saga(X, y, 0.1, l1_ratio)
    F_ours, F_theirs = objective(ours, X, y), objective(theirs, X, y)
    assert F_ours <= F_theirs * (1 + 1e-8)
    # the same non-zero coefficients, away from ties (entries near zero in either)
    clear = (np.abs(ours.coef_) > 1e-6) | (np.abs(theirs.coef_) > 1e-6)
    np.testing.assert_array_equal((ours.coef_ != 0)[clear], (theirs.coef_ != 0)[clear])
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-5 * np.abs(ours.coef_).max())


@pytest.mark.parametrize("name", ["iris", "wine"])
@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_same_optimum_as_glmnet(name, l1_ratio):
    """python-glmnet's LogitNet at lambda = 1 / (C n) minimises F / (C n).

    glmnet fitted cold at a single lambda can return wrong answers on
    multiclass data (measured: benchmarks/bench_sparse.py), so it reaches
    the lambda through a warm path of 10 values from its lambda_max. Its
    default threshold (``thresh=1e-7`` on the weighted change of the
    coefficients) stops it short of the optimum: measured here, objectives up
    to 4e-7 above ours and coefficients up to 4e-3 away. Ours must be at
    least as low, the gap within 1e-5 relative (far below what another
    objective, a differently scaled penalty or a penalised intercept, would
    give), and the supports equal on the coefficients clearly away from zero
    (1e-2).
    """
    glmnet = pytest.importorskip("glmnet")
    X, y = _data(name, True)
    C = 0.1
    ours = SoftmaxClassifier(C=C, l1_ratio=l1_ratio, tol=TOL).fit(X, y)
    # the path starts from our closed-form C_0, glmnet's lambda_max (its own 3-point path
    # agrees; with n_lambda=2 python-glmnet puts a 9.9e35 placeholder first)
    (C_0,), _, _ = softmax_path(X, y, l1_ratio=l1_ratio, Cs=1)
    lambda_max = 1.0 / (C_0 * X.shape[0])
    own = glmnet.LogitNet(alpha=l1_ratio, n_lambda=3, standardize=False, n_splits=0).fit(X, y)
    assert own.lambda_path_[0] == pytest.approx(lambda_max, rel=1e-9)
    lambdas = np.geomspace(lambda_max, 1.0 / (C * X.shape[0]), 10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # its "did not converge" for others
        net = glmnet.LogitNet(alpha=l1_ratio, lambda_path=lambdas, standardize=False,
                              n_splits=0).fit(X, y)  # fmt: skip
    assert net.lambda_path_.size == 10  # it reached our C: the path was not cut short

    class Theirs:
        coef_, intercept_ = net.coef_path_[..., -1], net.intercept_path_[..., -1]
        classes_ = ours.classes_

    F_ours, F_theirs = objective(ours, X, y), objective(Theirs, X, y, C=C, l1_ratio=l1_ratio)
    assert F_ours <= F_theirs * (1 + 1e-10)
    assert F_theirs - F_ours <= 1e-5 * F_ours
    clear = (np.abs(ours.coef_) > 1e-2) | (np.abs(Theirs.coef_) > 1e-2)
    np.testing.assert_array_equal((ours.coef_ != 0)[clear], (Theirs.coef_ != 0)[clear])


@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_two_classes_match_binary_logistic_regression(l1_ratio):
    # The two rows -w/2, w/2 give binary logistic regression's model with
    # C' = 2 C / (1 + r) and l1_ratio' = 2 r / (1 + r) (the docstring's mapping).
    X, y = _data("breast_cancer", True)
    C, r = 0.05, l1_ratio
    ours = SoftmaxClassifier(C=C, l1_ratio=r, tol=TOL).fit(X, y)
    theirs = _saga(X, y, 2 * C / (1 + r), 2 * r / (1 + r))
    np.testing.assert_allclose(ours.coef_[1] - ours.coef_[0], theirs.coef_[0], atol=1e-5)
    np.testing.assert_allclose(objective(ours, X, y), objective(theirs, X, y, C=C, l1_ratio=r),
                               rtol=1e-8)  # fmt: skip
    # and by default: objective reads LogisticRegression's C' and l1_ratio' back as the
    # softmax model's C and r (it took C' and r' themselves before, 80% higher for the ridge)
    np.testing.assert_allclose(objective(theirs, X, y), objective(ours, X, y), rtol=1e-8)


@pytest.mark.parametrize("params", [
    {"l1_ratio": 1.0}, {"l1_ratio": 0.5, "C": 10.0}, {"l1_ratio": 1.0, "l1_groups": "features"},
])  # fmt: skip
@pytest.mark.parametrize("standardise", [False, True])
def test_objective_is_the_solvers_value(params, standardise):
    # objective_ comes from the solver's last evaluation (data term and norm in its
    # coordinates), not from another pass: it must be the objective at coef_. Both
    # sum 178 terms of size about 1 into a total of about 10 to 40: a few eps apart.
    X, y = load_wine(return_X_y=True)
    if standardise:
        X = StandardScaler().fit_transform(X)
    est = SoftmaxClassifier(**params).fit(X, y)
    assert est.objective_ == pytest.approx(objective(est, X, y), rel=1e-13)


def test_l1_against_a_smooth_reformulation():
    # W = P - N with P, N >= 0: the lasso becomes a smooth problem with bounds,
    # which L-BFGS-B solves independently of this package's code.
    X, y = _data("iris", True)
    C, r = 0.3, 1.0
    clf = SoftmaxClassifier(C=C, l1_ratio=r, tol=TOL).fit(X, y)
    n, d = X.shape
    k = 3
    onehot = np.eye(k)[y]

    def F(z):
        P, N, b = z[: k * d].reshape(k, d), z[k * d : 2 * k * d].reshape(k, d), z[2 * k * d :]
        W = P - N
        logits = X @ W.T + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        value = -np.sum(onehot * np.log(p)) * C + np.sum(P + N)
        grad_W = C * (p - onehot).T @ X
        grad_b = C * (p - onehot).sum(axis=0)
        return value, np.concatenate([(grad_W + 1).ravel(), (1 - grad_W).ravel(), grad_b])

    bounds = [(0, None)] * (2 * k * d) + [(None, None)] * k
    res = minimize(F, np.zeros(2 * k * d + k), jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": 20000, "ftol": 1e-15, "gtol": 1e-12})  # fmt: skip
    W = res.x[: k * d].reshape(k, d) - res.x[k * d : 2 * k * d].reshape(k, d)
    assert objective(clf, X, y) <= res.fun * (1 + 1e-9)
    np.testing.assert_allclose(clf.coef_, W, atol=1e-4)


@pytest.mark.filterwarnings("ignore:delta_grad == 0.0:UserWarning")  # scipy's quasi-Newton
def test_group_norm_against_a_smooth_reformulation():
    # The grouped norm with slacks, t_g^2 >= ||W_g||^2, t_g >= 0: a smooth
    # objective with smooth constraints, which scipy's interior-point
    # trust-constr solves on a small problem, from zero.
    X, y = _data("iris", True)
    C = 0.2
    ids = np.array([0, 0, 1, 1])
    clf = SoftmaxClassifier(C=C, l1_ratio=1.0, l1_groups=ids, tol=TOL).fit(X, y)
    d, k = X.shape[1], 3
    onehot = np.eye(k)[y]

    def unpack(z):
        return z[: k * d].reshape(k, d), z[k * d : k * d + k], z[k * d + k :]

    def F(z):
        W, b, t = unpack(z)
        logits = X @ W.T + b
        shift = logits.max(axis=1, keepdims=True)
        p = np.exp(logits - shift)
        total = p.sum(axis=1, keepdims=True)
        p /= total
        value = C * np.sum(np.log(total) + shift - np.sum(onehot * logits, axis=1, keepdims=True))
        grad = np.concatenate([(C * (p - onehot).T @ X).ravel(), C * (p - onehot).sum(axis=0),
                               np.full(2, np.sqrt(2))])  # fmt: skip
        return value + np.sqrt(2) * np.sum(t), grad

    def slack(z):
        W, _, t = unpack(z)
        return np.array([t[g] ** 2 - np.sum(W[:, ids == g] ** 2) for g in range(2)])

    def slack_jac(z):
        W, _, t = unpack(z)
        out = np.zeros((2, z.size))
        for g in range(2):
            out[g, : k * d] = (-2 * W * (ids == g)).ravel()
            out[g, k * d + k + g] = 2 * t[g]
        return out

    start = np.zeros(k * d + k + 2)
    start[-2:] = 1.0
    res = minimize(
        F, start, jac=True, method="trust-constr",
        constraints=[NonlinearConstraint(slack, 0, np.inf, jac=slack_jac)],
        bounds=Bounds([-np.inf] * (k * d + k) + [0, 0], [np.inf] * (k * d + k + 2)),
        options={"maxiter": 5000, "gtol": 1e-12, "xtol": 1e-14},
    )  # fmt: skip
    assert objective(clf, X, y) <= res.fun * (1 + 1e-9)
    # the interior point stops about 1e-7 from the optimum (its xtol): a loose bound
    np.testing.assert_allclose(clf.coef_, unpack(res.x)[0], atol=1e-5)


@pytest.mark.parametrize("l1_groups", [None, "features"])
def test_formats_and_weights(l1_groups):
    # sparse and float32 data, and integer weights against repeated rows
    X, y = _data("wine", True)
    params = dict(C=0.1, l1_ratio=0.7, l1_groups=l1_groups, tol=TOL)
    ref = SoftmaxClassifier(**params).fit(X, y)
    for data in (sparse.csr_matrix(X), sparse.csc_matrix(X)):
        np.testing.assert_allclose(SoftmaxClassifier(**params).fit(data, y).coef_, ref.coef_,
                                   atol=1e-8)  # fmt: skip
    X32 = X.astype(np.float32)
    on32 = SoftmaxClassifier(**params).fit(X32, y)
    np.testing.assert_allclose(on32.coef_, SoftmaxClassifier(**params).fit(
        X32.astype(np.float64), y).coef_, atol=1e-8)  # fmt: skip
    counts = np.random.RandomState(0).randint(0, 3, size=len(y))
    weighted = SoftmaxClassifier(**params).fit(X, y, sample_weight=counts)
    repeated = SoftmaxClassifier(**params).fit(X.repeat(counts, axis=0), y.repeat(counts))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, atol=1e-8)
    np.testing.assert_array_equal(weighted.coef_ == 0, repeated.coef_ == 0)
    _assert_optimal_entries(weighted, X, y, counts.astype(float)) if l1_groups is None else None


def test_class_weights_and_warm_start():
    X, y = _data("wine", True)
    clf = SoftmaxClassifier(C=0.1, l1_ratio=1.0, class_weight="balanced", warm_start=True,
                            tol=TOL).fit(X, y)  # fmt: skip
    assert clf.converged_
    again = clf.fit(X, y)
    assert again.n_iter_ == 0  # the warm start is the optimum already


def test_no_penalty_is_no_penalty():
    # C=inf: no penalty at all, whatever l1_ratio (the same fit as the ridge's)
    X, y = _data("iris", True)
    y = np.where(y == 0, 1, y)  # two overlapping classes: a finite unpenalised optimum
    a = SoftmaxClassifier(C=np.inf, l1_ratio=1.0).fit(X, y)
    b = SoftmaxClassifier(C=np.inf).fit(X, y)
    assert a.solver_ == b.solver_ == "newton-cholesky"
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-7)


def test_exact_zeros_and_the_sparsity_grows_with_the_penalty():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    nnz = [np.count_nonzero(SoftmaxClassifier(C=C, l1_ratio=1.0).fit(X, y).coef_)
           for C in (0.003, 0.03, 0.3)]  # fmt: skip
    assert 0 < nnz[0] < nnz[1] < nnz[2] < 640


def test_bad_groups_are_clear_errors():
    X, y = _data("iris", False)
    with pytest.raises(ValueError, match="l1_groups has shape \\(3,\\), but X has 4 features"):
        SoftmaxClassifier(l1_ratio=0.5, l1_groups=[0, 1, 2]).fit(X, y)
    with pytest.raises(TypeError, match="cannot be compared"):
        SoftmaxClassifier(l1_ratio=0.5, l1_groups=np.array([0, "a", 1, "b"], dtype=object)).fit(
            X, y
        )
    # NaN ids merged into one group, and malformed groups beside the ridge (where they
    # have no effect) were accepted silently before
    nan_ids = np.array([0.0, np.nan, 1.0, np.nan])
    with pytest.raises(ValueError, match=r"l1_groups holds NaN at the columns \[1, 3\]"):
        SoftmaxClassifier(l1_ratio=0.5, l1_groups=nan_ids).fit(X, y)
    for ridge in (
        SoftmaxClassifier(l1_groups=[0, 1, 2]),
        SoftmaxClassifierCV(Cs=2, l1_groups=nan_ids),
    ):
        with pytest.raises(ValueError, match="l1_groups (has shape|holds NaN)"):
            ridge.fit(X, y)
    with pytest.raises(ValueError, match="solver='lbfgs' minimises smooth objectives only"):
        SoftmaxClassifier(l1_ratio=0.5, solver="lbfgs").fit(X, y)
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as excinfo:
        SoftmaxClassifier(l1_ratio=0.5).partial_fit(X, y, classes=[0, 1, 2])
    # the reason, chained (scikit-learn's available_if): the traceback shows it
    assert "partial_fit is not available with l1_ratio=0.5" in str(excinfo.value.__cause__)
    assert not hasattr(SoftmaxClassifier(l1_ratio=0.5), "partial_fit")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(Cs=[-1.0]), "Cs must be a non-empty 1-D array of values of C in \\(0, inf\\]"),
        (dict(Cs=[np.nan]), "Cs must be a non-empty 1-D array"),
        (dict(Cs=[0.0]), "Cs must be a non-empty 1-D array"),
        (dict(Cs=[]), "Cs must be a non-empty 1-D array"),
        (dict(Cs=np.ones((1, 1))), "Cs must be a non-empty 1-D array"),
        (dict(Cs=0), "Cs must be at least 1"),
        (dict(Cs=3, C_ratio=-1.0), "C_ratio must be a finite number of at least 1"),
        (dict(Cs=3, C_ratio=np.inf), "C_ratio must be a finite number of at least 1"),
        (dict(Cs=3, C_ratio=0.5), "C_ratio must be a finite number of at least 1"),
    ],
)
def test_bad_path_grids_are_clear_errors(options, message):
    # they once returned an "empty model" (C <= 0, NaN) or raised from inside numpy
    X, y = _data("iris", False)
    with pytest.raises(ValueError, match=message):
        softmax_path(X, y, l1_ratio=1.0, **options)
    with pytest.raises(TypeError, match="Cs must be an int or a 1-D array of numbers"):
        softmax_path(X, y, l1_ratio=1.0, Cs="many")


@pytest.mark.parametrize("l1_groups", [None, "features", "ids"])
def test_the_path_starts_where_the_model_is_empty(l1_groups):
    # C_0 in closed form: every weight is zero up to it, and one group enters
    # just after it.
    X, y = _data("wine", False)
    groups = np.arange(X.shape[1]) // 4 if l1_groups == "ids" else l1_groups
    Cs, coefs, n_nonzero = softmax_path(X, y, l1_ratio=0.6, l1_groups=groups, Cs=30)
    assert n_nonzero[0] == 0 and np.all(coefs[0, :, :-1] == 0)
    assert np.all(np.diff(Cs) > 0) and Cs[-1] == pytest.approx(1e4 * Cs[0])
    params = dict(l1_ratio=0.6, l1_groups=groups, tol=TOL)
    below = SoftmaxClassifier(C=Cs[0] * (1 - 1e-6), **params).fit(X, y)
    above = SoftmaxClassifier(C=Cs[0] * 1.01, **params).fit(X, y)
    assert np.all(below.coef_ == 0) and np.any(above.coef_ != 0)
    # the path's fits are the estimator's fits at those C
    for j in (5, 20):
        fit = SoftmaxClassifier(C=Cs[j], **params).fit(X, y)
        np.testing.assert_allclose(coefs[j, :, :-1], fit.coef_, atol=1e-7)
    assert n_nonzero[-1] > n_nonzero[5] > 0


@pytest.mark.parametrize("Cs", [4, [0.05, 0.5, 5.0]])
def test_cv_over_l1_ratios_chooses_as_grid_search(Cs):
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    from sk_softmax import SoftmaxClassifierCV

    X, y = _data("wine", True)
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    ratios = [0.3, 1.0]
    cv = SoftmaxClassifierCV(Cs=Cs, l1_ratios=ratios, cv=folds, scoring="neg_log_loss",
                             tol=TOL).fit(X, y)  # fmt: skip
    assert cv.Cs_.shape == (2, 4 if Cs == 4 else 3) and cv.scores_.shape == (3, *cv.Cs_.shape)
    for r, ratio in enumerate(ratios):
        search = GridSearchCV(
            SoftmaxClassifier(l1_ratio=ratio, tol=TOL), {"C": list(cv.Cs_[r])}, cv=folds,
            scoring="neg_log_loss",
        ).fit(X, y)  # fmt: skip
        scores = np.stack([search.cv_results_[f"split{i}_test_score"] for i in range(3)])
        # Both are optima of the same folds to tol, so their coefficients differ
        # by at most about tol sqrt(m) / lambda_min: at the grid's weakest
        # penalty (1e4 C_0) lambda_min, the least curvature on the support, is
        # about 4e-5 here (measured), so up to 1.4e-5 for tol=1e-10 and m=38;
        # the held-out log-losses move by as much, relatively, at most.
        np.testing.assert_allclose(cv.scores_[:, r], scores, rtol=1e-4)
    best = np.unravel_index(np.argmax(cv.scores_.mean(axis=0)), cv.Cs_.shape)
    assert (cv.l1_ratio_, cv.C_) == (ratios[best[0]], cv.Cs_[best])
    refit = SoftmaxClassifier(C=cv.C_, l1_ratio=cv.l1_ratio_, tol=TOL).fit(X, y)
    np.testing.assert_allclose(cv.coef_, refit.coef_, atol=1e-5)  # the same bound as above


def _wide(kind):
    """Wider than prox-newton's working-set threshold (200 features): real and sparse."""
    if kind == "wine-cubic":  # 178 x 559: wine's features and their products up to degree 3
        from sklearn.preprocessing import PolynomialFeatures

        X, y = load_wine(return_X_y=True)
        X = StandardScaler().fit_transform(X)
        return StandardScaler().fit_transform(PolynomialFeatures(3, include_bias=False)
                                              .fit_transform(X)), y  # fmt: skip
    rng = np.random.RandomState(0)
    X = sparse.random(400, 600, density=0.02, format="csr", random_state=rng)
    W = np.zeros((4, 600))
    W[:, :30] = rng.normal(size=(4, 30)) * 4
    y = np.argmax(X @ W.T + rng.gumbel(size=(400, 4)), axis=1)
    return X, y


@pytest.mark.parametrize("kind", ["wine-cubic", "sparse"])
@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_working_sets_on_wide_data_reach_the_optimum(kind, l1_ratio, monkeypatch):
    """Wide data are solved through working sets of columns; the optimum is the same.

    The conditions are checked directly, and the coefficients against a fit
    that solves every column at once: two points whose violations are at most
    ``tol`` are within ``2 tol / mu`` of each other (``mu`` the strong
    convexity, at least the ridge ``alpha (1 - l1_ratio)`` in normalised
    units); for the lasso, where no ridge bounds it, the objectives agree
    to relative ``1e-8`` instead (module docstring).
    """
    import sk_softmax.solvers.prox_newton as prox_newton

    X, y = _wide(kind)
    C = 0.5 if kind == "sparse" else 0.05
    clf = SoftmaxClassifier(C=C, l1_ratio=l1_ratio, tol=TOL, max_iter=500).fit(X, y)
    assert clf.converged_
    dense = X.toarray() if sparse.issparse(X) else X
    nonzero = _assert_optimal_entries(clf, dense, y)
    assert 0 < nonzero.sum() < 0.5 * nonzero.size  # sparse: the working sets were small
    monkeypatch.setattr(prox_newton, "_RESTRICT_FROM", 10**9)
    whole = SoftmaxClassifier(C=C, l1_ratio=l1_ratio, tol=TOL, max_iter=500).fit(X, y)
    assert whole.converged_
    F, F_whole = objective(clf, X, y), objective(whole, X, y)
    assert abs(F - F_whole) <= 1e-8 * F_whole
    if l1_ratio < 1:
        mu = (1 - l1_ratio) / (C * X.shape[0])
        bound = 2 * TOL / mu * (1 + np.abs(dense).max())
        np.testing.assert_allclose(clf.coef_, whole.coef_, rtol=0, atol=bound)


@pytest.mark.parametrize("groups", [None, "features", "ids"])
def test_restricted_prox_is_the_prox_on_those_entries(groups):
    """The solver's inner loop applies the norm's prox to a working set's entries only."""
    from sk_softmax.penalties.elastic_net import column_groups
    from sk_softmax.penalties.l1 import GroupL1

    rng = np.random.RandomState(0)
    n_features, n_classes = 7, 3
    if groups is None:
        index, weights = None, rng.uniform(0.5, 2, n_features)
    else:
        ids = np.arange(n_features) if groups == "features" else [0, 0, 1, 2, 2, 2, 3]
        index, weights = column_groups(ids if groups == "ids" else "features", n_features)
    norm = GroupL1(0.3, n_features, True, index, weights)
    coef = rng.normal(size=n_classes * (n_features + 1))
    # a working set of whole columns (the solver's): features 1, 3, 4, 5 and the intercept
    keep = np.zeros(n_features + 1, dtype=bool)
    keep[[1, 3, 4, 5, n_features]] = True
    entries = np.flatnonzero(np.tile(keep, n_classes))
    outside = coef.copy()
    outside[np.tile(~keep, n_classes)] = 0.0  # the other columns at zero
    expected = norm.prox(outside, 0.7)[entries]
    np.testing.assert_allclose(norm.restricted_prox(entries, n_classes)(coef[entries], 0.7),
                               expected, rtol=1e-15, atol=1e-15)  # fmt: skip


def test_a_path_over_features_that_pull_nothing_is_a_clear_error():
    # features of zeros, or constants: no C has a non-zero weight, so C_0 is
    # infinite; the grid was [inf, inf, ...] with numpy's "invalid value" warning
    # before (zeros), or started at 1e30 (constants, whose gradient is rounding)
    y = np.arange(30) % 3
    for X in (np.zeros((30, 3)), np.full((30, 3), 3.3)):
        with pytest.raises(ValueError, match="No feature pulls any weight away from zero"):
            softmax_path(X, y, l1_ratio=1.0, Cs=3)
        Cs, coefs, n_nonzero = softmax_path(X, y, l1_ratio=1.0, Cs=[0.1, 10.0])  # an array
        assert not n_nonzero.any() and np.isfinite(coefs).all()
        # cross-validation fits the intercept-only model on the ridge's grid, as
        # LogisticRegressionCV does, and says why
        with pytest.warns(UserWarning, match="No feature pulls.*the ridge's"):
            search = SoftmaxClassifierCV(Cs=3, l1_ratios=[0.0, 0.5]).fit(X, y)
        np.testing.assert_array_equal(search.Cs_[1], np.logspace(-4, 4, 3))
        assert not search.coef_.any()
    # weak but real features still have a C_0, whatever the tolerance (a threshold
    # at tol refused them before, though large C fits gave non-zero weights)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(2000, 3)), rng.integers(0, 3, 2000)
    Cs, _, n_nonzero = softmax_path(X, y, l1_ratio=1.0, Cs=3, C_ratio=1e6, tol=1e-2)
    assert np.isfinite(Cs).all() and n_nonzero[0] == 0 and n_nonzero[-1] > 0


def test_a_path_warns_where_its_fits_fall_short_of_the_optimum():
    """Unconverged points, and C=inf on separable classes, warn as SoftmaxClassifier does
    (softmax_path returned such coefficients without a word before)."""
    from sklearn.exceptions import ConvergenceWarning

    X, y = _data("wine", True)
    with pytest.warns(ConvergenceWarning, match=r"did not reach tol=1e-08 at C in \[.*max_iter"):
        softmax_path(X, y, l1_ratio=1.0, Cs=5, max_iter=1)
    with pytest.warns(ConvergenceWarning, match=r"at C in \[inf\].*separable"):
        softmax_path(X, y, l1_ratio=1.0, Cs=[1.0, np.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        softmax_path(X, y, l1_ratio=1.0, Cs=5)


def test_separable_classes_at_a_huge_C_warn_with_a_sparse_penalty_too():
    """Digits 0-2 are separable: at C=1e8 the elastic net stopped at tol with F 26 times its
    value at 1.5 times the coefficients, silently, because blank pixels (zero spread, so a
    huge weight in the solver's coordinates) made the norm's pull look strong; it warns as
    the ridge does. At C=1e4 the penalty holds the optimum: no warning."""
    from sklearn.exceptions import ConvergenceWarning

    X, y = load_digits(return_X_y=True)
    X, y = X[y < 3], y[y < 3]
    with pytest.warns(ConvergenceWarning, match="linearly separable"):
        SoftmaxClassifier(C=1e8, l1_ratio=0.5).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SoftmaxClassifier(C=1e4, l1_ratio=0.5).fit(X, y)
