"""The estimators' parameters: the constraints they share, and what they allow.

:class:`~sk_softmax.SoftmaxClassifier` and :class:`~sk_softmax.SoftmaxClassifierCV`
describe the same model, whose parameters are checked alike in both
(scikit-learn's ``_parameter_constraints``); each adds its own.
"""

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

MODEL_CONSTRAINTS = {
    "fit_intercept": ["boolean"],
    "class_weight": [dict, StrOptions({"balanced"}), None],
    "tol": [Interval(Real, 0, None, closed="neither")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "verbose": ["verbose"],
    "l1_groups": [None, StrOptions({"features"}), "array-like"],
}


def streamable(estimator):
    """``partial_fit`` exists for the ridge penalty only (an AttributeError says why)."""
    if estimator.l1_ratio > 0:
        raise AttributeError(
            f"partial_fit is not available with l1_ratio={estimator.l1_ratio!r}: its Newton "
            "steps have no proximal form for the L1 norm. Use fit (solver='auto' fits "
            "sparse models exactly), or l1_ratio=0 for a stream."
        )
    return True
