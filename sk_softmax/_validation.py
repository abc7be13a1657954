"""Input checks whose messages name the problem and the fix, and all-or-nothing fits.

Shared by every estimator of the package (``SoftmaxClassifier``, its online
and Dask paths, ``SoftmaxClassifierCV``).
"""

import functools
from contextlib import contextmanager
from numbers import Integral

import numpy as np
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_sample_weight, validate_data


def check_target_shape(y):
    """A 2-D ``y`` with several columns is multilabel or multioutput: say so."""
    try:
        shape = np.shape(y)
    except ValueError as exc:
        if "inhomogeneous" in str(exc):  # a ragged list: not labels
            raise ValueError(
                "y is not a 1-D array of labels: its entries have different lengths. Give "
                f"one label per sample, shape (n_samples,). numpy said: {exc}"
            ) from exc
        return  # left to scikit-learn
    except TypeError:  # exotic containers: left to scikit-learn
        return
    if len(shape) == 2 and shape[1] > 1:
        raise ValueError(
            f"y has shape {shape}, but SoftmaxClassifier predicts one class per sample and "
            "needs a 1-D y of labels, shape (n_samples,). For multilabel or multioutput "
            "targets wrap it, e.g. in sklearn.multiclass.OneVsRestClassifier or "
            "sklearn.multioutput.MultiOutputClassifier."
        )


def check_classification_target(y):
    """Labels of one kind, discrete: anything else gets a message saying why not."""
    if isinstance(y, np.ndarray) and y.ndim == 1 and y.dtype.kind in "biu":
        return  # integer labels: what type_of_target would call binary or multiclass
    if isinstance(y, np.ndarray) and y.dtype == object:
        strings = {isinstance(value, str) for value in y.ravel()}
        if len(strings) == 2:  # numpy cannot even sort them
            example = (next(v for v in y.ravel() if isinstance(v, str)),
                       next(v for v in y.ravel() if not isinstance(v, str)))  # fmt: skip
            raise ValueError(
                "Mix of label input types (string and number): y holds strings such as "
                f"{example[0]!r} and other values such as {example[1]!r}. Give all labels "
                "one type, e.g. y.astype(str)."
            )
    with np.errstate(invalid="ignore"):  # its cast of whole numbers beyond int64 to int
        kind = type_of_target(y, input_name="y")
    if kind in ("binary", "multiclass"):
        return
    if kind == "continuous":
        raise ValueError(_continuous_message(np.ravel(y)))
    if kind == "unknown":
        types = sorted({type(v).__name__ for v in np.ravel(y)})
        if len(types) == 1:
            raise ValueError(
                f"Unknown label type: unknown. y is an array of Python objects of type "
                f"{types[0]}, which scikit-learn does not read as labels; convert it, e.g. "
                f"with y.astype(int) or y.astype(str)."
            )
        raise ValueError(
            f"Unknown label type: unknown. y mixes labels of several types ({types}) or "
            "holds values that are not labels; give all labels one type, e.g. with "
            "y.astype(str)."
        )
    raise ValueError(f"Unknown label type: {kind}. SoftmaxClassifier needs 1-D class labels.")


def _continuous_message(values):
    """Why ``type_of_target`` called the numbers ``values`` continuous: a fraction, or size."""
    values = np.asarray(values, dtype=np.float64)
    fractional = values[values != np.round(values)]
    if fractional.size:
        return (
            "Unknown label type: continuous. y holds non-integer numbers such as "
            f"{float(fractional[0])!r}, which looks like a regression target: "
            "SoftmaxClassifier needs discrete class labels. Use a regressor, or turn y into "
            "classes (e.g. with numpy.digitize)."
        )
    # whole numbers, but beyond int64: scikit-learn's check casts them to integers
    large = values[np.abs(values) >= 2.0**63]
    return (
        "Unknown label type: continuous. y holds whole numbers beyond the range of 64-bit "
        f"integers, such as {float(large[0])!r}, which scikit-learn reads as continuous. "
        "Give the classes smaller codes, e.g. with sklearn.preprocessing.LabelEncoder, or "
        "use them as strings (y.astype(str))."
    )


@contextmanager
def numeric_errors(name):
    """Re-raise scikit-learn's conversion errors on non-numeric data with a remedy.

    Around scikit-learn's checks of our input: their finiteness check sums the
    array, which may overflow to ``inf - inf`` for entries near 1.8e308, and
    numpy's warnings about that are no message for the user (the check still
    reports NaN and infinite entries).
    """
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            yield
    except (TypeError, ValueError) as exc:
        text = str(exc)
        if "could not convert" in text or "argument must be a string or a" in text:
            raise type(exc)(
                f"{text}. SoftmaxClassifier needs numeric {name} (numbers or booleans); "
                "encode text or categorical features first, e.g. with "
                "sklearn.preprocessing.OneHotEncoder."
            ) from exc
        if "could not be promoted" in text:  # datetimes, timedeltas next to numbers
            raise TypeError(
                f"SoftmaxClassifier needs numeric {name}, but it holds values numpy cannot "
                "convert to float64 (dates or times, say): convert them to numbers first. "
                f"numpy said: {text}"
            ) from exc
        if "inhomogeneous" in text:
            raise ValueError(
                f"{name} is not a rectangular array: its rows have different lengths. "
                f"numpy said: {text}"
            ) from exc
        raise


def check_C(C):
    """``C`` must be representable in float64 (a Python int may not be)."""
    try:
        float(C)
    except OverflowError:
        raise ValueError(
            f"C is beyond the float64 range (about 1.8e308): {str(C)[:12]}... with "
            f"{len(str(C))} digits. For no penalty use C=np.inf."
        ) from None


