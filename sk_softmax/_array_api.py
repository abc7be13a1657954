"""Fitting and predicting on Array API arrays (PyTorch, CuPy, array-api-strict, ...).

With ``sklearn.set_config(array_api_dispatch=True)``, data from a namespace
other than NumPy are fitted and scored in that namespace and on their device:
every pass over ``X`` is a product computed by ``xp``. Only vectors of
``n_classes * n_dof`` values (and, for "newton-cholesky", the Hessian) travel
to NumPy, where the solvers of ``_solvers.py`` run unchanged, as
scikit-learn's own L-BFGS does.

Two parts, kept apart as in the rest of the package:

- :class:`ArrayAPISoftmaxLoss` and :func:`column_moments_xp`: the maths of
  ``_loss.py`` written with ``xp``, behind the interface of
  :class:`~sk_softmax._loss.SoftmaxLoss` (NumPy coefficient vectors in and
  out), so that :class:`~sk_softmax._loss.StandardizedLoss` and every solver
  take it as it is;
- :class:`ArrayAPIMixin`: the estimator side (validation, labels, weights,
  fitted attributes in the input's namespace, predictions).

The NumPy path (row blocks, threads) is not involved: NumPy input, or any
input with dispatch off, takes it as before.
"""

import warnings
from numbers import Number

import numpy as np
from sklearn import get_config
from sklearn.exceptions import ConvergenceWarning
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

from ._loss import StandardizedLoss, moments_to_mean_std
from ._solvers import choose_solver
from ._validation import _check_classification_target, _check_two_classes, _unit_max


def _to_numpy(array):
    """A float64 NumPy copy of a (small) array of any namespace and device."""
    return np.array(move_to(array, xp=np, device="cpu"), dtype=np.float64)


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


def check_numpy_only(X, method):
    """Raise a clear error if ``X`` is Array API input to a NumPy-only ``method``.

    The stochastic engine (``partial_fit``, ``solver="sgd"``) runs on NumPy.
    """
    if uses_array_api(X):
        raise ValueError(
            f"{method} does not take Array API input (array_api_dispatch is on and X is "
            f"from {get_namespace(X)[0].__name__}): the stochastic minibatch engine runs on "
            "NumPy. Fit with a full-batch solver (solver='auto', 'lbfgs', 'newton-cg' or "
            "'newton-cholesky'), which computes in X's namespace and on its device, or "
            "convert X and y to NumPy arrays."
        )


# -- the maths ------------------------------------------------------------------------
def column_moments_xp(X, sample_weight, center):
    """:func:`sk_softmax._loss.column_moments` computed with ``X``'s namespace.

    ``X`` (floating) and ``sample_weight`` share one namespace and device.
    The column sums are computed there; the returned ``(mean, std)`` are
    NumPy float64 vectors, as :class:`~sk_softmax._loss.StandardizedLoss`
    needs. Columns are divided by their largest magnitude before squaring,
    so that features of 1e-300 or 1e300 neither underflow nor overflow.
    """
    xp, _ = get_namespace(X)
    sw = sample_weight / xp.sum(sample_weight)
    magnitude = xp.max(xp.abs(X), axis=0)
    magnitude = xp.where(magnitude > 0, magnitude, xp.ones_like(magnitude))
    scaled = X / magnitude
    first = _to_numpy(sw @ scaled)
    second = _to_numpy(sw @ (scaled * scaled))
    # From here on, small NumPy vectors: the same formulae as column_moments.
    return moments_to_mean_std(first, second, _to_numpy(magnitude), center)


