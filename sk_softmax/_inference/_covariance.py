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

#: The smallest ratio of the Hessian's extreme eigenvalues (standardised
#: coordinates) accepted as non-singular: below it the inverse has fewer than
#: about four correct digits (rounding of 1e-16 times the condition number).
RCOND = 1e-12


def cov_types():
    return ("nonrobust", "HC0", "HC1", "cluster")


def invert(hessian, describe):
    """``H^-1`` of a symmetric positive definite Hessian, or a clear error if singular.

    ``describe(vector)`` names the parameters that a direction moves, for the
    message (a vector of the Hessian's layout).
    """
    if not np.all(np.isfinite(hessian)):
        raise ValueError(
            "The Hessian at the fitted coefficients is not finite: the estimator's "
            "coefficients overflow on these data. Refit it, with a finite C."
        )
    values, vectors = np.linalg.eigh(hessian)
    largest = values[-1]
    if not values[0] > RCOND * largest:
        raise ValueError(
            "The information matrix is singular: its smallest eigenvalue is "
            f"{max(values[0], 0.0) / largest:.1e} of its largest (in standardised "
            "coordinates), so the data do not identify the coefficients along one "
            f"direction, which moves {describe(vectors[:, 0])}. Typical causes: collinear "
            "features (one a linear combination of others, or constant next to the "
            "intercept), a feature that is zero on every row, or a class whose rows are "
            "almost perfectly predicted. Drop or combine those features, or fit with a "
            "finite C (inference then reports the penalised fit's sandwich covariance)."
        )
    return (vectors / values) @ vectors.T


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
