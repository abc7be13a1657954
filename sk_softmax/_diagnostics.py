"""What a finished fit says about itself: separated data, no convergence, and the messages.

Separation: when the fitted model separates the training data and the
penalty is too weak to matter, the objective has no finite minimiser
(``C=inf``), or one so far out that ``tol`` stops the solver long before it
(huge ``C``): the returned coefficients are set by ``tol``, not by ``C``.
"""

import numpy as np
from scipy import sparse
from scipy.optimize import linprog
from scipy.special import logsumexp

from .datafits._kernels import raw_prediction


def _splits(X, target, scale, fit_intercept):
    """Whether a hyperplane strictly separates the rows of ``target`` from the others.

    The linear feasibility programme ``sign_i (x_i / scale . w + c) >= 1``
    (``c = 0`` without an intercept), with ``sign_i = +1`` on ``target``
    rows and ``-1`` on the others; columns are scaled only to help the LP
    solver, which changes nothing about feasibility.
    """
    sign = np.where(target, -1.0, 1.0)  # constraints written as A z <= -1
    if sparse.issparse(X):
        A = sparse.csr_matrix(X, dtype=np.float64, copy=True)
        A.data /= scale[A.indices]  # not times 1 / scale: that overflows for subnormal scales
        A = sparse.diags(sign) @ A
        if fit_intercept:
            A = sparse.hstack([A, sign[:, None]], format="csr")
    else:
        A = sign[:, None] * (np.asarray(X, dtype=np.float64) / scale)
        if fit_intercept:
            A = np.hstack([A, sign[:, None]])
    result = linprog(
        np.zeros(A.shape[1]),
        A_ub=A,
        b_ub=-np.ones(A.shape[0]),
        bounds=(None, None),
        method="highs",
    )
    return result.status == 0


# The largest recession programme solved (non-zeros of its constraints), and the margins'
# thresholds of its certificate, relative to the largest row of the scaled design (HiGHS
# holds constraints to about 1e-7; a real direction reaches margins of order one). HiGHS
# took 0.3 s on 2000 x 20 x 5 (336 000 non-zeros), 2.7 s on 6000 x 40 x 5 (2 million).
_MAX_RECESSION_ENTRIES = 500_000
_VIOLATION, _GAIN = 1e-6, 1e-4


def recession(X, y_codes, n_classes, scale, fit_intercept):
    """A direction of no return for the unpenalised likelihood, or None: (quasi-)separation.

    ``D`` (``n_classes`` rows, the first zero; one column per feature, then
    the intercept's) with ``(D_{y_i} - D_k) . x_i >= 0`` for every row ``i``
    and class ``k``, and ``> 0`` for some: along ``D`` no row's probability
    of its own class falls and some rise, so the likelihood grows for ever
    and has no finite maximiser, though no class need be split from the
    others by a hyperplane (quasi-complete separation: a dummy feature whose
    level occurs in one class only, say). The linear programme maximises the
    sum of the margins over the box ``|D| <= 1``; its answer is checked in
    float64 before it counts. ``X``: the rows of positive weight; columns
    divided by ``scale`` (which changes nothing but the solver's
    conditioning). None, too, when the programme would exceed
    ``_MAX_RECESSION_ENTRIES`` non-zeros.
    """
    n, n_features = X.shape
    width = n_features + int(fit_intercept)
    if n * (n_classes - 1) * 2 * width > _MAX_RECESSION_ENTRIES or n_classes < 2:
        return None  # before anything is densified or copied
    Z = X.toarray() if sparse.issparse(X) else np.asarray(X, dtype=np.float64)
    Z = Z / scale
    if fit_intercept:
        Z = np.hstack([Z, np.ones((n, 1))])
    # rows (i, k) for k != y_i: -(D_y - D_k) . z_i <= 0, over the blocks of classes 1..K-1
    rows, classes = np.nonzero(np.arange(n_classes)[None, :] != y_codes[:, None])
    own = y_codes[rows]
    blocks = [(own, -1.0), (classes, 1.0)]
    data, cols, where = [], [], []
    for index, sign in blocks:
        keep = index > 0  # class 0's row of D is fixed at zero
        where.append(np.repeat(np.flatnonzero(keep), width))
        cols.append(((index[keep] - 1)[:, None] * width + np.arange(width)).ravel())
        data.append((sign * Z[rows[keep]]).ravel())
    A = sparse.csr_matrix(
        (np.concatenate(data), (np.concatenate(where), np.concatenate(cols))),
        shape=(rows.size, (n_classes - 1) * width),
    )
    gain = -np.asarray(A.sum(axis=0)).ravel()  # the sum of all the margins
    result = linprog(-gain, A_ub=A, b_ub=np.zeros(rows.size), bounds=(-1, 1), method="highs")
    if result.status != 0:
        return None
    direction = np.vstack([np.zeros(width), result.x.reshape(n_classes - 1, width)])
    direction[np.abs(direction) < _VIOLATION] = 0.0
    raw = Z @ direction.T
    margins = raw[np.arange(n), y_codes][:, None] - raw
    size = np.abs(Z).sum(axis=1).max()
    if margins.min() < -_VIOLATION * size or not margins.max() > _GAIN * size:
        return None
    return direction


