"""The command line's flags, and every check that needs no data.

``build_parser`` declares the flags in four groups (the data, the fits, the
comparison, the outputs); the outputs (``_outputs.OUTPUTS``) declare their own
flags. ``check_arguments`` runs before anything is read, so that a typo costs
nothing: every flag's value, the data set's path, and each output's own check
(a plot's file type, matplotlib, a writable folder).
"""

import argparse
import codecs
import os

from ._errors import UsageError

BUNDLED = ("digits", "iris", "wine", "breast_cancer")

#: The separators spelled out, for ``--sep``.
SEPARATOR_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}

EXAMPLES = """\
examples:
  sk-softmax                                    # digits, bundled with scikit-learn
  sk-softmax --dataset wine --repeat 5 --threads 1
  sk-softmax --dataset flowers.csv --target species --scale --save model.joblib
  sk-softmax --dataset sales.csv --target region --sep ';' --drop id --plot cmp.png
"""


def solver_choices():
    """The solvers ``SoftmaxClassifier`` accepts, ``"auto"`` first, then by name."""
    from .. import SoftmaxClassifier

    names = {
        option
        for constraint in SoftmaxClassifier._parameter_constraints["solver"]
        for option in getattr(constraint, "options", ())
    }
    return ["auto", *sorted(names - {"auto"})]


def version_line():
    """The package's version, and those of the libraries that make the numbers."""
    from importlib.metadata import PackageNotFoundError, version

    from .. import __version__

    parts = []
    for name in ("scikit-learn", "numpy", "scipy", "pandas"):
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name} not installed")
    return f"sk-softmax {__version__} ({', '.join(parts)})"


