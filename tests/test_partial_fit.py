"""Online softmax regression: partial_fit and fit(solver="sgd")."""

import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier, objective
from sk_softmax._distinct import distinct_rows


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


def test_one_batch_sgd_converges_to_the_optimum(iris):
    # With batch_size >= n_samples every step is a full-batch Adam step with
    # a decaying size on f = F / (C S) itself: the iterates approach the
    # unique minimiser that the Newton solvers find.
    X, y = iris
    X = StandardScaler().fit_transform(X)
    exact = SoftmaxClassifier().fit(X, y)
    sgd = SoftmaxClassifier(
        solver="sgd", batch_size=1000, max_iter=3000, n_iter_no_change=3000, learning_rate=0.03
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sgd.fit(X, y)
    assert sgd.objective_ >= exact.objective_ * (1 - 1e-12)
    assert sgd.objective_ <= exact.objective_ * (1 + 1e-3)
    np.testing.assert_allclose(sgd.coef_, exact.coef_, atol=0.05 * np.abs(exact.coef_).max())


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


def test_first_adam_step_is_bounded_by_the_learning_rate(iris):
    # Adam's first step is learning_rate * g / (|g| + eps) per coordinate,
    # at most learning_rate; re-centring the class rows at most doubles it.
    X, y = iris
    clf = SoftmaxClassifier().fit(X, y)
    before = np.hstack([clf.coef_, clf.intercept_[:, None]])
    clf.partial_fit(X[:30], y[:30])
    state = clf.sgd_state_
    start = state.coordinates.to_standardized(before)
    start -= start.mean(axis=0)
    step = np.abs(state.coef - start).max()
    assert 0 < step <= 2 * clf.learning_rate * (1 + 1e-12)
    # A full-batch fit afterwards drops the online state.
    clf.set_params(solver="lbfgs").fit(X, y)
    assert not hasattr(clf, "sgd_state_") and not hasattr(clf, "loss_curve_")


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
    # returned model. Adam stalls short of tol=1e-8: not converged, and said so.
    X, y = iris
    X = StandardScaler().fit_transform(X)
    with pytest.warns(ConvergenceWarning, match=r"solver='sgd'\) did not converge"):
        clf = SoftmaxClassifier(solver="sgd", batch_size=16, random_state=0).fit(X, y)
    assert not clf.converged_
    assert _max_gradient(clf, X, y) > clf.tol
    # a tol the engine does reach: converged, and then the gradient is within it
    loose = SoftmaxClassifier(solver="sgd", tol=0.05, batch_size=16, random_state=0).fit(X, y)
    assert loose.converged_ and _max_gradient(loose, X, y) <= 0.05


def test_sgd_returns_the_best_epoch(stream_data):
    # Adam's loss curve is not monotone: the fit keeps the epoch of lowest
    # training objective, not the last one.
    X, _, y, _ = stream_data
    X, y = X[:1500], y[:1500]
    recorder = _Recorder()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = SoftmaxClassifier(solver="sgd", learning_rate=0.3, max_iter=15, random_state=0)
        clf.set_callbacks(recorder).fit(X, y)
    assert len(recorder.models) == clf.n_iter_ == 15
    values = [objective(model, X, y) for model in recorder.models]
    assert values[-1] > min(values)  # the last epoch was not the best: the case at hand
    assert clf.objective_ == pytest.approx(min(values), rel=1e-12)
    np.testing.assert_allclose(objective(clf, X, y), min(values), rtol=1e-12)
