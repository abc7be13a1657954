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
from sk_softmax.solvers import _local_model as local_model_module


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
    """The number of feature columns of every step's local model, recorded."""
    seen = []
    original = local_model_module.KeptHessians.local_model

    def recording(self, curvature, coef, grad, index, columns, explicit, fresh=False):
        seen.append(columns.size)
        return original(self, curvature, coef, grad, index, columns, explicit, fresh)

    monkeypatch.setattr(local_model_module.KeptHessians, "local_model", recording)
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
    """Whether each local model built (not kept) has an explicit Hessian, recorded."""
    built = []
    original = local_model_module.LocalModel

    class Counting(original):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            built.append(self.matrix is not None)

    monkeypatch.setattr(local_model_module, "LocalModel", Counting)
    return built


def test_path_carries_the_hessian_to_a_close_C(hessians_built, monkeypatch):
    # two Cs 0.1% apart: the second optimum is so close to the first that a step on the
    # first C's last Hessian shrinks the violation far more than tenfold, and the working set
    # is the same: no Hessian needs building for it (before, every fit built its own)
    monkeypatch.setattr(local_model_module, "_KEEP_FROM", 0)  # wine's Hessians are small
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
    model = local_model_module.LocalModel(smooth, coef, grad, index, columns[:-1], True)
    # one column joins (4): the shared entries keep the kept Hessian, the new ones get
    # the exact diagonal at the new point, and nothing couples them
    new_columns = np.sort(np.append(columns, 4))
    new_index = np.flatnonzero(np.tile(np.isin(np.arange(n_dof), new_columns), n_classes))
    moved = coef + 0.05
    _, moved_grad = smooth.loss_gradient(moved)
    diagonal = smooth.hessian_diagonal(moved)[new_index]
    patched = model.patched(new_index, moved, moved_grad, diagonal)
    exact = smooth.hessian(moved)[np.ix_(new_index, new_index)]
    shared = np.isin(new_index, index)
    assert np.array_equal(patched.matrix[np.ix_(shared, shared)], model.matrix)
    new = np.flatnonzero(~shared)
    np.testing.assert_allclose(np.diag(patched.matrix)[new], np.diag(exact)[new], rtol=1e-12)
    assert not patched.matrix[np.ix_(new, np.flatnonzero(shared))].any()
    np.testing.assert_array_equal(patched.start, moved[new_index])
    np.testing.assert_array_equal(patched.grad, moved_grad[new_index])
    # kept only where the kept set holds 80% of the new one: columns 1, 4, 6 join, 0 stays
    hessians = local_model_module.KeptHessians(None, smooth)
    hessians.model, hessians.reuse = model, True
    keep = [0, 1, 4, 6, n_dof - 1]  # and the intercept
    mostly_new = np.flatnonzero(np.tile(np.isin(np.arange(n_dof), keep), n_classes))
    hessians.local_model(smooth, moved, moved_grad, mostly_new, np.array([0, 1, 4, 6]), True)
    assert not hessians.kept
    hessians.reuse = True
    hessians.local_model(smooth, moved, moved_grad, new_index, new_columns[:-1], True)
    assert not hessians.kept  # the last model (mostly_new) holds too little of this set


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


def _wine_smooth(C=0.1, rows=slice(None)):
    from sk_softmax._fit import Settings, build_problem
    from sk_softmax._weights import weigh
    from sk_softmax.backends.numpy import fit_data
    from sk_softmax.solvers._smooth import SmoothObjective

    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)[rows]
    estimator = SoftmaxClassifier(C=C, l1_ratio=0.5)
    data, sample_weight = fit_data(estimator, X, y[rows], None)
    problem = build_problem(data, weigh(data, sample_weight, None, C), Settings.of(estimator))
    return SmoothObjective(problem.datafit, problem.solver_penalty.smooth_part())


def test_kept_hessians_rule(hessians_built, monkeypatch):
    smooth = _wine_smooth()
    n_classes, n_dof = smooth.shape
    coef = np.zeros(n_classes * n_dof)
    _, grad = smooth.loss_gradient(coef)
    index, columns = np.arange(coef.size), np.arange(n_dof - 1)
    # wine's whole Hessian (178 x 42^2) is cheaper than the steps a kept one may add
    small = local_model_module.KeptHessians({}, smooth)
    small.local_model(smooth, coef, grad, index, columns, True)
    small.judge(True)
    small.local_model(smooth, coef, grad, index, columns, True)
    assert not small.kept and len(hessians_built) == 2
    hessians_built.clear()
    monkeypatch.setattr(local_model_module, "_KEEP_FROM", 0)  # as if it were not
    n_classes, n_dof = smooth.shape
    coef = np.zeros(n_classes * n_dof)
    _, grad = smooth.loss_gradient(coef)
    index = np.arange(coef.size)
    columns = np.arange(n_dof - 1)
    memory = {}
    hessians = local_model_module.KeptHessians(memory, smooth)
    first = hessians.local_model(smooth, coef, grad, index, columns, True)
    hessians.judge(True)  # a step that served: kept, at the new point
    moved = coef + 0.01
    _, moved_grad = smooth.loss_gradient(moved)
    kept = hessians.local_model(smooth, moved, moved_grad, index, columns, True)
    assert hessians.kept and kept.matrix is first.matrix and len(hessians_built) == 1
    np.testing.assert_array_equal(kept.grad, moved_grad)
    hessians.judge(False)  # one that did not: a new one
    hessians.local_model(smooth, moved, moved_grad, index, columns, True)
    assert not hessians.kept and len(hessians_built) == 2
    hessians.judge(True)  # served, but the step failed: a new one all the same
    hessians.local_model(smooth, moved, moved_grad, index, columns, True, fresh=True)
    assert not hessians.kept and len(hessians_built) == 3
    # the next fit of a path on the same rows starts from the last Hessian
    carried = local_model_module.KeptHessians(memory, smooth)
    carried.local_model(smooth, moved, moved_grad, index, columns, True)
    assert carried.kept and len(hessians_built) == 3
    # not on other rows (a different fold, a subsample)
    other = _wine_smooth(rows=slice(0, 150))
    _, other_grad = other.loss_gradient(coef)
    local_model_module.KeptHessians(memory, other).local_model(
        other, coef, other_grad, index, columns, True
    )
    assert len(hessians_built) == 4
    # Hessian-vector products are neither kept nor carried: they cost nothing to rebuild
    memory = {}
    products = local_model_module.KeptHessians(memory, smooth)
    products.local_model(smooth, coef, grad, index, columns, False)
    products.judge(True)
    products.local_model(smooth, moved, moved_grad, index, columns, False)
    assert not products.kept and "hessian" not in memory


def test_failed_step_on_a_kept_hessian_retries_with_a_new_one(monkeypatch):
    # a kept Hessian whose step the line search refuses: the step is taken again on a new
    # Hessian, not given up (here every kept model is made useless: a huge matrix, so its
    # steps are nil)
    original = local_model_module.LocalModel.moved

    def useless(self, coef, grad):
        out = original(self, coef, grad)
        out.matrix = self.matrix * 1e30
        out.product = out.matrix.__matmul__
        out.step = None
        return out

    monkeypatch.setattr(local_model_module.LocalModel, "moved", useless)
    monkeypatch.setattr(local_model_module, "_KEEP_FROM", 0)  # wine's Hessians kept too
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = SoftmaxClassifier(C=0.1, l1_ratio=0.5, tol=TOL).fit(X, y)
    assert clf.converged_
    _assert_optimal_entries(clf, X, y)
