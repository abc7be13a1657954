"""SoftmaxClassifierCV: the same choice as GridSearchCV, the path, weights, edge cases."""

import warnings

import numpy as np
import pytest
from sklearn import config_context
from sklearn.datasets import load_iris, load_wine, make_blobs, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sk_softmax import SoftmaxClassifier, SoftmaxClassifierCV

# Accuracy is discrete: two fits of the same optimum to tol=1e-8 give the same
# fold scores unless a test row lies within the coefficients' error of a
# decision boundary. That error is at most max|grad| / (smallest curvature);
# for C <= 100 on standardised data of this size the curvature (at least
# alpha = 1 / (C * n_train), in units where features have unit spread) keeps it
# near 1e-4 or below, while the smallest test margin is far larger. Scores are
# therefore compared exactly, for Cs up to 100 (beyond, on separable data, the
# optimum is so flat that the solver's tolerance, not C, sets its last digits).
MODERATE_CS = [1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0]


def _iris():
    X, y = load_iris(return_X_y=True)
    return X, y


def _wine():
    X, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _synthetic():
    return make_classification(
        n_samples=150, n_features=6, n_informative=4, n_classes=3, random_state=0
    )


def _binary():
    X, y = make_classification(n_samples=120, n_features=5, flip_y=0.1, random_state=1)
    return X, y


def _grid_scores(grid, n_folds):
    return np.array([grid.cv_results_[f"split{i}_test_score"] for i in range(n_folds)])


@pytest.mark.parametrize("data", [_iris, _wine, _synthetic, _binary])
@pytest.mark.parametrize("Cs", [MODERATE_CS, MODERATE_CS[::-1], [1.0, 0.01, 100.0, 0.1]])
def test_same_choice_and_scores_as_grid_search(data, Cs):
    X, y = data()
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    ours = SoftmaxClassifierCV(Cs=Cs, cv=cv).fit(X, y)
    grid = GridSearchCV(SoftmaxClassifier(), {"C": Cs}, cv=cv).fit(X, y)
    np.testing.assert_array_equal(ours.scores_, _grid_scores(grid, 4))
    assert ours.C_ == grid.best_params_["C"]
    np.testing.assert_array_equal(ours.Cs_, Cs)  # in the order given


def test_ties_go_to_the_first_C_in_the_given_order():
    # Well separated blobs: every C classifies every test row correctly.
    X, y = make_blobs(n_samples=60, centers=3, cluster_std=0.3, random_state=0)
    for Cs in ([10.0, 1.0, 0.1], [0.1, 10.0, 1.0]):
        ours = SoftmaxClassifierCV(Cs=Cs, cv=3).fit(X, y)
        grid = GridSearchCV(SoftmaxClassifier(), {"C": Cs}, cv=3).fit(X, y)
        assert np.all(ours.scores_ == 1.0)
        assert ours.C_ == Cs[0] == grid.best_params_["C"]


def test_iris_tie_between_two_Cs():
    # Iris, default folds: C=1 and C=10 have the same mean accuracy (146/150).
    X, y = _iris()
    Cs = [10.0, 1.0, 0.1]
    ours = SoftmaxClassifierCV(Cs=Cs).fit(X, y)
    grid = GridSearchCV(SoftmaxClassifier(), {"C": Cs}).fit(X, y)
    means = ours.scores_.mean(axis=0)
    assert means[0] == means[1] > means[2]
    assert ours.C_ == 10.0 == grid.best_params_["C"]


def test_int_Cs_is_logspace_and_attribute_shapes():
    X, y = _iris()
    clf = SoftmaxClassifierCV(Cs=4, cv=3).fit(X, y)
    np.testing.assert_array_equal(clf.Cs_, np.logspace(-4, 4, 4))
    assert clf.scores_.shape == (3, 4)
    assert clf.coefs_paths_.shape == (3, 4, 3, X.shape[1] + 1)
    assert clf.n_iter_.shape == (3, 4)
    assert clf.coef_.shape == (3, X.shape[1]) and clf.intercept_.shape == (3,)
    assert clf.n_features_in_ == X.shape[1]
    clf = SoftmaxClassifierCV(Cs=2, cv=3, fit_intercept=False).fit(X, y)
    assert clf.coefs_paths_.shape == (3, 2, 3, X.shape[1])
    np.testing.assert_array_equal(clf.intercept_, 0.0)


