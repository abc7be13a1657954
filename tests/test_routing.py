"""Metadata routing: sample_weight through cross_validate, GridSearchCV and Pipeline.

With ``enable_metadata_routing=True`` the estimators ask for ``sample_weight``
in ``fit`` and ``score``; every routed result is compared with the same folds
fitted and scored by hand. The same code runs on the same rows with the same
weights in both, so results are compared exactly.
"""

import numpy as np
import pytest
from sklearn import config_context
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.model_selection import GridSearchCV, GroupKFold, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier, SoftmaxClassifierCV

CS = [0.01, 0.1, 1.0, 10.0]


@pytest.fixture
def data():
    X, y = make_classification(
        n_samples=120, n_features=5, n_informative=3, n_classes=3, random_state=0
    )
    X = X * [1.0, 10.0, 0.1, 1.0, 3.0] + 2.0  # unscaled, uncentred: the scaler matters
    sample_weight = np.random.default_rng(0).integers(0, 5, size=y.size).astype(float)
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    return X, y, sample_weight, folds


@pytest.fixture(autouse=True)
def routing():
    with config_context(enable_metadata_routing=True):
        yield


def _weighted(estimator):
    return estimator.set_fit_request(sample_weight=True).set_score_request(sample_weight=True)


def _manual_scores(make, X, y, sw, folds):
    """Fit ``make()`` on each training fold with its weights, score with the test weights."""
    return np.array(
        [
            make()
            .fit(X[train], y[train], sample_weight=sw[train])
            .score(X[test], y[test], sample_weight=sw[test])
            for train, test in folds
        ]
    )


def test_cross_validate_routes_weights_to_fit_and_score(data):
    X, y, sw, folds = data
    routed = cross_validate(
        _weighted(SoftmaxClassifier(C=0.5)), X, y, cv=folds, params={"sample_weight": sw}
    )
    manual = _manual_scores(lambda: SoftmaxClassifier(C=0.5), X, y, sw, folds)
    np.testing.assert_array_equal(routed["test_score"], manual)
    unweighted = cross_validate(SoftmaxClassifier(C=0.5), X, y, cv=folds)
    assert not np.array_equal(unweighted["test_score"], manual)  # the weights mattered


def test_grid_search_routes_weights_like_a_manual_loop(data):
    X, y, sw, folds = data
    grid = GridSearchCV(_weighted(SoftmaxClassifier()), {"C": CS}, cv=folds)
    grid.fit(X, y, sample_weight=sw)
    manual = np.array(
        [_manual_scores(lambda C=C: SoftmaxClassifier(C=C), X, y, sw, folds) for C in CS]
    )
    for i in range(len(folds)):
        np.testing.assert_array_equal(grid.cv_results_[f"split{i}_test_score"], manual[:, i])
    means = manual.mean(axis=1)
    assert grid.best_params_["C"] == CS[int(np.flatnonzero(means == means.max())[0])]
    # The refit used the weights too.
    refit = SoftmaxClassifier(C=grid.best_params_["C"]).fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(grid.best_estimator_.coef_, refit.coef_)


def test_unrequested_weights_are_an_error(data):
    X, y, sw, folds = data
    with pytest.raises(UnsetMetadataPassedError, match="sample_weight"):
        cross_validate(SoftmaxClassifier(), X, y, cv=folds, params={"sample_weight": sw})


@pytest.mark.parametrize("scaler_weighted", [True, False])
def test_pipeline_passes_weights_to_scaler_and_classifier(data, scaler_weighted):
    X, y, sw, _ = data
    pipe = make_pipeline(
        StandardScaler().set_fit_request(sample_weight=scaler_weighted),
        SoftmaxClassifier().set_fit_request(sample_weight=True),
    )
    pipe.fit(X, y, sample_weight=sw)
    scaler = StandardScaler().fit(X, sample_weight=sw if scaler_weighted else None)
    clf = SoftmaxClassifier().fit(scaler.transform(X), y, sample_weight=sw)
    np.testing.assert_array_equal(pipe[0].mean_, scaler.mean_)
    np.testing.assert_array_equal(pipe[-1].coef_, clf.coef_)
    np.testing.assert_array_equal(pipe[-1].intercept_, clf.intercept_)
    unweighted = SoftmaxClassifier().fit(scaler.transform(X), y)
    assert not np.allclose(unweighted.coef_, clf.coef_)  # the weights reached it


