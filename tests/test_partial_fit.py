"""Online softmax regression: partial_fit and fit(solver="sgd")."""

import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier, objective
from sk_softmax._distinct import distinct_rows
from sk_softmax.solvers import _online_exact, _online_guard


@pytest.fixture(scope="module")
def stream_data():
    """A few thousand standardised rows, 5 classes, with a held-out part."""
    X, y = make_classification(
        n_samples=6000, n_features=30, n_informative=15, n_classes=5, random_state=0
    )
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def test_streaming_minibatches_reach_the_full_batch_quality(stream_data):
    # The quality bar: 10 epochs of shuffled minibatches of 256, default
    # settings, within 5% of the full-batch fit's held-out log-loss and 1.5
    # points of its accuracy.
    X, X_test, y, y_test = stream_data
    full = SoftmaxClassifier().fit(X, y)
    online = SoftmaxClassifier()
    rng = np.random.RandomState(0)
    classes = np.unique(y)
    for _ in range(10):
        order = rng.permutation(y.size)
        for start in range(0, y.size, 256):
            rows = order[start : start + 256]
            online.partial_fit(X[rows], y[rows], classes=classes)
    full_loss = log_loss(y_test, full.predict_proba(X_test))
    online_loss = log_loss(y_test, online.predict_proba(X_test))
    assert online_loss <= 1.05 * full_loss
    full_acc = accuracy_score(y_test, full.predict(X_test))
    assert accuracy_score(y_test, online.predict(X_test)) >= full_acc - 0.015
    assert online.sgd_state_.t == 10 * int(np.ceil(y.size / 256))
    assert online.sgd_state_.n_seen == 10 * y.size
    assert online.objective_ is None and online.solver_ == "sgd"


def test_fit_sgd_reaches_the_full_batch_quality(stream_data):
    X, X_test, y, y_test = stream_data
    full = SoftmaxClassifier().fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sgd = SoftmaxClassifier(solver="sgd", max_iter=20, random_state=0).fit(X, y)
    assert sgd.solver_ == "sgd" and sgd.n_iter_ == len(sgd.loss_curve_) <= 20
    full_loss = log_loss(y_test, full.predict_proba(X_test))
    assert log_loss(y_test, sgd.predict_proba(X_test)) <= 1.05 * full_loss
    # The full-batch fit is the minimiser of F: nothing can do better on it.
    assert sgd.objective_ >= full.objective_ * (1 - 1e-12)
    # Same seed, same shuffles, same fit.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        again = SoftmaxClassifier(solver="sgd", max_iter=20, random_state=0).fit(X, y)
    np.testing.assert_array_equal(again.coef_, sgd.coef_)


