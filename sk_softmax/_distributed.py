"""The estimator side of fitting and predicting on dask collections.

Dask is optional: this module never imports it at import time, it recognises a
dask collection by the module of its type, and imports ``_dask`` (which needs
dask) only when one arrives.
"""

import warnings

import numpy as np
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import _check_feature_names, check_is_fitted

from ._loss import StandardizedLoss, raw_prediction
from ._solvers import SOLVERS, choose_solver


def is_dask_collection(X):
    """Whether ``X`` is a dask array or dataframe, without importing dask."""
    return type(X).__module__.partition(".")[0] in ("dask", "dask_expr")


def _names_carrier(X):
    """What scikit-learn reads feature names from: a dask dataframe's empty pandas meta."""
    meta = getattr(X, "_meta", None)
    return meta if hasattr(X, "columns") and hasattr(meta, "columns") else X


def _as_dask_array(X, name, lengths=True):
    """A dask array (dataframes and series converted), with known row chunks if ``lengths``.

    Knowing the chunks' lengths costs a pass over a dataframe: ``fit`` needs
    them to align ``y`` and the weights with ``X``; predictions, which map
    each chunk on its own, stay lazy without them.
    """
    if hasattr(X, "to_dask_array"):
        X = X.to_dask_array(lengths=lengths or None)
    if not hasattr(X, "chunks") or not hasattr(X, "map_blocks"):
        raise TypeError(
            f"{name} is a {type(X).__name__}, a dask collection that is neither a dask array "
            "nor a dask dataframe or series: pass one of those."
        )
    if lengths and any(np.isnan(size) for size in X.chunks[0]):
        X = X.compute_chunk_sizes()
    return X


def _block_output(X, coef, intercept, classes, method):
    """One chunk of ``decision_function``, ``predict_proba``, ... (in memory)."""
    raw = raw_prediction(np.asarray(X), coef, intercept)
    if method == "decision_function":
        return raw[:, 1] - raw[:, 0] if raw.shape[1] == 2 else raw
    if method == "predict":
        return classes[np.argmax(raw, axis=1)]
    log_proba = raw - logsumexp(raw, axis=1, keepdims=True)
    return log_proba if method == "predict_log_proba" else np.exp(log_proba)


