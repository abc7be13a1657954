"""The fitted model on its data: the fit pipeline's problem, and the passes inference needs.

The problem is the one the fit solved (:func:`sk_softmax._fit.build_problem`:
the weights, the penalty, the data term in the solvers' standardised
coordinates), so inference sees exactly the objective that was minimised.
Every pass over the data goes through the data term, on whatever backend
holds the data: the likelihood, the gradient, the Hessian of the baseline
parameterisation, and the scores for the sandwich covariances.
"""

import numpy as np

from .._diagnostics import penalty_negligible, recession, separated
from .._fit import Settings, build_problem
from .._weights import class_weight_vector, weigh

# The gradient criterion under which a model's penalty counts as negligible for
# the separation test: the package's default tol.
_TOL = 1e-8


def resolve_class_weight(source, data, sample_weight):
    """The class weights as a dict, or None ("balanced": by the weighted class totals).

    Both estimators balance by the classes' total ``sample_weight``
    (``LogisticRegression`` since scikit-learn 1.6), so that integer weights
    stay repeated rows.
    """
    class_weight = source.class_weight
    if class_weight is None:
        return None
    classes = data.classes_numpy
    totals = data.class_totals(sample_weight) if class_weight == "balanced" else None
    vector = class_weight_vector(class_weight, classes, totals)
    return dict(zip(classes.tolist(), vector.tolist(), strict=True))


class Evaluated:
    """The fitted model evaluated on its training data.

    Parameters
    ----------
    source : Source
    data : a backend's training data
    sample_weight : array of shape (n_samples,)
        Validated frequency weights, of the backend's kind.
    baseline : int
        Index of the baseline class.
    n_threads : int
        Threads of the data term's passes.

    Attributes
    ----------
    problem : sk_softmax._fit.Problem
    coef : ndarray of shape (n_classes, n_dof)
        The estimator's rows, canonical (summing to zero), original coordinates.
    theta : ndarray of shape (n_classes * n_dof,)
        The same in the solvers' standardised coordinates.
    keep : ndarray of int
        Every class but the baseline.
    total : float
        ``S``, the sum of the fit's weights ``s_i = f_i c_{y_i}``.
    nobs : float
        The number of observations, ``sum_i f_i``.
    class_factor : ndarray of shape (n_classes,) or None
        The class weights ``c`` (None without).
    """

    def __init__(self, source, data, sample_weight, baseline, n_threads):
        class_weight = resolve_class_weight(source, data, sample_weight)
        self.data = data
        self.weights = weigh(data, sample_weight, class_weight, source.C)
        settings = Settings(C=source.C, fit_intercept=source.fit_intercept)
        self.problem = build_problem(data, self.weights, settings, n_threads)
        self.coef = self.problem.penalty.canonical(source.coef)
        self.theta = self.problem.to_solver(self.coef)
        n_classes = self.coef.shape[0]
        self.keep = np.array([k for k in range(n_classes) if k != baseline], dtype=np.intp)
        self.total = self.weights.scale * self.weights.total
        self.nobs = float(np.sum(data.class_totals(sample_weight)))
        self._gradient = None
        self.class_factor = None
        if class_weight is not None:
            self.class_factor = class_weight_vector(class_weight, source.classes, None)

    @property
    def shape(self):
        return self.coef.shape

    def separated(self):
        """Whether the data are separated and the penalty negligible: no finite optimum."""
        return separated(self.problem, self.coef, self.data, self.weights, _TOL)

    def recession(self):
        """A direction of no return (quasi-complete separation) when the penalty is negligible.

        :func:`~sk_softmax._diagnostics.recession` on the rows of positive
        weight, when they are in memory and every class has some; else None.
        """
        if not penalty_negligible(self.problem, self.coef, _TOL):
            return None
        rows = self.data.numpy(self.weights.weights)
        if rows is None:
            return None
        X, y_codes, weights = rows
        used = weights > 0
        n_classes = self.shape[0]
        if np.bincount(y_codes[used], minlength=n_classes).min() == 0:
            return None
        scale, fit_intercept = (
            self.problem.coordinates.scale,
            self.problem.coordinates.fit_intercept,
        )
        return recession(X[used], y_codes[used], n_classes, scale, fit_intercept)

    def loglikelihood(self):
        """``llf = sum_i s_i log p_{i, y_i}`` at the fitted model."""
        return -self.total * self.problem.datafit.loss_original(self.coef)

    def null_loglikelihood(self):
        """``llnull``: the intercept-only model's, with the same weights.

        Its probabilities are the weighted class shares ``S_k / S``, so
        ``llnull = S sum_k (S_k / S) log(S_k / S)`` (empty classes add 0).
        """
        share = self.weights.totals / self.weights.totals.sum()
        present = share > 0
        return self.total * float(np.sum(share[present] * np.log(share[present])))

    def gradient(self):
        """The gradient of ``F / (C S)`` in standardised coordinates, (n_classes, n_dof).

        Computed once: the pass also gives the probabilities that the Hessian
        and the scores use.
        """
        if self._gradient is None:
            _, grad = self.problem.smooth().loss_gradient(self.theta)
            self._gradient = grad.reshape(self.shape)
        return self._gradient

    def information(self):
        """``(I, H)``: the data term's and the penalised objective's Hessians.

        Both of ``F / (C S)`` (so ``S`` times them is the observed
        information), in the baseline parameterisation, standardised
        coordinates. The penalty, minimised over the common shift of the
        rows that does not change the model, is ``1/2 sum_j a_j sum_k
        (beta_kj - mean_k beta_kj)^2`` (the baseline's ``beta`` is 0), with
        Hessian ``(I - 1 1^T / K) (x) diag(a)``.
        """
        info = self.problem.datafit.class_hessian(self.theta, self.keep)
        curvature = self.problem.solver_penalty.curvature()
        if not np.any(curvature):
            return info, info
        n_kept, n_classes = self.keep.size, self.shape[0]
        centring = np.eye(n_kept) - 1.0 / n_classes
        return info, info + np.kron(centring, np.diag(curvature))

    def score_outer(self):
        """The scores' outer products (HC0's meat), of ``F / (C S)``'s data term."""
        return self.problem.datafit.score_outer(self.theta, self.keep, self.class_factor)

    def cluster_meat(self, codes, n_groups):
        """``S sum_g G_g G_g^T`` with ``G_g`` the groups' normalised score sums.

        (The meat ``sum_g (sum_{i in g} s_i g_i)(...)^T`` divided by ``S``,
        in the units of :meth:`score_outer`.)
        """
        sums = self.problem.datafit.score_sums(self.theta, self.keep, codes, n_groups)
        return self.total * (sums.T @ sums)