def test_one_batch_sgd_is_newton(iris):
    # With batch_size >= n_samples the minibatch gradient is the full one and
    # the variance-reduced step is the Newton step (the exact Hessian
    # preconditions 15 coefficients): a few epochs reach tol, as Newton does.
    X, y = iris
    X = StandardScaler().fit_transform(X)
    exact = SoftmaxClassifier().fit(X, y)
    sgd = SoftmaxClassifier(solver="sgd", batch_size=1000).fit(X, y)
    assert sgd.converged_ and sgd.n_iter_ <= 2 * exact.n_iter_
    np.testing.assert_allclose(sgd.coef_, exact.coef_, atol=1e-6 * np.abs(exact.coef_).max())


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_sgd_fit_depends_only_on_the_weighted_data_set(early_stopping, fmt):
    # Many minibatches per epoch (batch_size=16 < 300 rows): identical rows
    # are merged and the rows put in canonical order before any shuffle, so
    # integer weights and repeated rows, and any row order, give the same
    # arrays, the same seeded shuffles, the same steps: the same bits.
    rng = np.random.RandomState(1)
    X, y, sw = rng.rand(300, 6), rng.randint(0, 3, 300), rng.randint(0, 4, 300)
    X_rep, y_rep = X.repeat(sw, axis=0), y.repeat(sw)
    order = rng.permutation(y_rep.size)
    if fmt == "csr":
        X, X_rep = sparse.csr_matrix(X), sparse.csr_matrix(X_rep)
    kwargs = dict(
        solver="sgd", batch_size=16, max_iter=5, early_stopping=early_stopping, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = SoftmaxClassifier(**kwargs).fit(X, y, sample_weight=sw)
        repeated = SoftmaxClassifier(**kwargs).fit(X_rep, y_rep)
        shuffled = SoftmaxClassifier(**kwargs).fit(X_rep[order], y_rep[order])
    np.testing.assert_array_equal(weighted.coef_, repeated.coef_)
    np.testing.assert_array_equal(shuffled.coef_, repeated.coef_)
    np.testing.assert_array_equal(weighted.intercept_, repeated.intercept_)
    assert weighted.loss_curve_ == repeated.loss_curve_


def test_distinct_rows_merges_only_equal_rows():
    X = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    y = np.array([0, 0, 1, 0, 1])
    w = np.array([1.0, 2.0, 1.0, 0.0, 0.5])
    rows, weights = distinct_rows(X, y, w)
    merged = {(tuple(X[r]), y[r]): v for r, v in zip(rows, weights, strict=True)}
    # rows 0 and 1 merge; row 2 differs by its label; row 3 has no weight
    assert merged == {((0.0, 1.0), 0): 3.0, ((0.0, 1.0), 1): 1.0, ((2.0, 2.0), 1): 0.5}


def test_online_steps_do_not_depend_on_the_features_scale_or_shift(iris):
    # Without a penalty the online rule is invariant to shifting and scaling
    # each feature: the steps are taken in the coordinates of the running
    # moments, and the curvature's feature factor is their correlation matrix.
    # Raw and standardised data then give the same predictions.
    X, y = iris
    scales = np.array([1e-3, 1.0, 1e4, 30.0])
    shifts = np.array([5.0, -1e3, 2e5, 0.0])
    plain = SoftmaxClassifier(C=np.inf)
    moved = SoftmaxClassifier(C=np.inf)
    rng = np.random.default_rng(0)
    for _ in range(3):
        for batch in np.array_split(rng.permutation(150), 6):
            plain.partial_fit(X[batch], y[batch], classes=[0, 1, 2])
            moved.partial_fit(X[batch] * scales + shifts, y[batch], classes=[0, 1, 2])
    np.testing.assert_allclose(
        moved.predict_proba(X * scales + shifts), plain.predict_proba(X), atol=1e-8
    )
    np.testing.assert_allclose(moved.coef_ * scales, plain.coef_, rtol=1e-6, atol=1e-8)
    # A full-batch fit afterwards drops the online state.
    plain.set_params(C=1.0, solver="lbfgs").fit(X, y)
    assert not hasattr(plain, "sgd_state_") and not hasattr(plain, "loss_curve_")


def test_online_integer_weights_are_repeated_rows(iris):
    X, y = iris
    counts = np.random.default_rng(3).integers(0, 4, size=y.size)
    weighted = SoftmaxClassifier()
    repeated = SoftmaxClassifier()
    for batch in np.array_split(np.random.default_rng(4).permutation(150), 5):
        weighted.partial_fit(X[batch], y[batch], classes=[0, 1, 2], sample_weight=counts[batch])
        rows = np.repeat(batch, counts[batch])
        repeated.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
    assert weighted.sgd_state_.n_seen == repeated.sgd_state_.n_seen == counts.sum()
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-9, atol=1e-10)


