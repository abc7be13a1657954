"""Scoring the models of the cross-validation paths, as GridSearchCV scores its fits.

Each ``(fold, C)`` model of ``SoftmaxClassifierCV``'s paths becomes a fitted
:class:`~sk_softmax.SoftmaxClassifier` (without a refit) that the scorer
scores on the fold's test rows; the default scorer, accuracy, goes through
the one prediction kernel directly.
"""

import copy
import inspect

import numpy as np
from sklearn import config_context
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.utils import _safe_indexing

from ._classifier import SoftmaxClassifier
from ._predict import predict as predict_kernel


def default_scorer(request_weights):
    """Accuracy, weighted by ``sample_weight`` when it is given.

    Under metadata routing the scorer itself must ask for the weights; the
    default one does, so that ``scoring=None`` means weighted accuracy with
    routing on or off.
    """
    scorer = make_scorer(accuracy_score)
    if request_weights:
        with config_context(enable_metadata_routing=True):  # set_*_request needs it on
            scorer.set_score_request(sample_weight=True)
    return scorer


def _accuracy(model, X, y, sample_weight=None):
    """The default scorer's value, ``accuracy_score(y, model.predict(X), sample_weight)``.

    Computed as ``accuracy_score`` computes it (``np.average`` of the
    matches), without its and ``predict``'s checks of data already checked:
    on small folds those take longer than the fit (NaN if the test weights
    sum to zero, as a failed score in GridSearchCV). Weights whose sum
    exceeds the largest float (each below it, as the fit accepts) are
    divided by the largest first, which changes no average: summed as they
    are, they made every score NaN.
    """
    predicted = predict_kernel("predict", X, model.coef_, model.intercept_, model.classes_)
    if sample_weight is not None:
        with np.errstate(over="ignore"):
            total = np.sum(sample_weight)
        if not total > 0:
            return np.nan
        if np.isinf(total):
            sample_weight = sample_weight / np.max(sample_weight)
    return float(np.average(y == predicted, weights=sample_weight))


def _index_params(params, indices, n_samples):
    """Row subsets of the per-sample entries of ``params`` (others as they are)."""
    out = {}
    for key, value in params.items():
        if value is not None and hasattr(value, "__len__") and len(value) == n_samples:
            out[key] = _safe_indexing(value, indices)
        else:
            out[key] = value
    return out


def fold_estimator(params, classes, coef, n_iter, n_features, converged=True):
    """A fitted SoftmaxClassifier with the given coefficients, for a scorer."""
    model = SoftmaxClassifier(**params)
    model.classes_ = classes
    model.coef_ = np.ascontiguousarray(coef[:, :n_features])
    model.intercept_ = coef[:, -1].copy() if params["fit_intercept"] else np.zeros(classes.size)
    model.n_features_in_ = n_features
    model.n_iter_ = n_iter
    model.converged_ = bool(converged)
    model.solver_ = params["solver"]
    model.objective_ = None
    return model


def _with_labels(scorer, labels):
    """``scorer`` told the fold model's classes, if its metric takes ``labels``.

    A test fold may lack a class the model predicts (a rare class): log-loss
    and the Brier score then fail ("y_true and y_prob contain different
    number of classes") unless given the labels. LogisticRegressionCV passes
    them the same way, through the scorer's private ``_score_func`` and
    ``_kwargs`` (scikit-learn has no public way to add an argument to a
    built scorer); a callable scorer, or one already given labels, is
    left as it is.
    """
    function = getattr(scorer, "_score_func", None)
    kwargs = getattr(scorer, "_kwargs", None)
    if function is None or not isinstance(kwargs, dict) or "labels" in kwargs:
        return scorer
    try:
        takes_labels = "labels" in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return scorer
    if not takes_labels:
        return scorer
    told = copy.copy(scorer)
    told._kwargs = {**kwargs, "labels": labels}
    return told


def score_paths(folds, X, y, paths, Cs, classes, params, scorer, score_params, failures):
    """The score of every fold model on its test rows, shape (n_folds, n_Cs).

    ``paths`` as :func:`sk_softmax._path.fold_path` returns them, fold by
    fold; ``scorer`` None means the default scorer (weighted accuracy). A
    model the scorer fails on scores NaN, as GridSearchCV's default
    ``error_score=np.nan`` has it, and ``(fold, error)`` joins ``failures``
    (for :func:`~sk_softmax._cv_search.warn_scoring`).
    """
    scores = np.empty((len(folds), Cs.size))
    for i, ((_, test), (coefs, n_iter, present, converged)) in enumerate(
        zip(folds, paths, strict=True)
    ):
        X_test, y_test = _safe_indexing(X, test), _safe_indexing(y, test)
        fold_params = _index_params(score_params, test, X.shape[0])
        # every class, as LogisticRegressionCV tells them; only when the fold model has
        # them all (its probabilities have a column each): a fold without a class keeps
        # the metric's own labels, those of y_test and the predictions
        told = scorer is not None and present.all()
        fold_scorer = _with_labels(scorer, classes) if told else scorer
        for j in range(Cs.size):
            model = fold_estimator(
                {**params, "C": Cs[j]}, classes[present], coefs[j, present], n_iter[j],
                X.shape[1], converged[j],
            )  # fmt: skip
            if scorer is None:
                scores[i, j] = _accuracy(model, X_test, y_test, **fold_params)
            else:
                try:
                    scores[i, j] = fold_scorer(model, X_test, y_test, **fold_params)
                except Exception as error:  # noqa: BLE001 (any failure: GridSearchCV's NaN)
                    scores[i, j] = np.nan
                    failures.append((i, error))
    return scores
