"""scikit-learn's callback API: progress, monitoring and early stop, every solver."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier
from sk_softmax.solvers import SOLVERS

SOLVER_NAMES = sorted(SOLVERS)


class StopAfter:
    """Asks the estimator to stop after ``n`` iterations; records what it saw."""

    def __init__(self, n):
        self.n = n
        self.ended = []
        self.models = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None, **kwargs):
        if context.task_name != "iteration" or fitted_estimator is None:
            return False  # the fit task, or the iteration begun but never run
        self.ended.append(context.task_id)
        self.models.append(fitted_estimator)
        return len(self.ended) >= self.n


# sgd's epochs too: the converging one was not shown to the callbacks before
@pytest.mark.parametrize("solver", [*SOLVER_NAMES, "sgd"])
def test_scoring_monitor_sees_every_iteration(solver, datasets):
    from sklearn.callback import ScoringMonitor

    X, y = datasets["wine"]
    monitor = ScoringMonitor(scoring="accuracy")
    params = {"random_state": 0} if solver == "sgd" else {}
    clf = SoftmaxClassifier(solver=solver, max_iter=1000, **params)
    clf.set_callbacks(monitor).fit(X, y)
    assert clf.converged_
    rows = monitor.get_logs().data
    iterations = [r for r in rows if r["task_name"] == "iteration"]
    assert len(iterations) == clf.n_iter_
    assert [r["task_id"] for r in iterations] == list(range(clf.n_iter_))
    # the model after the last iteration is the fitted one
    assert iterations[-1]["accuracy"] == pytest.approx(clf.score(X, y))


@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_callback_can_stop_the_fit_with_a_usable_model(solver, datasets):
    X, y = datasets["wine"]
    stopper = StopAfter(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a requested stop is not a convergence failure
        clf = SoftmaxClassifier(solver=solver).set_callbacks(stopper).fit(X, y)
    assert clf.n_iter_ == 2 and not clf.converged_
    assert stopper.ended == [0, 1]
    # the model the callback saw after iteration 2 is the one the fit kept
    np.testing.assert_array_equal(stopper.models[-1].coef_, clf.coef_)
    proba = clf.predict_proba(X)
    assert np.all(np.isfinite(proba)) and np.allclose(proba.sum(axis=1), 1)


def test_progress_bar_in_pipeline_and_grid_search(datasets, capsys):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    X, y = datasets["wine"]
    pipe = make_pipeline(StandardScaler(), SoftmaxClassifier())
    search = GridSearchCV(pipe, {"softmaxclassifier__C": [0.1, 1.0]}, cv=2)
    search.set_callbacks(ProgressBar(max_propagation_depth=None))
    search.fit(X, y)
    assert search.best_estimator_.score(X, y) > 0.9


def test_callbacks_inside_grid_search_see_each_fit(datasets):
    X, y = datasets["wine-std"]
    stopper = StopAfter(10**9)  # records, never stops
    search = GridSearchCV(SoftmaxClassifier().set_callbacks(stopper), {"C": [0.1, 1.0]}, cv=2)
    search.fit(X, y)
    # callbacks set on the inner estimator follow its clones (shared by reference)
    assert len(stopper.ended) > 4


def test_no_callbacks_costs_nothing(datasets):
    X, y = datasets["wine"]
    clf = SoftmaxClassifier().fit(X, y)
    assert not hasattr(clf, "_callback_fit_ctx")


def test_scoring_monitor_sees_every_sgd_epoch(datasets):
    from sklearn.callback import ScoringMonitor

    X, y = datasets["wine-std"]
    monitor = ScoringMonitor(scoring="accuracy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # minibatches stop short of tol
        clf = SoftmaxClassifier(solver="sgd", max_iter=7, random_state=0)
        clf.set_callbacks(monitor).fit(X, y)
    iterations = [r for r in monitor.get_logs().data if r["task_name"] == "iteration"]
    assert clf.n_iter_ == 7 and len(iterations) == 7
    assert [r["task_id"] for r in iterations] == list(range(7))


def test_sgd_callback_can_stop_the_fit(datasets):
    X, y = datasets["wine-std"]
    stopper = StopAfter(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a requested stop is not a convergence failure
        clf = SoftmaxClassifier(solver="sgd", random_state=0).set_callbacks(stopper).fit(X, y)
    assert clf.n_iter_ == 3 and not clf.converged_ and len(clf.loss_curve_) == 3
    np.testing.assert_array_equal(stopper.models[-1].coef_, clf.coef_)


def test_each_partial_fit_call_is_one_task(datasets):
    from sklearn.callback import ScoringMonitor

    X, y = datasets["wine-std"]
    monitor = ScoringMonitor(scoring="accuracy")
    clf = SoftmaxClassifier().set_callbacks(monitor)
    for batch in np.array_split(np.random.RandomState(0).permutation(len(y)), 4):
        clf.partial_fit(X[batch], y[batch], classes=[0, 1, 2])
    runs = monitor.get_logs(select="all")  # a run per call, each of one iteration
    assert len(runs) == 4
    for run in runs:
        assert [r["task_name"] for r in run.data] == ["fit", "iteration"]
    # scored on the call's own minibatch, after its step
    assert runs[-1].data[-1]["accuracy"] == pytest.approx(clf.score(X[batch], y[batch]))


class _Raises(StopAfter):
    """Raises at the end of the first iteration; records its setup and teardown."""

    def __init__(self, events):
        super().__init__(1)
        self.events = events

    def setup(self, estimator, context):
        self.events.append("setup")

    def teardown(self, estimator, context):
        self.events.append("teardown")

    def on_fit_task_end(self, estimator, context, **kwargs):
        if context.task_name == "iteration":
            raise RuntimeError("a callback failed")
        return False


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_a_failed_fit_still_tears_its_callbacks_down(datasets, method):
    """The previous model comes back, and every callback's teardown runs: restoring the
    estimator's attributes took scikit-learn's callback context with them, teardown never
    ran, and a ProgressBar's thread held the process at exit."""
    X, y = datasets["wine-std"]
    events = []
    clf = SoftmaxClassifier().fit(X, y)
    coef = clf.coef_.copy()
    clf.set_callbacks(_Raises(events))
    with pytest.raises(RuntimeError, match="a callback failed"):
        if method == "fit":
            clf.fit(X[::2], y[::2])
        else:
            clf.partial_fit(X[::2], y[::2])
    assert events == ["setup", "teardown"]
    np.testing.assert_array_equal(clf.coef_, coef)
    assert not hasattr(clf, "_callback_fit_ctx")
    if method == "partial_fit":
        return
    # and a ProgressBar in a child process lets it exit (it hung until killed)
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        from sklearn.callback import ProgressBar
        from sklearn.datasets import load_wine
        from sk_softmax import SoftmaxClassifier

        class Raises:
            def setup(self, estimator, context): pass
            def teardown(self, estimator, context): pass
            def on_fit_task_begin(self, estimator, context, **kwargs): pass
            def on_fit_task_end(self, estimator, context, **kwargs):
                if context.task_name == "iteration":
                    raise RuntimeError("a callback failed")
                return False

        X, y = load_wine(return_X_y=True)
        try:
            SoftmaxClassifier().set_callbacks(ProgressBar(), Raises()).fit(X, y)
        except RuntimeError:
            pass
        """
    )
    subprocess.run([sys.executable, "-c", code], timeout=60, check=True, capture_output=True)