def penalty_negligible(problem, coef, tol):
    """Whether the penalty's pull, in the solver's coordinates, is within ``tol``.

    Its smooth part's gradient at ``coef``, and its norm's largest
    subgradient on the columns in the model (a norm pulls with the same force
    however small the weights; on a column whose weights are all zero it holds
    nothing back).
    """
    penalty = problem.solver_penalty
    theta = problem.to_solver(coef)
    grad = penalty.smooth_part().gradient(theta)
    if grad.size and np.max(np.abs(grad)) > tol:
        return False  # the common case (a ridge at C=1), known without the norm's part
    norm = penalty.nonsmooth_part()
    # the norm's pull on the model's own columns: a column of zeros or a constant one (a
    # blank pixel) has a tiny spread, so a huge weight in the solver's coordinates, and a
    # zero coefficient that holds nothing back (digits 0-2 at C=1e8 stopped 26 times above
    # the optimum without a warning when it counted)
    weights = np.reshape(theta, (-1, norm.n_dof))[:, : norm.n_features]
    used = np.any(weights != 0, axis=0)
    groups = used if norm.group_index is None else np.unique(norm.group_index[used])
    pull = norm.strength * float(np.max(norm.weights[groups], initial=0.0))
    return not pull > tol


def separated(problem, coef, data, weights, tol):
    """Whether the fit separates the training data with a negligible penalty.

    Two certificates of separation, each exact (it exhibits a direction
    along which the unpenalised objective decreases for ever):

    - every positively weighted sample is classified strictly correctly by
      the fitted ``W`` itself (the direction ``W``);
    - some class ``k`` is split from all the others by a hyperplane ``w.x +
      c`` (the direction that adds ``(w, c)`` to row ``k``): a linear
      programme, solved only for classes whose fitted probabilities already
      rank all their samples above all others.

    ``data`` is the backend's training data: the test runs on its rows in
    NumPy (``data.numpy``); for data too large to bring to memory only the
    first certificate is tried, chunk by chunk (``data.all_correct``).
    """
    if not penalty_negligible(problem, coef, tol):
        return False
    fit_intercept = problem.coordinates.fit_intercept
    n_features = data.n_features
    weight_vector = weights.weights
    rows = data.numpy(weight_vector)
    intercept = coef[:, -1] if fit_intercept else np.zeros(coef.shape[0])
    if rows is None:
        return data.all_correct(weight_vector, coef[:, :n_features], intercept)
    X, y_codes, weight_vector = rows
    raw = raw_prediction(X, coef[:, :n_features], intercept)
    used = weight_vector > 0
    index = np.arange(raw.shape[0])
    own = raw[index, y_codes].copy()
    raw[index, y_codes] = -np.inf
    if np.all(own[used] > raw.max(axis=1)[used]):
        return True
    raw[index, y_codes] = own
    for k in range(coef.shape[0]):
        mine = used & (y_codes == k)
        if not mine.any():  # a class without weight: nothing of it to separate
            continue
        score = raw[:, k] - logsumexp(np.delete(raw, k, axis=1), axis=1)
        others = used & (y_codes != k)
        if score[mine].min() > score[others].max() and _splits(
            X[used], (y_codes[used] == k), problem.coordinates.scale, fit_intercept
        ):
            return True
    return False


def separation_message(C, tol, coef):
    penalty = "C=inf (no penalty)" if np.isinf(C) else f"C={C!r}"
    return (
        "SoftmaxClassifier: the training data are linearly separable (at least one "
        f"class can be split from the others by a hyperplane) and with {penalty} the "
        "penalty is too weak to hold the coefficients back: the unpenalised objective "
        "has no finite minimiser, it keeps decreasing as the coefficients grow along "
        "the separating direction. The solver stopped where the gradient fell below "
        f"tol={tol!r} (largest |coef| {np.max(np.abs(coef)):.3g}); the coefficients "
        "and the near-0/1 training probabilities depend on tol, not on the data. "
        "Use a finite, smaller C (the penalty then gives a unique, finite optimum)."
    )


def convergence_message(solver, n_iter, message, tol, coef=None):
    text = (
        f"SoftmaxClassifier (solver={solver!r}) did not converge: {message} "
        f"after {n_iter} iterations (tol={tol}). Increase max_iter, or "
        "loosen tol; if C is very large or inf, the classes may be (nearly) separable, "
        "so that the coefficients grow without bound: use a smaller C."
    )
    if coef is not None and np.max(np.abs(coef)) > 1e300:
        text += (
            f" The coefficients reached {np.max(np.abs(coef)):.3g}, near the largest "
            "float64: features this small need coefficients beyond its range. Rescale "
            "X (e.g. with sklearn.preprocessing.StandardScaler) or use a finite C."
        )
    return text
