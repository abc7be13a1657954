"""Progress for long work: reading a large CSV, and long fits.

``--progress`` shows it always, ``--no-progress`` never; by default it is
shown on a terminal when the work is large: a file of ``LARGE_FILE`` bytes or
more (a line on the standard error, updated in place as pandas reads), a fit
whose data have ``LARGE_FIT`` entries or more, counted as rows x features x
classes (scikit-learn's ``ProgressBar`` callback, which needs ``rich``, on
the first fit of each estimator).
"""

import io
import os
import sys
import time
from contextlib import contextmanager

LARGE_FILE = 32 * 2**20
LARGE_FIT = 100_000_000  # a fit of a few seconds: 150,000 x 20 x 5 took 0.3 s


class Progress:
    """Whether and how to show progress, from ``--progress`` (None: when large)."""

    def __init__(self, setting=None):
        self.setting = setting

    def _show(self, large, stream):
        if self.setting is not None:
            return self.setting
        return large and stream.isatty()

    @contextmanager
    def reading(self, raw, size):
        """``raw`` (a binary file), wrapped to show how much of it has been read."""
        if not self._show(size >= LARGE_FILE, sys.stderr):
            yield raw
            return
        reader = _ReadProgress(raw, size, os.path.basename(getattr(raw, "name", "data")))
        try:
            yield reader
        finally:
            reader.finish()

    def fit_callbacks(self, n_rows, n_features, n_classes):
        """A maker of the first fits' callbacks (a fresh progress bar each), or None."""
        if not self._show(n_rows * n_features * n_classes >= LARGE_FIT, sys.stdout):
            return None
        try:
            from sklearn.callback import ProgressBar

            ProgressBar()  # it needs rich
        except ImportError:  # no rich, or a scikit-learn without callbacks
            return None
        return lambda: [ProgressBar()]


class _ReadProgress(io.RawIOBase):
    """A binary file that writes ``reading NAME: 45% (36 of 80 MB)`` as it is read."""

    def __init__(self, raw, size, name, stream=None):
        self._raw, self._size, self._name = raw, max(size, 1), name
        self._stream = stream or sys.stderr
        self._done, self._shown, self._start = 0, -1, time.perf_counter()

    def readable(self):
        return True

    def readinto(self, buffer):
        n = self._raw.readinto(buffer)
        self._advance(n or 0)
        return n

    def read(self, size=-1):
        data = self._raw.read(size)
        self._advance(len(data))
        return data

    def _advance(self, n):
        self._done += n
        percent = min(100, 100 * self._done // self._size)
        if percent != self._shown:
            self._shown = percent
            self._stream.write(
                f"\rreading {self._name}: {percent:3d}% "
                f"({self._done / 1e6:.0f} of {self._size / 1e6:.0f} MB)"
            )
            self._stream.flush()

    def finish(self):
        seconds = time.perf_counter() - self._start
        self._stream.write(f"\rread {self._name}: {self._size / 1e6:.0f} MB in {seconds:.1f} s\n")
        self._stream.flush()
