"""SoftmaxClassifierCV: the penalty C chosen by cross-validation along a warm-started path.

For every fold the model is fitted at every ``C`` by the fit pipeline of
:class:`~sk_softmax.SoftmaxClassifier`, along a warm-started path
(``sk_softmax._path``): no estimator is validated, cloned or refitted per
``(fold, C)``. Fold models are scored through the one prediction kernel.
"""

import functools
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.metrics import get_scorer_names
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metadata_routing import _raise_for_params, _routing_enabled, process_routing
from sklearn.utils.parallel import Parallel
from sklearn.utils.validation import check_is_fitted

from ._classifier import SoftmaxClassifier
from ._cv_routing import ScoringAndRouting
from ._cv_search import best, checked_l1_ratios, final_model, warn_paths, warn_scoring
from ._grids import cv_grids
from ._parameters import MODEL_CONSTRAINTS
from ._path import cv_paths
from ._scoring import score_paths
from ._validation import (
    all_or_nothing,
    check_two_classes,
    checked_Cs,
    checked_sample_weight,
    validated_xy,
)
from ._weights import class_weight_vector
from .backends.numpy import encode
from .solvers import SOLVERS


def _delegated(name):
    """``SoftmaxClassifierCV.name``: the final model's ``name``, with its docstring."""
    method = getattr(SoftmaxClassifier, name)

    @functools.wraps(method)
    def delegate(self, X):
        check_is_fitted(self)
        return getattr(self._model, name)(X)

    return delegate


