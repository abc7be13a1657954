"""NumPy and SciPy data: validation, the training data the pipeline asks for, predictions."""

import numpy as np
from scipy import sparse
from sklearn.utils.validation import validate_data

from .._predict import predict as predict_kernel
from .._validation import (
    check_classification_target,
    check_two_classes,
    checked_sample_weight,
    numeric_errors,
    plain_x,
    validated_xy,
)
from ..datafits._blocks import random_rows, tall_sample_rows
from ..datafits.moments import column_moments
from ..datafits.standardized import in_coordinates


class NumpyData:
    """Validated NumPy or SciPy training data, and the passes over it the pipeline needs.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        float64 or float32; CSR or CSC when sparse.
    y_codes : ndarray of shape (n_samples,), int
        Class codes in ``range(n_classes)``.
    classes : ndarray of shape (n_classes,)
        The labels.
    """

    def __init__(self, X, y_codes, classes):
        self.X = X
        self.y_codes = y_codes
        self.classes = self.classes_numpy = classes
        self.n_samples, self.n_features = X.shape
        self.n_classes = len(classes)

    def rows(self, index):
        """The same data restricted to the rows ``index``."""
        return NumpyData(self.X[index], self.y_codes[index], self.classes)

    def max(self, array):
        return float(array.max())

    def class_totals(self, weights):
        return np.bincount(self.y_codes, weights=weights, minlength=self.n_classes)

    def reweigh(self, weights, factor):
        return weights * factor[self.y_codes]

    def moments(self, weights, center):
        """The columns' weighted centres and spreads; on tall dense data, of a sample of rows.

        They only choose the solvers' standardised coordinates: the function
        and its optimum do not depend on them (:mod:`~sk_softmax.datafits.standardized`).
        So on data tall enough for the subsampled Newton steps (at least
        ``400 n_coef`` rows of positive weight:
        :func:`~sk_softmax.datafits._blocks.tall_sample_rows`), ``50 n_coef``
        random rows of positive weight estimate them to a few per cent, and
        spare a pass over ``X``.
        """
        n_coef = self.n_classes * (self.n_features + int(center))
        tall = tall_sample_rows(self.n_samples, self.n_samples, n_coef) is not None
        if isinstance(self.X, np.ndarray) and tall:
            weighted = np.flatnonzero(weights > 0)
            n_rows = tall_sample_rows(self.n_samples, weighted.size, n_coef)
            if n_rows is not None:
                rows = random_rows(weighted, n_rows)
                return column_moments(self.X[rows], weights[rows], center)
        return column_moments(self.X, weights, center)

    def datafit(self, weights, coordinates, n_threads=1):
        """The data term in the solvers' coordinates (one standardised copy when small)."""
        return in_coordinates(
            self.X, self.y_codes, self.n_classes, weights.weights, coordinates, n_threads
        )

    def numpy(self, weights):
        """``(X, y_codes, weights)`` as NumPy/SciPy arrays, for diagnostics."""
        return self.X, self.y_codes, weights

    def attributes(self, coef, fit_intercept):
        """``classes_``, ``coef_`` and ``intercept_`` for a model's ``(n_classes, n_dof)`` coef."""
        return {
            "classes_": self.classes,
            "coef_": np.ascontiguousarray(coef[:, : self.n_features]),
            "intercept_": coef[:, -1].copy() if fit_intercept else np.zeros(self.n_classes),
        }


def encode(y):
    """``(classes, codes)`` of 1-D labels, checked to be class labels.

    ``np.unique``'s, but non-negative integer labels of a bounded range take a
    count and a lookup table instead of a sort: 2 ms instead of 36 to 98 ms
    on 1e6 labels (a sort, every fit).
    """
    check_classification_target(y)
    y = np.asarray(y)
    if y.dtype.kind in "iu" and y.ndim == 1 and y.size:
        low, high = int(y.min()), int(y.max())
        if low >= 0 and high <= max(1024, 4 * y.size):
            present = np.flatnonzero(np.bincount(y, minlength=high + 1))
            lookup = np.zeros(high + 1, dtype=np.intp)
            lookup[present] = np.arange(present.size)
            return present.astype(y.dtype), lookup[y]
    classes, codes = np.unique(y, return_inverse=True)
    return classes, codes.reshape(-1)


