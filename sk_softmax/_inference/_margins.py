"""Marginal effects and prediction intervals, with delta-method standard errors.

With ``o_k = beta_k . x~`` (the baseline's ``beta`` is 0; any common shift of
the rows gives the same values), ``p = softmax(o)`` and ``u_kj = beta_kj -
sum_l p_l beta_lj``, the effect of feature ``j`` on the probability of class
``k`` is ``dp_k/dx_j = p_k u_kj``. The four ``method`` s of statsmodels::

    dydx  p_k u_kj          dyex  p_k u_kj x_j
    eydx  u_kj              eyex  u_kj x_j

(``ey``: of ``log p_k``; ``ex``: with respect to ``log x_j``). Their
derivatives with respect to the coefficients ``beta_lt`` of a non-baseline
class ``l``, with ``P_kl = p_k (delta_kl - p_l)`` (the derivative of ``p_k``
along ``o_l``)::

    d(p_k u_kj) = x~_t (P_kl u_kj - p_k p_l u_lj) + delta_tj P_kl
    d(u_kj)     = -x~_t p_l u_lj + delta_tj (delta_kl - p_l)

and the delta method gives the effects' covariance ``J V J^T`` (``J`` their
Jacobian, ``V`` the coefficients'). ``at="overall"`` averages the rows'
effects and Jacobians (weighted by ``sample_weight``), ``at="mean"`` takes
them at the weighted mean row. Prediction intervals use the same ``P``:
``Var p_k = P_k (x~^T V_ll' x~) P_k^T``.
"""

import numpy as np
from scipy import sparse, stats
from scipy.special import softmax

from ._tables import check_alpha, heading, line, require_pandas

METHODS = ("dydx", "eyex", "dyex", "eydx")
_BLOCK_VALUES = 1 << 20  # the Jacobian terms of a row block: 8 MB


def augmented(x, fit_intercept):
    x = x.toarray() if sparse.issparse(x) else np.asarray(x, dtype=np.float64)
    return np.hstack([x, np.ones((x.shape[0], 1))]) if fit_intercept else x


def _parts(p, u, keep, dy):
    """``(effect, Q, R)`` of the rows: the effect and its derivative's two parts.

    ``d effect_kj / d beta_lt = x~_t Q_klj + delta_tj R_kl`` (module docstring).
    """
    pk = p[:, keep]
    delta = (np.arange(p.shape[1])[:, None] == keep[None, :]).astype(np.float64)
    cross = pk[:, None, :, None] * u[:, keep][:, None, :, :]  # p_l u_lj, over (k, l, j)
    if dy:
        slope = p[:, :, None] * (delta[None] - pk[:, None, :])  # P_kl
        Q = slope[..., None] * u[:, :, None, :] - p[:, :, None, None] * cross
        return p[:, :, None] * u, Q, slope
    Q = np.broadcast_to(-cross, (p.shape[0], p.shape[1], *cross.shape[2:]))
    return u, Q, delta[None] - pk[:, None, :]


