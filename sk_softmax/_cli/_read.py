"""Reading the data: a bundled data set, or a CSV file as people have them.

A CSV is read by pandas' C parser with what the file needs found out first
from its first 64 KiB: the separator (``,``, ``;``, tab or ``|``: the one that
splits every line of the sample into the same number of fields, more than
one), a decimal comma in a semicolon-separated file, UTF-8 with or without
Excel's byte-order mark (or UTF-16 by its mark). Spaces after separators are
skipped and header names stripped; the usual missing-value markers count as
missing. A nameless first column (the index pandas' ``to_csv`` or R's
``write.csv`` writes) is dropped with a note: as a feature it would leak the
row order.
"""

import codecs
import csv
import io
import os
import re
from dataclasses import dataclass, field
from difflib import get_close_matches

import numpy as np

from ._errors import UsageError
from ._options import BUNDLED

SAMPLE_BYTES = 1 << 16
SEPARATORS = (",", ";", "\t", "|")
SEPARATOR_WORDS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "pipes"}
#: Markers of a missing value beyond pandas' defaults ('', NA, N/A, NaN, null, None, ...).
EXTRA_NA = ("?",)
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_DECIMAL_POINT = re.compile(r"[+-]?\d*\.\d+")


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
    pd = pandas()
    path, notes = args.dataset, []
    text, complete, encoding = _sample(path, args.encoding)
    if not text.strip():
        raise UsageError(f"{path!r} is empty")
    sep = args.sep or detect_separator(text, complete)
    rows = _sample_rows(text, complete, sep)
    if args.sep is None and sep != ",":
        notes.append(f"fields separated by {SEPARATOR_WORDS[sep]} (detected; --sep sets it)")
    decimal = args.decimal or detect_decimal(rows[1:], sep)
    if args.decimal is None and decimal == ",":
        notes.append("numbers with a decimal comma, 1,5 = 1.5 (detected; --decimal sets it)")
    na_values = [*EXTRA_NA, *args.na_values]
    try:
        with open(path, "rb") as raw, progress.reading(raw, os.path.getsize(path)) as handle:
            frame = pd.read_csv(
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
        raise _encoding_error(path, encoding, exc) from None
    return _tidy(frame, path, rows[0] if rows else [], notes), notes


def _sample(path, encoding):
    """The first ``SAMPLE_BYTES`` as text, whether that is the whole file, the encoding."""
    with open(path, "rb") as handle:
        raw = handle.read(SAMPLE_BYTES)
        complete = len(raw) < SAMPLE_BYTES or handle.read(1) == b""
    if encoding.lower().replace("_", "-") in ("utf-8-sig", "utf-8", "utf8") and raw[:2] in (
        codecs.BOM_UTF16_LE,
        codecs.BOM_UTF16_BE,
    ):
        encoding = "utf-16"  # Excel's "Unicode text"
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(raw, final=complete)
    except UnicodeDecodeError as exc:
        raise _encoding_error(path, encoding, exc) from None
    return text, complete, encoding


def _encoding_error(path, encoding, exc):
    byte = exc.object[exc.start : exc.end]
    return UsageError(
        f"{path!r} is not {encoding} text ({exc.reason}, byte {byte!r}): "
        "give its encoding with --encoding, e.g. --encoding cp1252"
    )


def _sample_rows(text, complete, sep, max_lines=50):
    lines = text.splitlines(keepends=True)
    if not complete:
        lines = lines[:-1]  # the last line may be cut
    reader = csv.reader(io.StringIO("".join(lines[:max_lines])), delimiter=sep)
    return [row for row in reader if any(cell.strip() for cell in row)]


def detect_separator(text, complete=True):
    """The separator that splits every sampled line into one number (>1) of fields.

    The most fields wins; a tie goes to the first of ``SEPARATORS``; a file of
    one column is read with commas.
    """
    best_width, best = 1, ","
    for sep in SEPARATORS:
        widths = {len(row) for row in _sample_rows(text, complete, sep)}
        if len(widths) == 1 and (width := widths.pop()) > best_width:
            best_width, best = width, sep
    return best


def detect_decimal(rows, sep):
    """``","`` when a file not separated by commas writes its numbers as ``1,5``."""
    if sep == ",":
        return "."
    cells = [cell.strip() for row in rows for cell in row]
    if any(_DECIMAL_COMMA.fullmatch(c) for c in cells) and not any(
        _DECIMAL_POINT.fullmatch(c) for c in cells
    ):
        return ","
    return "."


def _tidy(frame, path, header, notes):
    """Strip names and text, drop a nameless leading index column, refuse an empty file."""
    frame.columns = [str(name).strip() for name in frame.columns]
    if header and not header[0].strip() and frame.shape[1] > 1:
        first = frame.columns[0]
        values = frame[first]
        counted = _counts_rows(values)
        frame = frame.drop(columns=first)
        notes.append(
            "dropped the nameless first column"
            + (" (it counts the rows 0, 1, 2, ...:" if counted else " (")
            + " an index as pandas' to_csv writes it; as a feature it would leak the row "
            "order)"
        )
    duplicated = sorted({name for name in frame.columns if list(frame.columns).count(name) > 1})
    if duplicated:
        raise UsageError(f"{path!r} has several columns named {duplicated[0]!r}: rename them")
    if frame.shape[0] == 0:
        raise UsageError(f"{path!r} has a header but no data rows")
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object or str(column.dtype) in ("string", "str"):
            frame[name] = column.str.strip()
    return frame


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
        raise UsageError(f"no column {target!r} in {args.dataset!r}{_suggest(target, columns)}")
    for name in args.drop:
        if name not in columns:
            raise UsageError(
                f"--drop: no column {name!r} in {args.dataset!r}{_suggest(name, columns)}"
            )
        if name == target:
            raise UsageError(f"--drop {name!r} is the target: give another --target")
    if args.drop:
        notes.append(f"left out: {', '.join(args.drop)} (--drop)")
    features = frame.drop(columns=[target, *args.drop])
    if features.shape[1] == 0:
        raise UsageError(f"{args.dataset!r} has no feature columns besides the target {target!r}")
    return Dataset(os.path.basename(args.dataset), features, frame[target], notes)


def _suggest(name, columns):
    """'; did you mean ...? columns are ...': the close names, then a short list."""
    folded = {column.casefold(): column for column in columns}
    close = get_close_matches(name.casefold(), list(folded), n=1, cutoff=0.6)
    hint = f"; did you mean {folded[close[0]]!r}?" if close else ""
    shown = ", ".join(repr(c) for c in columns[:8])
    more = f" and {len(columns) - 8} more" if len(columns) > 8 else ""
    return f"{hint} Its columns: {shown}{more}"