def test_online_steps_are_newton_steps_on_a_batch(iris):
    # The first step from zero is learning_rate times the Newton step of the
    # batch's data term at zero, with the Kronecker curvature: there (every
    # class probability 1/K) the curvature is exactly (I - 11^T/K)/K (x) E[x~ x~^T],
    # so the step solves that system, the penalty added.
    X, y = iris
    X = StandardScaler().fit_transform(X)
    clf = SoftmaxClassifier(C=np.inf, learning_rate=1.0).partial_fit(X, y, classes=[0, 1, 2])
    Xt = np.hstack([X, np.ones((150, 1))])
    Y = np.eye(3)[y]
    grad = (np.full((150, 3), 1 / 3) - Y).T @ Xt  # (3, 5), rows summing to zero
    factor = Xt.T @ Xt / 150
    expected = -np.linalg.solve(factor, grad.T).T * 3 / 150  # (I - 11^T/3)/3 acts as 1/3
    got = np.hstack([clf.coef_, clf.intercept_[:, None]])
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_online_caps_a_rows_pull_on_its_own_logits(iris, fmt, monkeypatch):
    # A misclassified row far out on one feature (a rare pixel, standardised)
    # would move its own logits by far more than the step's model holds; its
    # term is scaled so that, alone in its batch with C=inf, its centred
    # logits move by exactly the cap, _SELF_CHANGE (2), under the Kronecker
    # curvature (the cap's model; iris is small enough for the exact one).
    monkeypatch.setattr(_online_exact, "EXACT_DOF", 0)
    monkeypatch.setattr(_online_guard, "MAX_MOVE", np.inf)  # the row's cap alone
    X, y = iris
    X = StandardScaler().fit_transform(X)
    clf = SoftmaxClassifier(C=np.inf)
    for batch in np.array_split(np.arange(150), 3):
        clf.partial_fit(X[batch], y[batch], classes=[0, 1, 2])
    outlier = X[:1].copy()
    outlier[0, 0] = 40.0
    label = np.array([(clf.predict(outlier)[0] + 1) % 3])
    before = clf.decision_function(outlier)[0]
    clf.partial_fit(sparse.csr_matrix(outlier) if fmt == "csr" else outlier, label)
    change = clf.decision_function(outlier)[0] - before
    assert np.abs(change - change.mean()).max() == pytest.approx(2.0, rel=1e-6)


def _standardised_design(X, coordinates):
    """``[(X - mean) / scale, 1]``: the rows as the online curvature sees them."""
    return np.hstack([(X - coordinates.mean) / coordinates.scale, np.ones((X.shape[0], 1))])


def test_online_exact_curvature_averages_the_batches_hessians(iris):
    # On a small model (3 x 5 coefficients) the curvature is the exact Hessian
    # of each batch at the model it met, averaged half and half, kept in the
    # latest standardised coordinates: here rebuilt row by row in those.
    X, y = iris
    first, second = np.arange(0, 150, 2), np.arange(1, 150, 2)
    clf = SoftmaxClassifier().partial_fit(X[first], y[first], classes=[0, 1, 2])
    proba_second = clf.predict_proba(X[second])  # the model the second batch meets
    clf.partial_fit(X[second], y[second])
    state = clf.sgd_state_
    assert state.curvature == "exact"
    coordinates = state.hessian_coordinates

    def hessian(rows, proba):
        Z = _standardised_design(X[rows], coordinates)
        pairs = zip(proba, Z, strict=True)
        terms = [np.kron(np.diag(p) - np.outer(p, p), np.outer(z, z)) for p, z in pairs]
        return np.mean(terms, axis=0)

    expected = 0.5 * hessian(first, np.full((75, 3), 1 / 3)) + 0.5 * hessian(second, proba_second)
    np.testing.assert_allclose(state.hessian, expected, rtol=1e-9, atol=1e-12)


def test_online_class_blocks_average_the_batches_blocks():
    # A larger model (10 x 65 on the digits) keeps the Hessian's class blocks,
    # averaged like the exact Hessian, and the inverses of n H_k + Lambda.
    X, y = load_digits(return_X_y=True)
    first, second = np.arange(0, 200), np.arange(200, 400)
    clf = SoftmaxClassifier().partial_fit(X[first], y[first], classes=np.arange(10))
    proba_second = clf.predict_proba(X[second])
    clf.partial_fit(X[second], y[second])
    state = clf.sgd_state_
    assert state.curvature == "blocks"
    coordinates = state.hessian_coordinates

    def blocks(rows, proba):
        Z = _standardised_design(X[rows], coordinates)
        return np.einsum("ik,id,ie->kde", proba * (1 - proba), Z, Z) / 200

    expected = 0.5 * blocks(first, np.full((200, 10), 0.1)) + 0.5 * blocks(second, proba_second)
    np.testing.assert_allclose(state.hessian, expected, rtol=1e-9, atol=1e-12)
    penalty = np.append(1.0 / coordinates.scale**2, 0.0)  # C = 1, intercept free
    systems = state.block_n * state.hessian + np.diag(penalty)
    identity = np.broadcast_to(np.eye(65), systems.shape)
    np.testing.assert_allclose(systems @ state.block_inverse, identity, atol=1e-6)


