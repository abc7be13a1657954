"""The fitted estimator's four predictions, each through the backend that holds ``X``.

Dask collections are predicted block by block where they live, Array API
arrays (with ``array_api_dispatch`` on) in their namespace and device, the
rest as NumPy; every backend calls the one prediction kernel (``_predict``).
"""

from sklearn.utils.validation import check_is_fitted

from .backends import array_api, is_dask_collection
from .backends import numpy as numpy_backend


class PredictionMethods:
    """``decision_function``, ``predict_log_proba``, ``predict_proba``, ``predict``.

    For an estimator whose fitted ``coef_``, ``intercept_`` and ``classes_``
    the backends read (:class:`~sk_softmax.SoftmaxClassifier`).
    """

    def _predict(self, method, X):
        if is_dask_collection(X):
            from .backends import dask

            return dask.predict(self, method, X)
        if array_api.predicts_here(self, X, method):
            return array_api.predict(self, method, X)
        check_is_fitted(self)
        return numpy_backend.predict(self, method, X)

    def decision_function(self, X):
        """The raw outputs ``o = W x + b``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes), or (n_samples,)
            For two classes, ``o_1 - o_0``: positive means ``classes_[1]``.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sk_softmax import SoftmaxClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SoftmaxClassifier().fit(X, y)
        >>> clf.decision_function(X[:2]).shape
        (2, 3)
        >>> scores = clf.decision_function(X[:2])  # the model's W x + b
        >>> bool(abs(scores - (X[:2] @ clf.coef_.T + clf.intercept_)).max() < 1e-12)
        True
        """
        return self._predict("decision_function", X)

    def predict_log_proba(self, X):
        """Log-probabilities, ``o - logsumexp(o)``, computed without overflow.

        Finite wherever float64 holds the value: only a class whose output
        lies more than 1.8e308 below the largest gets ``-inf`` (its correctly
        rounded log-probability).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sk_softmax import SoftmaxClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SoftmaxClassifier().fit(X, y)
        >>> import numpy as np
        >>> log_proba = clf.predict_log_proba(X[:2])
        >>> bool(np.allclose(np.exp(log_proba), clf.predict_proba(X[:2]), rtol=1e-12))
        True
        """
        return self._predict("predict_log_proba", X)

    def predict_proba(self, X):
        """Class probabilities, ``softmax(o)``; rows sum to one.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sk_softmax import SoftmaxClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SoftmaxClassifier().fit(X, y)
        >>> proba = clf.predict_proba(X[:2])
        >>> proba.shape, proba.sum(axis=1).round(12).tolist()
        ((2, 3), [1.0, 1.0])
        """
        return self._predict("predict_proba", X)

    def predict(self, X):
        """The most probable class, ``argmax_k o_k`` (the first on exact ties).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sk_softmax import SoftmaxClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SoftmaxClassifier().fit(X, y)
        >>> clf.predict(X[[0, 50, 100]])
        array([0, 1, 2])
        """
        return self._predict("predict", X)
