"""Arrays of any Array API namespace (PyTorch, CuPy, array-api-strict, ...), on their device.

With ``sklearn.set_config(array_api_dispatch=True)``, data from a namespace
other than NumPy are fitted and predicted in that namespace and on their
device (:mod:`sk_softmax.datafits.array_api`); only vectors of ``n_classes *
n_dof`` values (and, for "newton-cholesky", the Hessian) travel to NumPy,
where the solvers run unchanged, as scikit-learn's own L-BFGS does.

Fitted on such data, ``coef_`` and ``intercept_`` are arrays of ``X``'s
namespace and device (float64 where the device has it), ``classes_`` an
array of ``y``'s namespace (the labels of ``y``, as scikit-learn's estimators
keep them), and the predictions arrays of the input's namespace and device.
As in scikit-learn, predicting on data from another namespace or device than
the fit's, with dispatch on, is an error that says how to move the estimator.
"""

from numbers import Number

import numpy as np
from sklearn import get_config
from sklearn.utils._array_api import (
    _is_numpy_namespace,
    _max_precision_float_dtype,
    check_same_namespace,
    get_namespace,
    get_namespace_and_device,
    move_to,
    size,
)
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .._predict import predict as predict_kernel
from .._validation import check_classification_target, check_two_classes
from ..datafits.array_api import ArrayAPIDatafit, column_moments_xp, to_numpy
from ..datafits.standardized import Standardized


def uses_array_api(X):
    """Whether ``X`` is to be handled in its own Array API namespace.

    True only when ``array_api_dispatch`` is on and ``X`` comes from a
    namespace other than NumPy. Lists, dataframes and sparse matrices count
    as NumPy; objects the dispatcher does not recognise are left to the NumPy
    path, which reports what is wrong with them.
    """
    if not get_config()["array_api_dispatch"]:
        return False
    try:
        xp, _ = get_namespace(X)
    except TypeError:
        return False
    return not _is_numpy_namespace(xp)


_STREAM_FIX = (
    "the stochastic minibatch engine runs on NumPy. Fit with a full-batch solver "
    "(solver='auto', 'lbfgs', 'newton-cg' or 'newton-cholesky'), which computes in X's "
    "namespace and on its device, or convert X and y to NumPy arrays."
)


#: Why SoftmaxClassifierCV and softmax_path refuse Array API input, and what to do instead.
PATHS_FIX = (
    "its warm-started paths run on NumPy. Convert X and y to NumPy arrays, or fit "
    "SoftmaxClassifier at each C in X's namespace."
)


def check_numpy_only(X, method, fix=_STREAM_FIX):
    """Raise a clear error if ``X`` is Array API input to a NumPy-only ``method``.

    The stochastic engine (``partial_fit``, ``solver="sgd"``) runs on NumPy,
    and so do :class:`~sk_softmax.SoftmaxClassifierCV` and
    :func:`~sk_softmax.objective`; ``fix`` says why, and what to do instead.
    """
    if uses_array_api(X):
        raise ValueError(
            f"{method} does not take Array API input (array_api_dispatch is on and X is "
            f"from {get_namespace(X)[0].__name__}): {fix}"
        )