class ArrayAPISoftmaxLoss:
    """:class:`~sk_softmax._loss.SoftmaxLoss` computed with an Array API namespace.

    The same objective, gradient and Hessian (see ``_loss.py`` for the
    formulae), with the data in their own namespace and on their device:
    coefficient vectors come in and go out as NumPy float64 vectors (the
    solvers' side), and are moved to the device for each evaluation.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        Floating array of the working dtype (float64 where the device has
        it); never modified.
    y : array of shape (n_samples,), int
        Class codes in ``range(n_classes)``, same namespace and device as X.
    n_classes : int
    sample_weight : array of shape (n_samples,)
        Non-negative weights ``s_i``, same namespace, device and dtype as X.
    alpha : float
        L2 strength of the normalised objective, ``1 / (C * S)``.
    fit_intercept : bool

    The one-hot label matrix and the probabilities of the last gradient (for
    Hessian products at the same point) are kept, both of shape
    (n_samples, n_classes), on the device.
    """

    def __init__(self, X, y, n_classes, sample_weight, alpha, fit_intercept):
        xp, _, device = get_namespace_and_device(X)
        self.xp, self.device, self.dtype = xp, device, X.dtype
        self.X = X
        self.n_classes = n_classes
        self.fit_intercept = fit_intercept
        self.alpha = float(alpha)
        self.onehot = xp.astype(
            y[:, None] == xp.arange(n_classes, dtype=y.dtype, device=device)[None, :], X.dtype
        )
        self.sw = sample_weight / xp.sum(sample_weight)  # sums to one
        self.n_dof = X.shape[1] + int(fit_intercept)
        self.shape = (n_classes, self.n_dof)
        self._cache_coef = None
        self._proba = None

    # -- between the solvers' NumPy vectors and the device ------------------------------
    def _to_device(self, array):
        return self.xp.asarray(np.ascontiguousarray(array), dtype=self.dtype, device=self.device)

    def _split(self, coef):
        """``(W, b)`` on the device (``b`` None without intercept), from a NumPy vector."""
        coef = np.asarray(coef, dtype=np.float64).reshape(self.shape)
        if self.fit_intercept:
            return self._to_device(coef[:, :-1]), self._to_device(coef[:, -1])
        return self._to_device(coef), None

    def _join(self, grad_weights, grad_intercept, weights_penalty):
        """A NumPy vector from the device's weight and intercept parts, plus the penalty."""
        grad_weights = _to_numpy(grad_weights)
        if self.alpha:
            grad_weights += self.alpha * weights_penalty
        if self.fit_intercept:
            return np.hstack([grad_weights, _to_numpy(grad_intercept)[:, None]]).ravel()
        return grad_weights.ravel()

    def _numpy_weights(self, coef):
        coef = np.asarray(coef, dtype=np.float64).reshape(self.shape)
        return coef[:, :-1] if self.fit_intercept else coef

    def _penalty(self, coef):
        weights = self._numpy_weights(coef)
        return 0.5 * self.alpha * float(np.vdot(weights, weights)) if self.alpha else 0.0

    def _raw(self, X, weights, intercept):
        raw = X @ weights.T
        return raw if intercept is None else raw + intercept[None, :]

    def _log_softmax(self, raw):
        """``(log_proba, lse)``: the max-shifted log-sum-exp, no exponential above one."""
        xp = self.xp
        shifted = raw - xp.max(raw, axis=1, keepdims=True)
        log_total = xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))
        return shifted - log_total

    # -- the objective and its derivatives ----------------------------------------------
    def loss(self, coef):
        """The objective ``f(coef)``."""
        xp = self.xp
        weights, intercept = self._split(coef)
        log_proba = self._log_softmax(self._raw(self.X, weights, intercept))
        ce = -xp.sum(log_proba * self.onehot, axis=1)
        return float(_to_numpy(xp.sum(self.sw * ce))) + self._penalty(coef)

    def loss_gradient(self, coef):
        """``(f, grad)``; also keeps the probabilities for Hessian products.

        The gradient is ``(P - Y)^T diag(s/S) X + alpha W`` for the weights
        and the column sums of ``diag(s/S) (P - Y)`` for the intercept.
        """
        xp = self.xp
        weights, intercept = self._split(coef)
        log_proba = self._log_softmax(self._raw(self.X, weights, intercept))
        ce = -xp.sum(log_proba * self.onehot, axis=1)
        proba = xp.exp(log_proba)
        residual = (proba - self.onehot) * self.sw[:, None]
        value = float(_to_numpy(xp.sum(self.sw * ce))) + self._penalty(coef)
        grad = self._join(residual.T @ self.X, xp.sum(residual, axis=0), self._numpy_weights(coef))
        self._proba = proba
        self._cache_coef = np.array(coef, dtype=np.float64, copy=True)
        return value, grad

    def _proba_at(self, coef):
        if self._cache_coef is None or not np.array_equal(self._cache_coef, coef):
            self.loss_gradient(coef)
        return self._proba

    def hessp(self, coef):
        """The Hessian-vector product at ``coef``, as a function of a NumPy vector.

        With ``Q = X V_W^T + V_b``: ``T_i = s_i/S (p_i * q_i - p_i (p_i . q_i))``,
        ``(H V)_W = T^T X + alpha V_W`` and ``(H V)_b = sum_i T_i``.
        """
        xp = self.xp
        proba = self._proba_at(coef)

        def product(vector):
            v_weights, v_intercept = self._split(vector)
            q = proba * self._raw(self.X, v_weights, v_intercept)
            t = (q - proba * xp.sum(q, axis=1, keepdims=True)) * self.sw[:, None]
            return self._join(t.T @ self.X, xp.sum(t, axis=0), self._numpy_weights(vector))

        return product

    def _augmented(self, mean=None, scale=None):
        """``X~ = [X, 1]`` (or ``X``), standardised as ``(X - mean) / scale`` if given."""
        xp = self.xp
        X = self.X
        if scale is not None:
            X = (X - self._to_device(mean)) / self._to_device(scale)
        if self.fit_intercept:
            ones = xp.ones((X.shape[0], 1), dtype=self.dtype, device=self.device)
            X = xp.concat([X, ones], axis=1)
        return X

    def _penalty_curvature(self, scale):
        """The penalty's curvature along each weight: ``alpha``, or ``alpha / scale^2``."""
        n_features = self.X.shape[1]
        if scale is None:
            return np.full(n_features, self.alpha)
        return self.alpha / scale / scale

    def hessian(self, coef, mean=None, scale=None):
        """The full Hessian at ``coef``, a NumPy array of shape (n_classes * n_dof,) * 2.

        Block ``(k, l)`` is ``X~^T diag(s/S (delta_kl p_k - p_k p_l)) X~`` (on the
        standardised features when ``mean`` and ``scale`` are given, see
        :meth:`sk_softmax._loss.SoftmaxLoss.hessian`), plus ``alpha`` on the
        weights' diagonal; the ``K (K + 1) / 2`` distinct blocks are products
        on the device.
        """
        proba = self._proba_at(coef)
        n_classes, n_dof = self.shape
        xt = self._augmented(mean, scale)
        sp = proba * self.sw[:, None]
        hess4 = np.zeros((n_classes, n_dof, n_classes, n_dof))
        for k in range(n_classes):
            for m in range(k, n_classes):
                w = -sp[:, k] * proba[:, m]
                if m == k:
                    w = w + sp[:, k]
                block = _to_numpy(xt.T @ (w[:, None] * xt))
                hess4[k, :, m, :] = block
                hess4[m, :, k, :] = block.T
        if self.alpha:
            idx = np.arange(self.X.shape[1])
            penalty = self._penalty_curvature(scale)
            for k in range(n_classes):
                hess4[k, idx, k, idx] += penalty
        return hess4.reshape(n_classes * n_dof, n_classes * n_dof)

    def hessian_diagonal(self, coef, mean=None, scale=None):
        """The Hessian's diagonal, ``sum_i s_i/S p_ik (1 - p_ik) x~_ij^2`` (+ alpha)."""
        proba = self._proba_at(coef)
        xt = self._augmented(mean, scale)
        w = proba * (1.0 - proba) * self.sw[:, None]
        diag = _to_numpy(w.T @ (xt * xt))
        if self.alpha:
            diag[:, : self.X.shape[1]] += self._penalty_curvature(scale)
        return diag.ravel()

    def class_blocks(self, coef, mean=None, scale=None, max_rows=None):
        """The K diagonal blocks of the Hessian, NumPy, shape (n_classes, n_dof, n_dof).

        Block ``k`` is ``X~^T diag(s/S p_k (1 - p_k)) X~`` (plus ``alpha`` on
        the weights' diagonal): the preconditioner of the conjugate-gradient
        solver, as :meth:`sk_softmax._loss.SoftmaxLoss.class_blocks`. Exact
        here: ``max_rows`` (row sampling) is accepted and not used.
        """
        proba = self._proba_at(coef)
        xt = self._augmented(mean, scale)
        w = proba * (1.0 - proba) * self.sw[:, None]
        blocks = np.stack([_to_numpy(xt.T @ (w[:, k : k + 1] * xt)) for k in range(self.n_classes)])
        if self.alpha:
            idx = np.arange(self.X.shape[1])
            blocks[:, idx, idx] += self._penalty_curvature(scale)
        return blocks


