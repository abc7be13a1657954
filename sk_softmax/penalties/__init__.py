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
  among those giving the same probabilities;
- ``in_coordinates(scale)``: the same penalty on the coefficients of the
  standardised features (``W = W' / scale``);
- ``scaling_curvature()``: the curvature the standardised coordinates add
  to the data's spread (:func:`sk_softmax.datafits.standardized.standard_scales`).
"""

from .l2 import L2

#: The methods every penalty implements.
METHODS = (
    "value",
    "gradient",
    "add_gradient",
    "value_add_gradient",
    "curvature",
    "flat_curvature",
    "prox",
    "free_columns",
    "canonical",
    "in_coordinates",
    "scaling_curvature",
)

__all__ = ["L2", "METHODS"]