class DaskMixin:
    """``fit`` and the predictions on dask arrays and dataframes."""

    # -- fit -----------------------------------------------------------------------
    def _fit_dask(self, X, y, sample_weight):
        """Fit on dask collections: every pass over the rows is a map-reduce.

        The labels' classes come from ``dask.array.unique``, the codes and the
        combined weights are computed chunk by chunk, the column moments of
        the preconditioner and the loss, gradient and Hessian products of the
        solver by :mod:`sk_softmax._dask`. Only vectors of ``n_features`` or
        ``n_classes * n_dof`` values (and, for "newton-cholesky", the
        Hessian) come back to the client.
        """
        from . import _dask
        from ._validation import _check_classification_target, _check_two_classes

        if self.solver == "sgd":
            raise ValueError(
                "solver='sgd' does not take dask collections: stream their chunks through "
                "partial_fit, or use a full-batch solver (solver='auto'), which fits a dask "
                "array chunk by chunk on the workers."
            )
        import dask.array as da

        _check_feature_names(self, _names_carrier(X), reset=True)
        X = _as_dask_array(X, "X")
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features), got {X.ndim} dimensions.")
        if X.dtype.kind not in "biuf":
            raise ValueError(
                f"X has dtype {X.dtype}: SoftmaxClassifier needs numeric features; encode "
                "text or categorical features first."
            )
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        X = X.rechunk({1: -1})
        y = self._dask_target(y, X, da)
        sample_weight = self._dask_weights(sample_weight, X, da)

        classes = da.unique(y).compute()
        _check_classification_target(classes)
        _check_two_classes(classes)
        x_finite, w_finite, w_min, w_max = _dask.summarise(X, sample_weight)
        if not x_finite:
            raise ValueError("Input X contains NaN or infinity; impute or drop those rows.")
        if not w_finite or w_min < 0 or not w_max > 0:
            raise ValueError(
                "sample_weight must be finite and non-negative, with at least one positive entry."
            )
        y_codes = _dask.encode_labels(y, classes)
        weights = sample_weight / w_max
        totals = _dask.class_totals(y_codes, weights, classes.size)
        self._check_class_totals(classes, np.arange(classes.size), totals)
        weight_scale = float(w_max)
        if self.class_weight is not None:
            class_weight = self._dask_class_weight(classes, totals)
            largest = class_weight.max()
            class_weight, weight_scale = class_weight / largest, weight_scale * largest
            weights = _dask.combine_weights(weights, y_codes, class_weight)
            totals = totals * class_weight
            self._check_class_totals(classes, np.arange(classes.size), totals)
        total = totals.sum()
        alpha = self._alpha(np.array([total]), weight_scale)

        loss = _dask.DaskSoftmaxLoss(
            X, y_codes, classes.size, weights, alpha, self.fit_intercept, total
        )
        mean, std = _dask.column_moments_dask(X, weights, center=self.fit_intercept)
        scaled = StandardizedLoss(loss, mean, std)
        coef0 = scaled.to_standardized(self._start_coef(classes, X.shape[1], totals))
        solver = self.solver
        if solver == "auto":
            solver = choose_solver(loss.n_dof, classes.size)
        result = SOLVERS[solver](
            scaled,
            coef0,
            tol=self.tol,
            max_iter=self.max_iter,
            verbose=self.verbose,
            presolve=not self._warm(),
        )
        coef = scaled.to_original(result.coef).reshape(loss.shape)
        coef -= coef.mean(axis=0)  # the canonical representative, as in memory
        if not result.converged and not result.stopped:
            warnings.warn(
                self._convergence_message(solver, result), ConvergenceWarning, stacklevel=4
            )

        self._clear_sgd_attributes()
        self.n_features_in_ = X.shape[1]
        self.classes_ = classes
        self._set_coef(coef, X.shape[1])
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.solver_ = solver
        self.objective_ = self._unnormalise(
            loss.loss(coef.ravel()), np.array([total]), weight_scale
        )
        return self

    @staticmethod
    def _dask_target(y, X, da):
        if is_dask_collection(y):
            y = _as_dask_array(y, "y")
        else:
            y = np.asarray(y)
            if y.ndim != 1:
                raise ValueError(f"y must be 1-D (n_samples,), got shape {y.shape}.")
            y = da.from_array(y, chunks=-1)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D (n_samples,), got {y.ndim} dimensions.")
        if y.shape[0] != X.shape[0]:
            raise ValueError(
                f"X has {X.shape[0]} samples but y has {y.shape[0]}: pass one label per row."
            )
        return y.rechunk((X.chunks[0],))

    @staticmethod
    def _dask_weights(sample_weight, X, da):
        n_samples = X.shape[0]
        if sample_weight is None:
            return da.ones(n_samples, chunks=(X.chunks[0],))
        if is_dask_collection(sample_weight):
            sample_weight = _as_dask_array(sample_weight, "sample_weight")
        elif np.ndim(sample_weight) == 0:
            return da.full(n_samples, float(sample_weight), chunks=(X.chunks[0],))
        else:
            sample_weight = da.from_array(np.asarray(sample_weight, dtype=np.float64))
        if sample_weight.shape != (n_samples,):
            raise ValueError(
                f"sample_weight has shape {sample_weight.shape} but X has {n_samples} samples: "
                "pass one non-negative weight per sample (or a scalar)."
            )
        return sample_weight.astype(np.float64).rechunk((X.chunks[0],))

    def _dask_class_weight(self, classes, totals):
        if isinstance(self.class_weight, str):  # "balanced": total / (K * class total)
            return totals.sum() / (classes.size * totals)
        return self._class_weight_vector(classes, None, None)

    # -- predictions ---------------------------------------------------------------
    def _dask_predict(self, method, X):
        """``method`` on a dask collection: a lazy dask array, chunk-aligned with X."""
        check_is_fitted(self)
        _check_feature_names(self, _names_carrier(X), reset=False)
        X = _as_dask_array(X, "X", lengths=False)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has shape {X.shape}, but SoftmaxClassifier is expecting "
                f"{self.n_features_in_} features as input."
            )
        X = X.rechunk({1: -1})
        n_classes = self.classes_.size
        one_column = method == "predict" or (method == "decision_function" and n_classes == 2)
        kwargs = dict(
            coef=self.coef_,
            intercept=self.intercept_,
            classes=self.classes_,
            method=method,
        )
        if one_column:
            dtype = self.classes_.dtype if method == "predict" else np.float64
            return X.map_blocks(_block_output, drop_axis=1, dtype=dtype, **kwargs)
        return X.map_blocks(
            _block_output, chunks=(X.chunks[0], (n_classes,)), dtype=np.float64, **kwargs
        )
