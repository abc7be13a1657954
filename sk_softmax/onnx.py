"""Export to ONNX: skl2onnx converters for the package's classifiers, and a checked export.

Importing this module (``pip install "sk-softmax[onnx]"``, which brings
``skl2onnx`` and ``onnxruntime``) registers converters for
:class:`~sk_softmax.SoftmaxClassifier` and :class:`~sk_softmax.SoftmaxClassifierCV`
with skl2onnx, so that ``skl2onnx.to_onnx`` converts them alone or as the
last step of a :class:`~sklearn.pipeline.Pipeline`, with skl2onnx's usual
classifier options: ``zipmap`` (True, False or "columns"), ``nocl``,
``output_class_labels`` and ``raw_scores``. ``import sk_softmax`` never
imports skl2onnx.

The graph computes what the prediction kernel (``sk_softmax._predict``)
computes, in float64 whatever the input type (as ``predict`` does with float32
data):

- the raw outputs ``o = X W^T + b``, one column per class (two for two
  classes: the model keeps both rows of ``coef_``, and its probabilities are
  the softmax of ``(o_0, o_1)``);
- the labels ``classes_[argmax_k o_k]``, the first on exact ties;
- the probabilities ``exp(log_softmax(o))``, ``log_softmax`` being the
  max-shifted ``o - max(o) - log(sum(exp(o - max(o))))``; with
  ``raw_scores=True``, ``o`` itself instead (for two classes
  ``decision_function`` is ``o_1 - o_0``);
- then, in a float32 graph, the probabilities rounded to float32.

What it cannot reproduce is the kernel's rescue of rows whose outputs
overflow float64 (features or coefficients near 1e308): ONNX has no
per-row rescaling, so on such rows the graph's outputs are infinite, in
whatever way the overflow of its sums left them; its probabilities are NaN
for the classes whose output is ``+inf`` (about 0 for the others) where
``predict_proba`` gives finite ones, and its label is one of the overflowing
classes, not necessarily ``predict``'s. :func:`export_and_check` then
reports a NaN difference.
"""

from pathlib import Path
from typing import NamedTuple

import numpy as np
from scipy import sparse
from sklearn.utils.validation import check_is_fitted

try:
    import skl2onnx

    from . import _onnx_graph  # noqa: F401  (importing it registers the converters)
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "sk_softmax.onnx needs skl2onnx and onnxruntime: install them with "
        'pip install "sk-softmax[onnx]".'
    ) from exc

from ._classifier import SoftmaxClassifier
from ._cv import SoftmaxClassifierCV
from .backends import is_dask_collection

__all__ = ["ExportCheck", "export_and_check", "to_onnx"]

# -- conveniences ----------------------------------------------------------------------
_ONNX_TO_NUMPY = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(bool)": np.bool_,
    "tensor(string)": object,
}


