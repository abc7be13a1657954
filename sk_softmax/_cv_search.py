"""The search of SoftmaxClassifierCV: its grid checked, the best point chosen, the final model.

What :class:`~sk_softmax.SoftmaxClassifierCV` does around the paths
(``_path``) and their scores (``_scoring``): the ``Cs`` and ``l1_ratios`` it
was given, checked with messages that name the fix; the best ``(l1_ratio,
C)`` as GridSearchCV ranks; the warnings the folds' fits leave; and the
model at the best point, refitted on all the rows or averaged over the
folds.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._classifier import SoftmaxClassifier
from ._scoring import fold_estimator


def best(scores):
    """The index of the best mean score over the folds, the first on ties.

    Exactly as GridSearchCV ranks: ``np.average`` over the splits, NaN
    scores last.
    """
    mean_scores = np.average(scores, axis=0)
    if np.isnan(mean_scores).all():
        unscored = np.flatnonzero(np.isnan(scores).all(axis=1)).tolist()
        if not np.isnan(scores).all() and unscored:
            raise ValueError(
                f"Every mean score is NaN: the scorer could score no C on the folds "
                f"{unscored} (the warning before this error gives its error), so no C has a "
                "score on every fold. With a probability metric, a fold whose training rows "
                "lack a class its test rows hold cannot be scored: use stratified folds, "
                "fewer folds, or a metric of the predicted labels (accuracy, say)."
            )
        raise ValueError(
            "Every score is NaN: the scorer could not score any fold model. Check scoring "
            "(and the warning that names the scorer's error, if it failed)."
        )
    return int(np.flatnonzero(mean_scores == np.nanmax(mean_scores))[0])


def checked_l1_ratios(l1_ratios):
    """``l1_ratios`` as an array of numbers in [0, 1] (``[0.0]`` for None)."""
    if l1_ratios is None:
        return np.array([0.0])
    ratios = np.asarray(l1_ratios, dtype=np.float64)
    if ratios.ndim != 1 or ratios.size == 0 or not np.all((ratios >= 0) & (ratios <= 1)):
        raise ValueError(
            f"l1_ratios must be a non-empty 1-D array of numbers in [0, 1]; got {l1_ratios!r}."
        )
    return ratios


def warn_scoring(failures, present, folds, y_codes):
    """Warn of the fold models the scorer failed on (scored NaN), with its first error.

    A fold whose training rows lack a class that its test rows hold has a
    model without that class, which probability metrics cannot score: the
    message says so when such a fold failed.
    """
    if not failures:
        return
    failed = sorted({fold for fold, _ in failures})
    error = failures[0][1]
    lacking = [
        fold for fold in failed
        if not present[fold][np.unique(y_codes[folds[fold][1]])].all()
    ]  # fmt: skip
    cause = (
        f" The training rows of folds {lacking} lack classes that their test rows hold, so "
        "their models have no probability for those classes: use stratified folds, fewer "
        "folds, or a metric of the predicted labels (accuracy, say)."
        if lacking else ""
    )  # fmt: skip
    text = f"{type(error).__name__}: {str(error).rstrip('.')}"
    text = text if len(text) <= 300 else text[:297] + "..."
    warnings.warn(
        f"The scorer failed on {len(failures)} fold models (folds {failed}), whose scores are "
        f"NaN, as GridSearchCV's default error_score sets them. Its first error: {text}.{cause}",
        UserWarning,
        stacklevel=5,  # warn_scoring, fit and its two decorators, then the caller
    )


def warn_paths(grids, converged, present, classes, tol):
    """Warn of classes missing from some training fold, and of fold fits short of ``tol``."""
    missing = ~present.all(axis=0)
    if missing.any():
        warnings.warn(
            f"The classes {classes[missing].tolist()!r} have no positive weight in the "
            "training rows of some folds: those folds' models are fitted without them "
            "and never predict them (their rows in coefs_paths_ are NaN). Use stratified "
            "folds, or fewer folds.",
            UserWarning,
            stacklevel=5,  # warn_paths, fit and its two decorators, then the caller
        )
    rows, cols = np.nonzero(~converged.all(axis=0))
    unconverged = sorted({float(grids[r, j]) for r, j in zip(rows, cols, strict=True)})
    if unconverged:
        warnings.warn(
            f"SoftmaxClassifierCV: the solver did not reach tol={tol} in some folds "
            f"at C in {unconverged!r}. Increase max_iter, or loosen tol; a very large C "
            "on (nearly) separable classes lets the coefficients grow without bound.",
            ConvergenceWarning,
            stacklevel=5,  # warn_paths, fit and its two decorators, then the caller
        )


def final_model(estimator, X, y, sample_weight, C, l1_ratio, fold_coefs, classes, n_features):
    """``estimator``'s SoftmaxClassifier refitted at ``C``, or the folds' mean (refit=False)."""
    complete = not np.isnan(fold_coefs).any()
    params = {**estimator._model_params(), "l1_ratio": l1_ratio}
    if estimator.refit:
        # Started from the fold models' mean at C (when they all have every
        # class), near the optimum on all the rows: the same optimum to tol.
        model = SoftmaxClassifier(C=C, warm_start=complete, **params)
        if complete:
            start = fold_estimator(params, classes, fold_coefs.mean(axis=0), 0, n_features)
            model.classes_, model.coef_ = classes, start.coef_
            model.intercept_ = start.intercept_
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(X, y, sample_weight=sample_weight)
        for warning in caught:  # at the caller's line: final_model, fit, its two decorators
            warnings.warn(warning.message, warning.category, stacklevel=5)
        return model.set_params(warm_start=False)
    if not complete:
        raise ValueError(
            "refit=False averages the fold models at the best C, but some class has no "
            "weight in some training fold, so those models lack it. Use refit=True, or "
            "folds whose training rows hold every class."
        )
    model = fold_estimator({**params, "C": C}, classes, fold_coefs.mean(axis=0), 0, n_features)
    if hasattr(estimator, "feature_names_in_"):
        model.feature_names_in_ = estimator.feature_names_in_
    return model