def checked_sample_weight(sample_weight, X):
    """One finite, non-negative float64 weight per sample, not all zero."""
    if sample_weight is None:  # what _check_sample_weight gives, without its checks
        return np.ones(X.shape[0])
    try:
        with numeric_errors("sample_weight"):
            return _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
    except ValueError as exc:
        if not str(exc).startswith("sample_weight.shape =="):
            raise
        raise ValueError(
            f"sample_weight has shape {np.asarray(sample_weight).shape} but X has "
            f"{X.shape[0]} samples: pass one non-negative weight per sample (or a scalar)."
        ) from exc


def all_or_nothing(fit):
    """Make ``fit`` leave the estimator as it found it when it raises.

    ``validate_data`` records ``n_features_in_`` and ``feature_names_in_`` as
    soon as it has seen ``X``; a fit that fails later (bad weights, a warm
    start on other features, KeyboardInterrupt in the solver) would leave
    them describing data the model was never fitted on. The attributes are
    otherwise assigned at the end of ``fit`` only; on any exception, every
    attribute is put back as it was.
    """

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        before = dict(self.__dict__)
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            # the callbacks' context is scikit-learn's (_fit_context tears the callbacks
            # down from it after fit, returned or raised): not the fit's to undo
            running = {k: v for k, v in self.__dict__.items() if k in _CALLBACK_CONTEXT}
            self.__dict__.clear()
            self.__dict__.update(before)
            self.__dict__.update(running)
            raise

    return wrapper


# The attributes init_callback_context sets and scikit-learn's callback_management_context
# reads to call every callback's teardown (sklearn/callback/_callback_support.py, 1.9):
# private names, kept by all_or_nothing because without them a failed fit never tore its
# callbacks down, and a ProgressBar's thread then held the process at exit (a review's
# reproducer hung until killed; LogisticRegression exited).
_CALLBACK_CONTEXT = ("_callback_fit_ctx", "_skl_callbacks_to_teardown")


def check_two_classes(classes, name="SoftmaxClassifier"):
    """At least two distinct labels, or a message that names the one there is."""
    if np.size(classes) < 2:
        raise ValueError(
            f"{name} needs samples of at least 2 classes in the data, "
            f"but the data contains only one class: {np.asarray(classes).tolist()[0]!r}."
        )


def plain_x(X):
    """Whether ``X`` is a matrix ``validate_data`` would pass through unchanged.

    True for a finite float64 or float32 NumPy matrix (native byte order)
    with at least one row and one column: neither a data frame nor anything
    to convert, check further or warn about. Finiteness is read from the
    sum, which is finite only if every entry is (a finite sum beyond float64
    sends ``X`` to the full check, which accepts it).
    """
    if type(X) is not np.ndarray or X.ndim != 2 or X.dtype not in (np.float64, np.float32):
        return False
    if not (X.shape[0] >= 1 and X.shape[1] >= 1):
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(X.sum()))


def plain_xy(X, y):
    """Whether ``validate_data`` would pass ``X`` and ``y`` through unchanged.

    :func:`plain_x`, and a finite 1-D NumPy array of numbers or booleans of
    the same length as ``X``. Anything else goes to ``validate_data``.
    """
    if type(y) is not np.ndarray or y.ndim != 1 or y.dtype.kind not in "biuf":
        return False
    if not plain_x(X) or X.shape[0] != y.shape[0]:
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(y.dtype.kind != "f" or np.isfinite(y.sum()))


def validated_xy(estimator, X, y, reset=True):
    """``validate_data`` for a fit on NumPy or SciPy data, after the clear-message checks.

    A 2-D ``y``, an out-of-range ``C`` and non-numeric ``X`` are reported with
    a remedy; ``X`` comes back as float64 or float32 (dense or CSR/CSC).
    """
    check_target_shape(y)
    if hasattr(estimator, "C"):
        check_C(estimator.C)
    if reset and plain_xy(X, y):
        # What validate_data would do and return for these, by hand: its
        # side effects on the estimator are not a public contract, but they
        # cost 11 to 15% of a whole fit on the six small bench_fit rows
        # (iris, wine, breast_cancer, raw and standardised; interleaved
        # medians of 400 fits each, measured when the redesign kept it).
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
        estimator.n_features_in_ = X.shape[1]
        return X, y
    if (
        not reset
        and plain_xy(X, y)
        and not hasattr(estimator, "feature_names_in_")
        and getattr(estimator, "n_features_in_", None) == X.shape[1]
    ):
        # A later batch of partial_fit: validate_data would check the same
        # (no feature names before or now, the same width) and return these
        # unchanged; by hand, a call costs ~20 us instead of ~400 us, which
        # was two thirds of a partial_fit call on the 100 000 x 50 stream
        # of bench_scale.py (cProfile, 391 calls).
        return X, y
    with numeric_errors("X"):
        return validate_data(
            estimator,
            X,
            y,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            reset=reset,
        )


def checked_Cs(Cs):
    """``Cs`` as it is if an int, else as a 1-D array of positive numbers."""
    if isinstance(Cs, bool):
        raise TypeError(f"Cs must be an int or a 1-D array of numbers; got {Cs!r}.")
    if isinstance(Cs, Integral):
        return Cs
    try:
        values = np.asarray(Cs, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"Cs must be an int or a 1-D array of numbers; got {Cs!r}.") from exc
    if values.ndim != 1 or values.size == 0 or not np.all(values > 0):
        raise ValueError(
            f"Cs must be a non-empty 1-D array of values of C in (0, inf]; got {Cs!r}. "
            "Pass e.g. Cs=np.logspace(-4, 4, 10), or an int for that many such values."
        )
    return values
