"""The data term on Array API arrays (PyTorch, CuPy, array-api-strict, ...).

The maths of :mod:`sk_softmax.datafits.numpy` written with the data's own
namespace ``xp`` and on their device: every pass over ``X`` is a product
computed by ``xp``. Coefficient vectors come in and go out as NumPy float64
vectors (the solvers' side) and are moved to the device for each
evaluation; only vectors of ``n_classes * n_dof`` values, and matrices of
that size squared, travel back.
"""

import numpy as np
from sklearn.utils._array_api import get_namespace, get_namespace_and_device, move_to

from .base import Datafit
from .moments import moments_to_mean_std


def as_numpy(array):
    """``array`` of any namespace and device as a NumPy array, its dtype kept (labels too)."""
    return np.asarray(move_to(array, xp=np, device="cpu"))


def to_numpy(array):
    """A float64 NumPy copy of a (small) array of any namespace and device."""
    return np.array(move_to(array, xp=np, device="cpu"), dtype=np.float64)


def column_moments_xp(X, sample_weight, center):
    """:func:`sk_softmax.datafits.moments.column_moments` computed with ``X``'s namespace.

    ``X`` (floating) and ``sample_weight`` share one namespace and device.
    The column sums are computed there; the returned ``(mean, std)`` are
    NumPy float64 vectors. Columns are divided by their largest magnitude
    before squaring, so that features of 1e-300 or 1e300 neither underflow
    nor overflow.
    """
    xp, _ = get_namespace(X)
    sw = sample_weight / xp.sum(sample_weight)
    magnitude = xp.max(xp.abs(X), axis=0)
    magnitude = xp.where(magnitude > 0, magnitude, xp.ones_like(magnitude))
    scaled = X / magnitude
    first = to_numpy(sw @ scaled)
    second = to_numpy(sw @ (scaled * scaled))
    return moments_to_mean_std(first, second, to_numpy(magnitude), center)


