"""Reading the data: a bundled data set, or a CSV file as people have them.

A CSV is read by pandas' C parser with what the file needs found out first
from a sample of its first lines (``_sniff``): the separator, a decimal comma
in a file not separated by commas, UTF-8 with or without Excel's byte-order
mark (or UTF-16 by its mark). Spaces after separators are skipped, header
names and text values stripped; the usual missing-value markers count as
missing, with spaces around them or not. The header's names must differ. A
nameless first column (the index pandas' ``to_csv`` or R's ``write.csv``
writes) is dropped with a note: as a feature it would leak the row order.
"""

import os
from collections import Counter
from dataclasses import dataclass, field
from difflib import get_close_matches

import numpy as np

from ._errors import UsageError
from ._options import BUNDLED
from ._sniff import (
    SEPARATOR_WORDS,
    detect_decimal,
    detect_separator,
    encoding_error,
    read_sample,
)

#: pandas' own markers of a missing value (read_csv's documentation; these since pandas 2.0).
PANDAS_NA = (
    *("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN"),
    *("<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"),
)
#: Markers of a missing value beyond pandas' defaults.
EXTRA_NA = ("?",)
#: At most this many column names in a message, each cut to ``NAME_CHARS`` characters.
SHOWN_COLUMNS = 8
NAME_CHARS = 60


@dataclass
class Dataset:
    """What the comparison needs of the data: features, labels, what was done."""

    title: str
    X: object  # pandas.DataFrame of the feature columns
    y: object  # pandas.Series of the labels
    notes: list = field(default_factory=list)


def pandas():
    """pandas, or a usage error saying how to get it."""
    try:
        import pandas
    except ImportError:
        raise UsageError("the command line needs pandas: pip install 'sk-softmax[cli]'") from None
    return pandas


def load(args, progress):
    """The data set ``args.dataset`` names: ``Dataset``."""
    if args.dataset in BUNDLED:
        return _bundled(args.dataset)
    frame, notes = read_csv(args, progress)
    return _split_columns(frame, args, notes)


def _bundled(name):
    from sklearn import datasets

    pandas()
    bunch = getattr(datasets, f"load_{name}")(as_frame=True)
    y = bunch.target
    if name != "digits":  # class names instead of codes
        y = y.map(dict(enumerate(bunch.target_names)))
    return Dataset(name, bunch.data, y.rename("class"))


def read_csv(args, progress):
    """The CSV ``args.dataset`` as a data frame, and notes on what was found."""
    path, notes = args.dataset, []
    sample = read_sample(path, args.encoding)
    if sample.complete and not sample.text.strip():
        raise UsageError(f"{path!r} is empty")
    sep, decimal, rows = _format(sample, args, notes)
    na_values = [*EXTRA_NA, *args.na_values]
    frame = _parse(path, sep, decimal, sample.encoding, na_values, progress)
    frame = _tidy(frame, path, rows[0] if rows else [], notes)
    return _text_values(frame, {*PANDAS_NA, *na_values}, decimal), notes


def _format(sample, args, notes):
    """``(sep, decimal, rows)``: the separator, the decimal mark, the sample's records."""
    path = args.dataset
    sep = args.sep or detect_separator(sample.text, sample.complete)
    rows = sample.records(sep)
    if len(rows) < 2 and not sample.complete:
        _too_long(sample, rows, args, sep)
    if args.decimal is not None and args.decimal == sep:  # (a given --sep is checked earlier)
        raise UsageError(
            f"--decimal {args.decimal!r} is the separator found in {path!r} "
            f"({SEPARATOR_WORDS[sep]}): give another --decimal, or another separator with --sep"
        )
    if args.sep is None and sep != ",":
        notes.append(f"fields separated by {SEPARATOR_WORDS[sep]} (detected; --sep sets it)")
    decimal = args.decimal or detect_decimal(rows[1:], sep)
    if args.decimal is None and decimal == ",":
        notes.append("numbers with a decimal comma, 1,5 = 1.5 (detected; --decimal sets it)")
    return sep, decimal, rows


def _too_long(sample, rows, args, sep):
    """A sample at its longest with no whole data line: stop, unless the flags say it all."""
    if args.sep is None:
        fix = "its separator with --sep" + (
            " (and --decimal , for decimal commas)" if args.decimal is None else ""
        )
    elif args.decimal is None and sep != ",":
        fix = "its decimal mark with --decimal (. or ,)"
    else:
        return
    raise UsageError(
        f"the first {sample.n_bytes / 2**20:.3g} MiB of {args.dataset!r} hold "
        f"{'its header and no whole data line' if rows else 'no whole line'}: too little to "
        f"find out how the file is written; give {fix}"
    )


def _parse(path, sep, decimal, encoding, na_values, progress):
    """The whole file, read by pandas' C parser."""
    pd = pandas()
    try:
        with open(path, "rb") as raw, progress.reading(raw, os.path.getsize(path)) as handle:
            return pd.read_csv(
                handle,
                sep=sep,
                decimal=decimal,
                encoding=encoding,
                skipinitialspace=True,
                na_values=na_values,
                low_memory=False,
            )
    except pd.errors.EmptyDataError:
        raise UsageError(f"{path!r} is empty") from None
    except pd.errors.ParserError as exc:
        reason = str(exc).strip().splitlines()[-1].removeprefix("Error tokenizing data. ")
        raise UsageError(
            f"cannot parse {path!r} with {SEPARATOR_WORDS.get(sep, repr(sep))} as "
            f"separators: {reason}; give the separator with --sep"
        ) from None
    except UnicodeDecodeError as exc:
        raise encoding_error(path, encoding, exc) from None