class _Parser(argparse.ArgumentParser):
    """argparse's parser, whose errors are one line (argparse prints the usage first)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser(outputs=()):
    """The argument parser; each of ``outputs`` adds its own flags."""
    parser = _Parser(
        prog="sk-softmax",
        description=(
            "Fit SoftmaxClassifier and scikit-learn's LogisticRegression on the same "
            "stratified train/test split of a bundled data set or of a CSV file, under the "
            "same thread limits, and compare them: fit and predict times (medians of "
            "repeated fits), iterations, convergence, accuracy, log-loss and the objective "
            "they share, then a per-class report of SoftmaxClassifier on the test rows."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=version_line())
    _data_arguments(parser.add_argument_group("the data"))
    _fit_arguments(parser.add_argument_group("the fits"))
    _comparison_arguments(parser.add_argument_group("the comparison"))
    group = parser.add_argument_group("outputs")
    for output in outputs:
        output.add_arguments(group)
    return parser


def _data_arguments(group):
    group.add_argument(
        "--dataset",
        default="digits",
        metavar="NAME_OR_CSV",
        help=f"{', '.join(BUNDLED)} (bundled with scikit-learn), or the path of a CSV file "
        "(default: digits)",
    )
    group.add_argument("--target", metavar="COLUMN", help="the CSV's label column (required)")
    group.add_argument(
        "--sep",
        metavar="SEP",
        help="the CSV's field separator: one character, or tab, comma, semicolon, pipe "
        "(default: detected among , ; tab |)",
    )
    group.add_argument(
        "--decimal",
        metavar="CHAR",
        help="the decimal mark of the CSV's numbers, other than the separator (default: '.', "
        "or ',' when a file not separated by commas writes its numbers 1,5 and never 1.5)",
    )
    group.add_argument(
        "--encoding",
        default="utf-8-sig",
        help="the CSV's text encoding (default: UTF-8, with or without Excel's byte-order "
        "mark; cp1252 for Excel's plain 'CSV' on Windows)",
    )
    group.add_argument(
        "--na-values",
        metavar="LIST",
        help="more comma-separated cell values that mean 'missing', spaces around them "
        "ignored (always missing: an empty cell, NA, N/A, NaN, null, None, ?, and pandas' "
        "other defaults)",
    )
    group.add_argument(
        "--drop",
        metavar="COLUMNS",
        action="append",
        default=[],
        help="comma-separated columns to leave out of the features (an identifier, a "
        "column derived from the target); may be repeated",
    )
    group.add_argument(
        "--no-encode",
        dest="encode",
        action="store_false",
        help="strict numeric features: a text column or a missing value is an error "
        "(default: text columns one-hot encoded, missing values imputed)",
    )


def _fit_arguments(group):
    group.add_argument(
        "--C",
        type=float,
        default=1.0,
        help="inverse regularisation strength of SoftmaxClassifier, positive; inf for none "
        "(default 1). LogisticRegression gets the C with the same objective: the same "
        "for three or more classes, twice it for two",
    )
    group.add_argument(
        "--l1-ratio",
        type=float,
        default=0.0,
        metavar="R",
        help="the L1 share of the penalty, in [0, 1] (default 0: the ridge): a sparse model, "
        "its number of non-zero features in the table. LogisticRegression then fits the "
        "same objective with saga, the one solver of its that takes it",
    )
    group.add_argument(
        "--solver",
        default="auto",
        choices=solver_choices(),
        help="SoftmaxClassifier's solver: %(choices)s (default auto). "
        "LogisticRegression keeps its default, lbfgs",
    )
    group.add_argument(
        "--max-iter",
        type=int,
        metavar="N",
        help="most iterations (epochs for sgd) of both estimators (default: each one's own, 100)",
    )
    group.add_argument(
        "--tol",
        type=float,
        help="stopping tolerance of both estimators (default: each one's own, 1e-8 for "
        "SoftmaxClassifier and 1e-4 for LogisticRegression)",
    )
    group.add_argument(
        "--scale",
        action="store_true",
        help="standardise the numeric features first (one scaler, fitted on the training "
        "rows, shared by both estimators)",
    )


def _comparison_arguments(group):
    group.add_argument(
        "--test-size", type=float, default=0.25, help="held-out fraction, in (0, 1) (default 0.25)"
    )
    group.add_argument("--random-state", type=int, default=0, help="seed of the split (default 0)")
    group.add_argument(
        "--repeat",
        type=int,
        default=3,
        metavar="N",
        help="fits (and predictions) of each estimator, interleaved; the table shows the "
        "medians of the times (default 3)",
    )
    group.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="thread limit for both estimators, set with threadpoolctl on every BLAS and "
        "OpenMP pool (default: the cores this process may use)",
    )
    group.add_argument(
        "--summary",
        action="store_true",
        help="after the table, SoftmaxClassifier's coefficient table on the training rows: "
        "standard errors, z, p-values and intervals, as statsmodels prints them "
        "(sk_softmax.inference; the L2 model only)",
    )
    group.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress while reading a large CSV and during long fits (default: shown on "
        "a terminal, when the work is large)",
    )


def available_cores():
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def check_arguments(args, outputs=()):
    """Validate every flag, before any data are read; fill in the defaults that depend
    on the machine. Raises :class:`UsageError`."""
    _check_dataset(args)
    _check_numbers(args)
    _check_csv_format(args)
    if args.threads is None:
        args.threads = available_cores()
    for output in outputs:
        output.check(args)


def _check_dataset(args):
    if args.dataset in BUNDLED:
        if args.target is not None:
            raise UsageError(f"--target only applies to a CSV file, not to {args.dataset!r}")
        return
    if not os.path.exists(args.dataset):
        raise UsageError(
            f"{args.dataset!r} is neither a bundled data set ({', '.join(BUNDLED)}) nor an "
            "existing file"
        )
    if os.path.isdir(args.dataset):
        raise UsageError(f"{args.dataset!r} is a folder: give the path of a CSV file")
    if not os.access(args.dataset, os.R_OK):
        raise UsageError(f"cannot read {args.dataset!r}: permission denied")
    if args.target is None:
        raise UsageError(f"give the label column of {args.dataset!r} with --target COLUMN")
    if not args.target.strip():
        raise UsageError(
            f"--target is empty: give the name of the label column of {args.dataset!r}"
        )


def _check_numbers(args):
    if not args.C > 0:
        raise UsageError(f"--C must be positive (or inf for no penalty), not {args.C}")
    if not 0 < args.test_size < 1:
        raise UsageError(f"--test-size must be in (0, 1), not {args.test_size}")
    if not 0 <= args.random_state < 2**32:  # numpy's seeds for the split
        raise UsageError(f"--random-state must be in [0, 2**32 - 1], not {args.random_state}")
    for flag, value in (("--repeat", args.repeat), ("--threads", args.threads)):
        if value is not None and value < 1:
            raise UsageError(f"{flag} must be at least 1, not {value}")
    if not 0 <= args.l1_ratio <= 1:
        raise UsageError(f"--l1-ratio must be in [0, 1], not {args.l1_ratio}")
    if args.l1_ratio > 0 and args.solver not in ("auto", "prox-newton"):
        raise UsageError(
            f"--solver {args.solver} handles the ridge only: with --l1-ratio {args.l1_ratio:g} "
            "use --solver auto (or prox-newton)"
        )
    if args.max_iter is not None and args.max_iter < 1:
        raise UsageError(f"--max-iter must be at least 1, not {args.max_iter}")
    if args.tol is not None and not 0 < args.tol < float("inf"):
        raise UsageError(f"--tol must be a positive number, not {args.tol}")


def _check_csv_format(args):
    if args.sep is not None:
        args.sep = SEPARATOR_NAMES.get(args.sep.lower(), args.sep)
        if len(args.sep) != 1 or args.sep in "\"'\r\n":
            raise UsageError(
                f"--sep must be one character (or {', '.join(SEPARATOR_NAMES)}), not {args.sep!r}"
            )
    if args.decimal is not None and (len(args.decimal) != 1 or args.decimal == args.sep):
        raise UsageError(f"--decimal must be one character other than --sep, not {args.decimal!r}")
    try:
        codecs.lookup(args.encoding)
    except LookupError:
        raise UsageError(
            f"unknown --encoding {args.encoding!r}: try utf-8, cp1252 or latin-1"
        ) from None
    args.drop = [name.strip() for value in args.drop for name in value.split(",") if name.strip()]
    given = args.na_values.split(",") if args.na_values else []
    args.na_values = [value.strip() for value in given if value.strip()]