def test_refit_is_softmax_classifier_at_best_C():
    X, y = _wine()
    sw = np.random.default_rng(0).uniform(0.5, 2.0, size=y.size)
    clf = SoftmaxClassifierCV(Cs=MODERATE_CS, cv=3).fit(X, y, sample_weight=sw)
    direct = SoftmaxClassifier(C=clf.C_).fit(X, y, sample_weight=sw)
    # Two optima of the same objective to tol (the refit starts from the fold
    # models' mean): with max|grad| <= tol for both, in units where features
    # have unit spread, and curvature at least alpha = 1 / (C * S), the
    # coefficients differ by at most 2 * sqrt(n_params) * tol * C * S, and a
    # raw output by that times the largest row norm; probabilities move less.
    n_params = clf.coef_.size + clf.intercept_.size
    row_norm = np.sqrt((X**2).sum(axis=1) + 1).max()
    bound = 2 * np.sqrt(n_params) * clf.tol * clf.C_ * sw.sum() * row_norm
    assert bound < 1e-2  # the bound says something here
    np.testing.assert_allclose(clf.predict_proba(X), direct.predict_proba(X), rtol=0, atol=bound)
    np.testing.assert_array_equal(clf.predict(X), direct.predict(X))
    np.testing.assert_allclose(
        clf.decision_function(X), direct.decision_function(X), rtol=0, atol=bound
    )


def test_path_models_are_the_optima_of_their_folds():
    # Each path model, started from its neighbour's optimum, is the optimum of
    # its fold: its normalised gradient is within tol of zero, as an
    # independent fit's is. Checked through the fold's objective value, whose
    # relative gap to an independent fit's is second order in that gradient.
    X, y = _wine()
    cv = StratifiedKFold(3)
    clf = SoftmaxClassifierCV(Cs=MODERATE_CS, cv=cv).fit(X, y)
    for i, (train, _) in enumerate(cv.split(X, y)):
        for j, C in enumerate(MODERATE_CS):
            direct = SoftmaxClassifier(C=C).fit(X[train], y[train])
            coef = clf.coefs_paths_[i, j]
            fold = SoftmaxClassifier(C=C)
            fold.classes_, fold.coef_, fold.intercept_ = clf.classes_, coef[:, :-1], coef[:, -1]
            fold.n_features_in_ = X.shape[1]
            p_path, p_direct = fold.predict_proba(X), direct.predict_proba(X)
            # |grad| <= 1e-8 and curvature >= 1 / (C n) ~ 1e-5 at C = 100 bound
            # the coefficient error near 1e-3 in standardised units: the
            # probabilities (1-Lipschitz in the raw outputs, |x| <~ 4 here)
            # agree far better than 0.05.
            np.testing.assert_allclose(p_path, p_direct, atol=0.05)
    assert np.all(clf.n_iter_[:, 1:] <= clf.n_iter_[:, :1] + 2)  # warm starts help


def test_warm_started_path_takes_fewer_iterations_than_cold_fits():
    X, y = _synthetic()
    cv = StratifiedKFold(3)
    clf = SoftmaxClassifierCV(Cs=8, cv=cv).fit(X, y)
    cold = [
        SoftmaxClassifier(C=C).fit(X[train], y[train]).n_iter_
        for train, _ in cv.split(X, y)
        for C in clf.Cs_
    ]
    assert clf.n_iter_.sum() < sum(cold)


