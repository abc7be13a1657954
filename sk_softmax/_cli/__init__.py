"""The command line, ``python -m sk_softmax`` or ``sk-softmax``: the main job.

SoftmaxClassifier and scikit-learn's LogisticRegression, compared on a
bundled data set or on the user's own CSV. One module per step, in the order
they run:

- ``_options``: the flags, and every check that needs no data (all of them
  run before anything is read);
- ``_read``: a bundled data set, or a CSV as people have them (separator,
  encoding, decimal comma, missing-value markers, a saved index), with
  ``_sniff`` finding out how the CSV is written from a sample of its lines;
- ``_features``: the labels' checks and the preprocessing both estimators
  share (imputation, one-hot encoding, ``--scale``);
- ``_compare``: the split, the estimators built from the flags, the timed
  fits under one thread limit, the scores;
- ``_report``: the printed report, a list of sections;
- ``_outputs``: the files written after it (``--save``, ``--plot``,
  ``--export-onnx``), even when the standard output has been closed;
- ``_progress``: progress while reading a large file and during long fits.

Adding a flag: a model parameter is an ``add_argument`` in
``_options._fit_arguments`` and its use in ``_compare.estimators``; a part of
the report is a function in ``_report.SECTIONS`` (its flag, if any, in
``_options``); a file written after the report is a class in
``_outputs.OUTPUTS``, which declares and checks its own flag.
"""

import os
import sys

from ._errors import UsageError

__all__ = ["main", "UsageError"]


def main(argv=None):
    """Run the comparison; return 0, or exit with status 2 and one line on error."""
    from ._options import build_parser, check_arguments
    from ._outputs import OUTPUTS

    parser = build_parser(OUTPUTS)
    args = parser.parse_args(argv)
    try:
        check_arguments(args, OUTPUTS)
        comparison = _comparison(args)
        _print(_report_text(comparison, args))
        for output in OUTPUTS:
            _print(output.write(comparison, args))
    except UsageError as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
    except KeyboardInterrupt:
        parser.exit(130, f"{parser.prog}: interrupted\n")
    return 0


def _comparison(args):
    from ._compare import compare
    from ._progress import Progress
    from ._read import load

    progress = Progress(args.progress)
    return compare(load(args, progress), args, progress)


def _report_text(comparison, args):
    from ._report import render

    return render(comparison, args)


def _print(text):
    """Print ``text``; when the reader has gone (``sk-softmax | head``), say nothing more
    but carry on: the output files are still written."""
    if not text:
        return
    try:
        print(text, flush=True)
    except BrokenPipeError:  # later prints, and the flush at exit, go nowhere
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
