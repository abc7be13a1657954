"""How a CSV file is written, found out from a sample of its first lines.

The sample is the first 64 KiB, longer when that holds fewer than a few whole
lines (a wide file, a long header), up to 16 MiB. Its line endings are made
``\\n`` (Windows' ``\\r\\n`` and the old Macintosh's ``\\r`` alike; pandas
reads all three) and it is split into records by the csv module, so that a
quoted cell with line breaks is one cell. From the records:

- the separator (``,``, ``;``, tab or ``|``): the one that splits every
  record of the sample into the same number of fields, more than one;
- the decimal mark: ``,`` when a file not separated by commas writes its
  numbers ``1,5`` and never ``1.5``;
- the header, as the file writes it (pandas renames a second ``x`` to
  ``x.1``, which would hide a duplicate).
"""

import codecs
import csv
import io
import re
from dataclasses import dataclass

from ._errors import UsageError

SAMPLE_BYTES = 1 << 16
#: The longest sample read to find a few whole lines in a wide file.
MAX_SAMPLE_BYTES = 1 << 24
#: The sample grows until it holds this many whole lines (a header and five rows).
MIN_LINES = 6
#: At most this many records (the header included) are parsed from the sample.
SAMPLE_ROWS = 50
SEPARATORS = (",", ";", "\t", "|")
SEPARATOR_WORDS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "pipes"}
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_DECIMAL_POINT = re.compile(r"[+-]?\d*\.\d+")
_UTF8 = ("utf-8-sig", "utf-8", "utf8")


@dataclass
class Sample:
    """The start of a file as text, with ``\\n`` line endings."""

    text: str
    complete: bool  # the whole file
    encoding: str  # the encoding that reads the file
    n_bytes: int

    def records(self, sep):
        """The sample's non-blank records, split by ``sep``: see :func:`records`."""
        return records(self.text, self.complete, sep)


def read_sample(path, encoding):
    """The first ``SAMPLE_BYTES`` of ``path``, more for a file of long lines: a ``Sample``.

    Bytes that are not ``encoding`` text are a ``UsageError`` naming ``--encoding``.
    """
    if encoding.lower().replace("_", "-") in _UTF8:
        encoding = "utf-8-sig"
    size = SAMPLE_BYTES
    with open(path, "rb") as handle:
        raw = handle.read(size)
        if encoding == "utf-8-sig" and raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            encoding = "utf-16"  # Excel's "Unicode text"
        while True:
            complete = len(raw) < size or not handle.peek(1)
            try:
                text = codecs.getincrementaldecoder(encoding)().decode(raw, final=complete)
            except UnicodeDecodeError as exc:
                raise encoding_error(path, encoding, exc) from None
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            if complete or size >= MAX_SAMPLE_BYTES or text.count("\n") >= MIN_LINES:
                return Sample(text, complete, encoding, len(raw))
            size = min(4 * size, MAX_SAMPLE_BYTES)
            raw += handle.read(size - len(raw))


def records(text, complete, sep, max_rows=SAMPLE_ROWS):
    """The first non-blank records of ``text`` split by ``sep``; whole ones only.

    Of a sample that is not the whole file, the last line may be cut, and so
    may a last record whose quoted cell holds line breaks: both are left out.
    """
    if not complete:
        text = text[: text.rfind("\n") + 1]
    reader = csv.reader(io.StringIO(text), delimiter=sep, skipinitialspace=True)
    rows = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append(row)
            if len(rows) == max_rows:
                return rows
    except csv.Error:  # not readable with this separator: what was read so far
        return rows[:-1] if rows and not complete else rows
    if rows and not complete and any("\n" in cell for cell in rows[-1]):
        rows.pop()
    return rows


def detect_separator(text, complete=True):
    """The separator that splits every sampled record into one number (>1) of fields.

    The most fields wins; a tie goes to the first of ``SEPARATORS``; a file of
    one column is read with commas.
    """
    best_width, best = 1, ","
    for sep in SEPARATORS:
        widths = {len(row) for row in records(text, complete, sep)}
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


def encoding_error(path, encoding, exc):
    """Bytes of ``path`` that are not ``encoding`` text: a one-line ``UsageError``."""
    byte = exc.object[exc.start : exc.end]
    name = "utf-8" if encoding.lower().replace("_", "-") in _UTF8 else encoding  # not utf-8-sig
    return UsageError(
        f"{path!r} is not {name} text ({exc.reason}, byte {byte!r}): "
        "give its encoding with --encoding, e.g. --encoding cp1252"
    )