def test_sample_weight_in_training_and_scoring_matches_routed_grid_search():
    X, y = _synthetic()
    sw = np.random.default_rng(3).integers(0, 4, size=y.size).astype(float)
    cv = StratifiedKFold(3, shuffle=True, random_state=2)
    ours = SoftmaxClassifierCV(Cs=MODERATE_CS, cv=cv).fit(X, y, sample_weight=sw)
    with config_context(enable_metadata_routing=True):
        estimator = (
            SoftmaxClassifier()
            .set_fit_request(sample_weight=True)
            .set_score_request(sample_weight=True)
        )
        grid = GridSearchCV(estimator, {"C": MODERATE_CS}, cv=cv).fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(ours.scores_, _grid_scores(grid, 3))
    assert ours.C_ == grid.best_params_["C"]
    # And the weights matter: unweighted scores differ.
    unweighted = SoftmaxClassifierCV(Cs=MODERATE_CS, cv=cv).fit(X, y)
    assert not np.array_equal(unweighted.scores_, ours.scores_)


def test_default_scorer_is_accuracy_score():
    # The default scorer skips the scorer machinery; its values must be
    # accuracy_score's, with and without weights.
    X, y = _synthetic()
    sw = np.random.default_rng(4).uniform(0, 3, size=y.size)
    default = SoftmaxClassifierCV(Cs=MODERATE_CS, cv=3).fit(X, y)
    named = SoftmaxClassifierCV(Cs=MODERATE_CS, cv=3, scoring="accuracy").fit(X, y)
    np.testing.assert_array_equal(default.scores_, named.scores_)
    weighted = SoftmaxClassifierCV(Cs=MODERATE_CS, cv=3).fit(X, y, sample_weight=sw)
    scorer = make_scorer(accuracy_score)  # routing off: fit's weights go to any scorer
    explicit = SoftmaxClassifierCV(Cs=MODERATE_CS, cv=3, scoring=scorer)
    explicit.fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(weighted.scores_, explicit.scores_)


def test_weights_whose_sum_overflows_score_like_small_ones():
    # Weights of 1e307 (each a float, their sum not) with C 1e307 times smaller
    # make the same normalised problem as weights of 1: the same fits, so the
    # same scores; weighted accuracy once summed them and scored every fold NaN.
    X, y = _synthetic()
    sw = np.random.default_rng(5).uniform(0.5, 2.0, size=y.size)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    small = SoftmaxClassifierCV(Cs=MODERATE_CS, cv=cv).fit(X, y, sample_weight=sw)
    huge = SoftmaxClassifierCV(Cs=np.asarray(MODERATE_CS) * 1e-307, cv=cv)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning either
        huge.fit(X, y, sample_weight=sw * 1e307)
    with np.errstate(over="ignore"):
        assert np.isinf(np.sum(sw * 1e307))
    # equal up to the rounding of two weighted averages over a fold's rows
    np.testing.assert_allclose(huge.scores_, small.scores_, rtol=y.size * np.finfo(float).eps)
    assert huge.C_ == small.C_ * 1e-307