def test_a_sgd_fit_observes_its_rows_in_blocks_with_the_whole_statistics():
    # 20000 rows: three blocks of _OBSERVED_ROWS (observed at once before, which copied X
    # into float64 twice over); the moments and the class curvature are those of all rows
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20000, 5)).astype(np.float32) * 10.0 + 100.0
    y = rng.integers(0, 3, 20000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = SoftmaxClassifier(solver="sgd", max_iter=2, random_state=0).fit(X, y)
    state = clf.sgd_state_
    X64 = X.astype(np.float64)
    assert state.n_seen == pytest.approx(len(y))
    np.testing.assert_allclose(state.mean, X64.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(state.comoment / len(y), np.cov(X64.T, bias=True), rtol=1e-9)
    proba = clf.predict_proba(X)
    curvature = np.diag(proba.sum(axis=0)) - proba.T @ proba
    np.testing.assert_allclose(state.class_curvature, curvature, rtol=1e-9)


def test_online_continues_a_sgd_fit_with_its_statistics(stream_data):
    X, _, y, _ = stream_data
    clf = SoftmaxClassifier(solver="sgd", random_state=0).fit(X, y)
    state = clf.sgd_state_
    assert state.n_seen == pytest.approx(len(y)) and state.t == 0
    np.testing.assert_allclose(state.mean, X.mean(axis=0), atol=1e-10)
    np.testing.assert_allclose(state.comoment / len(y), np.cov(X.T, bias=True), atol=1e-10)
    before = clf.coef_.copy()
    clf.partial_fit(X[:256], y[:256])
    # one batch among 4500 rows already seen moves the optimum by little: the
    # step is learning_rate (at most 3) times the batch's share 256 / 4756 of a
    # Newton step on the batch, whose own optimum is about |coef| away
    share = 256 / (len(y) + 256)
    assert 0 < np.abs(clf.coef_ - before).max() < 3 * share * np.abs(before).max()


def test_continuing_a_fit_never_raises_the_first_batchs_objective():
    # From a fitted model (confident predictions, almost no curvature) the
    # first batch carries the whole penalty and the step could go far past
    # its optimum (the intercepts went to +-14 on these 50 rows); the guard
    # halves it until the batch's own objective is no higher than before.
    X, y = load_digits(return_X_y=True)
    rows = np.random.default_rng(0).permutation(len(y))[:50]
    clf = SoftmaxClassifier().fit(X, y)

    def batch_objective(model):  # sum of cross-entropies + ||W||^2 / 2 (C = 1)
        loss = log_loss(y[rows], model.predict_proba(X[rows]), normalize=False, labels=range(10))
        return loss + 0.5 * np.sum(model.coef_**2)

    before = batch_objective(clf)
    clf.partial_fit(X[rows], y[rows])
    assert batch_objective(clf) <= before  # without the guard: 1732 against 11.4


def test_classes_are_required_on_the_first_call_and_checked_after(iris):
    X, y = iris
    clf = SoftmaxClassifier()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    assert not hasattr(clf, "classes_")
    with pytest.raises(ValueError, match="at least 2 distinct labels"):
        clf.partial_fit(X, y, classes=[0])
    clf.partial_fit(X[y == 0], y[y == 0], classes=[0, 1, 2])  # one class per batch is fine
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    clf.partial_fit(X[y == 1], y[y == 1])
    with pytest.raises(ValueError, match="not the same as on the first call"):
        clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match=r"labels that are not in classes: \[7\]"):
        clf.partial_fit(X[:2], [0, 7])
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X[:, :3], y)
    assert clf.predict(X).shape == y.shape


def test_online_balanced_weights_use_the_totals_seen(iris):
    X, y = iris
    clf = SoftmaxClassifier(class_weight="balanced")
    clf.partial_fit(X[:60], y[:60], classes=[0, 1, 2])
    np.testing.assert_array_equal(clf.sgd_state_.class_totals, [50, 10, 0])
    # balanced weights 60/(3*50) and 60/(3*10): the weight seen is 20 + 20
    np.testing.assert_allclose(clf.sgd_state_.n_seen, 40.0)