def _tidy(frame, path, header, notes):
    """Strip names, refuse duplicates, drop a nameless leading index column, refuse no rows.

    ``header``: the names as the file writes them (pandas renames a second
    ``x`` to ``x.1``), when the csv module read as many as pandas did.
    """
    frame.columns = [str(name).strip() for name in frame.columns]
    written = [name.strip() for name in header]
    if len(written) != frame.shape[1]:
        written = list(frame.columns)
    repeated = [name for name, count in Counter(written).items() if name and count > 1]
    if repeated:
        more = f" (and {len(repeated) - 1} more names)" if len(repeated) > 1 else ""
        raise UsageError(
            f"{path!r} has several columns named {_short(repeated[0])!r}{more}: rename them"
        )
    if header and not header[0].strip() and frame.shape[1] > 1:
        first = frame.columns[0]
        counted = _counts_rows(frame[first])
        frame = frame.drop(columns=first)
        notes.append(
            "dropped the nameless first column"
            + (" (it counts the rows 0, 1, 2, ...:" if counted else " (")
            + " an index as pandas' to_csv writes it; as a feature it would leak the row "
            "order)"
        )
    if frame.shape[0] == 0:
        raise UsageError(f"{path!r} has a header but no data rows")
    return frame


def _text_values(frame, markers, decimal):
    """Text stripped; a marker of a missing value with spaces around it (``NA ``, which
    ``skipinitialspace`` leaves) missing, and a column of numbers once they are, numbers."""
    for name in frame.columns:
        column = frame[name]
        if not (column.dtype == object or str(column.dtype) in ("string", "str")):
            continue
        values = column.str.strip()
        missing = values.isin(markers) & values.notna()
        if missing.any():
            values = _numbers(values.mask(missing), decimal)
        frame[name] = values
    return frame


def _numbers(values, decimal):
    """``values`` as numbers if every value present is one (as pandas would read it), else
    ``values``."""
    from pandas import to_numeric

    present = values.dropna()
    if decimal != ".":  # pandas reads 1.5 as text with another decimal mark
        if present.str.contains(".", regex=False).any():
            return values
        present = present.str.replace(decimal, ".", regex=False)
    numbers = to_numeric(present, errors="coerce")
    if numbers.isna().any():
        return values
    return numbers.reindex(values.index)


def _counts_rows(values):
    """Whether a column holds 0, 1, 2, ... or 1, 2, 3, ... in row order."""
    array = np.asarray(values)
    if array.dtype.kind not in "iu" or array.size < 2:
        return False
    return bool(array[0] in (0, 1) and np.all(np.diff(array) == 1))


def _split_columns(frame, args, notes):
    """The target column and the feature columns, after ``--drop``."""
    columns = list(frame.columns)
    target = args.target.strip()
    if target not in columns:
        raise _no_column(target, "", args, columns)
    for name in args.drop:
        if name not in columns:
            raise _no_column(name, "--drop: ", args, columns)
        if name == target:
            raise UsageError(f"--drop {name!r} is the target: give another --target")
    if args.drop:
        notes.append(f"left out: {', '.join(args.drop)} (--drop)")
    features = frame.drop(columns=[target, *args.drop])
    if features.shape[1] == 0:
        raise UsageError(f"{args.dataset!r} has no feature columns besides the target {target!r}")
    return Dataset(os.path.basename(args.dataset), features, frame[target], notes)


def _no_column(name, prefix, args, columns):
    """No column ``name``: a close name, a short list of the columns; a file read as a
    single column is a separator to give."""
    where = f"{prefix}no column {_short(name)!r} in {args.dataset!r}"
    if len(columns) == 1:
        fix = (
            f"--sep {args.sep!r} splits none of its lines: give its separator"
            if args.sep
            else "give its separator with --sep (a character, or tab, comma, semicolon, pipe)"
        )
        return UsageError(
            f"{where}: the file was read as one column, {_short(columns[0])!r}; {fix}"
        )
    return UsageError(where + _suggest(name, columns))


def _suggest(name, columns):
    """'; did you mean ...? Its columns: ...': the close name, then a short list."""
    folded = {column.casefold(): column for column in columns}
    close = get_close_matches(name.casefold(), list(folded), n=1, cutoff=0.6)
    hint = f"; did you mean {_short(folded[close[0]])!r}? Its" if close else "; its"
    shown = ", ".join(repr(_short(c)) for c in columns[:SHOWN_COLUMNS])
    more = f" and {len(columns) - SHOWN_COLUMNS} more" if len(columns) > SHOWN_COLUMNS else ""
    return f"{hint} columns: {shown}{more}"


def _short(name):
    """A column name cut to ``NAME_CHARS`` characters for a message."""
    name = str(name)
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 3] + "..."
