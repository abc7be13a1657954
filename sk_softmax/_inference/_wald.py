"""Wald tests of linear hypotheses on the coefficients, and the per-term joint tests.

For ``r`` restrictions ``R beta = q`` on the parameters ``beta`` (raveled in
statsmodels' order) with covariance ``V``, the statistic ``W = (R beta -
q)^T (R V R^T)^{-1} (R beta - q)`` is chi-squared with ``r`` degrees of
freedom under the hypothesis (asymptotically).
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class WaldTestResult:
    """The result of a Wald test (:meth:`SoftmaxInference.wald_test`).

    Attributes
    ----------
    statistic : float
        ``W = (R beta - q)^T (R V R^T)^{-1} (R beta - q)``.
    pvalue : float
        ``P(chi2(df_num) > W)``.
    df_num : int
        The number of restrictions, the rank of ``R``.
    distribution : str
        ``"chi2"``.
    """

    statistic: float
    pvalue: float
    df_num: int
    distribution: str = "chi2"

    def __str__(self):
        return (
            f"<Wald test ({self.distribution}): statistic={self.statistic:.6g}, "
            f"p-value={self.pvalue:.6g}, df={self.df_num}>"
        )


def _check_matrix(R, q, n_params, n_classes_kept):
    """``(R, q)`` as a 2-D float matrix in statsmodels' order and a vector, checked."""
    layout = (
        f"pass R as numbers: shape (n_restrictions, {n_params * n_classes_kept}) in the order "
        f"of cov_params(), or (n_restrictions, {n_params}, {n_classes_kept}) in the layout of "
        "params (rows in the order of param_names)"
    )
    if isinstance(R, str):
        raise TypeError(
            f"R={R!r} is text: hypotheses written as formulas are not parsed; {layout}."
        )
    try:
        R = np.asarray(R, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"R is not a numeric matrix ({exc}): {layout}.") from None
    if R.ndim == 1:
        R = R[None, :]
    elif R.ndim == 3:  # restrictions in the layout of params: (r, n_params, n_classes - 1)
        if R.shape[1:] != (n_params, n_classes_kept):
            raise ValueError(
                f"R has shape {R.shape}: a 3-D R holds restrictions in the layout of "
                f"params, shape (n_restrictions, {n_params}, {n_classes_kept})."
            )
        R = R.transpose(0, 2, 1).reshape(R.shape[0], -1)
    size = n_params * n_classes_kept
    if R.ndim != 2 or R.shape[1] != size:
        raise ValueError(
            f"R has shape {np.shape(R)}, but the model has {size} parameters: pass R of "
            f"shape (n_restrictions, {size}) in the order of cov_params(), or "
            f"(n_restrictions, {n_params}, {n_classes_kept}) in the layout of params."
        )
    if not np.all(np.isfinite(R)):
        raise ValueError("R holds NaN or infinite values.")
    q = np.zeros(R.shape[0]) if q is None else np.asarray(q, dtype=np.float64).reshape(-1)
    if q.shape != (R.shape[0],):
        raise ValueError(f"q has {q.size} values for {R.shape[0]} restrictions: pass one each.")
    return R, q


def wald(params_flat, cov, R, q):
    """The Wald test of ``R beta = q``; ``R`` 2-D in the order of ``params_flat``."""
    diff = R @ params_flat - q
    middle = R @ cov @ R.T
    values, vectors = np.linalg.eigh(middle)
    if not values[0] > 1e-12 * max(values[-1], 0.0):
        raise ValueError(
            "The restrictions' covariance R V R^T is singular: the rows of R are linearly "
            "dependent (or all zero). Drop the redundant restrictions."
        )
    statistic = float(np.sum((vectors.T @ diff) ** 2 / values))
    df = R.shape[0]
    return WaldTestResult(statistic, float(stats.chi2.sf(statistic, df)), df)


class WaldTestTerms:
    """Per term (the intercept, each feature), the joint Wald test that its coefficients are 0.

    One test per row of ``params``: that the term's coefficients are zero for
    every non-baseline class, ``n_classes - 1`` restrictions, so that the
    term does not change any class probability. "Does this variable matter?"
    A term whose coefficients the data leave fixed (a feature that is zero or
    constant on every row, held at 0 by the penalty) gets statistic 0 and
    p-value 1, as its coefficients get ``z = 0`` and ``p = 1``.

    Attributes
    ----------
    terms : list of str
    statistic : ndarray of shape (n_terms,)
    pvalue : ndarray of shape (n_terms,)
    df : ndarray of shape (n_terms,)
    """

    def __init__(self, terms, tests):
        self.terms = list(terms)
        self.statistic = np.array([t.statistic for t in tests])
        self.pvalue = np.array([t.pvalue for t in tests])
        self.df = np.array([t.df_num for t in tests])

    def summary_frame(self):
        """The tests as a pandas DataFrame (needs pandas), one row per term."""
        from ._tables import require_pandas

        pd = require_pandas("summary_frame")
        return pd.DataFrame(
            {"chi2": self.statistic, "P>chi2": self.pvalue, "df constraint": self.df},
            index=self.terms,
        )

    def __str__(self):
        width = max(10, *(len(t) for t in self.terms))
        lines = [f"{'':<{width}}{'chi2':>12}{'P>chi2':>12}{'df constraint':>15}"]
        for term, s, p, d in zip(self.terms, self.statistic, self.pvalue, self.df, strict=True):
            lines.append(f"{term:<{width}}{s:>12.4g}{p:>12.4g}{d:>15d}")
        return "\n".join(lines)

    def __repr__(self):
        return f"<WaldTestTerms: {len(self.terms)} terms>\n{self}"


def terms_tests(params, cov, terms, fixed):
    """:class:`WaldTestTerms` for ``params`` of shape (n_params, n_kept) and its covariance.

    ``fixed``: the parameters without spread (bool, in the order of ``cov``).
    """
    n_params, n_kept = params.shape
    flat = params.T.ravel()
    tests = []
    for row in range(n_params):
        columns = np.arange(n_kept) * n_params + row
        if fixed[columns].all():  # a term the data say nothing about, as its z = 0, p = 1
            tests.append(WaldTestResult(0.0, 1.0, n_kept))
            continue
        R = np.zeros((n_kept, n_params * n_kept))
        R[np.arange(n_kept), columns] = 1.0
        tests.append(wald(flat, cov, R, np.zeros(n_kept)))
    return WaldTestTerms(terms, tests)
