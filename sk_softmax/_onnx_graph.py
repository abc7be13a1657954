"""The ONNX graph of the package's classifiers: skl2onnx's shape calculator and converter.

Imported by :mod:`sk_softmax.onnx`, which documents what the graph computes
and guards the import of skl2onnx; importing this module registers the
converters of :class:`~sk_softmax.SoftmaxClassifier` and
:class:`~sk_softmax.SoftmaxClassifierCV` with skl2onnx.
"""

import numpy as np
import skl2onnx
from skl2onnx.common.data_types import (
    BooleanTensorType,
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)
from skl2onnx.common.utils import check_input_and_output_numbers, check_input_and_output_types
from skl2onnx.proto import onnx_proto
from sklearn.utils._array_api import move_to
from sklearn.utils.validation import check_is_fitted

from ._classifier import SoftmaxClassifier
from ._cv import SoftmaxClassifierCV

TensorProto = onnx_proto.TensorProto
OPTIONS = {
    "zipmap": [True, False, "columns"],
    "nocl": [True, False],
    "output_class_labels": [False, True],
    "raw_scores": [True, False],
}


# -- what the graph holds --------------------------------------------------------------
def _parameters(model):
    """``(coef, intercept)`` of a fitted model as float64 NumPy arrays (any backend)."""
    check_is_fitted(model)
    coef = np.asarray(move_to(model.coef_, xp=np, device="cpu"), dtype=np.float64)
    intercept = np.asarray(move_to(model.intercept_, xp=np, device="cpu"), dtype=np.float64)
    return coef, intercept


def _labels(model, nocl):
    """``(tensor type, values)`` of the labels the graph returns.

    ONNX labels are int64 or strings: integer, boolean and integral float
    labels become int64 (equal to ``classes_`` as numbers), text stays text.
    With ``nocl``, the class indices.
    """
    classes = np.asarray(move_to(model.classes_, xp=np, device="cpu"))
    if nocl:
        return TensorProto.INT64, np.arange(classes.size, dtype=np.int64)
    values = classes.tolist()
    if all(isinstance(v, (bool, np.bool_, int, np.integer)) for v in values):
        if all(-(2**63) <= int(v) < 2**63 for v in values):
            return TensorProto.INT64, np.array([int(v) for v in values], dtype=np.int64)
    elif all(isinstance(v, float) and v.is_integer() and abs(v) < 2**63 for v in values):
        return TensorProto.INT64, np.array([int(v) for v in values], dtype=np.int64)
    elif all(isinstance(v, str) for v in values):
        return TensorProto.STRING, np.array([v.encode("utf-8") for v in values])
    raise TypeError(
        f"ONNX class labels are 64-bit integers or strings, but classes_ holds "
        f"{classes[:5].tolist()!r} (dtype {classes.dtype}). Fit on y.astype(str), or pass "
        "nocl=True to return class indices."
    )


def _label_type(model, nocl):
    kind, _ = _labels(model, nocl)
    return Int64TensorType if kind == TensorProto.INT64 else StringTensorType


# -- skl2onnx's two hooks: output types, then the graph -----------------------------------
def _shapes(operator):
    """skl2onnx's shape calculator: label ``(N,)``, probabilities ``(N, n_classes)``."""
    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=2)
    check_input_and_output_types(
        operator,
        good_input_types=[FloatTensorType, DoubleTensorType, Int64TensorType, BooleanTensorType],
    )
    model = operator.raw_operator
    coef, _ = _parameters(model)
    n_rows, n_features = (list(operator.inputs[0].type.shape) + [None, None])[:2]
    if isinstance(n_features, int) and n_features != coef.shape[1]:
        raise ValueError(
            f"The ONNX input has {n_features} columns but {type(model).__name__} was fitted "
            f"on {coef.shape[1]} features: give to_onnx a sample of the data it predicts on."
        )
    options = operator.scope_inst.get_options(model, dict(nocl=False, zipmap=True))
    double = isinstance(operator.inputs[0].type, DoubleTensorType)
    if double and options["zipmap"] is True:
        raise ValueError(
            "ONNX's ZipMap operator takes float32 probabilities only, and this graph's are "
            "float64: convert with the option zipmap=False (or 'columns'), or with a float32 "
            "sample."
        )
    operator.outputs[0].type = _label_type(model, options["nocl"])([n_rows])
    scores_type = DoubleTensorType if double else FloatTensorType
    operator.outputs[1].type = scores_type([n_rows, coef.shape[0]])


def _node(scope, container, op_type, inputs, output=None, **attributes):
    """Add one ONNX node; returns its output's name (a fresh one unless given)."""
    output = output or scope.get_unique_variable_name(op_type.lower())
    name = scope.get_unique_operator_name(op_type)
    container.add_node(op_type, inputs, output, name=name, **attributes)
    return output


def _constant(scope, container, name, kind, values):
    unique = scope.get_unique_variable_name(name)
    container.add_initializer(unique, kind, list(values.shape), values.ravel().tolist())
    return unique


def _convert(scope, operator, container):
    """skl2onnx's converter: the prediction kernel as ONNX nodes (module docstring)."""
    model = operator.raw_operator
    options = container.get_options(model, dict(nocl=False, raw_scores=False))
    coef, intercept = _parameters(model)
    label_kind, label_values = _labels(model, options["nocl"])
    x = operator.inputs[0].full_name
    if not isinstance(operator.inputs[0].type, DoubleTensorType):
        x = _node(scope, container, "Cast", [x], to=TensorProto.DOUBLE)  # exact for float32
    weights = _constant(scope, container, "coef_t", TensorProto.DOUBLE, coef.T.copy())
    raw = _node(scope, container, "MatMul", [x, weights])
    if np.any(intercept != 0):
        bias = _constant(scope, container, "intercept", TensorProto.DOUBLE, intercept)
        raw = _node(scope, container, "Add", [raw, bias])

    index = _node(scope, container, "ArgMax", [raw], axis=1, keepdims=0)  # first on ties
    labels = _constant(scope, container, "classes", label_kind, label_values)
    _node(scope, container, "Gather", [labels, index], operator.outputs[0].full_name, axis=0)

    scores = raw
    if not options["raw_scores"]:
        log_proba = _node(scope, container, "LogSoftmax", [raw], axis=1)
        scores = _node(scope, container, "Exp", [log_proba])
    output = operator.outputs[1].full_name
    if isinstance(operator.outputs[1].type, DoubleTensorType):
        _node(scope, container, "Identity", [scores], output)
    else:
        _node(scope, container, "Cast", [scores], output, to=TensorProto.FLOAT)


for _estimator in (SoftmaxClassifier, SoftmaxClassifierCV):
    skl2onnx.update_registered_converter(
        _estimator, f"SkSoftmax{_estimator.__name__}", _shapes, _convert, options=OPTIONS
    )