def test_early_stopping_keeps_the_best_validation_epoch(stream_data):
    X, _, y, _ = stream_data
    clf = SoftmaxClassifier(
        solver="sgd", early_stopping=True, n_iter_no_change=3, max_iter=60, random_state=0
    ).fit(X, y)
    curve = clf.validation_loss_curve_
    assert clf.converged_ and len(curve) == clf.n_iter_ == len(clf.loss_curve_) < 60
    # stopped by the rule: the last 3 epochs did not beat the best before them by tol
    assert min(curve[-3:]) > min(curve[:-3]) - clf.tol
    with pytest.warns(ConvergenceWarning, match="max_iter=2 epochs"):
        plain = SoftmaxClassifier(solver="sgd", max_iter=2).fit(X, y)
    assert plain.validation_loss_curve_ is None


def test_sgd_parameters_are_validated(iris):
    X, y = iris
    for params in [{"batch_size": 0}, {"learning_rate": 0}, {"validation_fraction": 1.0}]:
        with pytest.raises(ValueError, match=next(iter(params))):
            SoftmaxClassifier(solver="sgd", **params).fit(X, y)


def test_a_failed_partial_fit_leaves_the_model_intact(iris):
    X, y = iris
    clf = SoftmaxClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])
    before = (clf.coef_.copy(), clf.sgd_state_.class_totals.copy(), clf.sgd_state_.n_seen)
    with pytest.raises(ValueError, match="beyond float64"):
        clf.partial_fit(X[:4], y[:4], sample_weight=np.full(4, 1e308))
    np.testing.assert_array_equal(clf.coef_, before[0])
    np.testing.assert_array_equal(clf.sgd_state_.class_totals, before[1])
    assert clf.sgd_state_.n_seen == before[2]


def _max_gradient(clf, X, y):
    """``max|grad|`` of the normalised objective, in the solvers' coordinates, at clf's model."""
    from sk_softmax._fit import Settings, build_problem
    from sk_softmax._weights import weigh
    from sk_softmax.backends.numpy import NumpyData

    data = NumpyData(X, np.searchsorted(clf.classes_, y), clf.classes_)
    problem = build_problem(data, weigh(data, np.ones(len(y)), None, clf.C), Settings(C=clf.C))
    coef = np.hstack([clf.coef_, clf.intercept_[:, None]])
    _, grad = problem.smooth().loss_gradient(problem.to_solver(coef))
    return np.max(np.abs(grad))


class _Recorder:
    """A callback that keeps the model after every iteration and never stops the fit."""

    def __init__(self):
        self.models = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None, **kwargs):
        if context.task_name == "iteration" and fitted_estimator is not None:
            self.models.append(fitted_estimator)
        return False


def test_sgd_converged_means_the_gradient_criterion(iris):
    # converged_ means what it means for every solver: max|grad| <= tol at the
    # returned model; SVRG reaches the default tol=1e-8.
    X, y = iris
    X = StandardScaler().fit_transform(X)
    with pytest.warns(ConvergenceWarning, match=r"solver='sgd'\) did not converge"):
        short = SoftmaxClassifier(solver="sgd", batch_size=16, max_iter=1, random_state=0)
        short.fit(X, y)
    assert not short.converged_ and _max_gradient(short, X, y) > short.tol
    clf = SoftmaxClassifier(solver="sgd", batch_size=16, random_state=0).fit(X, y)
    assert clf.converged_ and _max_gradient(clf, X, y) <= clf.tol


def test_sgd_reaches_the_optimum(stream_data):
    # Variance reduction: the minibatch epochs converge to the optimum of the
    # full-batch solvers, not to its neighbourhood. At max|grad| <= 1e-8 the
    # objective's relative gap is of order tol^2 / (curvature * objective).
    X, _, y, _ = stream_data
    full = SoftmaxClassifier().fit(X, y)
    sgd = SoftmaxClassifier(solver="sgd", random_state=0).fit(X, y)
    assert sgd.converged_ and sgd.n_iter_ < sgd.max_iter
    assert abs(sgd.objective_ - full.objective_) <= 1e-10 * full.objective_
    np.testing.assert_allclose(sgd.coef_, full.coef_, atol=1e-5 * np.abs(full.coef_).max())


