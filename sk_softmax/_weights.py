"""Sample x class weights, "balanced", and the penalty's strength: one home for every fit.

The objective weighs sample ``i`` by ``s_i = sample_weight_i *
class_weight[y_i]``. Only the ratios of the ``s_i`` and ``C * S`` (``S =
sum_i s_i``) matter, so the fit works with ``weights = s / scale`` for a
power of two ``scale`` near the largest weight: dividing by a power of two is
exact in floating point, sums of weights near 1e308 cannot overflow, and
integer weights stay the very numbers repeated rows would sum to.

Everything here works on per-class totals (vectors of ``n_classes``), so it
serves every backend: the backend's training data (``sk_softmax.backends``)
computes the totals and multiplies the weights by a per-class factor.
"""

from dataclasses import dataclass
from numbers import Real

import numpy as np


def power_of_two_below(value):
    """The largest power of two at most ``value`` (``value`` positive and finite)."""
    _, exponent = np.frexp(value)
    return float(np.ldexp(1.0, int(exponent) - 1))


def class_weight_vector(class_weight, classes, totals):
    """The weight of each class, from ``class_weight``, checked; shape (n_classes,).

    Parameters
    ----------
    class_weight : dict, "balanced" or None
    classes : ndarray of shape (n_classes,)
        The labels, as NumPy values (dict keys are matched against them).
    totals : ndarray of shape (n_classes,)
        Each class's total sample weight (for "balanced").
    """
    n_classes = len(classes)
    if class_weight is None:
        return np.ones(n_classes)
    if isinstance(class_weight, str):  # "balanced": total / (K * class total)
        vector = np.ones(n_classes)
        seen = totals > 0  # a class without weight has no row that its weight could change
        with np.errstate(over="ignore", invalid="ignore"):  # totals beyond float64: the
            vector[seen] = totals.sum() / (n_classes * totals[seen])  # caller says so
        return vector
    labels = np.asarray(classes).tolist()
    known = set(labels)
    unknown = [label for label in class_weight if label not in known]
    # LogisticRegression's rule (compute_class_weight): other keys are fine when every
    # class has its weight (a fold or a bootstrap without a rare class); with a class left
    # out too, they are most likely misspelt labels
    if unknown and any(label not in class_weight for label in labels):
        raise ValueError(
            f"class_weight names labels that are not classes of the fit: {unknown!r}; the "
            f"classes are {labels!r}. Check the keys' spelling and type (1 is not '1'); "
            "classes missing from class_weight get weight 1."
        )
    vector = np.ones(n_classes)
    for k, label in enumerate(labels):
        if label not in class_weight:
            continue
        value = class_weight[label]
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


@dataclass
class Weights:
    """The fit's sample weights, as the backend holds them, and their scale.

    Attributes
    ----------
    weights : array of shape (n_samples,)
        ``s / scale``, in the backend's namespace; the largest below 2.
    scale : float
        A power of two (``inf`` if ``S`` is beyond float64).
    totals : ndarray of shape (n_classes,)
        The sum of ``weights`` per class.
    """

    weights: object
    scale: float
    totals: np.ndarray

    @property
    def total(self):
        """The sum of ``weights``: ``S / scale``."""
        return float(self.totals.sum())

    def alpha(self, C):
        """The penalty strength of the normalised objective, ``1 / (C * S)``.

        Computed without overflow: a product ``C * S`` beyond 1e308 gives a
        strength that underflows towards 0 (no penalty, as it should), and one
        below 1e-308 a strength capped at the largest float (the data term
        then vanishes, as it should).
        """
        if np.isinf(C):
            return 0.0
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            product = C * self.scale * self.total
            if 0 < product < np.inf:
                alpha = 1.0 / product
            else:
                alpha = np.exp(-(np.log(C) + np.log(self.scale) + np.log(self.total)))
        return float(min(alpha, np.finfo(np.float64).max))

    def unnormalise(self, value, C):
        """``F`` from the normalised objective's value ``F / (C S)`` (inf beyond float64)."""
        with np.errstate(over="ignore"):
            total = self.scale * self.total
            return float(value * total * (1.0 if np.isinf(C) else C))

    def normalise(self, objective, C):
        """``F / (C S)`` from ``F``, the inverse of :meth:`unnormalise` (NaN if it overflowed)."""
        with np.errstate(over="ignore", invalid="ignore"):
            total = self.scale * self.total * (1.0 if np.isinf(C) else C)
            return float(objective / total) if np.isfinite(total) else np.nan


def weigh(data, sample_weight, class_weight, C, *, scale=None):
    """The fit's :class:`Weights`: ``sample_weight`` times the class weights, checked.

    Parameters
    ----------
    data : training data of a backend
        Offers ``classes_numpy``, ``max``, ``class_totals`` and ``reweigh``.
    sample_weight : array of shape (n_samples,)
        Finite and non-negative (validated), in the backend's namespace.
    class_weight : dict, "balanced" or None
    C : float
        Only to tell whether a class without weight is an error: without a
        penalty (``C=inf``) its probability would go to zero with no finite
        optimum; with one, its rows count for nothing and the fit drives its
        probabilities towards zero.
    scale : float, default=None
        A power of two to divide ``sample_weight`` by; by default the one
        below its largest entry.
    """
    classes = data.classes_numpy
    largest = data.max(sample_weight)
    if not largest > 0:
        raise ValueError("sample_weight sums to zero: give at least one sample a positive weight.")
    scale = power_of_two_below(largest) if scale is None else scale
    weights = sample_weight / scale
    totals = data.class_totals(weights)
    if class_weight is not None:
        factor = class_weight_vector(class_weight, classes, totals)
        if factor.max() > 0:
            top = power_of_two_below(factor.max())
            factor = factor / top
            with np.errstate(over="ignore"):  # inf: C * S beyond float64, alpha = 0
                scale = scale * top
        weights = data.reweigh(weights, factor)
        totals = totals * factor
    _check_totals(classes, totals, C)
    return Weights(weights, float(scale), totals)


def _check_totals(classes, totals, C):
    empty = np.asarray(classes)[~(totals > 0)]
    if empty.size == len(classes):
        raise ValueError(
            "Every class has zero total sample weight (after any class_weight): give some "
            "samples a positive weight."
        )
    if empty.size and np.isinf(C):
        raise ValueError(
            f"The class {empty.tolist()[0]!r} has zero total sample weight (after any "
            "class_weight), or one below 1e-308 times the largest weight, and C=inf: its "
            "probability would be pushed to exactly zero, with no finite optimum. Use a "
            "finite C, drop its samples, or give them positive weight."
        )
