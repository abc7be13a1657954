"""scikit-learn's callback API: progress, monitoring and early stop, every solver."""

import warnings

import numpy as np
import pytest
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


@pytest.mark.parametrize("solver", SOLVER_NAMES)
def test_scoring_monitor_sees_every_iteration(solver, datasets):
    from sklearn.callback import ScoringMonitor

    X, y = datasets["wine"]
    monitor = ScoringMonitor(scoring="accuracy")
    clf = SoftmaxClassifier(solver=solver, max_iter=1000).set_callbacks(monitor).fit(X, y)
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