# -- the estimator side ---------------------------------------------------------------
class ArrayAPIMixin:
    """``fit`` and the predictions on Array API arrays, in their namespace and device.

    Fitted on such data, ``coef_`` and ``intercept_`` are arrays of ``X``'s
    namespace and device (float64 where the device has it), ``classes_`` an
    array of ``y``'s namespace (the labels of ``y``, as scikit-learn's
    estimators keep them), and the predictions arrays of the input's
    namespace and device. As in scikit-learn, predicting on data from
    another namespace or device than the fit's, with dispatch on, is an error
    that says how to move the estimator.
    """

    # -- fit -----------------------------------------------------------------------
    def _fit_array_api(self, X, y, sample_weight):
        """Fit on an Array API ``X`` (``uses_array_api(X)``); ``y`` may be of any namespace."""
        if self.solver == "sgd":
            check_numpy_only(X, "fit with solver='sgd'")
        xp, _, device = get_namespace_and_device(X)
        if sample_weight is not None and not isinstance(sample_weight, Number):
            sample_weight = move_to(sample_weight, xp=xp, device=device)
        X, y = validate_data(self, X, y, dtype=[xp.float64, xp.float32])
        _check_classification_target(y)
        xp_y, _ = get_namespace(y)
        classes, y_codes = xp_y.unique_inverse(y)
        n_classes = size(classes)
        classes_np = move_to(classes, xp=np, device="cpu")  # small: for messages and dicts
        _check_two_classes(classes_np)
        work_dtype = _max_precision_float_dtype(xp, device)
        X_work = xp.astype(X, work_dtype)
        y_codes = move_to(y_codes, xp=xp, device=device)
        sample_weight = _check_sample_weight(
            sample_weight, X_work, dtype=work_dtype, ensure_non_negative=True
        )
        weights, weight_scale, totals = self._array_api_weights(
            classes_np, y_codes, sample_weight, xp, device
        )
        alpha = self._alpha(np.array([totals.sum()]), weight_scale)
        loss = ArrayAPISoftmaxLoss(X_work, y_codes, n_classes, weights, alpha, self.fit_intercept)
        mean, std = column_moments_xp(X_work, weights, center=self.fit_intercept)
        scaled = StandardizedLoss(loss, mean, std)
        coef0 = scaled.to_standardized(self._start_coef(classes_np, X.shape[1], totals))
        solver = self.solver
        if solver == "auto":
            solver = choose_solver(loss.n_dof, n_classes)

        def attributes(solution):
            return self._array_api_attributes(scaled, solution, classes, xp, device, work_dtype)

        result = self._solve(solver, scaled, coef0, X, y, sample_weight, attributes)
        coef = self._canonical_coef(scaled, result.coef)
        separated = not result.stopped and self._array_api_separated(
            X_work, y_codes, weights, coef, scaled
        )
        self._warn_fit_outcome(separated, solver, result, coef)

        self._clear_sgd_attributes()
        for name, value in attributes(result.coef).items():
            setattr(self, name, value)
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged and not separated
        self.solver_ = solver
        self.objective_ = self._unnormalise(
            loss.loss(coef.ravel()), np.array([totals.sum()]), weight_scale
        )
        return self

    def _warn_fit_outcome(self, separated, solver, result, coef):
        # stacklevel: this method, _fit_array_api, fit and its two decorators, the caller
        if separated:
            warnings.warn(self._separation_message(coef), ConvergenceWarning, stacklevel=6)
        elif not result.converged and not result.stopped:
            warnings.warn(
                self._convergence_message(solver, result), ConvergenceWarning, stacklevel=6
            )

    def _array_api_weights(self, classes_np, y_codes, sample_weight, xp, device):
        """``s_i = sample_weight_i * class_weight[y_i]`` on the device, checked.

        Returns ``(weights, scale, totals)``: ``weights`` is ``s`` divided by
        ``scale > 0`` so that its largest entry is one (as the NumPy path's
        ``_combined_weights``), ``totals`` the NumPy vector of its sums by
        class. The checks and ``class_weight`` work on those K sums.
        """
        n_classes = classes_np.shape[0]
        scale = float(_to_numpy(xp.max(sample_weight)))
        if not scale > 0:
            raise ValueError(
                "sample_weight sums to zero: give at least one sample a positive weight."
            )
        weights = sample_weight / scale
        onehot = xp.astype(
            y_codes[:, None] == xp.arange(n_classes, dtype=y_codes.dtype, device=device)[None, :],
            weights.dtype,
        )
        totals = _to_numpy(weights @ onehot)
        codes = np.arange(n_classes)  # the per-class checks, on the class totals
        self._check_class_totals(classes_np, codes, totals)
        if self.class_weight is not None:
            class_weight, scale = _unit_max(
                self._class_weight_vector(classes_np, codes, totals), scale
            )
            weights = weights * (
                onehot @ xp.asarray(class_weight, dtype=weights.dtype, device=device)
            )
            totals = totals * class_weight
            self._check_class_totals(classes_np, codes, totals)
        return weights, scale, totals

    def _array_api_attributes(self, scaled, solution, classes, xp, device, dtype):
        """``classes_``, ``coef_`` and ``intercept_``, the latter two on X's device."""
        coef = self._canonical_coef(scaled, solution)
        n_features = coef.shape[1] - int(self.fit_intercept)
        intercept = coef[:, -1] if self.fit_intercept else np.zeros(coef.shape[0])
        return {
            "classes_": classes,
            "coef_": xp.asarray(
                np.ascontiguousarray(coef[:, :n_features]), dtype=dtype, device=device
            ),
            "intercept_": xp.asarray(np.ascontiguousarray(intercept), dtype=dtype, device=device),
        }

    def _array_api_separated(self, X, y_codes, weights, coef, scaled):
        """``_separated`` (see there) for device data.

        Only with a negligible penalty (``C=inf`` or huge) can the fit
        separate the data in a way that matters; in that case alone the data
        are copied to NumPy for the exact test, which needs a linear
        programme. Otherwise nothing leaves the device.
        """
        n_features = X.shape[1]
        penalty_grad = scaled.alpha * coef[:, :n_features] / scaled.scale
        if penalty_grad.size and np.max(np.abs(penalty_grad)) > self.tol:
            return False
        X_np = move_to(X, xp=np, device="cpu")
        codes = np.asarray(move_to(y_codes, xp=np, device="cpu"), dtype=np.intp)
        return self._separated(X_np, codes, _to_numpy(weights), coef, scaled)

    # -- predictions ---------------------------------------------------------------
    def _predicts_in_array_api(self, X, method):
        """Whether ``method`` runs in ``X``'s Array API namespace (see :func:`uses_array_api`).

        With dispatch on, also checks that ``X`` has the namespace and device
        of the fit, as scikit-learn's estimators do.
        """
        if not get_config()["array_api_dispatch"]:
            return False
        check_is_fitted(self)
        check_same_namespace(X, self, attribute="coef_", method=method)
        return uses_array_api(X)

    def _array_api_predict(self, method, X):
        """``method`` ("decision_function", "predict", ...) computed in ``X``'s namespace."""
        xp, _, device = get_namespace_and_device(X)
        X = validate_data(self, X, dtype=[xp.float64, xp.float32], reset=False)
        coef, intercept = self.coef_, self.intercept_
        raw = xp.astype(X, coef.dtype) @ coef.T + intercept[None, :]
        if method == "decision_function":
            return raw[:, 1] - raw[:, 0] if raw.shape[1] == 2 else raw
        if method == "predict":
            indices = xp.argmax(raw, axis=1)
            xp_classes, _, device_classes = get_namespace_and_device(self.classes_)
            indices = move_to(indices, xp=xp_classes, device=device_classes)
            y_pred = xp_classes.take(self.classes_, indices, axis=0)
            if isinstance(y_pred[0], str):  # string labels stay in NumPy
                return y_pred
            return move_to(y_pred, xp=xp, device=device)
        shifted = raw - xp.max(raw, axis=1, keepdims=True)
        log_proba = shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))
        return log_proba if method == "predict_log_proba" else xp.exp(log_proba)
