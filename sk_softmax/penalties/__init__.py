"""Penalties on the coefficients, apart from the data term.

A penalty acts on the weights ``W`` (the first ``n_features`` columns of the
``(n_classes, n_dof)`` coefficient matrix), never on the intercept, and is
expressed in the normalised objective's units (``F / (C S)``: strength
``alpha = 1 / (C S)``). What every penalty offers, for the fit pipeline and
the solvers (a solver lists the methods it needs in ``penalty_methods``):

- ``value(coef)``, and for smooth penalties ``gradient(coef)`` (and the
  in-place ``add_gradient(grad, coef)``, ``value_add_gradient(grad, coef)``)
  and ``curvature()``, the diagonal of its Hessian per column of ``[X, 1]``
  (``flat_curvature(size)`` for every entry of a raveled coefficient vector);
- ``prox(coef, step)``, its proximal operator;
- ``free_columns()``: the columns along which adding one value to every
  class row leaves the penalty unchanged. The data term is unchanged by such
  a shift of any column (the softmax is), so these are the directions that
  change nothing at all: the Newton solvers project them out;
- ``canonical(coef)``: the representative of the model that the fit returns
  among those giving the same probabilities (for a smooth penalty, where it
  is smallest: the Newton solvers end every step there);
- ``in_coordinates(scale)``: the same penalty on the coefficients of the
  standardised features (``W = W' / scale``);
- ``scaling_curvature()``: the curvature the standardised coordinates add
  to the data's spread (:func:`sk_softmax.datafits.standardized.standard_scales`),
  and ``shared_scales(scale)``: the scales it needs shared (one per group);
- ``is_smooth``, ``smooth_part()`` and ``nonsmooth_part()``: a smooth penalty
  (:class:`L2`) is its own smooth part; a sparse one (:class:`ElasticNet`)
  splits into a ridge and a sum of group norms (:class:`GroupL1`: ``value``,
  ``prox``, ``violation``, ``dual_norm``), which the smooth solvers cannot
  take and the proximal Newton solver can.
"""

from .elastic_net import ElasticNet, column_groups
from .l1 import GroupL1
from .l2 import L2


def make_penalty(alpha, n_features, fit_intercept, l1_ratio=0.0, l1_groups=None):
    """The penalty of strength ``alpha = 1 / (C S)`` the estimator's parameters ask for.

    The ridge (:class:`L2`) when ``l1_ratio`` is 0 or there is no penalty at
    all (``alpha = 0``, ``C=inf``), else the elastic net (:class:`ElasticNet`).
    """
    if l1_ratio == 0 or alpha == 0:
        if l1_groups is not None:  # unused by the ridge, but checked: a mistake is one anyway
            column_groups(l1_groups, n_features)
        return L2(alpha, n_features, fit_intercept)
    return ElasticNet(alpha, l1_ratio, n_features, fit_intercept, l1_groups)


__all__ = ["ElasticNet", "GroupL1", "L2", "make_penalty"]
