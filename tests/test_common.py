"""scikit-learn's full estimator checks, in every configuration, no expected failures."""

import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from sk_softmax import SoftmaxClassifier, SoftmaxClassifierCV

CONFIGURATIONS = [
    SoftmaxClassifier(),
    SoftmaxClassifier(solver="lbfgs"),
    SoftmaxClassifier(solver="newton-cg"),
    SoftmaxClassifier(solver="newton-cholesky"),
    SoftmaxClassifier(fit_intercept=False),
    SoftmaxClassifier(class_weight="balanced"),
    SoftmaxClassifierCV(Cs=3),  # three Cs keep its checks fast
    # its sparse grid started at C_0, where the empty model took 0 iterations: the
    # n_iter_ check failed
    SoftmaxClassifierCV(Cs=2, l1_ratios=[0.0, 1.0]),
    SoftmaxClassifier(solver="sgd"),
    SoftmaxClassifier(l1_ratio=0.5),
    SoftmaxClassifier(l1_ratio=1.0),
    SoftmaxClassifier(l1_ratio=0.5, l1_groups="features"),
]

# What the checks' inputs make the estimators say, as they should: each warning by its
# class and the start of its message, for the configurations and checks that cause it.
SGD_SHORT_OF_TOL = (
    # the checks' small data and 100 epochs: minibatch steps reach the neighbourhood
    # of the optimum, not tol=1e-8
    ConvergenceWarning,
    r"SoftmaxClassifier \(solver='sgd'\) did not converge",
)
ONE_LABEL_BY_WEIGHT = (
    # all the weight on one class: the intercepts have no finite optimum
    (ConvergenceWarning, "SoftmaxClassifier: the training data are linearly separable"),
    # ... and SoftmaxClassifierCV's folds lack the other class
    (UserWarning, r"The classes \[0\] have no positive weight in the training rows of some"),
    # ... and its sparse grid has no C_0 to start from (one class: nothing pulls)
    (UserWarning, "No feature pulls any weight away from zero"),
)


def _expected_warnings(estimator, check):
    expected = []
    if getattr(estimator, "solver", None) == "sgd":
        expected.append(SGD_SHORT_OF_TOL)
    if getattr(check, "func", check).__name__ == "check_classifiers_one_label_sample_weights":
        expected.extend(ONE_LABEL_BY_WEIGHT)
    return expected


@parametrize_with_checks(CONFIGURATIONS)
def test_sklearn_compatible_estimator(estimator, check):
    with warnings.catch_warnings():
        for category, message in _expected_warnings(estimator, check):
            warnings.filterwarnings("ignore", message=message, category=category)
        check(estimator)