def test_zero_weights_equal_removed_rows():
    X, y = _synthetic()
    sw = np.ones(y.size)
    sw[::5] = 0
    kept = sw > 0
    folds = list(KFold(3).split(X))
    # The same folds with the zero-weight rows removed, indices renumbered.
    position = np.cumsum(kept) - 1
    folds_kept = [(position[tr[kept[tr]]], position[te[kept[te]]]) for tr, te in folds]
    weighted = SoftmaxClassifierCV(Cs=MODERATE_CS, cv=folds).fit(X, y, sample_weight=sw)
    removed = SoftmaxClassifierCV(Cs=MODERATE_CS, cv=folds_kept).fit(X[kept], y[kept])
    np.testing.assert_array_equal(weighted.scores_, removed.scores_)
    assert weighted.C_ == removed.C_
    # Both refits at the same C, optima to tol=1e-8: equal to far better than 1e-6.
    np.testing.assert_allclose(weighted.predict_proba(X), removed.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("class_weight", ["balanced", {0: 0.5, 2: 3.0}])
def test_class_weight_per_fold_like_grid_search(class_weight):
    X, y = make_classification(
        n_samples=150, n_classes=3, n_informative=4, weights=[0.6, 0.3, 0.1], random_state=0
    )
    cv = StratifiedKFold(3)
    ours = SoftmaxClassifierCV(Cs=MODERATE_CS, cv=cv, class_weight=class_weight).fit(X, y)
    grid = GridSearchCV(SoftmaxClassifier(class_weight=class_weight), {"C": MODERATE_CS}, cv=cv)
    grid.fit(X, y)
    np.testing.assert_array_equal(ours.scores_, _grid_scores(grid, 3))
    assert ours.C_ == grid.best_params_["C"]


def test_other_scoring_like_grid_search():
    X, y = _iris()
    cv = StratifiedKFold(3)
    ours = SoftmaxClassifierCV(Cs=MODERATE_CS, cv=cv, scoring="neg_log_loss").fit(X, y)
    grid = GridSearchCV(SoftmaxClassifier(), {"C": MODERATE_CS}, cv=cv, scoring="neg_log_loss")
    grid.fit(X, y)
    # Continuous scores: equal up to the fits' tolerance (log-loss is
    # Lipschitz in the coefficients, whose error is ~1e-4 at most, see above).
    np.testing.assert_allclose(ours.scores_, _grid_scores(grid, 3), rtol=1e-3)
    assert ours.C_ == grid.best_params_["C"]
    assert ours.score(X, y) == pytest.approx(
        -np.mean(-np.log(ours.predict_proba(X)[np.arange(150), y]))
    )


@pytest.mark.parametrize("scoring", ["neg_log_loss", "neg_brier_score"])
def test_probability_scorers_on_test_folds_without_a_rare_class(scoring):
    """Folds whose test rows lack a class: the metric is told the model's classes, as
    LogisticRegressionCV tells it ("y_true and y_prob contain different number of
    classes" from inside sklearn.metrics before)."""
    from sklearn.metrics import brier_score_loss, log_loss

    X, y = _iris()
    keep = np.r_[np.arange(100), 100, 101, 102]  # three rows of class 2
    X, y = X[keep], y[keep]
    with warnings.catch_warnings():  # "The least populated class in y has only 3 members"
        warnings.simplefilter("ignore", UserWarning)
        folds = list(StratifiedKFold(5).split(X, y))
    assert any(np.unique(y[test]).size < 3 for _, test in folds)
    ours = SoftmaxClassifierCV(Cs=[0.1, 1.0], cv=folds, scoring=scoring).fit(X, y)
    metric = log_loss if scoring == "neg_log_loss" else brier_score_loss
    for i, (_, test) in enumerate(folds):
        for j, C in enumerate(ours.Cs_):
            model = SoftmaxClassifier(C=C)
            model.classes_ = ours.classes_
            model.coef_ = ours.coefs_paths_[i, j, :, :-1]
            model.intercept_ = ours.coefs_paths_[i, j, :, -1]
            expected = -metric(y[test], model.predict_proba(X[test]), labels=ours.classes_)
            assert ours.scores_[i, j] == pytest.approx(expected, rel=1e-12)


def test_fold_warnings_point_at_the_callers_line():
    """The missing-class warning pointed into the package (_validation.py, a decorator)."""
    X, y = _iris()
    with pytest.warns(UserWarning, match="no positive weight") as caught:
        SoftmaxClassifierCV(Cs=2, cv=KFold(3)).fit(X, y)
    assert caught[0].filename == __file__
    # the final model's own warnings too (they pointed into _cv_search.py)
    with pytest.warns(ConvergenceWarning) as caught:
        SoftmaxClassifierCV(Cs=2, max_iter=1).fit(X, y)
    assert [w.filename for w in caught] == [__file__] * len(caught)
    assert any("SoftmaxClassifier (solver=" in str(w.message) for w in caught)


def test_label_scorers_on_a_fold_whose_training_rows_lack_a_class():
    """f1_macro counts the class the fold model never saw (its F1 is 0), as f1_score on the
    test rows does and LogisticRegressionCV scores it; telling the metric only the fold
    model's classes dropped it (0.449 against 0.337 on a review's data)."""
    from sklearn.exceptions import UndefinedMetricWarning
    from sklearn.metrics import f1_score

    X, y = _iris()
    y = y.copy()
    y[:3] = 3  # a fourth class, all in the first fold's test rows
    folds = list(KFold(5).split(X))
    with warnings.catch_warnings():  # F1 of classes absent from other folds' test rows: 0
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        with pytest.warns(UserWarning, match=r"classes \[3\] have no positive weight"):
            ours = SoftmaxClassifierCV(Cs=[1.0], cv=folds, scoring="f1_macro").fit(X, y)
    model = SoftmaxClassifier(C=1.0).fit(X[folds[0][0]], y[folds[0][0]])
    test = folds[0][1]
    expected = f1_score(y[test], model.predict(X[test]), average="macro")
    assert ours.scores_[0, 0] == pytest.approx(expected, abs=1e-6)


@pytest.mark.filterwarnings("ignore:The classes .3. have no positive weight:UserWarning")
def test_probability_scorers_on_a_fold_whose_training_rows_lack_a_class():
    """Such a fold model has no probability for the class, which log-loss cannot score:
    its scores are NaN with a warning that names the cause and the fix, as GridSearchCV's
    error_score=nan has it, and a search with no score left is a clear error (the
    ValueError of sklearn.metrics escaped from fit before)."""
    X, y = _iris()
    y = y.copy()
    y[:3] = 3  # a fourth class, all in the first fold's test rows
    folds = list(KFold(5).split(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        grid = GridSearchCV(
            SoftmaxClassifier(), {"C": [1.0]}, cv=folds, scoring="neg_log_loss"
        ).fit(X, y)
    assert np.isnan(grid.cv_results_["split0_test_score"]).all()  # GridSearchCV's NaN
    with (
        pytest.warns(UserWarning, match=r"training rows of folds \[0\] lack classes") as caught,
        pytest.raises(ValueError, match=r"could score no C on the folds \[0\]"),
    ):
        SoftmaxClassifierCV(Cs=[1.0], cv=folds, scoring="neg_log_loss").fit(X, y)
    failed = [w for w in caught if "scorer failed" in str(w.message)]
    assert len(failed) == 1 and failed[0].filename == __file__
    assert "scores are NaN" in str(failed[0].message)


def test_a_scorer_that_fails_on_some_models_scores_them_nan():
    """The others are ranked as GridSearchCV ranks them, NaN last."""
    X, y = _iris()

    def picky(model, X_test, y_test):
        if model.C > 1.0:
            raise RuntimeError("no large C here")
        return model.score(X_test, y_test)

    with pytest.warns(UserWarning, match="RuntimeError: no large C here") as caught:
        ours = SoftmaxClassifierCV(Cs=[0.01, 1.0, 100.0], cv=3, scoring=picky).fit(X, y)
    assert "lack classes" not in str(caught[0].message)
    assert np.isnan(ours.scores_[:, 2]).all() and np.isfinite(ours.scores_[:, :2]).all()
    assert ours.C_ == 1.0


def test_class_missing_from_a_training_fold():
    X, y = _iris()
    y = y.copy()
    y[:3] = 3  # a fourth class with three rows, all in the first fold's test rows
    folds = list(KFold(5).split(X))
    with pytest.warns(UserWarning, match=r"classes \[3\] have no positive weight"):
        ours = SoftmaxClassifierCV(Cs=[0.1, 1.0, 10.0], cv=folds).fit(X, y)
    assert np.isnan(ours.coefs_paths_[0, :, 3]).all()  # left out of fold 0
    assert np.isfinite(ours.coefs_paths_[1:]).all()
    assert ours.classes_.tolist() == [0, 1, 2, 3]
    grid = GridSearchCV(SoftmaxClassifier(), {"C": [0.1, 1.0, 10.0]}, cv=folds).fit(X, y)
    np.testing.assert_array_equal(ours.scores_, _grid_scores(grid, 5))
    assert ours.C_ == grid.best_params_["C"]
    with pytest.raises(ValueError, match="refit=False"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        SoftmaxClassifierCV(Cs=[1.0], cv=folds, refit=False).fit(X, y)


def test_failed_fit_leaves_the_estimator_as_it_was():
    X, y = _iris()
    clf = SoftmaxClassifierCV(Cs=[1.0], cv=KFold(5), refit=False).fit(X, y)
    before = {k: v.copy() if hasattr(v, "copy") else v for k, v in vars(clf).items()}
    y_bad = y.copy()
    y_bad[:3] = 3  # a class only in the first fold's test rows: refit=False cannot average
    with pytest.raises(ValueError, match="refit=False"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clf.fit(X, y_bad)
    assert vars(clf).keys() == before.keys()
    np.testing.assert_array_equal(clf.coef_, before["coef_"])
    np.testing.assert_array_equal(clf.classes_, before["classes_"])


def test_refit_false_averages_the_fold_models_at_best_C():
    X, y = _wine()
    clf = SoftmaxClassifierCV(Cs=MODERATE_CS, cv=3, refit=False).fit(X, y)
    best = MODERATE_CS.index(clf.C_)
    mean = clf.coefs_paths_[:, best].mean(axis=0)
    np.testing.assert_array_equal(clf.coef_, mean[:, :-1])
    np.testing.assert_array_equal(clf.intercept_, mean[:, -1])
    raw = X @ mean[:, :-1].T + mean[:, -1]
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[raw.argmax(axis=1)])


def test_n_jobs_gives_the_same_result():
    X, y = _iris()
    one = SoftmaxClassifierCV(Cs=3, cv=3).fit(X, y)
    two = SoftmaxClassifierCV(Cs=3, cv=3, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(one.coefs_paths_, two.coefs_paths_)
    np.testing.assert_array_equal(one.scores_, two.scores_)


def test_string_labels_and_pandas_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = _iris()
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = SoftmaxClassifierCV(Cs=3, cv=3).fit(frame, labels)
    assert clf.feature_names_in_.tolist() == ["a", "b", "c", "d"]
    assert set(clf.predict(frame)) <= set(labels)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.predict(frame)


def test_convergence_warning():
    X, y = _wine()
    with pytest.warns(ConvergenceWarning) as caught:
        SoftmaxClassifierCV(Cs=3, cv=3, max_iter=1).fit(X, y)
    # the path's folds, then the refit on all the data, each say so
    messages = [str(w.message) for w in caught]
    assert any("did not reach tol" in m for m in messages)
    assert any("did not converge: max_iter reached after 1 iterations" in m for m in messages)
    assert all(issubclass(w.category, ConvergenceWarning) for w in caught)


@pytest.mark.parametrize(
    "Cs, error, match",
    [
        ([1.0, -1.0], ValueError, r"Cs must be a non-empty 1-D array"),
        ([], ValueError, r"Cs must be a non-empty 1-D array"),
        ([[1.0, 2.0]], ValueError, r"Cs must be a non-empty 1-D array"),
        (["a", "b"], TypeError, r"Cs must be an int or a 1-D array of numbers"),
    ],
)
def test_bad_Cs(Cs, error, match):
    X, y = _iris()
    with pytest.raises(error, match=match):
        SoftmaxClassifierCV(Cs=Cs).fit(X, y)


def test_bad_parameters_and_metadata():
    X, y = _iris()
    with pytest.raises(InvalidParameterError, match="solver"):
        SoftmaxClassifierCV(solver="sgd").fit(X, y)
    with pytest.raises(InvalidParameterError, match="Cs"):
        SoftmaxClassifierCV(Cs=0).fit(X, y)
    with pytest.raises(ValueError, match="only one class"):
        SoftmaxClassifierCV().fit(X, np.zeros(150))
    with pytest.raises(
        ValueError, match=r"class_weight names labels that are not classes of the fit: \['3'\]"
    ):
        SoftmaxClassifierCV(Cs=2, refit=False, class_weight={"3": 2.0}).fit(X, y)
    # groups and other metadata need routing (as in scikit-learn's own CV estimators)
    with pytest.raises(ValueError, match="enable_metadata_routing"):
        SoftmaxClassifierCV(Cs=2).fit(X, y, groups=np.arange(150) % 3)
    # numpy's messages before: "need at least one array to stack", and "zero-size
    # array to reduction operation maximum which has no identity"
    with pytest.raises(ValueError, match=r"cv=\[\] gave no train/test splits"):
        SoftmaxClassifierCV(Cs=2, cv=[]).fit(X, y)
    weight = np.zeros(150)
    weight[::5] = 1.0  # the second fold trains on rows of zero weight only
    folds = [
        (np.arange(1, 150, 5), np.arange(0, 150, 5)),
        (np.arange(0, 150, 5), np.arange(1, 150, 5)),
    ]
    with pytest.raises(
        ValueError, match="The 30 training rows of a fold all have zero sample_weight"
    ):
        SoftmaxClassifierCV(Cs=2, cv=folds).fit(X, y, sample_weight=weight)


@pytest.mark.parametrize("data", [_wine, _synthetic, _iris])
def test_path_tangent_is_the_derivative_of_the_optimum_in_log_C(data):
    """The path's tangent from the fit's own Newton factor: d coef / d log C.

    Against central differences of optima at ``C e^{+-h}`` (truncation
    ``h^2 |coef'''| / 6``, about 1e-6 of the tangent here, and the fits' error
    ``tol / (h curvature)``, below that at tol=1e-12). The tangent's own
    error is that of the factor, of the Hessian at one of the fit's last
    iterates instead of at the optimum: relative ``|grad| cond`` at that
    iterate, below 1e-4 on these sets after a quadratically converging fit.
    A wrong sign, scale or coordinate map is off by order one.
    """
    from sk_softmax._fit import Settings, build_problem, solve, start_point
    from sk_softmax._path import tangent
    from sk_softmax._weights import weigh
    from sk_softmax.backends.numpy import NumpyData

    X, y = data()
    classes, codes = np.unique(y, return_inverse=True)
    data = NumpyData(X, codes, classes)
    settings = Settings(C=0.7, tol=1e-12, solver="newton-cholesky")
    weights = weigh(data, np.ones(len(y)), None, settings.C)

    def optimum(C, memory=None):
        problem = build_problem(data, weights, Settings(C=C, tol=1e-12))
        start = start_point(problem, settings.tol)
        at_C = Settings(C=C, tol=1e-12, solver="newton-cholesky")
        return problem, solve(problem, at_C, start, memory=memory).coef

    memory = {}
    problem, coef = optimum(settings.C, memory)
    slope = tangent(problem, memory, coef)
    h = 1e-3
    expected = (optimum(settings.C * np.exp(h))[1] - optimum(settings.C * np.exp(-h))[1]) / (2 * h)
    error = np.max(np.abs(slope - expected)) / np.max(np.abs(expected))
    assert error < 1e-4
    # another solver leaves no factor to take it from: no tangent, the secant instead
    memory = {}
    problem = build_problem(data, weights, settings)
    solve(problem, Settings(C=0.7, solver="newton-cg"), start_point(problem, 1e-8), memory=memory)
    assert tangent(problem, memory, coef) is None


@pytest.mark.parametrize("C", [2.0, 30.0, np.inf])
def test_path_start_is_chosen_by_the_objective_known_without_a_pass(C):
    """The last optimum's objective at the next ``C`` is its kept data term plus the new
    penalty (to rounding: the fit's ``F`` divided back by ``C S``); the extrapolation is
    taken where its objective is lower, and not where it points the wrong way."""
    from sk_softmax._fit import Settings, build_problem, solve, start_point
    from sk_softmax._path import _Optimum, _warm_start, data_loss, tangent
    from sk_softmax._weights import weigh
    from sk_softmax.backends.numpy import NumpyData

    X, y = _wine()
    data = NumpyData(X, y, np.unique(y))
    weights = weigh(data, np.full(len(y), 2.5), None, 1.0)
    memory = {}
    first = build_problem(data, weights, Settings(C=0.5))
    fit = solve(first, Settings(C=0.5), start_point(first, 1e-8), memory=memory)
    loss = data_loss(fit)
    direct = first.datafit.loss_original(fit.coef.ravel())
    assert abs(loss - direct) <= 1e-14 * max(1.0, abs(direct))
    slope = tangent(first, memory, fit.coef)
    if np.isinf(C):  # no log C to extrapolate to: the last optimum
        problem = build_problem(data, weights, Settings(C=C))
        history = [_Optimum(np.log(0.5), fit.coef, slope, loss)]
        assert _warm_start(problem, history, np.log(C)) is fit.coef
        return
    problem = build_problem(data, weights, Settings(C=C))
    objective = problem.smooth()

    def value(coef):
        return objective.loss_gradient(problem.to_solver(coef))[0]

    for sign in (1.0, -1.0):
        history = [_Optimum(np.log(0.5), fit.coef, sign * slope, loss)]
        start = _warm_start(problem, history, np.log(C))
        guess = fit.coef + (np.log(C) - np.log(0.5)) * sign * slope
        expected = guess if value(guess) < value(fit.coef) else fit.coef
        np.testing.assert_array_equal(start, expected)
        if sign > 0:
            assert start is not fit.coef  # along the tangent, up the path: lower
    assert abs(weights.normalise(weights.unnormalise(0.75, C), C) - 0.75) <= 4e-16


def test_path_tangent_is_none_when_the_fit_reused_another_Cs_factor():
    """A fit that starts at the last optimum and reuses the last C's factor throughout has
    no factor of its own objective: no tangent from it (the secant instead)."""
    from sk_softmax._fit import Settings, build_problem, solve, start_point
    from sk_softmax._path import tangent
    from sk_softmax._weights import weigh
    from sk_softmax.backends.numpy import NumpyData

    X, y = _wine()
    data = NumpyData(X, y, np.unique(y))
    weights = weigh(data, np.ones(len(y)), None, 1.0)
    memory = {}
    first = build_problem(data, weights, Settings(C=1.0))
    fit = solve(first, Settings(C=1.0), start_point(first, 1e-8), memory=memory)
    assert tangent(first, memory, fit.coef) is not None
    near = build_problem(data, weights, Settings(C=1.0 + 1e-9), shared=first.datafit)
    again = solve(near, Settings(C=1.0 + 1e-9), fit.coef, memory=memory)
    assert again.n_iter <= 1  # conjugate gradients on the kept factor, if anything
    assert tangent(near, memory, again.coef) is None


def test_a_fold_path_builds_its_standardised_design_once(monkeypatch):
    """Every C of a fold's path shares the first C's compact design (Rescaled)."""
    from sk_softmax.datafits import standardized

    built = []
    original = standardized.Compact.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(standardized.Compact, "__init__", counting)
    X, y = _wine()
    SoftmaxClassifierCV(Cs=6, cv=StratifiedKFold(3), refit=False).fit(X, y)
    assert len(built) == 3  # one per fold, not one per (fold, C)


def test_path_with_a_tiny_column_at_C_inf_matches_independent_fits():
    """At C=inf a column of 1e-160 is beyond the compact form, though the path's first C
    was not: that fit takes its own data term, not the first C's design rescaled by 1e160
    (whose Hessian overflowed: every C=inf fold fit ran out of iterations)."""
    from scipy.special import softmax

    X, y = make_classification(400, 6, n_informative=4, n_classes=3, flip_y=0.1, random_state=0)
    X[:, 5] *= 1e-160
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = SoftmaxClassifierCV(Cs=[1e-4, 1.0, np.inf], cv=cv).fit(X, y)
    for fold, (train, _) in enumerate(cv.split(X, y)):
        direct = SoftmaxClassifier(C=np.inf).fit(X[train], y[train])
        coef = clf.coefs_paths_[fold, 2]
        proba = softmax(X @ coef[:, :-1].T + coef[:, -1], axis=1)
        # both meet tol=1e-8 on a curvature of order 0.1: probabilities agree far closer than 1e-6
        np.testing.assert_allclose(proba, direct.predict_proba(X), atol=1e-6)
        assert clf.n_iter_[fold, 2] <= direct.n_iter_