class ArrayAPIDatafit(Datafit):
    """Softmax cross-entropy of Array API data, in their namespace and on their device.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        Floating array of the working dtype (float64 where the device has
        it); never modified.
    y : array of shape (n_samples,), int
        Class codes in ``range(n_classes)``, same namespace and device as X.
    n_classes : int
    sample_weight : array of shape (n_samples,)
        Non-negative weights ``s_i``, same namespace, device and dtype as X,
        with a positive sum.
    fit_intercept : bool

    The one-hot label matrix and the probabilities of the last gradient (for
    Hessian products at the same point) are kept, both of shape
    (n_samples, n_classes), on the device.
    """

    def __init__(self, X, y, n_classes, sample_weight, fit_intercept):
        xp, _, device = get_namespace_and_device(X)
        self.xp, self.device, self.dtype = xp, device, X.dtype
        self.X = X
        self.n_classes = n_classes
        self.fit_intercept = fit_intercept
        self.onehot = xp.astype(
            y[:, None] == xp.arange(n_classes, dtype=y.dtype, device=device)[None, :], X.dtype
        )
        self.sample_weight = sample_weight
        self.sw = sample_weight / xp.sum(sample_weight)  # sums to one
        self.n_dof = X.shape[1] + int(fit_intercept)
        self.shape = (n_classes, self.n_dof)
        self.n_samples = X.shape[0]
        self.n_weighted = int(to_numpy(xp.sum(xp.astype(self.sw > 0, X.dtype))))
        self._cache_coef = None
        self._proba = None

    def columns(self, index):
        """The data term of the feature columns ``index`` alone (a copy of them, on the device)."""
        xp = self.xp
        columns = xp.asarray(np.asarray(index), device=self.device)
        codes = xp.argmax(self.onehot, axis=1)
        return ArrayAPIDatafit(xp.take(self.X, columns, axis=1), codes, self.n_classes,
                               self.sample_weight, self.fit_intercept)  # fmt: skip

    # -- between the solvers' NumPy vectors and the device ------------------------------
    def _to_device(self, array):
        return self.xp.asarray(np.ascontiguousarray(array), dtype=self.dtype, device=self.device)

    def _split(self, coef):
        """``(W, b)`` on the device (``b`` None without intercept), from a NumPy vector."""
        coef = np.asarray(coef, dtype=np.float64).reshape(self.shape)
        if self.fit_intercept:
            return self._to_device(coef[:, :-1]), self._to_device(coef[:, -1])
        return self._to_device(coef), None

    def _join(self, grad_weights, grad_intercept):
        """A NumPy vector from the device's weight and intercept parts."""
        grad_weights = to_numpy(grad_weights)
        if self.fit_intercept:
            return np.hstack([grad_weights, to_numpy(grad_intercept)[:, None]]).ravel()
        return grad_weights.ravel()

    def _raw(self, weights, intercept):
        raw = self.X @ weights.T
        return raw if intercept is None else raw + intercept[None, :]

    def _log_softmax(self, raw):
        """The max-shifted log-softmax of the rows: no exponential above one."""
        xp = self.xp
        shifted = raw - xp.max(raw, axis=1, keepdims=True)
        return shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))

    # -- the objective and its derivatives ----------------------------------------------
    def loss(self, coef):
        """The data term ``f(coef)``."""
        xp = self.xp
        log_proba = self._log_softmax(self._raw(*self._split(coef)))
        ce = -xp.sum(log_proba * self.onehot, axis=1)
        return float(to_numpy(xp.sum(self.sw * ce)))

    def loss_gradient(self, coef):
        """``(f, grad)``; also keeps the probabilities for Hessian products.

        The gradient is ``(P - Y)^T diag(s/S) X`` for the weights and the
        column sums of ``diag(s/S) (P - Y)`` for the intercept.
        """
        xp = self.xp
        log_proba = self._log_softmax(self._raw(*self._split(coef)))
        ce = -xp.sum(log_proba * self.onehot, axis=1)
        proba = xp.exp(log_proba)
        residual = (proba - self.onehot) * self.sw[:, None]
        value = float(to_numpy(xp.sum(self.sw * ce)))
        grad = self._join(residual.T @ self.X, xp.sum(residual, axis=0))
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
        ``(H V)_W = T^T X`` and ``(H V)_b = sum_i T_i``.
        """
        xp = self.xp
        proba = self._proba_at(coef)

        def product(vector):
            q = proba * self._raw(*self._split(vector))
            t = (q - proba * xp.sum(q, axis=1, keepdims=True)) * self.sw[:, None]
            return self._join(t.T @ self.X, xp.sum(t, axis=0))

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

    def _weighted_gram(self, xt, weights):
        """``X~^T diag(weights) X~`` as a NumPy matrix."""
        return to_numpy(xt.T @ (weights[:, None] * xt))

    def hessian(self, coef, mean=None, scale=None):
        """The full Hessian at ``coef``, a NumPy array of shape (n_classes * n_dof,) * 2.

        Block ``(k, l)`` is ``X~^T diag(s/S (delta_kl p_k - p_k p_l)) X~``; the
        ``K (K + 1) / 2`` distinct blocks are products on the device.
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
                block = self._weighted_gram(xt, w)
                hess4[k, :, m, :] = block
                hess4[m, :, k, :] = block.T
        return hess4.reshape(n_classes * n_dof, n_classes * n_dof)

    def two_class_hessian(self, coef, mean=None, scale=None):
        """``D = X~^T diag(s/S p_0 p_1) X~``: two classes' Hessian is ``[[D, -D], [-D, D]]``."""
        proba = self._proba_at(coef)
        return self._weighted_gram(
            self._augmented(mean, scale), self.sw * proba[:, 0] * proba[:, 1]
        )

    def hessian_diagonal(self, coef, mean=None, scale=None):
        """The Hessian's diagonal, ``sum_i s_i/S p_ik (1 - p_ik) x~_ij^2``."""
        proba = self._proba_at(coef)
        xt = self._augmented(mean, scale)
        w = proba * (1.0 - proba) * self.sw[:, None]
        return to_numpy(w.T @ (xt * xt)).ravel()

    def class_blocks(self, coef, mean=None, scale=None, max_rows=None):
        """The K diagonal blocks of the Hessian, NumPy, shape (n_classes, n_dof, n_dof).

        Block ``k`` is ``X~^T diag(s/S p_k (1 - p_k)) X~``, as in
        :meth:`sk_softmax.datafits.numpy.SoftmaxDatafit.class_blocks`. Exact
        here: ``max_rows`` (row sampling) is accepted and not used.
        """
        proba = self._proba_at(coef)
        xt = self._augmented(mean, scale)
        w = proba * (1.0 - proba) * self.sw[:, None]
        return np.stack([self._weighted_gram(xt, w[:, k]) for k in range(self.n_classes)])

    def class_hessian(self, coef, classes, mean=None, scale=None):
        """The Hessian's rows and columns of the classes ``classes``, NumPy.

        Block ``(k, l)`` is ``X~^T diag(s/S (delta_kl p_k - p_k p_l)) X~``, as in
        :meth:`sk_softmax.datafits.numpy.SoftmaxDatafit.class_hessian`; the
        diagonal blocks' ``1 - p_k`` summed from the other classes.
        """
        xp = self.xp
        proba = self._proba_at(coef)
        classes = [int(k) for k in classes]
        n_kept, n_dof = len(classes), self.n_dof
        xt = self._augmented(mean, scale)
        hess4 = np.zeros((n_kept, n_dof, n_kept, n_dof))
        for a, k in enumerate(classes):
            others = xp.asarray([m for m in range(self.n_classes) if m != k], device=self.device)
            rest = xp.sum(xp.take(proba, others, axis=1), axis=1)
            hess4[a, :, a, :] = self._weighted_gram(xt, self.sw * proba[:, k] * rest)
            for b in range(a + 1, n_kept):
                block = self._weighted_gram(xt, -self.sw * proba[:, k] * proba[:, classes[b]])
                hess4[a, :, b, :] = block
                hess4[b, :, a, :] = block.T
        return hess4.reshape(n_kept * n_dof, n_kept * n_dof)

    def _residuals(self, coef, classes):
        """``p_ik - [y_i = k]`` for ``k`` in ``classes``, shape (n_samples, len(classes))."""
        xp = self.xp
        index = xp.asarray([int(k) for k in classes], device=self.device)
        return xp.take(self._proba_at(coef) - self.onehot, index, axis=1)

    def score_outer(self, coef, classes, class_factor=None, mean=None, scale=None):
        """``sum_i s_i/S c_{y_i} g_i g_i^T``, NumPy (see ``datafits.base``).

        Block ``(k, l)`` is ``X~^T diag(s/S c_y r_k r_l) X~`` with ``r`` the
        residuals: one weighted Gram matrix per pair of classes, never an
        ``n x len(classes) n_dof`` array.
        """
        residual = self._residuals(coef, classes)
        weights = self.sw
        if class_factor is not None:
            weights = weights * (self.onehot @ self._to_device(np.asarray(class_factor)))
        xt = self._augmented(mean, scale)
        n_kept, n_dof = residual.shape[1], self.n_dof
        out = np.zeros((n_kept, n_dof, n_kept, n_dof))
        for a in range(n_kept):
            for b in range(a, n_kept):
                block = self._weighted_gram(xt, weights * residual[:, a] * residual[:, b])
                out[a, :, b, :] = block
                out[b, :, a, :] = block.T
        return out.reshape(n_kept * n_dof, n_kept * n_dof)

    def score_sums(self, coef, classes, groups, n_groups, mean=None, scale=None):
        """Each group's ``sum_i s_i/S g_i``, NumPy, shape (n_groups, len(classes) * n_dof).

        ``groups``: integer codes of this namespace and device. Computed as
        ``G^T (s/S r_k X~)`` per class with ``G`` the rows' group indicator,
        built for a batch of groups at a time (at most about ``2^22``
        indicator entries on the device).
        """
        xp = self.xp
        residual = self._residuals(coef, classes) * self.sw[:, None]
        xt = self._augmented(mean, scale)
        n_kept, n_dof = residual.shape[1], self.n_dof
        sums = np.zeros((n_groups, n_kept, n_dof))
        batch = max(1, (1 << 22) // max(1, self.n_samples))
        for start in range(0, n_groups, batch):
            stop = min(start + batch, n_groups)
            codes = xp.arange(start, stop, dtype=groups.dtype, device=self.device)
            indicator = xp.astype(groups[:, None] == codes[None, :], self.dtype)
            for a in range(n_kept):
                sums[start:stop, a, :] = to_numpy(indicator.T @ (residual[:, a : a + 1] * xt))
        return sums.reshape(n_groups, n_kept * n_dof)
