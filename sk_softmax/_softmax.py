"""SoftmaxClassifier: validation, label encoding, a solver, the fitted attributes."""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._loss import SoftmaxLoss, StandardizedLoss, column_moments, raw_prediction
from ._solvers import SOLVERS, choose_solver
from ._threads import blas_hygiene


class SoftmaxClassifier(ClassifierMixin, BaseEstimator):
    """Softmax (multinomial logistic) regression.

    The model of the notes: raw outputs ``o = W x + b``, one row of ``W`` and
    one entry of ``b`` per class, probabilities ``softmax(o)``, trained by
    minimising the L2-penalised cross-entropy::

        F(W, b) = C * sum_i s_i * CE_i + 1/2 * ||W||_F^2,
        CE_i    = logsumexp(o_i) - o_{i, y_i},

    where ``s_i = sample_weight_i * class_weight[y_i]``. The intercept ``b``
    is not penalised and ``C=np.inf`` means no penalty. For three or more
    classes this is exactly the objective of
    :class:`sklearn.linear_model.LogisticRegression`, so both reach the same
    optimum. With two classes the model keeps two rows, ``o_1 - o_0`` plays
    the role of binary logistic regression's logit, and
    ``SoftmaxClassifier(C=c)`` predicts the same probabilities as
    ``LogisticRegression(C=2 * c)`` (the penalty falls on both rows).

    Of the many ``(W, b)`` that give the same probabilities (adding one
    vector to every row changes nothing), the fitted one has rows that sum to
    zero, the one the penalty picks; the intercept too is centred.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength, in ``(0, inf]``. Larger values fit
        the training data more closely; ``np.inf`` removes the penalty (the
        optimum is then finite only if no class can be separated from the
        others by a hyperplane).
    fit_intercept : bool, default=True
        Whether to fit the intercept ``b``.
    class_weight : dict, "balanced" or None, default=None
        Weights by class label, multiplying ``sample_weight``. "balanced"
        gives class ``k`` the weight ``total_weight / (n_classes *
        weight_of_class_k)``, with weights summed using ``sample_weight``, so
        that integer sample weights still equal repeated rows.
    solver : {"auto", "lbfgs", "newton-cg", "newton-cholesky"}, default="auto"
        The optimiser. All of them minimise the same objective, in
        standardised coordinates (a preconditioner that changes nothing but
        the conditioning), and stop on the same gradient criterion ``tol``.

        - "newton-cholesky": Newton's method with the exact Hessian, built
          block by block from its ``K (K + 1) / 2`` distinct blocks and
          factorised by Cholesky; a handful of iterations.
        - "newton-cg": truncated Newton, conjugate gradients on
          Hessian-vector products; no ``(n_dof K)^2`` matrix.
        - "lbfgs": L-BFGS-B from :func:`scipy.optimize.minimize`. When it
          stalls on the float64 resolution of the objective before reaching
          ``tol``, a few truncated-Newton steps finish the job.
        - "auto": "newton-cholesky" when ``n_dof (K + 1) / 2 <= 400`` and
          ``n_dof K <= 3000`` (``n_dof = n_features + fit_intercept``),
          "newton-cg" otherwise; dense or sparse alike.
    tol : float, default=1e-8
        Stop when the largest absolute entry of the gradient of the
        normalised objective ``F / (C * S)`` (``S`` the total sample weight,
        and ``F / S`` for ``C=inf``), taken in standardised coordinates, is
        at most ``tol``. The gap to the optimal objective is then of order
        ``tol**2`` divided by the smallest curvature, far below any
        statistical error: with the default, refitting on repeated rows
        instead of integer weights agrees to about 1e-9.
    max_iter : int, default=100
        Maximum number of solver iterations (Newton steps or L-BFGS
        iterations). A :class:`~sklearn.exceptions.ConvergenceWarning` is
        raised when it is reached before ``tol``.
    warm_start : bool, default=False
        Start from the previous fit's solution instead of zero. The classes
        and features must be the same as in that fit.
    verbose : int, default=0
        Print the objective and gradient at every iteration when positive.
    random_state : int, RandomState instance or None, default=None
        The current solvers are deterministic and do not draw random
        numbers; the parameter keeps a seeded estimator seeded for
        stochastic solvers.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (n_classes, n_features)
        The weights ``W``, one row per class.
    intercept_ : ndarray of shape (n_classes,)
        The intercepts ``b`` (zeros if ``fit_intercept=False``).
    n_iter_ : int
        Number of solver iterations.
    converged_ : bool
        Whether the solver reached ``tol``.
    objective_ : float
        The value of ``F`` at the solution.
    solver_ : str
        The solver that ran (the one "auto" chose).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : the same objective, other solvers.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sk_softmax import SoftmaxClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxClassifier().fit(X, y)
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    >>> clf.predict_proba(X[:1]).round(3)
    array([[0.982, 0.018, 0.   ]])
    >>> clf.converged_, clf.solver_
    (True, 'newton-cholesky')
    >>> round(clf.score(X, y), 3)
    0.973
    """

    _parameter_constraints = {
        "C": [Interval(Real, 0, None, closed="right")],
        "fit_intercept": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "solver": [StrOptions({"auto", *SOLVERS})],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        C=1.0,
        *,
        fit_intercept=True,
        class_weight=None,
        solver="auto",
        tol=1e-8,
        max_iter=100,
        warm_start=False,
        verbose=0,
        random_state=None,
    ):
        self.C = C
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.verbose = verbose
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        # Without an intercept every decision boundary passes through the
        # origin, so uncentred data (the common checks' blobs) can be fitted
        # poorly however long the solver runs: declare it, as scikit-learn's
        # tag intends, instead of failing on a property of the model.
        tags.classifier_tags.poor_score = not self.fit_intercept
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model by minimising the penalised cross-entropy.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 and float64 data are used as they are
            (never copied to another dtype as a whole); other numeric types
            are converted to float64. CSR and CSC matrices stay sparse.
        y : array-like of shape (n_samples,)
            Class labels, of any type scikit-learn accepts (at least two).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; integer weights are equivalent to
            repeating rows.

        Returns
        -------
        self : SoftmaxClassifier
            The fitted estimator.
        """
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
        )
        check_classification_targets(y)
        classes, y_codes = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise ValueError(
                "SoftmaxClassifier needs samples of at least 2 classes in the data, "
                f"but the data contains only one class: {classes.tolist()[0]!r}."
            )
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        weights = self._combined_weights(classes, y, y_codes, sample_weight)
        loss, scaled = self._build_loss(X, y_codes, classes.size, weights)
        coef0 = self._initial_coef(loss, scaled, classes, X.shape[1], y_codes, weights)

        solver = self.solver
        if solver == "auto":
            solver = choose_solver(loss.n_dof, classes.size)
        with blas_hygiene():
            result = SOLVERS[solver](
                scaled, coef0, tol=self.tol, max_iter=self.max_iter, verbose=self.verbose
            )
        coef = scaled.to_original(result.coef).reshape(loss.shape)
        if not result.converged and not result.stopped:
            warnings.warn(
                self._convergence_message(solver, result), ConvergenceWarning, stacklevel=2
            )

        # Assign the fitted attributes only now, all together: a failed fit
        # leaves the previous model intact.
        self.classes_ = classes
        n_features = X.shape[1]
        self.coef_ = np.ascontiguousarray(coef[:, :n_features])
        self.intercept_ = coef[:, -1].copy() if self.fit_intercept else np.zeros(classes.size)
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.solver_ = solver
        self.objective_ = self._unnormalise(loss.loss(coef.ravel()), weights)
        return self

    # -- fit helpers ------------------------------------------------------------
    def _combined_weights(self, classes, y, y_codes, sample_weight):
        """``s_i = sample_weight_i * class_weight[y_i]``, checked."""
        self._check_class_totals(classes, y_codes, sample_weight)
        if self.class_weight is None:
            weights = sample_weight.copy()
        else:
            class_weight = compute_class_weight(
                self.class_weight, classes=classes, y=y, sample_weight=sample_weight
            )
            weights = sample_weight * class_weight[y_codes]
            self._check_class_totals(classes, y_codes, weights)
        if not np.isfinite(weights.sum()):
            weights = weights / weights.max()  # only the ratios and C * sum matter
        return weights

    @staticmethod
    def _check_class_totals(classes, y_codes, weights):
        totals = np.bincount(y_codes, weights=weights, minlength=classes.size)
        empty = classes[~(totals > 0)]
        if empty.size:
            raise ValueError(
                f"The class {empty.tolist()[0]!r} has zero total sample weight (after any "
                "class_weight): its probability would be pushed to exactly zero, with no "
                "finite optimum. Drop its samples or give them positive weight."
            )

    def _alpha(self, weights):
        """L2 strength of the normalised objective, ``1 / (C * S)``."""
        if np.isinf(self.C):
            return 0.0
        return 1.0 / (self.C * weights.sum())

    def _unnormalise(self, value, weights):
        """``F`` from the normalised objective's value."""
        if np.isinf(self.C):
            return value * weights.sum()
        return value * self.C * weights.sum()

    def _build_loss(self, X, y_codes, n_classes, weights):
        loss = SoftmaxLoss(X, y_codes, n_classes, weights, self._alpha(weights), self.fit_intercept)
        mean, scale = column_moments(X, weights, center=self.fit_intercept)
        return loss, StandardizedLoss(loss, mean, scale)

    def _initial_coef(self, loss, scaled, classes, n_features, y_codes, weights):
        """Previous solution (warm start) or zero weights and log-prior intercepts."""
        if self.warm_start and hasattr(self, "coef_"):
            if not (np.array_equal(classes, self.classes_) and self.coef_.shape[1] == n_features):
                raise ValueError(
                    "warm_start=True needs the same classes and number of features as the "
                    f"previous fit (classes {self.classes_.tolist()!r}, {self.coef_.shape[1]} "
                    "features); fit with warm_start=False to start afresh."
                )
            coef = self.coef_
            if self.fit_intercept:
                coef = np.hstack([coef, self.intercept_[:, None]])
            return scaled.to_standardized(coef)
        coef = np.zeros(loss.shape)
        if self.fit_intercept:
            prior = np.bincount(y_codes, weights=weights, minlength=classes.size)
            log_prior = np.log(prior / prior.sum())
            coef[:, -1] = log_prior - log_prior.mean()
        return scaled.to_standardized(coef)

    def _convergence_message(self, solver, result):
        return (
            f"SoftmaxClassifier (solver={solver!r}) did not converge: {result.message} "
            f"after {result.n_iter} iterations (tol={self.tol}). Increase max_iter, or "
            "loosen tol; if C is very large or inf, the classes may be (nearly) separable, "
            "so that the coefficients grow without bound: use a smaller C."
        )

    # -- prediction ---------------------------------------------------------------
    def decision_function(self, X):
        """The raw outputs ``o = W x + b``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes), or (n_samples,)
            For two classes, ``o_1 - o_0``: positive means ``classes_[1]``.
        """
        raw = self._raw(X)
        if raw.shape[1] == 2:
            return raw[:, 1] - raw[:, 0]
        return raw

    def _raw(self, X):
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32], reset=False
        )
        return raw_prediction(X, self.coef_, self.intercept_)

    def predict_log_proba(self, X):
        """Log-probabilities, ``o - logsumexp(o)``: finite for any finite ``o``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        raw = self._raw(X)
        return raw - logsumexp(raw, axis=1, keepdims=True)

    def predict_proba(self, X):
        """Class probabilities, ``softmax(o)``; rows sum to one.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """The most probable class, ``argmax_k o_k``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        raw = self._raw(X)
        return self.classes_[np.argmax(raw, axis=1)]
