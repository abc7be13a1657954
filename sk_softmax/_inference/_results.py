"""The result of :func:`sk_softmax.inference`: coefficients, standard errors, tests, tables."""

from dataclasses import dataclass

import numpy as np
from scipy import stats
from sklearn.utils.validation import check_array

from ..backends import is_dask_collection
from . import _margins, _tables, _wald
from ._tables import check_alpha


@dataclass(frozen=True)
class Facts:
    """What :func:`sk_softmax.inference` computed, in the package's own layout.

    ``coef`` holds the model's canonical rows (n_classes, n_dof), intercept
    last, in the original coordinates; ``cov`` the covariance of the
    baseline coefficients ``coef[keep] - coef[baseline]`` raveled in that
    layout (class by class, intercept last); ``k`` the number of parameters
    (effective, under a penalty). ``X`` and ``sample_weight`` are the
    training data as the backend validated them, for the marginal effects.
    """

    model_name: str
    dep_name: str
    classes: np.ndarray
    baseline: int
    keep: np.ndarray
    feature_names: list
    fit_intercept: bool
    coef: np.ndarray
    cov: np.ndarray
    llf: float
    llnull: float
    nobs: float
    k: float
    C: float
    cov_type: str
    n_groups: object
    converged: bool
    X: object
    sample_weight: object
    fitted_names: object = None  # the estimator's feature_names_in_, if it had them
    fixed: object = None  # the parameters without spread, in the layout of cov (bool)


