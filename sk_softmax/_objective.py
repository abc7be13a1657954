"""The objective ``F`` evaluated at any fitted linear classifier's coefficients."""

from numbers import Real

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_consistent_length,
    column_or_1d,
)

from .datafits.array_api import as_numpy
from .datafits.numpy import SoftmaxDatafit
from .penalties import make_penalty


def objective(estimator, X, y, *, C=None, l1_ratio=None, l1_groups=None, sample_weight=None):
    """The penalised cross-entropy ``F`` of a fitted linear classifier.

    ``F(W, b) = C * sum_i s_i * CE_i + (1 - r)/2 * ||W||_F^2 + r * P(W)``
    with ``s_i = sample_weight_i`` (class weights are not applied), ``r`` the
    l1_ratio and ``P`` the L1 norm (or its grouped forms, see
    :class:`SoftmaxClassifier`'s ``l1_groups``), evaluated at
    ``estimator.coef_`` and ``estimator.intercept_``. Works for
    :class:`SoftmaxClassifier` and for
    :class:`~sklearn.linear_model.LogisticRegression`, so that both can be
    compared on the objective they share. A binary ``LogisticRegression``
    (one row ``w``) is read as the two rows ``-w/2, w/2``, which give the same
    probabilities; its own objective with ``C' = 2 C / (1 + r)`` and
    ``l1_ratio' = 2 r / (1 + r)`` is then ``2 / (1 + r)`` times this one
    (twice, for the ridge).

    Parameters
    ----------
    estimator : fitted classifier with ``coef_``, ``intercept_``, ``classes_``
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Labels, all of them in ``estimator.classes_``.
    C : float, default=None
        The penalty's ``C``; defaults to the estimator's (a CV estimator's
        chosen ``C_``; ``inf`` for ``LogisticRegression(penalty=None)``), or
        for a binary ``LogisticRegression`` (one row) to the ``C`` of the
        softmax model it equals, ``C' (1 + r) / 2``.
    l1_ratio : float, default=None
        The penalty's ``r``; defaults to the estimator's (a CV estimator's
        chosen ``l1_ratio_``; 1 or 0 for ``LogisticRegression``'s ``penalty``
        "l1" or "l2"; 0 if it has none), or for a binary
        ``LogisticRegression`` to ``r' / (2 - r')``. So
        ``objective(lr, X, y)`` and ``objective(ours, X, y)`` agree for the two
        estimators that share an optimum, binary or not.
    l1_groups : None, "features" or array-like, default=None
        The groups of ``P``; defaults to ``estimator.l1_groups`` (None if absent).
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    F : float

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sk_softmax import SoftmaxClassifier, objective
    >>> X, y = load_iris(return_X_y=True)
    >>> ours = SoftmaxClassifier().fit(X, y)
    >>> theirs = LogisticRegression(solver="newton-cholesky", tol=1e-10).fit(X, y)
    >>> bool(abs(objective(theirs, X, y) - objective(ours, X, y)) < 1e-8 * objective(ours, X, y))
    True
    """
    from .backends.array_api import check_numpy_only

    check_numpy_only(
        X, "objective", "it evaluates F in NumPy. Convert X, y and the fitted arrays to NumPy "
        "(or call it with array_api_dispatch off, on NumPy copies of the data).",
    )  # fmt: skip
    missing = [name for name in ("coef_", "intercept_", "classes_") if not hasattr(estimator, name)]
    if missing:  # any object with the three will do (not only scikit-learn estimators)
        raise NotFittedError(
            f"{type(estimator).__name__} has no {', '.join(missing)}: objective needs a "
            "fitted classifier. Call its fit first."
        )
    # NumPy copies: a model fitted on Array API data keeps its arrays in their namespace
    coef_, intercept_, classes = (
        as_numpy(getattr(estimator, name)) for name in ("coef_", "intercept_", "classes_")
    )
    # a binary LogisticRegression's one row w: the softmax model of rows -w/2, w/2
    binary = np.shape(coef_)[0] == 1 and np.size(classes) == 2
    C, l1_ratio = _penalty_of(estimator, C, l1_ratio, binary)
    if l1_groups is None:
        l1_groups = getattr(estimator, "l1_groups", None)
    X = check_array(X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32])
    y = column_or_1d(y)
    check_consistent_length(X, y)
    if X.shape[1] != np.shape(coef_)[1]:
        raise ValueError(
            f"X has {X.shape[1]} features, but the estimator was fitted on "
            f"{np.shape(coef_)[1]}: pass the data it was fitted on, or like it."
        )
    codes = np.searchsorted(classes, y)
    if np.any(codes >= classes.size) or np.any(classes[np.minimum(codes, classes.size - 1)] != y):
        raise ValueError("y has labels that are not in estimator.classes_")
    coef = np.asarray(coef_, dtype=np.float64)
    intercept = np.broadcast_to(np.asarray(intercept_, dtype=np.float64), (coef.shape[0],))
    if binary:
        coef = np.vstack([-coef / 2, coef / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    total = sw.sum()
    alpha = 0.0 if np.isinf(C) else 1.0 / (C * total)
    full = np.hstack([coef, intercept[:, None]])
    datafit = SoftmaxDatafit(X, codes, classes.size, sw, fit_intercept=True)
    penalty = make_penalty(alpha, X.shape[1], True, l1_ratio, l1_groups)
    value = datafit.loss(full.ravel()) + penalty.value(full)
    return value * total * (1.0 if np.isinf(C) else C)


def _penalty_of(estimator, C, l1_ratio, binary):
    """``(C, l1_ratio)`` of ``F``: those given, else the estimator's, checked.

    A binary ``LogisticRegression`` (one row ``w``, read as ``-w/2, w/2``)
    with ``C'`` and ``r'`` minimises ``2 / (1 + r)`` times ``F`` at ``C = C'
    (1 + r) / 2`` and ``r = r' / (2 - r')`` (the theory page's two-class
    section): its defaults are those, so that it is compared with the
    softmax model it equals. Only what is not given is read from the
    estimator.
    """
    if l1_ratio is None:
        own_ratio = _fitted_ratio(estimator)
        l1_ratio = own_ratio / (2.0 - own_ratio) if binary else own_ratio
    if C is None:
        C = _fitted_C(estimator)
        if binary:
            _check_penalty(C, l1_ratio)
            C = C * (1.0 + l1_ratio) / 2.0
    _check_penalty(C, l1_ratio)
    return C, l1_ratio


def _fitted_C(estimator):
    """The ``C`` the estimator was fitted with, in its own terms.

    A CV estimator's chosen ``C_`` (scikit-learn's holds one per class, all
    equal for a multinomial model); ``inf`` for ``LogisticRegression``'s
    ``penalty=None`` (deprecated in scikit-learn 1.8).
    """
    if getattr(estimator, "penalty", "deprecated") is None:
        return np.inf
    C = getattr(estimator, "C_", getattr(estimator, "C", None))
    if C is None:
        raise TypeError(
            f"objective cannot tell the C of a {type(estimator).__name__} (it has neither C_ "
            "nor C): pass C=, and l1_ratio= for a sparse model."
        )
    return np.ravel(C)[0] if np.ndim(C) else C


def _fitted_ratio(estimator):
    """The estimator's ``l1_ratio_`` or ``l1_ratio`` (a CV's per class: the first), else 0.

    ``LogisticRegression``'s deprecated ``penalty`` "l1" or "l2" sets it to 1 or 0.
    """
    penalty = getattr(estimator, "penalty", "deprecated")
    if penalty in ("l1", "l2"):
        return 1.0 if penalty == "l1" else 0.0
    ratio = getattr(estimator, "l1_ratio_", getattr(estimator, "l1_ratio", None))
    ratio = np.ravel(ratio)[0] if np.ndim(ratio) else ratio
    return 0.0 if ratio is None else ratio


def _check_penalty(C, l1_ratio):
    """``C`` positive (inf: no penalty) and ``l1_ratio`` in [0, 1], or a message saying so."""
    if isinstance(C, bool) or not isinstance(C, Real) or not C > 0:
        raise ValueError(f"C must be a positive number (np.inf for no penalty); got {C!r}.")
    if isinstance(l1_ratio, bool) or not isinstance(l1_ratio, Real) or not 0 <= l1_ratio <= 1:
        raise ValueError(f"l1_ratio must be a number in [0, 1]; got {l1_ratio!r}.")
