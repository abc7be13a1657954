"""prox-newton's working sets and the Hessians on them, across steps and along a path.

A working set holds the columns of the non-zero groups and a number of the
most violating zero ones; that number doubles while the optimum needs more.
It starts at the support's size (at least 10), so that a warm start does not
spend one Newton step per doubling from 10 to reach a support it already has.
A local model's Hessian is kept while its steps shrink the violation
tenfold, carried to the next C of a path, and patched where the working set
changed a little.
"""

import numpy as np
import pytest
from optimality import TOL, _assert_optimal_entries
from scipy import sparse
from sklearn.datasets import load_wine
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier, softmax_path
from sk_softmax.solvers import prox_newton as prox_newton_module


def _data(n, d, n_classes, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((n_classes, d)) * (rng.random(d) < 0.5)
    y = np.argmax(X @ W.T + rng.gumbel(size=(n, n_classes)), axis=1)
    return X, y


def _support(coef):
    return int(np.count_nonzero(np.any(coef != 0, axis=0)))


@pytest.fixture
def first_columns(monkeypatch):
    """The number of feature columns of each fit's first local model, recorded."""
    seen = []
    original = prox_newton_module.LocalModel

    def recording(smooth, coef, grad, index, columns, explicit):
        seen.append(columns.size)
        return original(smooth, coef, grad, index, columns, explicit)

    monkeypatch.setattr(prox_newton_module, "LocalModel", recording)
    return seen


def test_warm_start_first_working_set_holds_twice_the_support(first_columns):
    X, y = _data(400, 150, 3, seed=0)  # under 200 features: one problem, no restriction
    model = SoftmaxClassifier(C=0.05, l1_ratio=1.0, tol=1e-8, warm_start=True).fit(X, y)
    support = _support(model.coef_)
    assert 10 < support < X.shape[1] // 2  # the case where the first size matters
    first_columns.clear()
    model.set_params(C=0.2).fit(X, y)  # a support over twice as large at this C's optimum
    assert model.converged_ and _support(model.coef_) > 2 * support
    # the support and as many of the most violating zero columns (there are as many: the
    # new optimum needs more than that); it was the support and 10
    assert first_columns[0] >= 2 * support


def test_cold_start_first_working_set_is_ten_columns(first_columns):
    X, y = _data(400, 150, 3, seed=0)
    SoftmaxClassifier(C=0.05, l1_ratio=1.0, tol=1e-8).fit(X, y)
    assert first_columns[0] <= 10


@pytest.fixture
def hessians_built(monkeypatch):
    """The number of local models whose Hessian was built (not kept), recorded."""
    built = []
    original = prox_newton_module.LocalModel

    class Counting(original):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            built.append(self.matrix is not None)

    monkeypatch.setattr(prox_newton_module, "LocalModel", Counting)
    return built


def test_path_carries_the_hessian_to_a_close_C(hessians_built):
    # two Cs 0.1% apart: the second optimum is so close to the first that a step on the
    # first C's last Hessian shrinks the violation far more than tenfold, and the working set
    # is the same: no Hessian needs building for it (before, every fit built its own)
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    softmax_path(X, y, l1_ratio=0.5, Cs=[0.1], tol=1e-8)
    alone = sum(hessians_built)
    hessians_built.clear()
    _, coefs, _ = softmax_path(X, y, l1_ratio=0.5, Cs=[0.1, 0.1001], tol=1e-8)
    assert alone >= 1 and sum(hessians_built) == alone
    # and the second fit is the optimum all the same (a cold fit at that C agrees)
    cold = SoftmaxClassifier(C=0.1001, l1_ratio=0.5, tol=1e-10).fit(X, y)
    full = np.hstack([cold.coef_, cold.intercept_[:, None]])
    assert np.array_equal(coefs[1] == 0, full == 0)
    assert np.max(np.abs(coefs[1] - full)) < 1e-5


def test_patched_hessian_keeps_shared_entries_and_takes_the_new_diagonal():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    from sk_softmax._fit import Settings, build_problem
    from sk_softmax._weights import weigh
    from sk_softmax.backends.numpy import fit_data
    from sk_softmax.solvers._smooth import SmoothObjective

    estimator = SoftmaxClassifier(C=0.1, l1_ratio=0.5)
    data, sample_weight = fit_data(estimator, X, y, None)
    settings = Settings.of(estimator, C=0.1)
    problem = build_problem(data, weigh(data, sample_weight, None, 0.1), settings)
    smooth = SmoothObjective(problem.datafit, problem.solver_penalty.smooth_part())
    n_classes, n_dof = smooth.shape
    rng = np.random.default_rng(0)
    coef = rng.standard_normal(n_classes * n_dof) * 0.1
    _, grad = smooth.loss_gradient(coef)
    columns = np.array([0, 2, 3, 5, 7, 8, 9, 10, 11, 12, n_dof - 1])
    index = np.flatnonzero(np.tile(np.isin(np.arange(n_dof), columns), n_classes))
    model = prox_newton_module.LocalModel(smooth, coef, grad, index, columns[:-1], True)
    # one column joins (4): the shared entries keep the kept Hessian, the new ones get
    # the exact diagonal at the new point, and nothing couples them
    new_columns = np.sort(np.append(columns, 4))
    new_index = np.flatnonzero(np.tile(np.isin(np.arange(n_dof), new_columns), n_classes))
    moved = coef + 0.05
    patched = prox_newton_module._patched(model, new_index, smooth, moved)
    exact = smooth.hessian(moved)[np.ix_(new_index, new_index)]
    shared = np.isin(new_index, index)
    assert np.array_equal(patched.matrix[np.ix_(shared, shared)], model.matrix)
    new = np.flatnonzero(~shared)
    np.testing.assert_allclose(np.diag(patched.matrix)[new], np.diag(exact)[new], rtol=1e-12)
    assert not patched.matrix[np.ix_(new, np.flatnonzero(shared))].any()
    # fewer than 80% of the new set's entries known (columns 1, 4, 6 join, 0 stays): built
    # anew instead
    mostly_new = np.flatnonzero(np.tile(np.isin(np.arange(n_dof), [0, 1, 4, 6]), n_classes))
    assert prox_newton_module._patched(model, mostly_new, smooth, moved) is None


def _tall(kind):
    """Tall enough for the subsampled Hessian (400 rows a coefficient and more), signal in
    6 of 20 columns: its working sets are column subsets of the subsample's rows."""
    rng = np.random.default_rng(1)
    n, d = (8000, 4) if kind == "small" else (30000, 20)
    X = rng.standard_normal((n, d))
    W = np.zeros((3, d))
    W[:, : max(2, d // 3)] = rng.standard_normal((3, max(2, d // 3)))
    y = np.argmax(X @ W.T + rng.gumbel(size=(n, 3)), axis=1)
    if kind == "sparse":
        X = sparse.csr_matrix(X * (rng.random((n, d)) < 0.3))
    return X, y


@pytest.mark.parametrize("kind", ["dense", "small", "sparse"])
def test_tall_data_working_sets_take_the_subsample_rows(kind):
    # a working set's columns of the subsample's data term once took every row of X with
    # the subsample's labels (IndexError on any such fit; "small" is the standardised copy
    # of small data, "dense" the data term over X itself)
    X, y = _tall(kind)
    clf = SoftmaxClassifier(C=0.002, l1_ratio=0.5, tol=TOL).fit(X, y)
    assert clf.converged_
    dense = X.toarray() if sparse.issparse(X) else X
    nonzero = _assert_optimal_entries(clf, dense, y)
    assert 0 < nonzero.sum() < nonzero.size