class ArrayAPIData:
    """Validated Array API training data, and the passes over it the pipeline needs.

    ``X`` of the working dtype (float64 where the device has it), ``y_codes``
    and the sample weights in its namespace and on its device; ``classes``
    the labels in ``y``'s namespace.
    """

    def __init__(self, X, y_codes, classes):
        self.xp, _, self.device = get_namespace_and_device(X)
        self.X, self.y_codes, self.classes = X, y_codes, classes
        self.classes_numpy = move_to(classes, xp=np, device="cpu")  # small: messages, dicts
        self.n_samples, self.n_features = X.shape
        self.n_classes = size(classes)
        xp = self.xp
        codes = xp.arange(self.n_classes, dtype=y_codes.dtype, device=self.device)
        self._onehot = xp.astype(y_codes[:, None] == codes[None, :], X.dtype)

    def max(self, array):
        return float(to_numpy(self.xp.max(array)))

    def class_totals(self, weights):
        return to_numpy(weights @ self._onehot)

    def reweigh(self, weights, factor):
        per_class = self.xp.asarray(factor, dtype=weights.dtype, device=self.device)
        return weights * (self._onehot @ per_class)

    def moments(self, weights, center):
        return column_moments_xp(self.X, weights, center)

    def datafit(self, weights, coordinates, n_threads=1):
        datafit = ArrayAPIDatafit(
            self.X, self.y_codes, self.n_classes, weights.weights, coordinates.fit_intercept
        )
        return Standardized(datafit, coordinates)

    def numpy(self, weights):
        """``(X, y_codes, weights)`` copied to NumPy, for diagnostics."""
        X = move_to(self.X, xp=np, device="cpu")
        codes = np.asarray(move_to(self.y_codes, xp=np, device="cpu"), dtype=np.intp)
        return X, codes, to_numpy(weights)

    def attributes(self, coef, fit_intercept):
        """``classes_``, ``coef_`` and ``intercept_``, the latter two on X's device."""
        xp, dtype, device = self.xp, self.X.dtype, self.device
        intercept = coef[:, -1] if fit_intercept else np.zeros(coef.shape[0])
        weights = np.ascontiguousarray(coef[:, : self.n_features])
        return {
            "classes_": self.classes,
            "coef_": xp.asarray(weights, dtype=dtype, device=device),
            "intercept_": xp.asarray(np.ascontiguousarray(intercept), dtype=dtype, device=device),
        }


def fit_data(estimator, X, y, sample_weight):
    """Validate Array API ``X`` (and ``y`` of any namespace); ``(ArrayAPIData, sample_weight)``."""
    xp, _, device = get_namespace_and_device(X)
    if sample_weight is not None and not isinstance(sample_weight, Number):
        sample_weight = move_to(sample_weight, xp=xp, device=device)
    X, y = validate_data(estimator, X, y, dtype=[xp.float64, xp.float32])
    check_classification_target(y)
    xp_y, _ = get_namespace(y)
    classes, y_codes = xp_y.unique_inverse(y)
    check_two_classes(move_to(classes, xp=np, device="cpu"))
    X_work = xp.astype(X, _max_precision_float_dtype(xp, device))
    y_codes = move_to(y_codes, xp=xp, device=device)
    sample_weight = _check_sample_weight(
        sample_weight, X_work, dtype=X_work.dtype, ensure_non_negative=True
    )
    return ArrayAPIData(X_work, y_codes, classes), sample_weight


def predicts_here(estimator, X, method):
    """Whether ``method`` runs in ``X``'s Array API namespace (see :func:`uses_array_api`).

    With dispatch on, also checks that ``X`` has the namespace and device of
    the fit, as scikit-learn's estimators do.
    """
    if not get_config()["array_api_dispatch"]:
        return False
    check_is_fitted(estimator)
    check_same_namespace(X, estimator, attribute="coef_", method=method)
    return uses_array_api(X)


def predict(estimator, method, X):
    """``method`` computed in ``X``'s namespace, on its device."""
    xp, _, device = get_namespace_and_device(X)
    X = validate_data(estimator, X, dtype=[xp.float64, xp.float32], reset=False)
    coef, intercept = estimator.coef_, estimator.intercept_
    out = predict_kernel(method, X, coef, intercept, None, xp=xp)
    if method != "predict":
        return out
    xp_classes, _, device_classes = get_namespace_and_device(estimator.classes_)
    indices = move_to(out, xp=xp_classes, device=device_classes)
    y_pred = xp_classes.take(estimator.classes_, indices, axis=0)
    if isinstance(y_pred[0], str):  # string labels stay in NumPy
        return y_pred
    return move_to(y_pred, xp=xp, device=device)