def fit_data(estimator, X, y, sample_weight, reset=True):
    """Validate ``X, y, sample_weight``; ``(NumpyData, sample_weight)``, labels encoded.

    Records ``n_features_in_`` and ``feature_names_in_`` on ``estimator``
    (as scikit-learn's ``validate_data`` does), so a caller that fails later
    must restore them (``_validation.all_or_nothing``).
    """
    X, y = validated_xy(estimator, X, y, reset=reset)
    classes, codes = encode(y)
    check_two_classes(classes)
    sample_weight = checked_sample_weight(sample_weight, X)
    if sparse.issparse(X) and X.format not in ("csr", "csc"):
        X = X.tocsr()
    return NumpyData(X, codes, classes), sample_weight


def _is_valid_already(estimator, X):
    """Whether ``validate_data(estimator, X, reset=False)`` would return ``X`` as it is.

    True for a plain matrix (``_validation.plain_x``: finite float64 or
    float32 NumPy) with ``n_features_in_`` columns, for an estimator fitted
    without feature names: scikit-learn's checks would pass it unchanged,
    with no error and no warning. Measured reason for skipping them then: on
    one row of digits (64 features), scikit-learn 1.9's ``validate_data``
    took 61 us of ``predict_proba``'s 94 us (the kernel 19 us), mostly
    detecting data frames and feature names, which made ours slower than
    ``LogisticRegression.predict_proba`` (91 us); with the skip, 26 us
    (``benchmarks/bench_predict.py``). Anything else takes the full checks.
    """
    return (
        plain_x(X)
        and X.shape[1] == getattr(estimator, "n_features_in_", None)
        and not hasattr(estimator, "feature_names_in_")
    )


def predict(estimator, method, X):
    """``method`` of the fitted ``estimator`` on NumPy or SciPy ``X``."""
    if not _is_valid_already(estimator, X):
        with numeric_errors("X"):
            X = validate_data(
                estimator, X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32],
                reset=False,
            )  # fmt: skip
    return predict_kernel(method, X, estimator.coef_, estimator.intercept_, estimator.classes_)


def _stream_classes(classes, known):
    """The classes of a stream: given on the first call (``known`` None), fixed after."""
    if classes is not None:
        classes = np.asarray(classes)
        if classes.ndim != 1:
            raise ValueError(f"classes must be a 1-D array of labels, got shape {classes.shape}.")
        if np.any(classes != classes):  # NaN: a label no batch can show (y refuses NaN)
            raise ValueError(
                "classes holds NaN: a missing value is not a class label. Drop it, and the "
                "rows whose label is missing."
            )
        unique = np.unique(classes)
        if unique.size < 2:
            raise ValueError(
                "classes must list at least 2 distinct labels for partial_fit, got "
                f"{unique.tolist()!r}."
            )
    if known is None:
        if classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: the list of "
                "every label the stream can contain, e.g. classes=np.unique(y_all)."
            )
        return unique
    if classes is not None and not np.array_equal(unique, known):
        raise ValueError(
            f"classes={unique.tolist()!r} is not the same as on the first call to "
            f"partial_fit (or in fit): {known.tolist()!r}. The classes of a stream are "
            "fixed; call fit to start afresh."
        )
    return known


def stream_data(estimator, X, y, classes, sample_weight, known_classes):
    """Validate a minibatch of ``partial_fit``; ``(NumpyData, sample_weight)``.

    ``known_classes``: the estimator's ``classes_`` after a first call (or a
    fit), None on the first call, which records ``n_features_in_``.
    """
    classes = _stream_classes(classes, known_classes)
    X, y = validated_xy(estimator, X, y, reset=known_classes is None)
    y_codes = np.searchsorted(classes, y)
    unknown = (y_codes >= classes.size) | (classes[np.minimum(y_codes, classes.size - 1)] != y)
    if np.any(unknown):
        raise ValueError(
            f"y has labels that are not in classes: {np.unique(y[unknown]).tolist()!r}; "
            f"the classes are {classes.tolist()!r}. Pass every label the stream can "
            "contain in `classes` on the first call to partial_fit."
        )
    sample_weight = checked_sample_weight(sample_weight, X)
    if sparse.issparse(X):
        X = X.tocsr()
    return NumpyData(X, y_codes, classes), sample_weight
