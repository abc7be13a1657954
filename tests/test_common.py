"""scikit-learn's full estimator checks, in every configuration, no expected failures."""

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
    SoftmaxClassifier(solver="sgd"),
    SoftmaxClassifier(l1_ratio=0.5),
    SoftmaxClassifier(l1_ratio=1.0),
    SoftmaxClassifier(l1_ratio=0.5, l1_groups="features"),
]


@parametrize_with_checks(CONFIGURATIONS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
