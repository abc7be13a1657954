"""What inference needs of a fitted estimator: its coefficients, its objective, its names.

Two estimators minimise the objective of the package, so the same inference
applies: :class:`~sk_softmax.SoftmaxClassifier` and a multinomial
:class:`~sklearn.linear_model.LogisticRegression` with an L2 penalty or
none. Both are read here into one :class:`Source`, in the conventions of
``SoftmaxClassifier`` (``C``, one row per class).
"""

from dataclasses import dataclass
from numbers import Real

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._classifier import SoftmaxClassifier
from ..datafits.array_api import as_numpy


@dataclass(frozen=True)
class Source:
    """A fitted estimator, as inference reads it.

    Attributes
    ----------
    name : str
        The estimator's class name, for tables and messages.
    coef : ndarray of shape (n_classes, n_dof)
        Its rows (intercept last), NumPy float64.
    classes : ndarray of shape (n_classes,)
    C : float
        ``C`` of ``SoftmaxClassifier``'s objective (``inf``: no penalty).
    fit_intercept : bool
    class_weight : dict, "balanced" or None
        Both estimators balance classes by their total ``sample_weight``.
    feature_names : ndarray of str or None
    converged : bool
        What the estimator says of its own fit.
    tol : float or None
        The gradient bound the fit guarantees on its training data (a
        converged full-batch ``SoftmaxClassifier``'s ``tol``; the largest
        entry of the gradient of ``F / (C S)`` in standardised coordinates),
        or None when the estimator guarantees none.
    """

    name: str
    coef: np.ndarray
    classes: np.ndarray
    C: float
    fit_intercept: bool
    class_weight: object
    feature_names: object
    converged: bool
    tol: object = None

    @property
    def n_features(self):
        return self.coef.shape[1] - int(self.fit_intercept)

    @property
    def penalised(self):
        return not np.isinf(self.C)


def _rows(estimator):
    """``coef_`` and ``intercept_`` as one NumPy (n_rows, n_dof) matrix, intercept last."""
    coef = np.asarray(as_numpy(estimator.coef_), dtype=np.float64)
    if estimator.fit_intercept:
        intercept = np.asarray(as_numpy(estimator.intercept_), dtype=np.float64).reshape(-1)
        coef = np.column_stack([coef, np.broadcast_to(intercept, coef.shape[:1])])
    return coef


def _logistic_C(estimator):
    """``C`` of a ``LogisticRegression`` whose penalty is L2 or none, else a clear error."""
    penalty = getattr(estimator, "penalty", "deprecated")
    l1_ratio = getattr(estimator, "l1_ratio", None)
    C = getattr(estimator, "C", None)
    if C is None:  # LogisticRegressionCV: the chosen C and l1_ratio (it has no l1_ratio)
        C = float(np.ravel(estimator.C_)[0])
        # l1_ratio_ holds None (an object array) when the search had no l1_ratios
        chosen = np.ravel(getattr(estimator, "l1_ratio_", [None]))[0]
        l1_ratio = None if chosen is None else float(chosen)
    if penalty is None:
        return np.inf
    l1_part = isinstance(l1_ratio, Real) and l1_ratio > 0
    if penalty == "l1" or (penalty in ("elasticnet", "deprecated") and l1_part and np.isfinite(C)):
        raise ValueError(
            "inference() supports LogisticRegression with an L2 penalty or none: this one "
            f"has an L1 part (penalty={penalty!r}, l1_ratio={l1_ratio!r}), whose estimates "
            "have no asymptotic normal law to report. Refit with l1_ratio=0 (L2), or "
            "C=np.inf (no penalty)."
        )
    return float(C)


def _read_logistic(estimator):
    check_is_fitted(estimator)
    if getattr(estimator, "solver", None) == "liblinear":
        raise ValueError(
            "inference() needs the objective of SoftmaxClassifier, but solver='liblinear' "
            "penalises the intercept (and fits one-vs-rest models for more than two "
            "classes): refit the LogisticRegression with another solver (the default "
            "'lbfgs', or 'newton-cholesky')."
        )
    C = _logistic_C(estimator)
    coef = _rows(estimator)
    classes = as_numpy(estimator.classes_)
    if coef.shape[0] == 1 and classes.size == 2:
        # binary: one row w is the two rows -w/2, w/2, and its own objective with C
        # is twice the softmax objective with C / 2 (sk_softmax.objective)
        coef = np.vstack([-coef / 2, coef / 2])
        C = C / 2
    n_iter = np.max(np.atleast_1d(getattr(estimator, "n_iter_", 0)))
    return Source(
        name=type(estimator).__name__,
        coef=coef,
        classes=classes,
        C=C,
        fit_intercept=bool(estimator.fit_intercept),
        class_weight=estimator.class_weight,
        feature_names=getattr(estimator, "feature_names_in_", None),
        converged=bool(n_iter < estimator.max_iter),
    )


def read_estimator(estimator):
    """The :class:`Source` of a fitted estimator, or a clear error for any other."""
    from sklearn.linear_model import LogisticRegression  # imported when needed

    if isinstance(estimator, LogisticRegression):
        return _read_logistic(estimator)
    if not isinstance(estimator, SoftmaxClassifier):
        raise TypeError(
            "inference() takes a fitted SoftmaxClassifier or a fitted multinomial "
            f"LogisticRegression, not a {type(estimator).__name__}. For a pipeline, pass "
            "its last step and the data transformed by the others: "
            "inference(pipe[-1], pipe[:-1].transform(X), y)."
        )
    check_is_fitted(estimator)
    l1_ratio = getattr(estimator, "l1_ratio", 0.0)
    if l1_ratio > 0 and np.isfinite(estimator.C):
        raise ValueError(
            f"inference() supports the L2 model (l1_ratio=0): this SoftmaxClassifier has "
            f"l1_ratio={l1_ratio!r}, whose estimates (exact zeros, chosen by the data) have no "
            "asymptotic normal law to report. Refit with l1_ratio=0 (on the features the "
            "sparse model kept, if that is the aim, knowing that the selection is not "
            "accounted for), or C=np.inf (no penalty)."
        )
    converged = bool(getattr(estimator, "converged_", True))
    guaranteed = converged and getattr(estimator, "solver_", None) != "sgd"
    return Source(
        name=type(estimator).__name__,
        coef=_rows(estimator),
        classes=as_numpy(estimator.classes_),
        C=float(estimator.C),
        fit_intercept=bool(estimator.fit_intercept),
        class_weight=estimator.class_weight,
        feature_names=getattr(estimator, "feature_names_in_", None),
        converged=converged,
        tol=float(estimator.tol) if guaranteed else None,
    )