class SoftmaxClassifierCV(ScoringAndRouting, ClassifierMixin, BaseEstimator):
    """Softmax regression with the penalty ``C`` chosen by cross-validation.

    For every fold of ``cv`` the model of :class:`SoftmaxClassifier` is
    fitted on the training rows at every value of ``Cs``, along a
    warm-started path: from the smallest ``C`` to the largest, each fit
    starts from the previous solution. Each ``(fold, C)`` model is scored on
    the fold's test rows; the ``C`` with the best mean score over the folds
    is kept (ties go to the first such ``C`` in the order of ``Cs``, as in
    :class:`~sklearn.model_selection.GridSearchCV`), and with ``refit=True``
    the model is fitted on all the data at that ``C``.

    Every fold model is the optimum of its training rows to ``tol``, the
    same model ``SoftmaxClassifier(C=c)`` fits on them, so the scores, and
    the ``C`` chosen, are those of ``GridSearchCV(SoftmaxClassifier(),
    {"C": Cs}, cv=cv)`` with the same folds, several times faster.

    Parameters
    ----------
    Cs : int or array-like of shape (n_Cs,), default=10
        The values of ``C`` (inverse penalty strength, in ``(0, inf]``) to
        try, in the order that breaks ties; an int ``n`` means
        ``np.logspace(-4, 4, n)`` for the ridge, as in
        :class:`~sklearn.linear_model.LogisticRegressionCV`, and for a sparse
        penalty ``n`` values evenly spaced in ``log C`` above ``C_0``, the
        largest ``C`` at which every weight is zero (computed on all the
        rows, see :func:`~sk_softmax.softmax_path`), up to ``1e4 C_0``
        (``C_0 10^(4 k / n)``, ``k = 1..n``: each fold's path starts from the
        empty model at ``C_0``, which needs no fit and no score).
    l1_ratios : None or array-like of shape (n_l1_ratios,), default=None
        The values of :class:`SoftmaxClassifier`'s ``l1_ratio`` to try, each
        with its own path over ``C`` (ties go to the first l1_ratio, then the
        first ``C``). None is the ridge alone, and keeps the attributes'
        shapes without an l1_ratio axis.
    l1_groups : None, "features" or array-like of shape (n_features,), default=None
        As in :class:`SoftmaxClassifier`, for the l1_ratios above 0.
    cv : int, cross-validation generator or iterable, default=None
        The folds, as in :func:`~sklearn.model_selection.check_cv`: None
        for 5-fold stratified, an int for that many stratified folds, a
        splitter, or an iterable of ``(train, test)`` index arrays.
    scoring : str, callable or None, default=None
        The score maximised, as in
        :func:`~sklearn.metrics.check_scoring`. None means accuracy,
        weighted by ``sample_weight`` when it is given. A fold model the
        scorer fails on scores NaN with a warning (GridSearchCV's default
        ``error_score=np.nan``); NaN mean scores rank last, and a search
        left with none is a ValueError. Probability metrics fail on a fold
        whose training rows lack a class its test rows hold: at every ``C``,
        which stops the fit with that error.
    refit : bool, default=True
        Whether to fit the final model on all the data at the best ``C``.
        With False, the final coefficients are the mean over the folds of the
        fold models' coefficients at the best ``C`` (the best mean score):
        no extra fit. :class:`~sklearn.linear_model.LogisticRegressionCV`
        averages instead each fold's model at that fold's own best ``C``,
        and reports the mean of those Cs as ``C_``. That needs every class
        in every training fold, and raises a ValueError otherwise.
    fit_intercept : bool, default=True
        Whether to fit the intercept, as in :class:`SoftmaxClassifier`.
    class_weight : dict, "balanced" or None, default=None
        As in :class:`SoftmaxClassifier`, applied to each training fold on
        its own ("balanced" weighs the fold's classes; a dict's labels that
        a fold lacks are ignored there), so that each fold model is the one
        ``SoftmaxClassifier(class_weight=...)`` fits on it.
    solver : {"auto", "lbfgs", "newton-cg", "newton-cholesky", "prox-newton"}, default="auto"
        As in :class:`SoftmaxClassifier` (not "sgd": its minibatch epochs gain
        nothing on a warm-started path, where each fit starts near its optimum).
    tol : float, default=1e-8
        Gradient tolerance of every fit, as in :class:`SoftmaxClassifier`.
    max_iter : int, default=100
        Maximum number of solver iterations per fit.
    verbose : int, default=0
        Print every solver iteration when positive.
    n_jobs : int or None, default=None
        Folds fitted in parallel by :class:`joblib.Parallel` (None: one, -1:
        all cores).

    Attributes
    ----------
    C_ : float
        The ``C`` with the best mean score.
    l1_ratio_ : float
        The l1_ratio with the best mean score (0 when ``l1_ratios`` is None).
    Cs_ : ndarray of shape (n_Cs,) or (n_l1_ratios, n_Cs)
        The values of ``C`` tried, in the given order (one row per l1_ratio
        when ``l1_ratios`` is given).
    scores_ : ndarray of shape (n_folds, n_Cs) or (n_folds, n_l1_ratios, n_Cs)
        The score of each fold model on its test rows.
    coefs_paths_ : ndarray
        The fold models' coefficients, shape (n_folds, [n_l1_ratios,] n_Cs,
        n_classes, n_features + fit_intercept), intercept in the last column. A class
        with no positive weight in a fold's training rows is left out of that
        fold's fit (it has no finite optimum: its probability would go to
        zero); its rows there are NaN, and a :class:`UserWarning` says so.
    n_iter_ : ndarray of shape (n_folds, [n_l1_ratios,] n_Cs)
        Solver iterations of each fold model (0 when the warm start already
        met ``tol``).
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (n_classes, n_features)
        The final weights.
    intercept_ : ndarray of shape (n_classes,)
        The final intercepts (zeros if ``fit_intercept=False``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    SoftmaxClassifier : the model at one ``C``.
    sklearn.linear_model.LogisticRegressionCV : the same search for logistic regression.

    Notes
    -----
    ``sample_weight`` weighs the training rows of every fit and the test
    rows of every score (it is passed to the scorer, whichever it is, as
    LogisticRegressionCV passes it: a callable scorer must take it). Under metadata routing
    (``sklearn.set_config(enable_metadata_routing=True)``) this estimator is
    a router: ``groups`` and other split parameters go to ``cv``, and the
    scorer gets what it requests (the default scorer requests
    ``sample_weight``).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sk_softmax import SoftmaxClassifierCV
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxClassifierCV(Cs=[0.01, 0.1, 1.0, 10.0]).fit(X, y)
    >>> float(clf.C_)  # ties with 10.0: the first in the order of Cs wins
    1.0
    >>> clf.scores_.shape, clf.coefs_paths_.shape
    ((5, 4), (5, 4, 3, 5))
    >>> clf.scores_.mean(axis=0).round(3)
    array([0.86 , 0.947, 0.973, 0.973])
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    """

    _parameter_constraints = {
        "Cs": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "cv": ["cv_object"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "refit": ["boolean"],
        **MODEL_CONSTRAINTS,
        "solver": [StrOptions({"auto", *SOLVERS})],
        "n_jobs": [Integral, None],
        "l1_ratios": [None, "array-like"],
    }

    def __init__(
        self,
        Cs=10,
        *,
        l1_ratios=None,
        l1_groups=None,
        cv=None,
        scoring=None,
        refit=True,
        fit_intercept=True,
        class_weight=None,
        solver="auto",
        tol=1e-8,
        max_iter=100,
        verbose=0,
        n_jobs=None,
    ):
        self.Cs = Cs
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.l1_ratios = l1_ratios
        self.l1_groups = l1_groups

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.poor_score = not self.fit_intercept  # as SoftmaxClassifier
        return tags

    # -- parameters -------------------------------------------------------------
    def _model_params(self):
        """The SoftmaxClassifier parameters of every fold model and of the refit."""
        return {
            "fit_intercept": self.fit_intercept,
            "class_weight": self.class_weight,
            "solver": self.solver,
            "tol": self.tol,
            "max_iter": self.max_iter,
            "verbose": self.verbose,
            "l1_groups": self.l1_groups,
        }

    # -- fit --------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    @all_or_nothing
    def fit(self, X, y, sample_weight=None, **params):
        """Choose ``C`` by cross-validation, then fit the final model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, as for :meth:`SoftmaxClassifier.fit`.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows, in every fit and every score
            (passed to the scorer); integer weights equal repeated rows.
        **params : dict
            Only with metadata routing enabled: parameters of the splitter's
            ``split`` (e.g. ``groups``) and of the scorer, as requested.

        Returns
        -------
        self : SoftmaxClassifierCV
            The fitted estimator.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sk_softmax import SoftmaxClassifierCV
        >>> X, y = load_iris(return_X_y=True)
        >>> search = SoftmaxClassifierCV(Cs=3).fit(X, y)
        >>> search.Cs_.tolist(), float(search.C_), search.scores_.shape
        ([0.0001, 1.0, 10000.0], 1.0, (5, 3))
        """
        _raise_for_params(params, self, "fit")
        from .backends.array_api import PATHS_FIX, check_numpy_only

        check_numpy_only(X, "SoftmaxClassifierCV.fit", PATHS_FIX)
        X_input = X
        X, y = validated_xy(self, X, y)
        classes, y_codes = encode(y)
        check_two_classes(classes, "SoftmaxClassifierCV")
        Cs = checked_Cs(self.Cs)
        # checked here on all the labels: the folds ignore the ones they lack
        class_weight_vector(self.class_weight, classes, np.ones(classes.size))
        given = {} if sample_weight is None else {"sample_weight": sample_weight}
        sample_weight = checked_sample_weight(sample_weight, X)
        if given:
            given["sample_weight"] = sample_weight
        if _routing_enabled():
            routed = process_routing(self, "fit", **given, **params)
            split_params, score_params = routed.splitter.split, routed.scorer.score
            scorer = self._get_scorer(request_weights=True)
        else:
            split_params, score_params = {}, given
            scorer = self._get_scorer()
        folds = list(check_cv(self.cv, y, classifier=True).split(X, y, **split_params))
        if not folds:
            raise ValueError(
                f"cv={self.cv!r} gave no train/test splits: give the number of folds (at "
                "least 2), a splitter, or a non-empty iterable of (train, test) index arrays."
            )

        model_params = self._model_params()
        ratios = checked_l1_ratios(self.l1_ratios)
        grids = cv_grids(X, y_codes, classes, sample_weight, model_params, Cs, ratios)
        paths, coefs, n_iter, present, converged = cv_paths(
            X, y_codes, classes, sample_weight, folds, model_params, grids, ratios,
            Parallel(n_jobs=self.n_jobs),
        )  # fmt: skip
        warn_paths(grids, converged, present, classes, self.tol)
        scorer = None if self.scoring is None else scorer
        failures = []  # (fold, error) of the fold models the scorer failed on
        scores = np.stack([
            score_paths(folds, X, y, path, grid, classes, {**model_params, "l1_ratio": ratio},
                        scorer, score_params, failures)
            for path, grid, ratio in zip(paths, grids, ratios, strict=True)
        ], axis=1)  # fmt: skip
        warn_scoring(failures, present, folds, y_codes)
        best_r, best_C = divmod(best(scores.reshape(len(folds), -1)), grids.shape[1])
        final = final_model(
            self, X_input, y, sample_weight, grids[best_r, best_C], ratios[best_r],
            coefs[:, best_r, best_C], classes, X.shape[1],
        )  # fmt: skip
        squeeze = (lambda a: a[:, 0]) if self.l1_ratios is None else (lambda a: a)
        self.Cs_ = grids[0] if self.l1_ratios is None else grids
        self.C_, self.l1_ratio_ = grids[best_r, best_C], float(ratios[best_r])
        self.scores_, self.coefs_paths_, self.n_iter_ = map(squeeze, (scores, coefs, n_iter))
        self.classes_, self.coef_, self.intercept_ = classes, final.coef_, final.intercept_
        self._model = final
        return self

    # -- prediction: the final SoftmaxClassifier's --------------------------------
    decision_function = _delegated("decision_function")
    predict_log_proba = _delegated("predict_log_proba")
    predict_proba = _delegated("predict_proba")
    predict = _delegated("predict")