class SoftmaxInference:
    """Standard errors, tests and intervals of a fitted softmax model.

    Returned by :func:`sk_softmax.inference`; attribute and method names are
    those of statsmodels' results, so that habits carry over. The
    coefficients are in the baseline parameterisation: each non-baseline
    class against the ``baseline`` class, ``log(p_k / p_baseline) = beta_k .
    x~``. Arrays of coefficients have shape ``(n_params, n_classes - 1)``:
    rows the intercept (``"const"``, when fitted) then the features in column
    order (``param_names``), columns the non-baseline classes in ``classes``
    order (``classes_kept``).

    Attributes
    ----------
    params : ndarray of shape (n_params, n_classes - 1)
        The coefficients ``beta``.
    bse : ndarray of shape (n_params, n_classes - 1)
        Their standard errors, the square roots of ``cov_params()``'s diagonal.
    tvalues : ndarray of shape (n_params, n_classes - 1)
        z statistics ``params / bse``.
    pvalues : ndarray of shape (n_params, n_classes - 1)
        Two-sided p-values of the z statistics, ``2 P(N(0, 1) > |z|)``.
    llf : float
        Log-likelihood ``sum_i s_i log p_{i, y_i}`` at the fit (weighted by
        the fit's weights ``s_i``).
    llnull : float
        Log-likelihood of the intercept-only model with the same weights.
    llr, llr_pvalue : float
        Likelihood-ratio statistic ``2 (llf - llnull)`` and its p-value on
        ``df_model`` degrees of freedom.
    prsquared : float
        McFadden's pseudo R-squared, ``1 - llf / llnull``.
    aic, bic : float
        ``-2 llf + 2 k`` and ``-2 llf + k log(nobs)``, ``k`` the number of
        parameters, ``(n_classes - 1) * n_params`` (the effective number
        ``tr(H_pen^-1 I)`` for a penalised fit).
    nobs : float
        Number of observations: the sum of ``sample_weight`` (frequency
        weights), the number of rows without.
    df_model : float
        ``k`` less the ``n_classes - 1`` intercepts (when fitted).
    df_resid : float
        ``nobs - k``.
    cov_type : str
    n_groups : int or None
        Number of clusters of positive weight, for ``cov_type="cluster"``.
    classes : ndarray of shape (n_classes,)
    baseline : object
        The baseline class's label.
    classes_kept : list
        The non-baseline classes' labels, the columns of ``params``.
    param_names : list of str
        The rows of ``params``.
    penalised : bool
        Whether the fit was penalised (finite ``C``).
    C : float
        ``C`` of ``SoftmaxClassifier``'s objective (a binary
        ``LogisticRegression``'s ``C / 2``).
    converged : bool
        What the estimator reported of its own fit.

    Notes
    -----
    The result keeps a reference to the training data (not a copy) for
    :meth:`get_margeff`, as statsmodels' results keep their model's data.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_wine
    >>> from sk_softmax import SoftmaxClassifier, inference
    >>> X, y = load_wine(return_X_y=True)
    >>> X = X[:, :3]                            # alcohol, malic acid, ash
    >>> clf = SoftmaxClassifier(C=np.inf).fit(X, y)
    >>> result = inference(clf, X, y)
    >>> result.params.shape, result.param_names
    ((4, 2), ['const', 'x0', 'x1', 'x2'])
    >>> print(result.bse.round(3))
    [[10.132  7.518]
     [ 0.729  0.538]
     [ 0.348  0.272]
     [ 1.306  1.079]]
    >>> print(f"{result.llf:.3f} {result.prsquared:.4f}")
    -90.459 0.5321
    >>> effects = result.get_margeff()             # average effects on each probability
    >>> print(effects.margeff.round(3))            # rows x0..x2, columns classes 0..2
    [[ 0.264 -0.271  0.007]
     [-0.091 -0.044  0.136]
     [ 0.094 -0.219  0.125]]
    >>> result.predict_interval(X[:1]).round(3)    # 95% intervals of p_0, p_1, p_2
    array([[[0.891, 1.   ],
            [0.   , 0.006],
            [0.   , 0.106]]])
    """

    def __init__(self, facts):
        self._facts = f = facts
        n_classes, n_dof = f.coef.shape
        self._order = np.r_[n_dof - 1, : n_dof - 1] if f.fit_intercept else np.arange(n_dof)
        self._perm = (np.arange(f.keep.size)[:, None] * n_dof + self._order).ravel()
        beta = f.coef[f.keep] - f.coef[f.baseline]
        self.params = np.ascontiguousarray(beta[:, self._order].T)
        # a parameter the data say nothing about, fixed at 0 by a penalty, has no
        # spread (to rounding, judged by inference() in standardised coordinates): z = 0
        # and p = 1, not 0 / 0 (inference() warns about it)
        self._fixed = np.zeros(self._perm.size, bool) if f.fixed is None else f.fixed[self._perm]
        variances = np.where(self._fixed, 0.0, np.diag(self.cov_params()))
        self.bse = np.sqrt(np.maximum(variances, 0.0)).reshape(f.keep.size, n_dof).T
        fixed = self.bse == 0
        self.tvalues = self.params / np.where(fixed, 1.0, self.bse)
        self.tvalues[fixed] = 0.0
        self.pvalues = 2 * stats.norm.sf(np.abs(self.tvalues))
        self.llf, self.llnull, self.nobs = f.llf, f.llnull, f.nobs
        self.llr = 2 * (self.llf - self.llnull)
        self.prsquared = 1 - self.llf / self.llnull
        self.df_model = f.k - (f.keep.size if f.fit_intercept else 0)
        self.df_resid = self.nobs - f.k
        self.llr_pvalue = float(stats.chi2.sf(self.llr, self.df_model))
        self.aic = -2 * self.llf + 2 * f.k
        self.bic = -2 * self.llf + np.log(self.nobs) * f.k
        self.cov_type, self.n_groups = f.cov_type, f.n_groups
        self.classes = f.classes
        self.baseline = f.classes[f.baseline]
        self.classes_kept = [f.classes[k] for k in f.keep]
        names = list(f.feature_names)
        self.param_names = ["const", *names] if f.fit_intercept else names
        self.penalised = not np.isinf(f.C)
        self.C, self.converged = f.C, f.converged
        self.model_name, self.dep_name = f.model_name, f.dep_name

    def cov_params(self):
        """The covariance of the coefficients, shape ``(n_params * (n_classes - 1),) * 2``.

        In statsmodels' order: class by class (columns of ``params``), each
        class's coefficients in ``param_names`` order, i.e. ``params`` raveled
        in Fortran order.
        """
        return self._facts.cov[np.ix_(self._perm, self._perm)]

    def conf_int(self, alpha=0.05):
        """Wald intervals ``params +- z_{1 - alpha/2} bse``, shape (n_params, n_classes - 1, 2)."""
        check_alpha(alpha)
        z = stats.norm.ppf(1 - alpha / 2)
        return np.stack([self.params - z * self.bse, self.params + z * self.bse], axis=-1)

    def summary(self, alpha=0.05):
        """The coefficient table as text, as statsmodels prints it.

        A header with the fit's facts (observations, log-likelihoods, pseudo
        R-squared, the penalty, the baseline, the covariance type), then a
        block per non-baseline class: coef, std err, z, P>|z| and the
        ``1 - alpha`` interval; notes on a penalised fit's intervals.

        Returns
        -------
        table : Summary
            Prints as the table (``str``), shows as HTML in notebooks.
        """
        check_alpha(alpha)
        return Summary(_tables.summary_text(self, alpha), _tables.summary_html(self, alpha))

    def summary_frame(self, alpha=0.05):
        """The coefficient table as a pandas DataFrame, rows indexed by (class, term)."""
        check_alpha(alpha)
        return _tables.summary_frame(self, alpha)

    def _repr_html_(self):
        return _tables.summary_html(self)

    def __repr__(self):
        return f"<SoftmaxInference of a {self.model_name}: {self.cov_type} covariance>"

    def wald_test(self, R, q=None):
        """The Wald test of the linear hypothesis ``R beta = q``.

        Parameters
        ----------
        R : array-like of shape (n_params * (n_classes - 1),), (n_restrictions, n_params * (n_classes - 1)) or (n_restrictions, n_params, n_classes - 1)
            One restriction per row, on the coefficients raveled in the order
            of :meth:`cov_params`; or, 3-D, each restriction in the layout of
            ``params``.
        q : array-like of shape (n_restrictions,), default=None
            The right-hand side; zeros by default.

        Returns
        -------
        result : WaldTestResult
            ``statistic`` (chi-squared on ``df_num`` degrees of freedom) and
            ``pvalue``.
        """  # noqa: E501
        R, q = _wald._check_matrix(R, q, *self.params.shape)
        return _wald.wald(self.params.T.ravel(), self.cov_params(), R, q)

    def wald_test_terms(self):
        """For each term, the joint Wald test that its coefficients are 0 for every class.

        The test of "does this feature matter at all": ``n_classes - 1``
        restrictions per row of ``params`` (the intercept first, when
        fitted).

        Returns
        -------
        result : WaldTestTerms
            ``terms``, ``statistic``, ``pvalue``, ``df``; ``summary_frame()``.
        """
        return _wald.terms_tests(self.params, self.cov_params(), self.param_names, self._fixed)

    def get_margeff(self, at="overall", method="dydx"):
        """Marginal effects of the features on every class probability.

        Parameters
        ----------
        at : {"overall", "mean"}, default="overall"
            "overall": the average over the training rows of each row's
            effects (weighted by ``sample_weight``); "mean": the effects at
            the (weighted) mean row.
        method : {"dydx", "eyex", "dyex", "eydx"}, default="dydx"
            ``dp/dx``, the elasticity ``dlog p / dlog x``, ``dp / dlog x`` or
            ``dlog p / dx``.

        Returns
        -------
        effects : MarginalEffects
            ``margeff`` and ``margeff_se`` of shape (n_features, n_classes):
            the baseline class is included, and each row sums to zero over
            the classes for ``"dydx"`` and ``"dyex"``. Standard errors by the
            delta method, with this result's covariance.
        """
        if at not in ("overall", "mean"):
            raise ValueError(f"at={at!r}: use 'overall' (average effect) or 'mean'.")
        if method not in _margins.METHODS:
            raise ValueError(f"method={method!r}: use one of {list(_margins.METHODS)}.")
        f = self._facts
        effect, jac = _training_effects(f, at, method)
        jac = jac.reshape(effect.size, -1)
        cov = jac @ f.cov @ jac.T
        return _margins.MarginalEffects(effect, cov, f.feature_names, f.classes, at, method)

    def predict_interval(self, X, alpha=0.05):
        """Delta-method confidence intervals for the predicted class probabilities.

        ``p_k +- z_{1 - alpha/2} se(p_k)``, with ``se(p_k)^2 = g^T V g`` for
        ``g`` the gradient of ``p_k`` with respect to the coefficients and
        ``V`` their covariance, clipped to [0, 1].

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        alpha : float, default=0.05

        Returns
        -------
        intervals : ndarray of shape (n_samples, n_classes, 2)
            Lower and upper bounds, columns in ``classes`` order.
        """
        check_alpha(alpha)
        f = self._facts
        X = self._checked_X(X)
        z = stats.norm.ppf(1 - alpha / 2)
        out = np.empty((X.shape[0], f.coef.shape[0], 2))
        rows = max(1, (1 << 18) // (f.keep.size**2 * f.coef.shape[1]))
        for start in range(0, X.shape[0], rows):
            xt = _margins.augmented(X[start : start + rows], f.fit_intercept)
            _, low, high = _margins.interval_block(xt, f.coef, f.keep, f.cov, z)
            out[start : start + rows, :, 0], out[start : start + rows, :, 1] = low, high
        return out

    def _checked_X(self, X):
        f = self._facts
        if is_dask_collection(X):
            raise TypeError(
                "predict_interval takes NumPy or SciPy data: compute the dask rows first "
                "(X.compute()), or map it over the chunks with X.map_blocks."
            )
        # as the estimator checks them: only names it was fitted with (the table's
        # x0, x1, ... for a model fitted on an array are not such names)
        if hasattr(X, "columns") and f.fitted_names is not None:
            names = [str(c) for c in X.columns]
            if names != [str(n) for n in f.fitted_names]:
                raise ValueError(
                    f"X has columns {names}, but the model was fitted on "
                    f"{[str(n) for n in f.fitted_names]}: pass the same features, in the same "
                    "order."
                )
        X = check_array(X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32])
        n_features = f.coef.shape[1] - int(f.fit_intercept)
        if X.shape[1] != n_features:
            raise ValueError(
                f"X has {X.shape[1]} features, but the model has {n_features}: pass rows "
                "with the features it was fitted on."
            )
        return X


class Summary:
    """A summary table: prints as text, shows as HTML in a notebook."""

    def __init__(self, text, html):
        self._text, self._html = text, html

    def __str__(self):
        return self._text

    def __repr__(self):
        return self._text

    def as_text(self):
        """The table as text."""
        return self._text

    def as_html(self):
        """The table as HTML."""
        return self._html

    def _repr_html_(self):
        return self._html


def _training_effects(f, at, method):
    """``(effect, jac)`` averaged over the training rows, or at their mean."""
    from ._passes import row_sums, weighted_mean

    if at == "mean":
        mean = weighted_mean(f.X, f.sample_weight)[None, :]
        effect, jac, _ = _margins.block_sums(
            mean, np.ones(1), f.coef, f.keep, f.fit_intercept, method
        )
        return effect, jac
    effect, jac, total = row_sums(
        _margins.block_sums, f.X, f.sample_weight, f.coef, f.keep, f.fit_intercept, method
    )
    return effect / total, jac / total
