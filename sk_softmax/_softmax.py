"""SoftmaxClassifier: validation, label encoding, a solver, the fitted attributes."""

import functools
import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from scipy.optimize import linprog
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._array_api import move_to
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._array_api import ArrayAPIMixin, uses_array_api
from ._callbacks import CallbackSupportMixin, IterationCallbacks
from ._distributed import DaskMixin, is_dask_collection
from ._loss import raw_prediction, standardized_loss
from ._online import OnlineMixin
from ._solvers import SOLVERS, choose_solver
from ._threads import fit_threads
from ._validation import (
    _all_or_nothing,
    _check_classification_target,
    _check_two_classes,
    _checked_sample_weight,
    _numeric_errors,
    _unit_max,
    _validated_xy,
)


def _times(raw, factor):
    """``raw * factor`` row by row, with ``0 * inf = 0`` (``factor`` may overflow)."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = raw * factor[:, None]
    out[raw == 0] = 0.0
    return out


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


@functools.cache
def _param_names(cls):
    """``BaseEstimator._get_param_names`` of ``cls``, kept (a class's ``__init__`` is fixed)."""
    return tuple(BaseEstimator._get_param_names.__func__(cls))


class SoftmaxClassifier(
    CallbackSupportMixin, OnlineMixin, DaskMixin, ArrayAPIMixin, ClassifierMixin, BaseEstimator
):
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
        that integer sample weights still equal repeated rows. A dict maps
        labels of ``y`` to finite, non-negative weights; labels it omits get
        weight 1, and keys that are not labels of ``y`` are an error.
    solver : {"auto", "lbfgs", "newton-cg", "newton-cholesky", "sgd"}, default="auto"
        The optimiser. All of them minimise the same objective, in
        standardised coordinates (a preconditioner that changes nothing but
        the conditioning); the full-batch ones stop on the same gradient
        criterion ``tol``.

        - "newton-cholesky": Newton's method with the exact Hessian, built
          block by block from its ``K (K + 1) / 2`` distinct blocks and
          factorised by Cholesky; a handful of iterations.
        - "newton-cg": truncated Newton, conjugate gradients on
          Hessian-vector products, preconditioned by the Hessian's
          class-diagonal blocks; no ``(n_dof K)^2`` matrix.
        - "lbfgs": L-BFGS-B from :func:`scipy.optimize.minimize`. When it
          stalls on the float64 resolution of the objective before reaching
          ``tol``, a few truncated-Newton steps finish the job.
        - "auto": "newton-cholesky" when ``n_dof K <= 500`` (``n_dof =
          n_features + fit_intercept``, ``K`` classes), "newton-cg"
          otherwise; dense or sparse alike (see ``choose_solver`` in
          ``sk_softmax._solvers`` for the cost model).
        - "sgd": the stochastic engine of :meth:`partial_fit` (Adam on
          shuffled minibatches of ``batch_size`` rows, step
          ``learning_rate / sqrt(1 + t / 100)`` after ``t`` steps) for up to
          ``max_iter`` epochs, stopped when the epoch's training loss (or,
          with ``early_stopping``, validation loss) has not improved by
          ``tol`` for ``n_iter_no_change`` epochs. It reaches the
          neighbourhood of the optimum, not the optimum to ``tol``; use it to
          train in passes over data or to continue with :meth:`partial_fit`.
          Identical rows are first merged into one (their weights summed)
          and the rows put in a canonical order, so the fit depends only on
          the weighted data set: integer sample weights give exactly the
          fit of repeated rows, and shuffling the rows changes nothing, for
          a given ``random_state``.

        On tall data (``n_samples >= 400 n_dof K``) every solver but "sgd"
        first solves the problem of ``50 n_dof K`` random rows, and the
        Newton solvers then take their Hessian from those rows while the
        gradient, and ``tol``, stay exact: the same optimum at a fraction
        of the passes over ``X`` (the user guide's theory page has the
        details). A warm start skips the subsample's solve.
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
        iterations; epochs for "sgd"). A :class:`~sklearn.exceptions.ConvergenceWarning` is
        raised when it is reached before ``tol``.
    warm_start : bool, default=False
        Start from the previous fit's solution instead of zero. The classes
        and features must be the same as in that fit.
    verbose : int, default=0
        Print the objective and gradient at every iteration when positive.
    random_state : int, RandomState instance or None, default=None
        The current solvers are deterministic and do not draw random
        numbers; with ``solver="sgd"`` it seeds the shuffling of the rows
        and the validation split.
    batch_size : int, default=256
        Rows per minibatch for ``solver="sgd"`` (the last one of an epoch
        may be shorter). Ignored by the other solvers and by
        :meth:`partial_fit`, whose minibatch is what it is given.
    learning_rate : float, default=0.03
        Adam's initial step size for ``solver="sgd"`` and
        :meth:`partial_fit`, in standardised coordinates (the coefficients of
        the features centred and scaled to unit spread), so that one value
        suits any data; it decays as ``learning_rate / sqrt(1 + t / 100)``
        after ``t`` steps.
    early_stopping : bool, default=False
        With ``solver="sgd"``, hold out ``validation_fraction`` of the rows
        (stratified when possible), stop when their weighted log-loss has not
        improved by ``tol`` for ``n_iter_no_change`` epochs, and return the
        coefficients of the best epoch. The penalty is then ``1 / (C *
        S_train)``, that of the objective on the rows trained on.
    validation_fraction : float, default=0.1
        Fraction of the rows held out when ``early_stopping=True``, in
        ``(0, 1)``.
    n_iter_no_change : int, default=10
        With ``solver="sgd"``, the number of epochs without an improvement
        of at least ``tol`` after which the fit stops.

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
        Whether the solver reached ``tol``. False as well when the fit
        separates the training data and the penalty is too weak to matter
        (``C=inf``, or so large that its gradient is below ``tol``): there is
        then no finite optimum to converge to, and a
        :class:`~sklearn.exceptions.ConvergenceWarning` says so.
    objective_ : float or None
        The value of ``F`` at the solution (for "sgd" with early stopping,
        ``F`` on the rows trained on); ``None`` after :meth:`partial_fit`,
        which never sees the whole data.
    solver_ : str
        The solver that ran (the one "auto" chose).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.
    loss_curve_ : list of float
        With ``solver="sgd"``: the mean minibatch objective ``F / (C * S)``
        of each epoch.
    validation_loss_curve_ : list of float or None
        With ``solver="sgd"`` and ``early_stopping=True``: the validation
        log-loss after each epoch; ``None`` without early stopping.
    sgd_state_ : SGDState
        After ``solver="sgd"`` or :meth:`partial_fit`: what the next
        :meth:`partial_fit` continues from, the iterate in standardised
        coordinates and its map (``coef``, ``mean``, ``scale``), Adam's
        moments ``m`` and ``v``, the number of steps ``t``, the total sample
        weight seen ``n_seen`` and its split by class ``class_totals``.

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
        "solver": [StrOptions({"auto", "sgd", *SOLVERS})],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
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
        batch_size=256,
        learning_rate=0.03,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
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
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change

    @classmethod
    def _get_param_names(cls):
        """``BaseEstimator``'s, computed once per class (a fresh list each call).

        It reads ``__init__``'s signature, and ``fit`` asks for it every time
        (parameter validation): a tenth of a fit on a 150-row data set.
        """
        return list(_param_names(cls))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        # Without an intercept every decision boundary passes through the
        # origin, so uncentred data (the common checks' blobs) can be fitted
        # poorly however long the solver runs: declare it, as scikit-learn's
        # tag intends, instead of failing on a property of the model.
        tags.classifier_tags.poor_score = not self.fit_intercept
        # Array API input (with array_api_dispatch=True) is fitted and predicted in its
        # own namespace and device (_array_api.py), by every solver but the NumPy-only sgd.
        tags.array_api_support = self.solver != "sgd"
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    @_all_or_nothing
    def fit(self, X, y, sample_weight=None):
        """Fit the model by minimising the penalised cross-entropy.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. float32 and float64 data are used as they are
            (never copied to another dtype as a whole, except a standardised
            float64 copy of data small enough for one row block, 4 MB); other
            numeric types
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
        if is_dask_collection(X):
            return self._fit_dask(X, y, sample_weight)
        if uses_array_api(X):
            return self._fit_array_api(X, y, sample_weight)
        X, y = _validated_xy(self, X, y)
        _check_classification_target(y)
        classes, y_codes = np.unique(y, return_inverse=True)
        _check_two_classes(classes)
        sample_weight_given = sample_weight
        sample_weight = _checked_sample_weight(sample_weight, X)
        weights, weight_scale = self._combined_weights(classes, y_codes, sample_weight)
        if self.solver == "sgd":
            return self._fit_sgd(X, y_codes, classes, sample_weight)
        with fit_threads() as n_threads:
            scaled = self._build_loss(X, y_codes, classes.size, weights, weight_scale, n_threads)
            coef0 = self._initial_coef(scaled, classes, X.shape[1], y_codes, weights)
            solver = self.solver
            if solver == "auto":
                solver = choose_solver(scaled.shape[1], classes.size)
            result = self._solve(
                solver,
                scaled,
                coef0,
                X,
                y,
                sample_weight_given,
                lambda c: self._fitted_attributes(scaled, c, classes),
            )
            coef = self._canonical_coef(scaled, result.coef)
            # still inside fit_threads: the loss's threads assume one-thread BLAS
            objective = scaled.objective(coef.ravel())
        separated = not result.stopped and self._separated(X, y_codes, weights, coef, scaled)
        if separated:
            warnings.warn(self._separation_message(coef), ConvergenceWarning, stacklevel=4)
        elif not result.converged and not result.stopped:
            warnings.warn(
                self._convergence_message(solver, result, coef),
                ConvergenceWarning,
                stacklevel=4,
            )

        # Assign the fitted attributes only now, all together: a failed fit
        # leaves the previous model intact.
        self._clear_sgd_attributes()
        for name, value in self._fitted_attributes(scaled, result.coef, classes).items():
            setattr(self, name, value)
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged and not separated
        self.solver_ = solver
        self.objective_ = self._unnormalise(objective, weights, weight_scale)
        return self

    # -- fit helpers ------------------------------------------------------------
    def _solve(self, solver, scaled, coef0, X, y, sample_weight, attributes):
        """Run ``solver`` on ``scaled`` from ``coef0``, with the estimator's callbacks.

        Each solver iteration is a callback task; ``attributes(coef)`` gives the
        fitted attributes a callback may ask for. Returns the ``SolverResult``.
        """
        callbacks = IterationCallbacks(
            self,
            X,
            y,
            None if sample_weight is None else {"sample_weight": sample_weight},
            self.max_iter,
            attributes,
        )
        result = SOLVERS[solver](
            scaled,
            coef0,
            tol=self.tol,
            max_iter=self.max_iter,
            verbose=self.verbose,
            callback=callbacks if callbacks.active else None,
            # a warm start is kept as it is; a cold one may begin on a subsample
            presolve=not self._warm(),
        )
        callbacks.close(result.coef)
        return result

    @staticmethod
    def _canonical_coef(scaled, solution):
        """The solver's solution in original coordinates, shape (n_classes, n_dof).

        The canonical representative, rows (and intercepts) summing to zero:
        adding one vector to every row changes no probability and only adds
        to the penalty. Solvers keep it only up to the penalty's weight, which
        vanishes in float64 for features near 1e300, say.
        """
        coef = scaled.to_original(solution).reshape(scaled.shape)
        coef -= coef.mean(axis=0)
        return coef

    def _fitted_attributes(self, scaled, solution, classes):
        """``classes_``, ``coef_`` and ``intercept_`` for a solver's solution."""
        coef = self._canonical_coef(scaled, solution)
        n_features = coef.shape[1] - int(self.fit_intercept)
        return {
            "classes_": classes,
            "coef_": np.ascontiguousarray(coef[:, :n_features]),
            "intercept_": coef[:, -1].copy() if self.fit_intercept else np.zeros(classes.size),
        }

    def _combined_weights(self, classes, y_codes, sample_weight):
        """``s_i = sample_weight_i * class_weight[y_i]``, checked, as ``(weights, scale)``.

        ``weights`` is ``s`` divided by ``scale > 0``, so that its largest
        entry is one: sums of weights near 1e308 cannot overflow. Only the
        ratios of the weights and ``C * S = C * scale * weights.sum()`` matter.
        """
        scale = sample_weight.max()
        weights = sample_weight / scale
        self._check_class_totals(classes, y_codes, weights)
        if self.class_weight is not None:
            class_weight = self._class_weight_vector(classes, y_codes, weights)
            class_weight, scale = _unit_max(class_weight, scale)
            weights = weights * class_weight[y_codes]
            self._check_class_totals(classes, y_codes, weights)
        return weights, scale

    def _class_weight_vector(self, classes, y_codes, weights):
        """The weight of each class, from ``class_weight``, checked."""
        if isinstance(self.class_weight, str):  # "balanced": total / (K * class total)
            totals = np.bincount(y_codes, weights=weights, minlength=classes.size)
            return totals.sum() / (classes.size * totals)
        known = set(classes.tolist())
        unknown = [label for label in self.class_weight if label not in known]
        if unknown:
            raise ValueError(
                f"class_weight names labels that are not in y: {unknown!r}; the classes in y "
                f"are {classes.tolist()!r}. Check the keys' spelling and type (1 is not '1'); "
                "classes missing from class_weight get weight 1."
            )
        vector = np.ones(classes.size)
        for k, label in enumerate(classes.tolist()):
            if label not in self.class_weight:
                continue
            value = self.class_weight[label]
            if not isinstance(value, Real):
                raise TypeError(
                    f"class_weight[{label!r}] is {value!r}: class weights must be real numbers."
                )
            if not (0 <= value < np.inf):
                raise ValueError(
                    f"class_weight[{label!r}] is {value!r}: class weights must be finite and "
                    "non-negative."
                )
            vector[k] = value
        return vector

    @staticmethod
    def _check_class_totals(classes, y_codes, weights):
        totals = np.bincount(y_codes, weights=weights, minlength=classes.size)
        empty = classes[~(totals > 0)]
        if empty.size:
            raise ValueError(
                f"The class {empty.tolist()[0]!r} has zero total sample weight (after any "
                "class_weight), or one below 1e-308 times the largest weight: its "
                "probability would be pushed to exactly zero, with no finite optimum. Drop "
                "its samples or give them positive weight."
            )

    def _alpha(self, weights, weight_scale=1.0):
        """L2 strength of the normalised objective, ``1 / (C * S)``.

        ``S = weight_scale * weights.sum()``. Computed without overflow: a
        product ``C * S`` beyond 1e308 gives a strength that underflows
        towards 0 (no penalty, as it should), and one below 1e-308 a strength
        capped at the largest float (the weights then vanish, as they should).
        """
        if np.isinf(self.C):
            return 0.0
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            total = self.C * weight_scale * weights.sum()
            if 0 < total < np.inf:
                alpha = 1.0 / total
            else:
                alpha = np.exp(-(np.log(self.C) + np.log(weight_scale) + np.log(weights.sum())))
        return float(min(alpha, np.finfo(np.float64).max))

    def _unnormalise(self, value, weights, weight_scale=1.0):
        """``F`` from the normalised objective's value (inf if beyond float64)."""
        with np.errstate(over="ignore"):
            total = weight_scale * weights.sum()
            if np.isinf(self.C):
                return float(value * total)
            return float(value * self.C * total)

    def _build_loss(self, X, y_codes, n_classes, weights, weight_scale=1.0, n_threads=1):
        """The objective in the solvers' standardised coordinates (``_loss.py``)."""
        alpha = self._alpha(weights, weight_scale)
        return standardized_loss(
            X, y_codes, n_classes, weights, alpha, self.fit_intercept, n_threads
        )

    def _initial_coef(self, scaled, classes, n_features, y_codes, weights):
        """The solver's starting point, in standardised coordinates."""
        totals = np.bincount(y_codes, weights=weights, minlength=classes.size)
        return scaled.to_standardized(self._start_coef(classes, n_features, totals))

    def _warm(self):
        """Whether this fit starts from the previous one's solution."""
        return bool(self.warm_start) and hasattr(self, "coef_")

    def _start_coef(self, classes, n_features, totals):
        """Previous solution (warm start) or zero weights and log-prior intercepts.

        ``classes`` as a NumPy array, ``totals`` the classes' total weights.
        Returns original coordinates, shape (n_classes, n_features +
        fit_intercept). A previous fit on Array API data is read back to NumPy.
        A class without weight (possible in an online training part only) gets
        a zero prior intercept.
        """
        coef = np.zeros((classes.size, n_features + int(self.fit_intercept)))
        if self._warm():
            previous = move_to(self.classes_, xp=np, device="cpu")
            if not (np.array_equal(classes, previous) and self.coef_.shape[1] == n_features):
                raise ValueError(
                    "warm_start=True needs the same classes and number of features as the "
                    f"previous fit (classes {previous.tolist()!r}, {self.coef_.shape[1]} "
                    "features); fit with warm_start=False to start afresh."
                )
            coef[:, :n_features] = move_to(self.coef_, xp=np, device="cpu")
            if self.fit_intercept:
                coef[:, -1] = move_to(self.intercept_, xp=np, device="cpu")
            return coef
        if self.fit_intercept:
            with np.errstate(divide="ignore"):
                log_prior = np.log(totals / totals.sum())
            log_prior[~np.isfinite(log_prior)] = 0.0
            coef[:, -1] = log_prior - log_prior.mean()
        return coef

    def _separated(self, X, y_codes, weights, coef, scaled):
        """Whether the fit separates the training data with a negligible penalty.

        Then the objective has no finite minimiser (``C=inf``), or one so
        far out that ``tol`` stops the solver long before it (huge ``C``):
        the returned coefficients are set by ``tol``, not by ``C``. The
        penalty is negligible when its gradient in the solver's coordinates,
        ``alpha W / sigma``, is within ``tol``. Two certificates of
        separation, each exact (it exhibits a direction along which the
        unpenalised objective decreases for ever):

        - every positively weighted sample is classified strictly correctly
          by the fitted ``W`` itself (the direction ``W``);
        - some class ``k`` is split from all the others by a hyperplane
          ``w.x + c`` (the direction that adds ``(w, c)`` to row ``k``): a
          linear programme, solved only for classes whose fitted
          probabilities already rank all their samples above all others.
        """
        n_features = X.shape[1]
        penalty_grad = scaled.alpha * coef[:, :n_features] / scaled.scale
        if penalty_grad.size and np.max(np.abs(penalty_grad)) > self.tol:
            return False
        intercept = coef[:, -1] if self.fit_intercept else None
        raw = raw_prediction(X, coef[:, :n_features], intercept)
        used = weights > 0
        rows = np.arange(raw.shape[0])
        own = raw[rows, y_codes].copy()
        raw[rows, y_codes] = -np.inf
        if np.all(own[used] > raw.max(axis=1)[used]):
            return True
        raw[rows, y_codes] = own
        for k in range(coef.shape[0]):
            score = raw[:, k] - logsumexp(np.delete(raw, k, axis=1), axis=1)
            mine = used & (y_codes == k)
            others = used & (y_codes != k)
            if score[mine].min() > score[others].max() and _splits(
                X[used], (y_codes[used] == k), scaled.scale, self.fit_intercept
            ):
                return True
        return False

    def _separation_message(self, coef):
        penalty = "C=inf (no penalty)" if np.isinf(self.C) else f"C={self.C!r}"
        return (
            "SoftmaxClassifier: the training data are linearly separable (at least one "
            f"class can be split from the others by a hyperplane) and with {penalty} the "
            "penalty is too weak to hold the coefficients back: the unpenalised objective "
            "has no finite minimiser, it keeps decreasing as the coefficients grow along "
            "the separating direction. The solver stopped where the gradient fell below "
            f"tol={self.tol!r} (largest |coef| {np.max(np.abs(coef)):.3g}); the coefficients "
            "and the near-0/1 training probabilities depend on tol, not on the data. "
            "Use a finite, smaller C (the penalty then gives a unique, finite optimum)."
        )

    def _convergence_message(self, solver, result, coef=None):
        message = (
            f"SoftmaxClassifier (solver={solver!r}) did not converge: {result.message} "
            f"after {result.n_iter} iterations (tol={self.tol}). Increase max_iter, or "
            "loosen tol; if C is very large or inf, the classes may be (nearly) separable, "
            "so that the coefficients grow without bound: use a smaller C."
        )
        if coef is not None and np.max(np.abs(coef)) > 1e300:
            message += (
                f" The coefficients reached {np.max(np.abs(coef)):.3g}, near the largest "
                "float64: features this small need coefficients beyond its range. Rescale "
                "X (e.g. with sklearn.preprocessing.StandardScaler) or use a finite C."
            )
        return message

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
        if is_dask_collection(X):
            return self._dask_predict("decision_function", X)
        if self._predicts_in_array_api(X, "decision_function"):
            return self._array_api_predict("decision_function", X)
        raw, factor = self._scores(X)
        if raw.shape[1] == 2:
            return _times(raw[:, 1:] - raw[:, :1], factor)[:, 0]
        return _times(raw, factor)

    def _raw(self, X):
        raw, factor = self._scores(X)
        return _times(raw, factor)

    def _scores(self, X):
        """``(raw, factor)`` with ``o = W x + b = factor * raw``, row by row.

        ``factor`` is one, except on rows where ``o`` overflows float64 (huge
        features, or huge coefficients): those are recomputed as ``o / f``
        with ``f = max(1, max|x|) * max(|W|, |b|)``, so that ``raw`` is
        finite there and keeps the order of the classes (``f > 0``).
        """
        check_is_fitted(self)
        with _numeric_errors("X"):
            X = validate_data(
                self, X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32], reset=False
            )
        with np.errstate(over="ignore", invalid="ignore"):
            raw = raw_prediction(X, self.coef_, self.intercept_)
        factor = np.ones(raw.shape[0])
        bad = ~np.isfinite(raw).all(axis=1)
        if bad.any():
            rows = X[bad]
            size = abs(rows).max(axis=1)
            size = size.toarray().ravel() if sparse.issparse(size) else np.asarray(size)
            size = np.maximum(size, 1.0)
            coef_size = max(np.max(np.abs(self.coef_)), np.max(np.abs(self.intercept_)))
            if sparse.issparse(rows):
                rows = sparse.diags(1.0 / size) @ rows
            else:
                rows = rows / size[:, None]
            raw[bad] = raw_prediction(
                rows, self.coef_ / coef_size, self.intercept_ / coef_size / size[:, None]
            )
            with np.errstate(over="ignore"):
                factor[bad] = size * coef_size
        return raw, factor

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
        if is_dask_collection(X):
            return self._dask_predict("predict_log_proba", X)
        if self._predicts_in_array_api(X, "predict_log_proba"):
            return self._array_api_predict("predict_log_proba", X)
        raw, factor = self._scores(X)
        shifted = _times(raw - raw.max(axis=1, keepdims=True), factor)  # <= 0, maybe -inf
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

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
        if is_dask_collection(X):
            return self._dask_predict("predict_proba", X)
        if self._predicts_in_array_api(X, "predict_proba"):
            return self._array_api_predict("predict_proba", X)
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
        if is_dask_collection(X):
            return self._dask_predict("predict", X)
        if self._predicts_in_array_api(X, "predict"):
            return self._array_api_predict("predict", X)
        raw, _ = self._scores(X)
        return self.classes_[np.argmax(raw, axis=1)]