def _takes_columns(model):
    """Whether the model starts with a ColumnTransformer, which takes one input per column.

    Through a pipeline's first step, and any of a FeatureUnion's transformers.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import FeatureUnion, Pipeline

    if isinstance(model, Pipeline):
        return _takes_columns(model.steps[0][1])
    if isinstance(model, FeatureUnion):
        return any(_takes_columns(part) for _, part in model.transformer_list)
    return isinstance(model, ColumnTransformer)


def _sample(X, dtype, model):
    """A first row of ``X`` that tells skl2onnx the graph's inputs: floats in ``dtype``.

    A data frame gives one input per column to a model that starts with a
    ColumnTransformer (which selects them by name), and one 2-D input, its
    columns side by side, to any other (which takes one matrix).
    """
    if is_dask_collection(X):  # the first row alone, computed
        X = _first_row(X)
    if hasattr(X, "iloc") and not _takes_columns(model):
        X = X.iloc[:1].to_numpy()
    if hasattr(X, "iloc"):  # one input per column
        sample = X.iloc[:1].copy()
        floats = [c for c in sample.columns if sample[c].dtype.kind == "f"]
        return sample.astype(dict.fromkeys(floats, dtype))
    sample = X[:1].toarray() if sparse.issparse(X) else np.asarray(X)[:1]
    if sample.ndim != 2:
        raise ValueError(
            f"X_sample must be 2-D, of shape (n_samples, n_features); got {sample.shape}."
        )
    return sample.astype(dtype) if sample.dtype.kind in "fiub" else sample


def _first_row(X):
    """The first row of a dask array or data frame, computing one chunk at a time.

    Chunk by chunk because a chunk may be empty and its sizes unknown (a data
    frame's ``to_dask_array()``, whose ``X[:1]`` dask refuses).
    """
    if hasattr(X, "partitions"):  # a data frame
        chunks = (X.partitions[i] for i in range(X.npartitions))
    else:
        chunks = (X.blocks[i] for i in range(X.numblocks[0]))
    head = None
    for chunk in chunks:
        head = chunk.head(1, npartitions=1) if hasattr(chunk, "head") else chunk.compute()[:1]
        if len(head):
            return head
    return head


def to_onnx(
    model,
    X_sample,
    *,
    dtype=np.float32,
    target_opset=None,
    zipmap=False,
    nocl=False,
    output_class_labels=False,
    raw_scores=False,
):
    """Convert a fitted model or pipeline ending in one of ours to an ONNX graph.

    ``skl2onnx.to_onnx`` with the converters of this module, the input types
    taken from ``X_sample`` with its floats in ``dtype``, and our classifiers'
    options given once (unlike ``skl2onnx.to_onnx``, ``zipmap`` defaults to
    False: the probabilities come as one array, like ``predict_proba``'s).

    Parameters
    ----------
    model : estimator
        A fitted :class:`~sk_softmax.SoftmaxClassifier`,
        :class:`~sk_softmax.SoftmaxClassifierCV`, or a pipeline whose steps
        skl2onnx converts (StandardScaler, ColumnTransformer with
        OneHotEncoder, ...) and whose classifier is one of them.
    X_sample : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
        Data like those to predict on; only its first row is read. A data
        frame gives the graph one input per column, named as the column, when
        the model starts with a ColumnTransformer (or a FeatureUnion holding
        one); otherwise one input, the columns side by side (as the model
        itself takes them).
    dtype : {numpy.float32, numpy.float64}, default=numpy.float32
        The floating type of the graph's inputs and probabilities. The
        classifier computes in float64 either way; float64 graphs reproduce
        ``predict_proba`` to about 1e-15 (the ``zipmap`` operator, which only
        takes float32, rounds them).
    target_opset : int or None, default=None
        The ONNX opset; None for the latest skl2onnx supports.
    zipmap : bool or "columns", default=False
        True returns the probabilities as a list of ``{label: probability}``
        dictionaries, "columns" as one output per class.
    nocl : bool, default=False
        Return class indices instead of the labels.
    output_class_labels : bool, default=False
        Add an output holding the class labels (needs ``zipmap=False``).
    raw_scores : bool, default=False
        Return the raw outputs ``o = W x + b`` instead of the probabilities
        (for two classes, both columns: ``decision_function`` is
        ``o_1 - o_0``).

    Returns
    -------
    onnx_model : onnx.ModelProto
        Outputs ``label`` and ``probabilities`` (and ``class_labels``); save
        it with ``onnx_model.SerializeToString()``.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime
    >>> from sklearn.datasets import load_iris
    >>> from sk_softmax import SoftmaxClassifier
    >>> from sk_softmax.onnx import to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxClassifier().fit(X, y)
    >>> onnx_model = to_onnx(clf, X, dtype=np.float64)
    >>> session = onnxruntime.InferenceSession(
    ...     onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    >>> labels, proba = session.run(None, {"X": X})
    >>> bool((labels == clf.predict(X)).all())
    True
    >>> bool(np.abs(proba - clf.predict_proba(X)).max() < 1e-12)
    True
    """
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be numpy.float32 or numpy.float64, got {dtype}.")
    if zipmap and output_class_labels:
        raise ValueError("output_class_labels=True needs zipmap=False (skl2onnx's rule).")
    check_is_fitted(model)
    ours = {
        "zipmap": zipmap,
        "nocl": nocl,
        "output_class_labels": output_class_labels,
        "raw_scores": raw_scores,
    }
    options = {SoftmaxClassifier: ours, SoftmaxClassifierCV: ours}
    return skl2onnx.to_onnx(
        model, _sample(X_sample, dtype, model), target_opset=target_opset, options=options
    )


def _feeds(session, X):
    """The session's inputs from ``X``: one array, or a data frame's columns by name."""
    inputs = session.get_inputs()
    if hasattr(X, "iloc") and len(inputs) == 1:  # a model that takes one matrix
        X = X.to_numpy()
    if hasattr(X, "iloc"):  # by position: skl2onnx renames columns ('a/b' is input 'a_b')
        if len(inputs) != X.shape[1]:
            raise ValueError(
                f"the graph has {len(inputs)} inputs, but X has {X.shape[1]} columns: pass the "
                "columns the model was converted with, in order."
            )
        return {
            i.name: X.iloc[:, [j]].to_numpy().astype(_ONNX_TO_NUMPY[i.type])
            for j, i in enumerate(inputs)
        }
    X = X.toarray() if sparse.issparse(X) else np.asarray(X)
    return {inputs[0].name: X.astype(_ONNX_TO_NUMPY[inputs[0].type])}


class ExportCheck(NamedTuple):
    """What :func:`export_and_check` wrote and measured.

    Attributes
    ----------
    path : str
        The ONNX file written.
    n_rows : int
        The rows checked.
    max_proba_diff : float
        The largest absolute difference of the graph's probabilities from
        ``predict_proba``'s; NaN if the graph gave NaN (see the module's
        description of overflowing outputs).
    label_mismatches : int
        The rows whose ONNX label differs from ``predict``'s.

    Examples
    --------
    >>> from sk_softmax.onnx import ExportCheck
    >>> check = ExportCheck("model.onnx", n_rows=100, max_proba_diff=3e-8, label_mismatches=0)
    >>> check.max_proba_diff < 1e-5 and check.label_mismatches == 0
    True
    """

    path: str
    n_rows: int
    max_proba_diff: float
    label_mismatches: int


def export_and_check(model, path, X, *, dtype=np.float32, target_opset=None):
    """Write ``model`` as an ONNX file, run it with onnxruntime on ``X``, compare.

    The graph of :func:`to_onnx` (probabilities as one array) is written to
    ``path``; onnxruntime then loads that file and predicts ``X`` (in
    ``dtype``: so a float32 graph's figures include the rounding of the
    data to float32, as in deployment), and its labels and probabilities are
    compared with ``model.predict(X)`` and ``model.predict_proba(X)``.

    Parameters
    ----------
    model : estimator
        A fitted classifier or pipeline, as for :func:`to_onnx`.
    path : str or path-like
        Where to write the ONNX file.
    X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
        The data to check on, e.g. a held-out split.
    dtype : {numpy.float32, numpy.float64}, default=numpy.float32
        The graph's floating type.
    target_opset : int or None, default=None
        The ONNX opset; None for the latest skl2onnx supports.

    Returns
    -------
    check : ExportCheck
        The file, the rows checked, the largest absolute probability
        difference and the number of labels that differ.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn.datasets import load_wine
    >>> from sk_softmax import SoftmaxClassifier
    >>> from sk_softmax.onnx import export_and_check
    >>> X, y = load_wine(return_X_y=True)
    >>> clf = SoftmaxClassifier().fit(X[::2], y[::2])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     check = export_and_check(clf, Path(folder) / "wine.onnx", X[1::2])
    >>> check.n_rows, check.label_mismatches, bool(check.max_proba_diff < 1e-5)
    (89, 0, True)
    """
    try:
        import onnxruntime
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            'Checking the export needs onnxruntime: pip install "sk-softmax[onnx]".'
        ) from exc
    if is_dask_collection(X):
        raise TypeError(
            f"X is a {type(X).__name__} (dask): onnxruntime checks data in memory. Pass a "
            "held-out sample as a NumPy array or pandas DataFrame, e.g. X[:10000].compute()."
        )
    onnx_model = to_onnx(model, X, dtype=dtype, target_opset=target_opset)
    path = Path(path)
    path.write_bytes(onnx_model.SerializeToString())
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    labels, proba = session.run(None, _feeds(session, X))[:2]
    difference = np.abs(np.asarray(proba, dtype=np.float64) - model.predict_proba(X))
    max_diff = float(np.nan if np.isnan(difference).any() else difference.max(initial=0.0))
    mismatches = int(np.sum(labels != np.asarray(model.predict(X))))
    return ExportCheck(str(path), len(labels), max_diff, mismatches)