def test_sgd_objective_never_increases(stream_data):
    # An epoch that raises the objective is undone (and the step halved):
    # the epochs' objectives, as the callbacks see them, never increase.
    X, _, y, _ = stream_data
    X, y = X[:1500], y[:1500]
    recorder = _Recorder()
    clf = SoftmaxClassifier(solver="sgd", batch_size=64, max_iter=8, tol=1e-12, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.set_callbacks(recorder).fit(X, y)
    values = [objective(model, X, y) for model in recorder.models]
    assert len(values) == clf.n_iter_ == 8
    assert all(b <= a * (1 + 1e-12) for a, b in zip(values, values[1:], strict=False))
    assert clf.objective_ == pytest.approx(values[-1], rel=1e-12)


def test_sgd_step_recovers_after_an_undone_epoch():
    # 300 digits (nearly separable, 650 coefficients: class-block
    # preconditioner): the early stochastic Newton epochs overshoot and are
    # undone. With the halved step kept for good, 40 epochs stopped at a
    # relative gap of 8e-2; an accepted epoch lets the step grow back (x1.25,
    # up to the Newton step), and the fit lands on the optimum.
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X, y = StandardScaler().fit_transform(X[:300]), y[:300]
    full = SoftmaxClassifier().fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sgd = SoftmaxClassifier(solver="sgd", max_iter=40, random_state=0).fit(X, y)
    assert abs(sgd.objective_ - full.objective_) <= 1e-6 * full.objective_


class _Interrupt(_Recorder):
    """A callback that raises KeyboardInterrupt at the end of an iteration once armed."""

    armed = False

    def on_fit_task_end(self, estimator, context, **kwargs):
        if self.armed and context.task_name == "iteration":
            raise KeyboardInterrupt("stopped by the user")
        return False


@pytest.mark.parametrize(
    ("n_features", "n_classes", "curvature"),
    [(4, 3, "exact"), (40, 8, "blocks"), (300, 4, "kronecker")],
)
@pytest.mark.parametrize("n_batches", [5, 50])
def test_an_interrupted_partial_fit_leaves_the_stream_where_it_was(
    n_features, n_classes, curvature, n_batches
):
    # The callback raises after the step was taken: the estimator and its
    # stream state must be those before the call, so that the stream goes on
    # exactly as if the call had never been made (the step updated the state's
    # running moments and curvature in place, before this was fixed; and on long
    # streams, 50 batches, whose steps are below GUARD_SHARE, its coefficients).
    n = 80 * n_batches
    X, y = make_classification(
        n_samples=n, n_features=n_features, n_informative=min(n_features, 10),
        n_redundant=0, n_classes=n_classes, n_clusters_per_class=1, random_state=0,
    )  # fmt: skip
    batches = np.array_split(np.arange(n), n_batches)
    stop = _Interrupt()
    interrupted = SoftmaxClassifier().set_callbacks(stop)
    plain = SoftmaxClassifier()
    for rows in batches[:-2]:
        for clf in (interrupted, plain):
            clf.partial_fit(X[rows], y[rows], classes=np.arange(n_classes))
    assert interrupted.sgd_state_.curvature == curvature
    stop.armed = True
    with pytest.raises(KeyboardInterrupt):
        interrupted.partial_fit(X[batches[-2]], y[batches[-2]])
    stop.armed = False
    for clf in (interrupted, plain):
        clf.partial_fit(X[batches[-1]], y[batches[-1]])
    np.testing.assert_array_equal(interrupted.coef_, plain.coef_)
    np.testing.assert_array_equal(interrupted.intercept_, plain.intercept_)
    for name in ("t", "n_seen", "coef", "mean", "comoment", "class_curvature", "hessian"):
        np.testing.assert_array_equal(
            getattr(interrupted.sgd_state_, name), getattr(plain.sgd_state_, name), err_msg=name
        )


def test_a_failed_first_partial_fit_leaves_the_estimator_unfitted(iris):
    X, y = iris
    clf = SoftmaxClassifier()
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X[:10], np.full(10, 7), classes=[0, 1, 2])
    assert not hasattr(clf, "n_features_in_")
    with pytest.raises(NotFittedError):
        clf.predict(X[:2])


