"""Sums of norms of groups of weights: the L1 norm and its grouped forms.

The non-smooth part of the sparse penalties (:mod:`.elastic_net`), in one
class, ``strength * sum_g w_g ||W_g||_2``, for three kinds of groups of the
weights ``W`` (the first ``n_features`` columns of the ``(n_classes, n_dof)``
coefficient matrix; the intercept is never penalised):

- ``"entries"``: every weight ``W_kj`` alone, ``||W_kj|| = |W_kj|``, with a
  weight ``w_j`` per column: the L1 norm;
- column groups (``group_index`` gives each column its group): the block of
  the columns of a group in every class row, ``||W_:,g||_F``: a whole feature,
  or a whole categorical variable, leaves the model for every class at once.

Everything is vectorised over the groups: the norms by ``np.bincount`` over
the columns, the proximal operator as one scaling per group.
"""

import numpy as np


class GroupL1:
    """``strength * sum_g w_g ||W_g||``, the intercept free.

    Parameters
    ----------
    strength : float
        The norm's multiplier in the normalised objective (``alpha *
        l1_ratio``); 0 for none.
    n_features : int
    fit_intercept : bool
    group_index : ndarray of shape (n_features,) of int, or None
        Each column's group, ``0 .. n_groups - 1``; None for ``"entries"``.
    weights : ndarray of shape (n_features,) or (n_groups,)
        Per column (entries) or per group.
    """

    is_zero = False

    def __init__(self, strength, n_features, fit_intercept, group_index, weights):
        self.strength = float(strength)
        self.n_features = n_features
        self.fit_intercept = fit_intercept
        self.n_dof = n_features + int(fit_intercept)
        self.group_index = group_index
        self.weights = np.asarray(weights, dtype=np.float64)
        self.n_groups = n_features if group_index is None else self.weights.size

    def rescaled(self, column_factor):
        """The same norm with the weights divided by a factor per column.

        For column groups the factor must be the same on every column of a
        group (the standardised coordinates make it so): it divides the
        group's weight.
        """
        if self.group_index is None:
            weights = self.weights / column_factor
        else:
            first = np.zeros(self.n_groups, dtype=np.intp)
            first[self.group_index[::-1]] = np.arange(self.n_features)[::-1]
            weights = self.weights / column_factor[first]
        return GroupL1(self.strength, self.n_features, self.fit_intercept, self.group_index,
                       weights)  # fmt: skip

    def columns(self, index):
        """The norm on the feature columns ``index`` alone (whole groups of them)."""
        if self.group_index is None:
            return GroupL1(self.strength, len(index), self.fit_intercept, None, self.weights[index])
        groups, renumbered = np.unique(self.group_index[index], return_inverse=True)
        return GroupL1(self.strength, len(index), self.fit_intercept, renumbered.reshape(-1),
                       self.weights[groups])  # fmt: skip

    # -- helpers on raveled vectors -------------------------------------------------
    def _weight_block(self, coef):
        """The weights' block of a raveled vector, (n_classes, n_features), a view."""
        return np.reshape(coef, (-1, self.n_dof))[:, : self.n_features]

    def _thresholds(self):
        """``strength * w`` per column (entries) or per group."""
        return self.strength * self.weights

    def group_norms(self, block):
        """The norm of each group of ``block`` (n_classes, n_features): (n_features,) or (G,)."""
        if self.group_index is None:
            return np.abs(block)  # (K, d): every entry is a group
        squares = np.einsum("kj,kj->j", block, block)
        return np.sqrt(np.bincount(self.group_index, squares, minlength=self.n_groups))

    def _per_column(self, values):
        """Group values spread back over the columns (entries: as they are)."""
        return values if self.group_index is None else values[self.group_index]

    # -- the penalty --------------------------------------------------------------------
    def value(self, coef):
        if self.strength == 0:
            return 0.0
        norms = self.group_norms(self._weight_block(coef))
        if self.group_index is None:
            return float(self.strength * (norms @ self.weights).sum())
        return float(self.strength * norms @ self.weights)

    def prox(self, coef, step):
        """``argmin_u 1/(2 step) ||u - coef||^2 + h(u)``: soft thresholding, by group."""
        out = np.array(coef, dtype=np.float64, copy=True)
        if self.strength == 0:
            return out
        block = self._weight_block(out)
        threshold = step * self._thresholds()
        if self.group_index is None:
            np.copysign(np.maximum(np.abs(block) - threshold, 0.0), block, out=block)
            return out
        norms = self.group_norms(block)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(norms > threshold, 1.0 - threshold / norms, 0.0)
        block *= factor[self.group_index]
        return out

    def restricted_prox(self, index, n_classes):
        """:meth:`prox` on the entries ``index`` of a raveled vector alone, as a function.

        ``prox(values, step)`` with ``values`` those entries: the inner loop of
        the proximal Newton solver calls it thousands of times on small
        working sets, where reshaping the whole vector cost more than the
        arithmetic (iris, a 100-point path: 65 to 20 us an iteration).
        """
        column = np.tile(np.arange(self.n_dof), n_classes)[index]
        penalised = column < self.n_features
        if self.strength == 0:
            return lambda values, step: np.array(values, dtype=np.float64)
        if self.group_index is None:
            thresholds = np.where(
                penalised, self._thresholds()[np.minimum(column, self.n_features - 1)], 0.0
            )

            def prox(values, step):
                return np.sign(values) * np.maximum(np.abs(values) - step * thresholds, 0.0)

            return prox
        group = self.group_index[column[penalised]]
        weights = self._thresholds()
        where = np.flatnonzero(penalised)

        def prox(values, step):
            out = np.array(values, dtype=np.float64)
            part = out[where]
            norms = np.sqrt(np.bincount(group, part * part, minlength=self.n_groups))
            threshold = step * weights
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(norms > threshold, 1.0 - threshold / norms, 0.0)
            out[where] = part * factor[group]
            return out

        return prox

    def violation(self, coef, grad):
        """The least-norm element of ``grad + dh(coef)``, shape like ``grad``.

        Zero exactly at the optimum of ``f + h`` when ``grad`` is ``f``'s
        gradient: for a group that is not zero, ``grad_g + t_g W_g /
        ||W_g||``; for a zero group, what is left of ``grad_g`` outside the
        ball of radius ``t_g`` (``grad_g (1 - t_g / ||grad_g||)_+``); the
        intercept's entries as they are. Its largest absolute entry is the
        stopping criterion of the non-smooth solvers.
        """
        out = np.array(grad, dtype=np.float64, copy=True)
        if self.strength == 0:
            return out
        block, g = self._weight_block(coef), self._weight_block(out)
        thresholds = self._thresholds()
        if self.group_index is None:
            t = np.broadcast_to(thresholds, block.shape)
            zero = block == 0
            g[...] = np.where(
                zero, np.sign(g) * np.maximum(np.abs(g) - t, 0.0), g + t * np.sign(block)
            )
            return out
        norms = self.group_norms(block)
        grad_norms = self.group_norms(g)
        with np.errstate(divide="ignore", invalid="ignore"):
            shrink = np.where(grad_norms > thresholds, 1.0 - thresholds / grad_norms, 0.0)
            toward = np.where(norms > 0, thresholds / norms, 0.0)
        zero = self._per_column(norms == 0)
        g[...] = np.where(zero, g * self._per_column(shrink), g + block * self._per_column(toward))
        return out

    def dual_norm(self, grad_block):
        """``max_g ||grad_g|| / w_g`` of a weights' block: where ``W = 0`` stops being optimal.

        ``W = 0`` minimises ``f + h`` (the intercept free) exactly when every
        group of ``f``'s gradient there lies in its ball, ``||G_g|| <= strength
        w_g``: for the smallest strength at which it does, ``strength =
        dual_norm(G)``.
        """
        norms = self.group_norms(grad_block)
        return float(np.max(norms / self.weights)) if norms.size else 0.0

    def active_columns(self, coef):
        """Columns (features) with a non-zero weight in some class, mask of n_features."""
        return np.any(self._weight_block(coef) != 0, axis=0)
