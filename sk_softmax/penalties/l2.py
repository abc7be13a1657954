"""The L2 (ridge) penalty of softmax regression, ``alpha/2 * ||W||_F^2``."""

import numpy as np

from .l1 import GroupL1


class L2:
    """``alpha/2 * sum_kj strength_j / alpha * W_kj^2``; the intercept is never penalised.

    Parameters
    ----------
    alpha : float
        Strength in the normalised objective, ``1 / (C S)``; 0 for none.
    n_features : int
        Number of weight columns; a column after them is the intercept.
    fit_intercept : bool
    strength : ndarray of shape (n_features,), default=None
        Per-column strengths; ``alpha`` on every column when None. Set by
        :meth:`in_coordinates`.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_softmax.penalties import L2
    >>> penalty = L2(0.5, n_features=2, fit_intercept=True)
    >>> coef = np.array([[1.0, 2.0, 10.0], [-1.0, 0.0, -10.0]])
    >>> float(penalty.value(coef))  # 0.5 / 2 * (1 + 4 + 1 + 0): the intercepts are free
    1.5
    >>> penalty.free_columns()
    array([False, False,  True])
    """

    def __init__(self, alpha, n_features, fit_intercept, strength=None):
        self.alpha = float(alpha)
        self.n_features = n_features
        self.fit_intercept = fit_intercept
        self.n_dof = n_features + int(fit_intercept)
        self.strength = self.alpha if strength is None else strength
        # (lean: partial_fit makes two of these per minibatch)
        self._active = self.alpha != 0
        curvature = np.zeros(self.n_dof)
        curvature[:n_features] = self.strength
        self._curvature = curvature
        self._flat = None  # the curvature tiled over the classes, for raveled vectors
        self._free = None
        self._norm = None

    is_smooth = True

    def smooth_part(self):
        """The whole penalty: it is smooth."""
        return self

    def nonsmooth_part(self):
        """A norm of strength zero: nothing for a proximal operator to do."""
        if self._norm is None:  # made once: every fit's diagnostics ask for it
            self._norm = GroupL1(0.0, self.n_features, self.fit_intercept, None,
                                 np.ones(self.n_features))  # fmt: skip
        return self._norm

    def shared_scales(self, scale):
        """The coordinates' scales as they are: every column alone."""
        return scale

    def in_coordinates(self, scale):
        """The penalty on ``W' = W * scale``: strengths ``alpha / scale^2``.

        ``scale >= sqrt(alpha)`` in the standardised coordinates, so the
        strengths lie in ``[0, 1]``: nothing overflows.
        """
        return L2(self.alpha, self.n_features, self.fit_intercept, self.alpha / scale / scale)

    def columns(self, index):
        """The penalty on the feature columns ``index`` alone."""
        strength = self.strength if np.ndim(self.strength) == 0 else self.strength[index]
        return L2(self.alpha, len(index), self.fit_intercept, strength)

    def scaling_curvature(self):
        """The curvature ``alpha`` that every weight gets from the penalty."""
        return self.alpha

    def _weights(self, coef):
        return np.reshape(coef, (-1, self.n_dof))[:, : self.n_features]

    def flat_curvature(self, size):
        """The curvature of every entry of a raveled coefficient vector of ``size``."""
        if self._flat is None or self._flat.size != size:
            self._flat = np.tile(self._curvature, size // self.n_dof)
        return self._flat

    def value(self, coef):
        if not self._active:
            return 0.0
        coef = np.ravel(coef)
        return 0.5 * float(coef @ (self.flat_curvature(coef.size) * coef))

    def add_gradient(self, grad, coef):
        """``grad += gradient(coef)`` (same shapes); returns ``grad``."""
        if self._active:
            flat = self.flat_curvature(np.size(coef))
            grad += flat.reshape(np.shape(coef)) * coef
        return grad

    def value_add_gradient(self, grad, coef):
        """``value(coef)``, and ``grad += gradient(coef)`` (raveled vectors), in one pass."""
        if not self._active:
            return 0.0
        step = self.flat_curvature(coef.size) * coef
        grad += step
        return 0.5 * float(coef @ step)

    def gradient(self, coef):
        return self.add_gradient(np.zeros(np.shape(coef)), coef)

    def curvature(self):
        """The Hessian's diagonal per column of ``[X, 1]``: the strengths, 0 on the intercept."""
        return self._curvature

    def prox(self, coef, step):
        """``argmin_V 1/(2 step) ||V - coef||^2 + penalty(V)``: weights shrunk by ``1 + step s``."""
        out = np.array(coef, dtype=np.float64, copy=True)
        self._weights(out)[...] /= 1.0 + step * self.strength
        return out

    def free_columns(self):
        """Columns whose shift across classes the penalty does not see (mask of n_dof)."""
        if self._free is None:
            self._free = self._curvature == 0
        return self._free

    def canonical(self, coef):
        """The rows (and intercepts) summing to zero, shape (n_classes, n_dof).

        Adding one vector to every class row changes no probability and only
        adds to the penalty, which is smallest when the rows sum to zero;
        unpenalised columns (the intercept, or all without a penalty) are
        centred by convention. Solvers keep this only up to the penalty's
        weight, which vanishes in float64 for features near 1e300, say.
        """
        coef = np.array(np.reshape(coef, (-1, self.n_dof)), dtype=np.float64, copy=True)
        coef -= coef.sum(axis=0) / coef.shape[0]  # the mean, as np.mean rounds it
        return coef