def test_parameters_set_between_calls_are_checked(iris):
    """scikit-learn's _fit_context checks partial_fit's first call only: learning_rate=-1
    was taken (and learnt nothing), C=0 raised ZeroDivisionError, 'fast' a TypeError."""
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = iris
    X = StandardScaler().fit_transform(X)
    for params in ({"learning_rate": -1.0}, {"learning_rate": "fast"}, {"C": 0.0},
                   {"class_weight": "bogus"}, {"fit_intercept": "yes"}):  # fmt: skip
        clf = SoftmaxClassifier().partial_fit(X, y, classes=[0, 1, 2])
        coef = clf.coef_.copy()
        clf.set_params(**params)
        with pytest.raises(InvalidParameterError, match=next(iter(params))):
            clf.partial_fit(X, y)
        np.testing.assert_array_equal(clf.coef_, coef)
    # fit_intercept changed mid-stream: the state's model has (no) intercept
    for first, then in ((False, True), (True, False)):
        clf = SoftmaxClassifier(fit_intercept=first).partial_fit(X, y, classes=[0, 1, 2])
        with pytest.raises(ValueError, match=f"fit_intercept changed to {then} since"):
            clf.set_params(fit_intercept=then).partial_fit(X, y)
    # ... and after a full-batch fit, whose intercepts a stream without one dropped silently
    clf = SoftmaxClassifier().fit(X, y).set_params(fit_intercept=False)
    intercept = clf.intercept_.copy()
    with pytest.raises(ValueError, match="fitted model has intercepts"):
        clf.partial_fit(X, y)
    np.testing.assert_array_equal(clf.intercept_, intercept)


def test_an_sgd_fit_leaves_the_raw_class_totals_for_balanced_batches(iris):
    """fit(solver='sgd', class_weight='balanced') kept the balanced totals (equal), so a
    later partial_fit balanced the classes as if they were already balanced."""
    X, y = iris
    X = StandardScaler().fit_transform(X)
    keep = np.r_[0:50, 50:80, 100:110]  # 50, 30 and 10 rows
    weights = np.random.default_rng(0).uniform(0.5, 2.0, keep.size)
    with warnings.catch_warnings():  # five epochs: short of tol, as meant
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = SoftmaxClassifier(solver="sgd", class_weight="balanced", max_iter=5).fit(
            X[keep], y[keep], sample_weight=weights
        )
    streamed = SoftmaxClassifier(class_weight="balanced").partial_fit(
        X[keep], y[keep], classes=[0, 1, 2], sample_weight=weights
    )
    expected = np.bincount(y[keep], weights=weights)
    np.testing.assert_allclose(fitted.sgd_state_.class_totals, expected, rtol=1e-12)
    np.testing.assert_allclose(streamed.sgd_state_.class_totals, expected, rtol=1e-12)
    # a class of weight 0 too (its total was 0 / 0 = NaN, and the next batch failed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        zero = SoftmaxClassifier(solver="sgd", class_weight={2: 0.0}, max_iter=5).fit(
            X[keep], y[keep], sample_weight=weights
        )
    np.testing.assert_allclose(zero.sgd_state_.class_totals, expected, rtol=1e-12)
    zero.set_params(class_weight="balanced").partial_fit(X[keep], y[keep])
    assert np.isfinite(zero.coef_).all()


def test_stream_classes_and_the_validation_split_are_checked_clearly(iris):
    """NaN in classes= made a class no batch could show; a validation split that leaves no
    training row was reported as scikit-learn's 'test_size=0.9', a parameter not ours."""
    X, y = iris
    with pytest.raises(ValueError, match="classes holds NaN"):
        SoftmaxClassifier().partial_fit(X, y, classes=[0, 1, 2, np.nan])
    rows = np.random.default_rng(0).normal(size=(8, 3))
    with pytest.raises(ValueError, match="validation_fraction=0.9 of the 8 distinct rows"):
        SoftmaxClassifier(solver="sgd", early_stopping=True, validation_fraction=0.9).fit(
            rows, np.arange(8) % 2
        )
