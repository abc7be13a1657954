"""The covariance of the baseline coefficients: bread, meat, corrections, coordinates.

Everything is first computed in the solvers' standardised coordinates, where
the Hessian is well conditioned whatever the features' scales, for the
normalised objective ``f = F / (C S)``; then mapped to the original
coordinates, a linear map ``M`` per class row (``W = W' / sigma``, ``b = b'
- (W' / sigma) . mu``), so ``Cov = M Cov' M^T``.

With ``H`` the penalised Hessian and ``I`` the data term's (equal without a
penalty), ``J`` a meat in the same units, and ``S`` the total weight::

    nonrobust   Cov' = H^-1 I H^-1 / S         (H^-1 / S without a penalty)
    HC0         Cov' = H^-1 J H^-1 / S,        J = sum_i s_i/S c_{y_i} g_i g_i^T
    HC1         HC0 * n / (n - k)
    cluster     Cov' = H^-1 J H^-1 / S * G / (G - 1) * (n - 1) / (n - k),
                J = S sum_g G_g G_g^T,  G_g = sum_{i in g} s_i/S g_i

with ``n`` the number of observations (the sum of the frequency weights),
``k`` the number of parameters (the effective number ``tr(H^-1 I)`` for a
penalised fit) and ``G`` the number of groups.
"""

import numpy as np
from scipy import linalg

#: The smallest ratio of the Hessian's extreme eigenvalues (standardised coordinates, every
#: parameter scaled to unit curvature) accepted as non-singular: below it the inverse has
#: fewer than about four correct digits (rounding of 1e-16 times the condition number).
RCOND = 1e-12

#: Below this estimate of the reciprocal condition number (1-norm, LAPACK's pocon, at most
#: n times the eigenvalue ratio for n parameters), the eigenvalues decide exactly.
_SCREEN = 1e-8


def without_spread(variances):
    """Which of ``variances`` are zero to rounding: the parameters the data leave fixed.

    A feature that is zero on every row gives its coefficients a variance of
    exactly 0; a constant one (beside the intercept) leaves rounding in
    their place, of either sign (-1e-45 against variances of order 1e-2,
    say), which is 0 as well: at most 64 epsilon times the largest.
    """
    variances = np.asarray(variances, dtype=np.float64)
    largest = np.abs(variances).max(initial=0.0)
    return np.abs(variances) <= 64 * np.finfo(np.float64).eps * largest


def cov_types():
    return ("nonrobust", "HC0", "HC1", "cluster")


def _eigen_inverse(scaled, describe):
    """The inverse of a suspect matrix by its eigenvalues, or a clear error if singular."""
    values, vectors = np.linalg.eigh(scaled)
    if values[0] > RCOND * values[-1]:
        return (vectors / values) @ vectors.T
    # the whole null space, not one vector of it: eigh's choice of basis in a null space
    # of several dimensions (one per free class, for collinear features) is rounding
    null = vectors[:, values <= RCOND * values[-1]]
    directions = "one direction" if null.shape[1] == 1 else f"{null.shape[1]} directions"
    raise ValueError(
        "The information matrix is singular: its smallest eigenvalue is "
        f"{max(values[0], 0.0) / values[-1]:.1e} of its largest (in standardised "
        "coordinates), so the data do not identify the coefficients along "
        f"{directions}, which move {describe(null)}. Typical causes: collinear "
        "features (one a linear combination of others, or constant next to the "
        "intercept), a feature that is zero on every row, or a class whose rows are "
        "almost perfectly predicted. Drop or combine those features, or fit with a "
        "finite C (inference then reports the penalised fit's sandwich covariance)."
    )


def invert(hessian, describe):
    """``H^-1`` of a symmetric positive definite Hessian, or a clear error if singular.

    By Cholesky, on ``H`` scaled to a unit diagonal; LAPACK's estimate of its
    condition screens for near-singularity, which the eigenvalues then decide
    (an eigendecomposition costs ten times a Cholesky factorisation, and is
    needed only then). ``describe(basis)`` names the parameters that a
    subspace moves, for the message (its orthonormal basis as the columns of
    a matrix whose rows follow the Hessian's layout).
    """
    if not np.all(np.isfinite(hessian)):
        raise ValueError(
            "The Hessian at the fitted coefficients is not finite: the estimator's "
            "coefficients overflow on these data. Refit it, with a finite C."
        )
    diagonal = np.diag(hessian).copy()
    diagonal[~(diagonal > 0)] = 1.0  # a zero curvature is left for the eigenvalues to see
    root = np.sqrt(diagonal)
    scaled = hessian / root[:, None] / root[None, :]
    try:
        factor = linalg.cho_factor(scaled, check_finite=False)  # upper, pocon's default
        (pocon,) = linalg.get_lapack_funcs(("pocon",), (scaled,))
        rcond, info = pocon(factor[0], np.abs(scaled).sum(axis=0).max())
        suspect = info != 0 or not rcond >= _SCREEN
    except linalg.LinAlgError:
        suspect = True
    if suspect:
        inverse = _eigen_inverse(scaled, describe)
    else:
        inverse = linalg.cho_solve(factor, np.eye(len(scaled)), check_finite=False)
    return inverse / root[:, None] / root[None, :]


def sandwich(bread, meat):
    """``B J B``, symmetrised (rounding leaves it a hair off)."""
    out = bread @ meat @ bread
    return (out + out.T) / 2


def effective_parameters(bread, info):
    """``tr(H^-1 I)``: the number of parameters, or fewer under a penalty."""
    return float(np.einsum("ij,ji->", bread, info))


def correction(cov_type, nobs, k, n_groups=None):
    """The small-sample factor of a covariance type (statsmodels' definitions)."""
    if nobs <= k:
        if cov_type in ("HC1", "cluster"):
            raise ValueError(
                f"cov_type={cov_type!r} needs more observations than parameters: there "
                f"are {nobs:g} observations (the sum of sample_weight) for {k:g} "
                "parameters. Use cov_type='HC0', or fewer features."
            )
        return 1.0
    if cov_type == "HC1":
        return nobs / (nobs - k)
    if cov_type == "cluster":
        return n_groups / (n_groups - 1.0) * (nobs - 1.0) / (nobs - k)
    return 1.0


def _map_columns(coordinates, matrix, n_dof):
    """``M`` applied to every column of ``matrix`` (rows in the ``(class, dof)`` layout)."""
    rows = matrix.T.reshape(-1, n_dof)
    return coordinates.to_original(rows).reshape(matrix.shape[1], -1).T


def to_original(coordinates, cov, n_dof):
    """``M Cov M^T``: a covariance from standardised to original coordinates."""
    once = _map_columns(coordinates, cov, n_dof)
    out = _map_columns(coordinates, once.T, n_dof)
    return (out + out.T) / 2


def vector_to_original(coordinates, vector, n_dof):
    """``M v`` for a vector of the ``(class, dof)`` layout."""
    return coordinates.to_original(vector.reshape(-1, n_dof)).ravel()
