"""The printed report: a list of sections, each a function of the comparison.

A section is ``section(comparison, args) -> list of lines`` (no lines: the
section is left out). ``SECTIONS`` sets their order; a new part of the report
(a statistical summary behind its own flag, say) is one more function here and
one more entry in ``SECTIONS``, reading its flag from ``args``.
"""

import math
import textwrap
import warnings

import numpy as np

#: Most classes listed by name, and most shown in the confusion matrix.
MAX_CLASSES = 20
WIDTH = 100


def render(comparison, args):
    """The whole report, sections separated by a blank line."""
    blocks = [section(comparison, args) for section in SECTIONS]
    return "\n\n".join("\n".join(lines) for lines in blocks if lines)


def header(c, args):
    """The data, what was done to them, the split, the threads and the timing."""
    features = f"n_features={c.n_features}"
    if c.n_features != c.n_columns:
        features += f" from {c.n_columns} columns"
    shown = ", ".join(
        f"{_label(k)} {n}" for k, n in zip(c.classes[:MAX_CLASSES], c.counts, strict=False)
    )
    more = f" and {c.classes.size - MAX_CLASSES} more" if c.classes.size > MAX_CLASSES else ""
    lines = [
        f"data set: {c.title}  (n_samples={c.n_train + c.n_test}, {features}, "
        f"n_classes={c.classes.size})",
        _fill(f"classes (rows): {shown}{more}"),
    ]
    if c.notes:
        lines.append("what was done to the data:")
        lines += [_fill(f"- {note}", indent="  ") for note in c.notes]
    lines += [
        f"split: {c.n_train} training rows, {c.n_test} test rows (stratified; "
        f"--test-size {args.test_size}, --random-state {args.random_state})",
        _fill(
            f"threads: {c.threads} for both, a threadpoolctl limit on every BLAS and OpenMP "
            f"pool (--threads); SoftmaxClassifier runs its passes over the data on {c.threads} "
            "thread(s) of its own, with BLAS at one"
        ),
        (
            f"times: medians of {c.repeat} fits and predictions of each estimator, interleaved "
            "(--repeat)"
            if c.repeat > 1
            else "times: one fit and prediction of each estimator (--repeat 1: no median)"
        ),
    ]
    return lines


