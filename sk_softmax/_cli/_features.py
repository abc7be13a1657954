"""From the data's columns to what both estimators fit: labels, and one preprocessing.

``labels`` checks that the target is a classification target a stratified
split can use, and says in one line why not. ``preprocessing`` builds the
scikit-learn ``ColumnTransformer`` both estimators share: numeric columns
(missing values imputed by the training median; standardised with
``--scale``), text columns one-hot encoded (``OneHotEncoder(handle_unknown=
"ignore")``, a missing value a category of its own). Its notes name the
columns each step touches, and the columns that look like trouble: a text
column of numbers with a few words in it, a distinct value in every row, a
column that counts the rows.
"""

import numpy as np

from ._errors import UsageError

#: At most this many names in a note's list of columns.
LISTED = 6


def labels(y, name):
    """``(labels, keep, notes)``: the labels as an array, the mask of the rows that have
    one, and what was done; or a one-line ``UsageError`` saying why ``y`` cannot be used."""
    notes = []
    keep = y.notna().to_numpy()
    if not keep.any():
        raise UsageError(f"the target {name!r} has no values")
    if not keep.all():
        notes.append(f"dropped {np.count_nonzero(~keep)} rows with no value in the target")
    values = y[keep].to_numpy()
    if values.dtype.kind == "f" and np.isinf(values).any():
        raise UsageError(
            f"the target {name!r} has {np.count_nonzero(np.isinf(values))} infinite value(s): "
            "class labels must be finite; fix those rows, or choose another --target"
        )
    if values.dtype.kind == "f" and np.all(values == np.round(values)):
        # integers read as floats because of empty cells; beyond int64, as their digits
        if np.all(np.abs(values) < 2.0**63):
            values = values.astype(np.int64)
        else:
            values = np.array([str(int(value)) for value in values])
    elif values.dtype.kind not in "biuf":
        values = values.astype(str)
    classes, counts = np.unique(values, return_counts=True)
    if values.dtype.kind == "f":
        shown = ", ".join(f"{v:g}" for v in classes[:3])
        raise UsageError(
            f"the target {name!r} is continuous ({classes.size} distinct values such as "
            f"{shown}): a classifier needs class labels; choose another --target, or bin it "
            "into classes first"
        )
    if classes.size < 2:
        raise UsageError(
            f"the target {name!r} has a single class ({_plain(classes[0])!r}): a classifier needs "
            "at least two; choose another --target"
        )
    if classes.size > values.size / 2:
        raise UsageError(
            f"the target {name!r} has {classes.size} classes in {values.size} rows: it looks "
            "like an identifier or a measurement, not a class label; choose another --target"
        )
    single = classes[counts < 2]
    if single.size:
        shown = ", ".join(repr(_plain(c)) for c in single[:3])
        raise UsageError(
            f"{single.size} class(es) of {name!r} have a single row ({shown}): a stratified "
            "train/test split needs at least two of each; remove those rows or merge classes"
        )
    return values, keep, notes


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def preprocessing(X, *, encode, scale):
    """``(transformer, X, notes)``: the shared preprocessing, unfitted, and the frame it takes."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X, notes = _clean(X)
    numeric = [c for c in X.columns if X[c].dtype.kind in "iuf"]
    text = [c for c in X.columns if c not in numeric]
    _finite(X, numeric)
    if not encode:
        _strict(X, numeric, text)
    notes += _warnings(X, numeric, text)
    steps = [SimpleImputer(strategy="median")] if encode else []
    steps += [StandardScaler()] if scale else []
    transformers = []
    if numeric:
        transformers.append(("numeric", make_pipeline(*steps) if steps else "passthrough", numeric))
    if text:
        encoder = OneHotEncoder(handle_unknown="ignore")
        if X[text].isna().any().any():  # missing text is a level of its own
            # (only then: skl2onnx cannot convert this imputer, so --export-onnx works
            # for text columns without missing values)
            encoder = make_pipeline(
                SimpleImputer(strategy="constant", fill_value="missing"), encoder
            )
        transformers.append(("text", encoder, text))
        levels = ", ".join(f"{c} ({X[c].nunique()})" for c in text[:LISTED])
        notes.append(
            f"one-hot encoded {len(text)} text column(s), with their number of values: "
            f"{levels}{_more(text)}; values unseen in training are ignored (--no-encode: "
            "numbers only)"
        )
    notes += _imputed(X, numeric, text)
    if scale:
        notes.append("numeric columns standardised on the training rows (--scale)")
    return ColumnTransformer(transformers), X, notes


def _clean(X):
    """Empty columns out, booleans as numbers, text as Python objects (missing: NaN)."""
    notes = []
    empty = [c for c in X.columns if X[c].isna().all()]
    if empty:
        X = X.drop(columns=empty)
        notes.append(f"dropped {len(empty)} empty column(s): {_names(empty)}")
    if X.shape[1] == 0:
        raise UsageError("every feature column is empty")
    X = X.copy()
    for c in X.columns:
        if X[c].dtype.kind == "b":
            X[c] = X[c].astype(np.float64)
        elif X[c].dtype.kind not in "iuf":
            X[c] = X[c].astype(object).where(X[c].notna(), np.nan)
    return X, notes


def _finite(X, numeric):
    """A numeric column with an infinite value (``inf``, ``1e999`` in the file) stops the run."""
    for c in numeric:
        infinite = np.isinf(X[c].to_numpy(dtype=np.float64))
        if infinite.any():
            first = np.flatnonzero(infinite)[0]
            label = X.index[first]  # the file's data row, counted from 0 (rows dropped keep it)
            where = f" in data row {label + 1}" if isinstance(label, int | np.integer) else ""
            raise UsageError(
                f"column {c!r} has {np.count_nonzero(infinite)} infinite value(s) (e.g. "
                f"{X[c].iloc[first]}{where}): the estimators need finite numbers; replace "
                f"them in the file, or leave the column out with --drop {c}"
            )


def _strict(X, numeric, text):
    if text:
        column = text[0]
        example = X[column].dropna().iloc[0]
        raise UsageError(
            f"column {column!r} is not numeric (e.g. {example!r}): without --no-encode it is "
            f"one-hot encoded; or leave it out with --drop {column}"
        )
    missing = [c for c in numeric if X[c].isna().any()]
    if missing:
        column = missing[0]
        raise UsageError(
            f"column {column!r} has {X[column].isna().sum()} missing value(s): without "
            f"--no-encode they are imputed; or leave it out with --drop {column}"
        )


def _warnings(X, numeric, text):
    """Notes on columns that are probably not what they seem."""
    notes = []
    n = X.shape[0]
    for c in text:
        values = X[c].dropna()
        as_numbers = _to_numeric(values)
        words = values[np.isnan(as_numbers)]
        if 0 < words.size <= 0.1 * values.size:
            notes.append(
                f"column {c!r} is read as text because of values such as {words.iloc[0]!r} "
                "among its numbers: if they mean 'missing', pass --na-values "
                f"{','.join(map(str, words.unique()[:3]))}"
            )
        elif n >= 20 and values.nunique() == n:
            notes.append(
                f"column {c!r} has a distinct value in every row: as categories it cannot "
                f"generalise; leave it out with --drop {c}"
            )
    for c in numeric:
        array = X[c].to_numpy()
        if n >= 20 and array.dtype.kind in "iu" and np.all(np.diff(array) == 1):
            notes.append(
                f"column {c!r} counts the rows ({array[0]}, {array[1]}, {array[2]}, ...): if it "
                f"is an identifier, leave it out with --drop {c}"
            )
    return notes


def _to_numeric(values):
    """The values as floats, NaN where one is not a number."""
    from pandas import to_numeric

    return to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)


def _imputed(X, numeric, text):
    counts = X.isna().sum()
    parts = []
    for columns, how in ((numeric, " by the training median"), (text, " as a category 'missing'")):
        missing = [c for c in columns if counts[c]]
        if missing:
            listed = ", ".join(f"{c} ({counts[c]})" for c in missing[:LISTED])
            parts.append(listed + _more(missing) + how)
    if not parts:
        return []
    return [f"imputed missing values, with their counts: {'; '.join(parts)}"]


def _names(columns):
    return ", ".join(map(str, columns[:LISTED])) + _more(columns)


def _more(columns):
    return f" and {len(columns) - LISTED} more" if len(columns) > LISTED else ""
