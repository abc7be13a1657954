"""Preconditioned conjugate gradients on Hessian-vector products: the truncated Newton step.

Shared by "newton-cg" (with the class-block preconditioner, :mod:`.cg`) and
"newton-cholesky" (with the factor of an earlier Hessian,
:class:`~.newton.ReusedFactor`).
"""

import numpy as np

from ._base import EPS


def cg_direction(objective, coef, grad, precondition, tol=0.0, max_cg=None):
    """Approximately solve ``H d = -g`` by preconditioned conjugate gradients.

    Only Hessian-vector products are needed: two passes over ``X`` each, no
    (d K)^2 matrix. The relative residual target ``eta = min(0.5,
    sqrt(||g||))`` (Eisenstat-Walker) gives superlinear convergence; the
    residual need never be below ``tol / 2``, since the new gradient is about
    the residual plus O(||g||^2), and ``tol`` is all that is asked.
    ``precondition`` is ``r -> M^{-1} r`` (see :func:`preconditioner`).
    Starting from zero, CG stays in the Krylov space of ``g``, which lies in
    the complement of the directions that do not change the model, so no
    projection is needed. ``max_cg``: the most products to spend (by
    default 20 to 200, by size). Returns ``(d, number of Hessian-vector
    products, whether the residual target was reached)``.
    """
    product = objective.hessp(coef)
    take = getattr(product, "take", None)  # the data term follows d (datafits/_lines.py)
    if take is not None:
        product.follow()
    g_norm = np.linalg.norm(grad)
    eta = min(0.5, np.sqrt(g_norm))
    target = max(eta * g_norm, 0.5 * tol)
    max_cg = max(20, min(grad.size, 200)) if max_cg is None else max_cg
    d = np.zeros_like(grad)
    r = -grad.copy()
    z = precondition(r)
    p = z.copy()
    rz = r @ z
    n_cg = 0
    reached = False
    while n_cg < max_cg:
        n_cg += 1
        hp = product(p)
        curvature = p @ hp
        if curvature <= EPS * (p @ p):
            break  # flat or singular direction: stop with what we have
        step = rz / curvature
        d += step * p
        if take is not None:
            take(step)
        r -= step * hp
        if np.linalg.norm(r) <= target:
            reached = True
            break
        z = precondition(r)
        rz_new = r @ z
        p = z + (rz_new / rz) * p
        rz = rz_new
    if not d.any():
        d = -grad
    return d, n_cg, reached
