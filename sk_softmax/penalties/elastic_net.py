"""The sparse penalties: elastic net, with the L1 part by entries or by groups.

``alpha * ((1 - l1_ratio) / 2 * ||W||_F^2 + l1_ratio * P(W))`` in the
normalised objective's units (``alpha = 1 / (C S)``), with ``P`` one of

- ``sum_{k,j} |W_kj|`` (``groups=None``): ``LogisticRegression``'s L1 part;
- ``sum_j ||W_:j||_2`` (``groups="features"``): each feature's ``K``
  coefficients one group;
- ``sum_g sqrt(|g|) ||W_:,g||_F`` (an array of group ids): each group of
  columns one block, weighted by the square root of its size (so that a
  group of ``m`` columns with coefficients of a given size weighs as much as
  ``m`` single columns would under the L2 norm: large groups are not
  favoured for being large).

The smooth part is an :class:`~.l2.L2`, the non-smooth part a
:class:`~.l1.GroupL1`; a solver asks for them apart
(:meth:`ElasticNet.smooth_part`, :meth:`ElasticNet.nonsmooth_part`).
"""

import numpy as np

from .l1 import GroupL1
from .l2 import L2


def column_groups(groups, n_features):
    """``(group_index, weights)`` of the column groups ``groups`` ("features" or ids).

    ``group_index`` numbers the groups ``0 .. G - 1`` in order of first
    appearance; the weights are 1 for "features" (one column a group) and
    ``sqrt(|g|)`` for groups of ids.
    """
    if isinstance(groups, str):  # "features"
        return np.arange(n_features), np.ones(n_features)
    ids = np.asarray(groups)
    if ids.shape != (n_features,):
        raise ValueError(
            f"l1_groups has shape {ids.shape}, but X has {n_features} features: give one "
            "group id per feature (column), e.g. the name of the categorical variable each "
            "one-hot column comes from, or l1_groups='features'."
        )
    missing = ids != ids  # NaN, the one id unequal to itself
    if np.any(missing):
        raise ValueError(
            f"l1_groups holds NaN at the columns {np.flatnonzero(missing).tolist()[:10]}: give "
            "every feature a group id (NaN ids would all merge into one group)."
        )
    try:
        _, first, index = np.unique(ids, return_index=True, return_inverse=True)
    except TypeError as exc:
        raise TypeError(
            "l1_groups holds ids that cannot be compared with each other (mixed types?): "
            f"use ints or strings throughout. numpy said: {exc}"
        ) from None
    order = np.argsort(np.argsort(first))  # number the groups by first appearance
    index = order[index.reshape(-1)]
    sizes = np.bincount(index)
    return index, np.sqrt(sizes)


class ElasticNet:
    """``alpha * ((1 - l1_ratio)/2 ||W||^2 + l1_ratio P(W))``; the intercept is free.

    Parameters
    ----------
    alpha : float
        ``1 / (C S)``, positive.
    l1_ratio : float in (0, 1]
    n_features : int
    fit_intercept : bool
    groups : None, "features" or array-like of shape (n_features,)
        ``P``'s groups (module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from sk_softmax.penalties import ElasticNet
    >>> penalty = ElasticNet(0.5, 1.0, n_features=2, fit_intercept=True)
    >>> coef = np.array([[1.0, -2.0, 10.0], [0.0, 3.0, -10.0]])
    >>> float(penalty.value(coef))  # 0.5 * (1 + 2 + 0 + 3): the intercepts are free
    3.0
    >>> grouped = ElasticNet(0.5, 1.0, n_features=2, fit_intercept=True, groups="features")
    >>> round(grouped.value(coef), 6)  # 0.5 * (||(1, 0)|| + ||(-2, 3)||) = 0.5 * (1 + sqrt(13))
    2.302776
    """

    is_smooth = False

    def __init__(self, alpha, l1_ratio, n_features, fit_intercept, groups=None, *, parts=None):
        self.alpha = float(alpha)
        self.l1_ratio = float(l1_ratio)
        self.n_features = n_features
        self.fit_intercept = fit_intercept
        self.n_dof = n_features + int(fit_intercept)
        self.groups = groups
        if parts is not None:
            self._smooth, self._nonsmooth = parts
            return
        self._smooth = L2(self.alpha * (1.0 - self.l1_ratio), n_features, fit_intercept)
        if groups is None:
            index, weights = None, np.ones(n_features)
        else:
            index, weights = column_groups(groups, n_features)
        self._nonsmooth = GroupL1(self.alpha * self.l1_ratio, n_features, fit_intercept,
                                  index, weights)  # fmt: skip

    def smooth_part(self):
        """The ridge part, an :class:`~.l2.L2` (of strength ``alpha (1 - l1_ratio)``)."""
        return self._smooth

    def nonsmooth_part(self):
        """The norm part, a :class:`~.l1.GroupL1` (of strength ``alpha l1_ratio``)."""
        return self._nonsmooth

    def value(self, coef):
        return self._smooth.value(coef) + self._nonsmooth.value(coef)

    def scaling_curvature(self):
        """The curvature the standardised coordinates add to the spread: the ridge part's."""
        return self._smooth.alpha

    def shared_scales(self, scale):
        """The coordinates' scales with one scale per column group (their root mean square).

        A group's norm is a norm of the standardised block only if all its
        columns are scaled alike; entries and single-column groups keep their own.
        """
        index = self._nonsmooth.group_index
        if index is None:
            return scale
        mean_square = np.bincount(index, scale * scale) / np.bincount(index)
        return np.sqrt(mean_square)[index]

    def in_coordinates(self, scale):
        """The penalty on ``W' = W * scale`` (``scale`` shared within groups)."""
        parts = (self._smooth.in_coordinates(scale), self._nonsmooth.rescaled(scale))
        return ElasticNet(self.alpha, self.l1_ratio, self.n_features, self.fit_intercept,
                          self.groups, parts=parts)  # fmt: skip

    def columns(self, index):
        """The penalty on the feature columns ``index`` alone (whole groups of them)."""
        parts = (self._smooth.columns(index), self._nonsmooth.columns(index))
        return ElasticNet(self.alpha, self.l1_ratio, len(index), self.fit_intercept,
                          self.groups, parts=parts)  # fmt: skip

    def free_columns(self):
        """Only the intercept: the norm sees a shift of any weight column across classes."""
        free = np.zeros(self.n_dof, dtype=bool)
        free[self.n_features :] = True
        return free

    def canonical(self, coef):
        """The intercepts centred (a convention); the weights as the optimum has them.

        Unlike the ridge, the norm does not pick rows that sum to zero: shifting
        a column across classes changes the penalty, so the optimum already
        is the representative it prefers.
        """
        coef = np.array(np.reshape(coef, (-1, self.n_dof)), dtype=np.float64, copy=True)
        if self.fit_intercept:
            coef[:, -1] -= coef[:, -1].mean()
        return coef
