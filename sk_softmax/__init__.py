"""sk-softmax: softmax (multinomial logistic) regression for scikit-learn."""

from ._classifier import SoftmaxClassifier
from ._cv import SoftmaxClassifierCV
from ._inference import SoftmaxInference, inference
from ._objective import objective
from ._path import softmax_path

__version__ = "0.1.0"

__all__ = [
    "SoftmaxClassifier",
    "SoftmaxClassifierCV",
    "SoftmaxInference",
    "inference",
    "objective",
    "softmax_path",
    "__version__",
]
