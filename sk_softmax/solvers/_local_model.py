"""The proximal Newton solver's inner problem: a quadratic plus a sum of group norms.

At ``theta`` the local model of ``f + h`` is, in ``u = theta + d``,

    q(u) = g . (u - theta) + 1/2 (u - theta)^T H (u - theta) + h(u)

(``g``, ``H`` the gradient and Hessian of ``f`` at ``theta``, on the
coefficients of a working set), solved by accelerated proximal gradient
(:func:`fista`), ``H`` a matrix or known through Hessian-vector products.

Measured and not kept: an active-set solver for the entry-wise norm (the
feature-sign search of Lee et al., 2007: a Cholesky solve per sign pattern,
an exact line search along the piecewise quadratic). On digits it needed
20 to 30 solves of a 500 x 500 block per Newton step, as the sign pattern
changes one kink at a time, and took 5 to 10 times as long as these
iterations; Jacobi scaling of the iterations saved under 20% of them.
"""

import copy
import math

import numpy as np

from ._base import max_abs


class LocalModel:
    """The quadratic part of ``q`` on the coefficients ``index`` of ``smooth`` at ``coef``.

    ``columns``: the feature columns of the working set (``index`` is their
    coefficients in every class, and the intercept's). When ``explicit``,
    ``H`` is a matrix, the Hessian of ``smooth`` restricted to those columns
    (one pass costing ``n (K |columns|)^2``, not ``n (K d)^2``); otherwise
    only Hessian-vector products of the whole ``H`` are used.
    """

    def __init__(self, smooth, coef, grad, index, columns, explicit):
        self.index = index
        self.start = coef[index]
        self.grad = grad[index]
        if explicit:
            if index.size < coef.size:
                matrix = smooth.columns(columns).hessian(self.start)
            else:
                matrix = smooth.hessian(coef)
            self.product = matrix.__matmul__
        else:
            full = smooth.hessp(coef)
            buffer = np.zeros(coef.size)

            def product(v):
                buffer[index] = v
                return full(buffer)[index]

            self.product = product
        self.step = None  # FISTA's step, 1 / (an upper estimate of H's largest eigenvalue)

    def moved(self, coef, grad):
        """The same curvature at a new point: ``H`` kept, the gradient and start new."""
        out = copy.copy(self)
        out.start, out.grad = coef[self.index], grad[self.index]
        return out


def largest_eigenvalue(product, size, rng):
    """An upper estimate of the largest eigenvalue of a positive semi-definite operator.

    Twenty power iterations from a random start, plus ten per cent: the
    inner solver's step ``1 / L`` must not exceed the inverse of the
    curvature, and a restart catches the rare underestimate.
    """
    v = rng.standard_normal(size)
    v /= np.linalg.norm(v)
    estimate = 0.0
    for _ in range(20):
        w = product(v)
        estimate = float(np.linalg.norm(w))
        if not estimate > 0:
            return 1.0
        v = w / estimate
    return 1.1 * estimate


def fista(model, norm_prox, step, target, max_inner):
    """Minimise ``q`` from ``u0 = model.start`` by accelerated proximal gradient.

    With the gradient restart of O'Donoghue and Candes (2015); stops when
    the gradient mapping ``(y - u) / step`` has no entry above ``target``.
    Returns ``(u, iterations)``.
    """
    start = model.start
    u = start.copy()
    y = u.copy()
    momentum = 1.0
    for it in range(1, max_inner + 1):
        grad_q = model.grad + model.product(y - start)
        new = norm_prox(y - step * grad_q, step)
        mapping = (y - new) / step
        if max_abs(mapping) <= target:
            return new, it
        if float((y - new) @ (new - u)) > 0:  # not descending: restart the momentum
            momentum, y = 1.0, new.copy()
        else:
            next_momentum = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * momentum * momentum))
            y = new + ((momentum - 1.0) / next_momentum) * (new - u)
            momentum = next_momentum
        u = new
    return u, max_inner