def table(c, args):
    """One row per estimator."""
    head = ("estimator", "solver", "C", "fit (s)", "predict (s)", "iters", "converged",
            "features", "train acc", "test acc", "test log-loss", "objective")  # fmt: skip
    rows = [
        (
            run.name,
            run.solver,
            f"{run.C:g}",
            f"{run.fit_time:.4f}",
            f"{run.predict_time:.5f}",
            str(run.n_iter),
            "yes" if run.converged else "NO",
            f"{run.scores['nonzero_features']}/{c.n_features}",
            f"{run.scores['train_acc']:.4f}",
            f"{run.scores['test_acc']:.4f}",
            f"{run.scores['test_log_loss']:.5f}",
            f"{run.scores['objective']:.10g}",
        )
        for run in c.runs
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    return lines


def table_notes(c, args):
    """What the table's columns mean where they could mislead."""
    ours, theirs = c.runs[0], c.runs[1]
    r = args.l1_ratio
    lines = []
    if r > 0:
        lines.append(
            "features: those with a non-zero coefficient in some class, of all the model "
            f"sees (--l1-ratio {r:g} makes the model sparse)"
        )
    if theirs.C != ours.C and r == 0:
        lines.append(
            f"C: LogisticRegression is fitted at C={theirs.C:g}, twice --C, because for two "
            "classes its one row of coefficients carries the penalty of our two: both then "
            "minimise the same objective"
        )
    elif theirs.C != ours.C:
        lines.append(
            f"C: LogisticRegression is fitted at C={theirs.C:g} = 2C/(1+r) and l1_ratio="
            f"{theirs.model.l1_ratio:g} = 2r/(1+r), because for two classes its one row of "
            "coefficients carries the ridge of our two rows twice and their L1 norm once: "
            "both then minimise the same objective"
        )
    default = "each one's default; --tol sets both" if args.tol is None else "--tol"
    lines.append(
        f"tol: {ours.name} {ours.model.tol:g}, {theirs.name} {theirs.model.tol:g} ({default})"
    )
    f_ours, f_theirs = ours.scores["objective"], theirs.scores["objective"]
    gap = (f_theirs - f_ours) / max(abs(f_ours), np.finfo(float).tiny)
    if abs(gap) < 1e-9:
        lines.append("objective: both reach the same value, to 1e-9 relative (lower is better)")
    else:
        low, high = (ours, theirs) if gap > 0 else (theirs, ours)
        lines.append(
            f"objective: {high.name}'s is {abs(gap):.2g} above {low.name}'s (relative; the "
            "objective both minimise, lower is closer to the optimum)"
        )
    return [_fill(line) for line in lines]


def hints(c, args):
    """Each warning of a fit as one line, naming the flag that fixes its cause.

    A fit on separable training data whose penalty is too weak to matter gets
    the separable hint (a finite, smaller ``--C``; at ``C=inf`` for both
    estimators, as neither has a finite optimum); one that stopped short of
    ``tol`` otherwise, the hint of its cause (``--max-iter`` reached, or stopped
    early); the other warnings are quoted.
    """
    found = [_separates(run) for run in c.runs]
    lines = []
    for run, separable in zip(c.runs, found, strict=True):
        separable = separable or (math.isinf(args.C) and any(found) and not run.converged)
        if separable:
            lines.append(f"hint: {_separable(run, args)}")
        elif not run.converged:
            lines.append(f"hint: {_not_converged(run, args)}")
        explained = set(run.convergence_warnings) if separable or not run.converged else set()
        for message in dict.fromkeys(str(w.message) for w in run.caught):  # once each
            if message not in explained:
                first = message.split(". ")[0].strip().splitlines()[0][:160]
                lines.append(f"warning from {run.name}: {first}")
    return lines


def _separates(run):
    return any("linearly separable" in message for message in run.convergence_warnings)


def _separable(run, args):
    if math.isinf(args.C):
        return (
            f"{run.name}: the training data are linearly separable and C=inf sets no penalty: "
            "there is no finite optimum, the coefficients grow until tol or --max-iter stops "
            "them; give a finite --C (e.g. 1)"
        )
    return (
        f"{run.name}: the training data are linearly separable and the penalty at C={args.C:g} "
        "is too weak to hold the coefficients back, which grow until tol stops them; lower "
        f"--C (e.g. {args.C / 10:g})"
    )


def _not_converged(run, args):
    """The hint of a fit that stopped short of tol, by its cause."""
    max_iter, n_iter, tol = run.model.max_iter, run.n_iter, run.model.tol
    unit = "epochs" if run.solver == "sgd" else "iterations"
    looser = f"{max(tol * 1e4, 1e-4):g}"
    scale = "" if args.scale else " or add --scale"
    if n_iter < max_iter:  # stopped early, e.g. a line search that found no decrease
        return (
            f"{run.name} ({run.solver}) stopped after {n_iter} {unit}, short of tol {tol:g}: "
            f"loosen --tol (e.g. {looser}){scale}"
        )
    text = (
        f"{run.name} ({run.solver}) did not converge in {max_iter} {unit}: raise --max-iter "
        f"(e.g. {10 * max_iter})"
    )
    if run.solver == "sgd":
        return text + f" or loosen --tol (e.g. {looser})"
    return text + scale


def class_report(c, args):
    """scikit-learn's classification report of our model on the test rows."""
    from sklearn.metrics import classification_report

    ours = c.runs[0]
    report = classification_report(
        c.y_test, ours.scores["y_pred"], labels=c.classes,
        target_names=[_label(k) for k in c.classes], digits=4, zero_division=0,
    )  # fmt: skip
    return [f"{ours.name} on the {c.n_test} test rows:", report.rstrip("\n")]


def confusion(c, args):
    """The confusion matrix of our model on the test rows."""
    from sklearn.metrics import confusion_matrix

    ours = c.runs[0]
    if c.classes.size > MAX_CLASSES:
        return [f"confusion matrix: left out, {c.classes.size} classes (more than {MAX_CLASSES})"]
    matrix = confusion_matrix(c.y_test, ours.scores["y_pred"], labels=c.classes)
    names = [_label(k)[:12] for k in c.classes]
    first = max(len("true \\ predicted"), *map(len, names))
    width = max(5, *map(len, names), len(str(matrix.max())))
    lines = [
        f"confusion matrix of {ours.name} (rows: true class, columns: predicted):",
        "true \\ predicted".ljust(first) + "".join(f"  {n:>{width}}" for n in names),
    ]
    for name, row in zip(names, matrix, strict=True):
        lines.append(name.ljust(first) + "".join(f"  {v:>{width}}" for v in row))
    return lines


def summary(c, args):
    """``--summary``: the coefficient table of our model (:func:`sk_softmax.inference`)."""
    if not args.summary:
        return []
    from .._inference import inference

    X_train, y_train = c.training
    ours = c.runs[0]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            table = inference(ours.model, _named(X_train, c.preprocessor), y_train).summary()
    except ValueError as error:
        return [_fill(f"summary: no coefficient table: {error}")]
    lines = [f"{ours.name} on the {c.n_train} training rows (--summary):", str(table)]
    lines += [_fill(f"note: {w.message}") for w in caught]
    return lines


def _named(X, preprocessor):
    """``X`` as a data frame with the preprocessing's column names, when it has them."""
    import pandas as pd
    from scipy import sparse

    try:
        names = [str(name) for name in preprocessor.get_feature_names_out()]
    except (AttributeError, ValueError):
        return X
    if sparse.issparse(X) or len(names) != X.shape[1]:
        return X
    return pd.DataFrame(X, columns=names)


def _label(value):
    return str(value.item() if isinstance(value, np.generic) else value)


def _fill(text, indent=""):
    return textwrap.fill(
        text, width=WIDTH, initial_indent=indent, subsequent_indent=indent + "  ",
        break_on_hyphens=False, break_long_words=False,
    )  # fmt: skip


SECTIONS = (header, table, table_notes, hints, summary, class_report, confusion)
