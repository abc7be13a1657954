"""sk-softmax: softmax (multinomial logistic) regression for scikit-learn."""

from ._softmax import SoftmaxClassifier

__version__ = "0.1.0"

__all__ = ["SoftmaxClassifier", "__version__"]