def test_grid_search_over_a_pipeline(data):
    X, y, sw, folds = data
    pipe = make_pipeline(
        StandardScaler().set_fit_request(sample_weight=True),
        _weighted(SoftmaxClassifier()),
    )
    grid = GridSearchCV(pipe, {"softmaxclassifier__C": CS}, cv=folds)
    grid.fit(X, y, sample_weight=sw)

    def fitted(C, train):
        scaler = StandardScaler().fit(X[train], sample_weight=sw[train])
        clf = SoftmaxClassifier(C=C).fit(scaler.transform(X[train]), y[train], sw[train])
        return scaler, clf

    for i, (train, test) in enumerate(folds):
        expected = []
        for C in CS:
            scaler, clf = fitted(C, train)
            expected.append(clf.score(scaler.transform(X[test]), y[test], sample_weight=sw[test]))
        np.testing.assert_array_equal(grid.cv_results_[f"split{i}_test_score"], expected)


# -- SoftmaxClassifierCV as a consumer and as a router ---------------------------------
def test_cv_estimator_matches_routed_grid_search(data):
    X, y, sw, folds = data
    ours = SoftmaxClassifierCV(Cs=CS, cv=folds).fit(X, y, sample_weight=sw)
    grid = GridSearchCV(_weighted(SoftmaxClassifier()), {"C": CS}, cv=folds)
    grid.fit(X, y, sample_weight=sw)
    for i in range(len(folds)):
        np.testing.assert_array_equal(ours.scores_[i], grid.cv_results_[f"split{i}_test_score"])
    assert ours.C_ == grid.best_params_["C"]
    # Routing on or off, the default scorer is the weighted accuracy.
    with config_context(enable_metadata_routing=False):
        off = SoftmaxClassifierCV(Cs=CS, cv=folds).fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(off.scores_, ours.scores_)


def test_cv_estimator_inside_cross_validate(data):
    X, y, sw, folds = data
    routed = cross_validate(
        _weighted(SoftmaxClassifierCV(Cs=3, cv=3)), X, y, cv=folds, params={"sample_weight": sw}
    )
    manual = _manual_scores(lambda: SoftmaxClassifierCV(Cs=3, cv=3), X, y, sw, folds)
    np.testing.assert_array_equal(routed["test_score"], manual)


def test_cv_estimator_routes_groups_to_its_splitter(data):
    X, y, sw, _ = data
    groups = np.arange(y.size) % 4
    routed = SoftmaxClassifierCV(Cs=CS, cv=GroupKFold(4)).fit(X, y, groups=groups)
    explicit = list(GroupKFold(4).split(X, y, groups))
    direct = SoftmaxClassifierCV(Cs=CS, cv=explicit).fit(X, y)
    np.testing.assert_array_equal(routed.scores_, direct.scores_)
    np.testing.assert_array_equal(routed.coefs_paths_, direct.coefs_paths_)


def test_cv_estimator_scorer_gets_what_it_requests(data):
    X, y, sw, folds = data
    # A scorer that declines the weights: weighted fits, unweighted scores,
    # as GridSearchCV with a classifier requesting weights in fit only.
    scorer = make_scorer(accuracy_score).set_score_request(sample_weight=False)
    ours = SoftmaxClassifierCV(Cs=CS, cv=folds, scoring=scorer).fit(X, y, sample_weight=sw)
    estimator = (
        SoftmaxClassifier()
        .set_fit_request(sample_weight=True)
        .set_score_request(sample_weight=False)
    )
    grid = GridSearchCV(estimator, {"C": CS}, cv=folds).fit(X, y, sample_weight=sw)
    for i in range(len(folds)):
        np.testing.assert_array_equal(ours.scores_[i], grid.cv_results_[f"split{i}_test_score"])
    weighted = SoftmaxClassifierCV(Cs=CS, cv=folds).fit(X, y, sample_weight=sw)
    assert not np.array_equal(weighted.scores_, ours.scores_)
    # A scorer by name has not said whether it wants them: an error, as in scikit-learn.
    with pytest.raises(UnsetMetadataPassedError, match="sample_weight"):
        SoftmaxClassifierCV(Cs=CS, cv=folds, scoring="accuracy").fit(X, y, sample_weight=sw)


def test_cv_estimator_score_is_weighted(data):
    X, y, sw, _ = data
    clf = SoftmaxClassifierCV(Cs=3, cv=3).fit(X, y)
    expected = accuracy_score(y, clf.predict(X), sample_weight=sw)
    assert clf.score(X, y, sample_weight=sw) == expected
    with config_context(enable_metadata_routing=False):
        assert clone(clf).fit(X, y).score(X, y, sample_weight=sw) == expected


def test_cv_estimator_without_weights_routes_nothing(data):
    X, y, _, folds = data
    # No weights given: none reach a scorer that has not asked for them, and a
    # generator of splits is read once (by fit, not by the routing).
    by_name = SoftmaxClassifierCV(Cs=CS, cv=iter(folds), scoring="accuracy").fit(X, y)
    with config_context(enable_metadata_routing=False):
        plain = SoftmaxClassifierCV(Cs=CS, cv=folds).fit(X, y)
    np.testing.assert_array_equal(by_name.scores_, plain.scores_)
