"""The running moments of the rows a stream has shown: their weighted mean and comoment.

``partial_fit``'s steps are taken in the coordinates of these moments (the
rows standardised by the mean and spread seen so far), and its Kronecker
curvature uses their correlations (:mod:`sk_softmax.solvers.online`). They
are updated with new arrays, never in place: ``partial_fit`` steps a copy of
the state, so that a call that fails leaves the caller's state as it was.
"""

import numpy as np
from scipy import sparse


def update_moments(state, X, weights, total):
    """Add the rows ``X`` (weights ``weights``, summing to ``total > 0``) to the moments.

    Chan's pairwise update: the minibatch's own centred moments, then the
    shift between the two means, so that raw features on scales of 1e5 lose
    no digits to cancellation. Features of about 1e150 and more overflow
    them (quietly here: :func:`check_moments` says so, in ``online_step``).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        state.comoment, state.mean = _moments_after(state, X, weights, total)


def _moments_after(state, X, weights, total):
    """The comoment and mean of the rows seen, ``X`` added (new arrays)."""
    mean_b = np.asarray(X.T @ weights).ravel() / total
    if state.comoment.ndim == 1:
        if sparse.issparse(X):
            second = np.asarray(X.multiply(X).T @ weights).ravel()
        else:
            second = (X * X).T @ weights
        comoment_b = np.maximum(second - total * mean_b**2, 0.0)
    elif sparse.issparse(X):
        gram = np.asarray((X.T @ X.multiply(weights[:, None]).tocsr()).todense())
        comoment_b = gram - total * np.outer(mean_b, mean_b)
    else:
        centred = X - mean_b
        comoment_b = centred.T @ (centred * weights[:, None])
    delta = mean_b - state.mean
    n_new = state.n_seen + total
    shift = state.n_seen * total / n_new
    if comoment_b.ndim == 2:
        comoment = state.comoment + (comoment_b + shift * np.outer(delta, delta))
    else:
        comoment = state.comoment + (comoment_b + shift * delta**2)
    return comoment, state.mean + delta * (total / n_new)


def check_moments(state, X):
    """A clear error where the moments overflowed float64 (features of about 1e150 and more)."""
    # the squares overflow first: finite diagonal moments bound the others (Cauchy-Schwarz)
    squares = state.comoment if state.comoment.ndim == 1 else np.diagonal(state.comoment)
    if not (np.isfinite(squares).all() and np.isfinite(state.mean).all()):
        raise ValueError(
            "The features' running second moments overflow float64 (entries as large as "
            f"{float(abs(X).max()):.3g} in this batch, or before): the online steps keep the "
            "moments of the rows seen, so features must stay below about 1e150 in size. "
            "Scale them down first, e.g. by a power of ten."
        )