def block_sums(x, weights, coef, keep, fit_intercept, method):
    """Weighted sums over the rows ``x`` of the effects and of their Jacobian.

    Returns ``(sum_i w_i e_i, sum_i w_i J_i, sum_i w_i)`` with ``e`` of shape
    (n_classes, n_features) and ``J`` (n_classes, n_features, n_kept, n_dof).
    """
    n_classes, n_dof = coef.shape
    d = n_dof - int(fit_intercept)
    effect = np.zeros((n_classes, d))
    jac = np.zeros((n_classes, d, keep.size, n_dof))
    rows = max(1, _BLOCK_VALUES // (n_classes * keep.size * max(d, 1)))
    for start in range(0, x.shape[0], rows):
        xt = augmented(x[start : start + rows], fit_intercept)
        w = np.asarray(weights[start : start + rows], dtype=np.float64)
        p = softmax(xt @ coef.T, axis=1)
        u = coef[None, :, :d] - (p @ coef[:, :d])[:, None, :]
        e, Q, R = _parts(p, u, keep, method.startswith("dy"))
        scale = w[:, None] * (xt[:, :d] if method.endswith("ex") else 1.0)
        effect += np.einsum("ij,ikj->kj", scale, e)
        terms = (Q * scale[:, None, None, :]).reshape(xt.shape[0], -1)
        jac += (terms.T @ xt).reshape(n_classes, keep.size, d, n_dof).transpose(0, 2, 1, 3)
        diagonal = np.einsum("ij,ikl->kjl", scale, R)
        jac[:, np.arange(d), :, np.arange(d)] += diagonal.transpose(1, 0, 2)
    return effect, jac, float(np.sum(weights))


class MarginalEffects:
    """Marginal effects of the features on the class probabilities (:meth:`get_margeff`).

    Attributes
    ----------
    margeff : ndarray of shape (n_features, n_classes)
        The effect of each feature (rows) on each class probability (columns,
        in ``classes`` order, the baseline included).
    margeff_se : ndarray of shape (n_features, n_classes)
        Delta-method standard errors.
    tvalues, pvalues : ndarray of shape (n_features, n_classes)
        z statistics and their two-sided p-values.
    margeff_cov : ndarray of shape (n_features * n_classes,) * 2
        Covariance of the effects raveled class by class (statsmodels' order).
    at, method : str
    """

    def __init__(self, effect, cov, names, classes, at, method):
        self.margeff = effect.T
        self.margeff_cov = cov
        se = np.sqrt(np.clip(np.diag(cov), 0.0, None)).reshape(effect.shape)
        self.margeff_se = se.T
        with np.errstate(divide="ignore", invalid="ignore"):
            self.tvalues = np.where(self.margeff_se > 0, self.margeff / self.margeff_se, 0.0)
        self.pvalues = 2 * stats.norm.sf(np.abs(self.tvalues))
        self.feature_names = list(names)
        self.classes = classes
        self.at, self.method = at, method

    def conf_int(self, alpha=0.05):
        """Intervals ``effect +- z_{1 - alpha/2} se``, shape (n_features, n_classes, 2)."""
        check_alpha(alpha)
        half = stats.norm.ppf(1 - alpha / 2) * self.margeff_se
        return np.stack([self.margeff - half, self.margeff + half], axis=-1)

    def _rows(self, alpha):
        interval = self.conf_int(alpha)
        for k, label in enumerate(self.classes):
            yield label, [
                (name, self.margeff[j, k], self.margeff_se[j, k], self.tvalues[j, k],
                 self.pvalues[j, k], *interval[j, k])
                for j, name in enumerate(self.feature_names)
            ]  # fmt: skip

    def summary_frame(self, alpha=0.05):
        """The effects as a DataFrame with a (class, feature) MultiIndex (needs pandas)."""
        pd = require_pandas("summary_frame")
        labels = {"dydx": "dy/dx", "eyex": "d(lny)/d(lnx)", "dyex": "dy/d(lnx)"}
        columns = [labels.get(self.method, "d(lny)/dx"), "Std. Err.", "z", "Pr(>|z|)",
                   "Conf. Int. Low", "Conf. Int. Hi."]  # fmt: skip
        index, records = [], []
        for label, rows in self._rows(alpha):
            for name, *values in rows:
                index.append((label, name))
                records.append(values)
        return pd.DataFrame(
            records, columns=columns, index=pd.MultiIndex.from_tuples(index, names=["class", "x"])
        )

    def summary(self, alpha=0.05):
        """A text table per class, as statsmodels prints marginal effects."""
        width = max(10, *(len(n) for n in self.feature_names))
        rule = width + 68
        first = f"{self.method[:2]}/{self.method[2:]}"  # Stata's names: dy/dx, ey/ex, ...
        meaning = {"dydx": "dp/dx", "eyex": "dlog p/dlog x", "dyex": "dp/dlog x",
                   "eydx": "dlog p/dx"}[self.method]  # fmt: skip
        title = f"Marginal effects {first} ({meaning}), at={self.at!r}"
        lines = [title, "=" * rule]
        for label, rows in self._rows(alpha):
            lines += [f"{f'y={label}':>{width}}" + heading(alpha, first), "-" * rule]
            lines += [line(row[0], width, *row[1:]) for row in rows]
            lines.append("-" * rule)
        lines[-1] = "=" * rule
        return "\n".join(lines)

    def __repr__(self):
        return self.summary()


def interval_block(xt, coef, keep, cov, z):
    """``(p, lower, upper)`` of the rows ``xt``: delta-method intervals, clipped to [0, 1]."""
    n_kept, n_dof = keep.size, coef.shape[1]
    p = softmax(xt @ coef.T, axis=1)
    pk = p[:, keep]
    delta = np.arange(p.shape[1])[:, None] == keep[None, :]
    slope = p[:, :, None] * (delta[None] - pk[:, None, :])  # (m, K, c): d p_k / d o_l
    blocks = cov.reshape(n_kept, n_dof, n_kept, n_dof).transpose(1, 0, 2, 3)
    half = (xt @ blocks.reshape(n_dof, -1)).reshape(-1, n_kept, n_kept, n_dof)
    quadratic = np.einsum("iabs,is->iab", half, xt)  # x~^T V_ab x~
    variance = np.einsum("ika,iab,ikb->ik", slope, quadratic, slope)
    se = np.sqrt(np.clip(variance, 0.0, None))
    return p, np.clip(p - z * se, 0.0, 1.0), np.clip(p + z * se, 0.0, 1.0)
