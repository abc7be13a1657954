"""The comparison: one split, one preprocessing, both estimators timed alike.

Both estimators see the same stratified split and the same preprocessed
matrices (the preprocessing is fitted once, on the training rows, and not
timed). Their fits alternate, ``--repeat`` times, all under one
``threadpoolctl`` limit on every BLAS and OpenMP pool; the table reports the
medians of the fit and predict times, and the scores of the last fit (the
fits are deterministic). ``estimators`` is where the flags become estimator
parameters: a new model flag changes it and nothing else here.
"""

import math
import statistics
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._errors import UsageError
from ._features import _plain, labels, preprocessing


@dataclass
class Run:
    """One estimator: its parameters, its timed fits, its scores."""

    name: str
    template: object  # the unfitted estimator, cloned for each fit
    C: float
    fit_seconds: list = field(default_factory=list)
    predict_seconds: list = field(default_factory=list)
    caught: list = field(default_factory=list)  # the first fit's warnings
    model: object = None  # the last fitted estimator
    scores: dict = field(default_factory=dict)

    @property
    def fit_time(self):
        return statistics.median(self.fit_seconds)

    @property
    def predict_time(self):
        return statistics.median(self.predict_seconds)

    @property
    def solver(self):
        return getattr(self.model, "solver_", self.model.solver)

    @property
    def n_iter(self):
        return int(np.max(self.model.n_iter_))

    @property
    def converged(self):
        if hasattr(self.model, "converged_"):
            return bool(self.model.converged_)
        return self.n_iter < self.model.max_iter and not self.convergence_warnings

    @property
    def convergence_warnings(self):
        from sklearn.exceptions import ConvergenceWarning

        return [str(w.message) for w in self.caught if issubclass(w.category, ConvergenceWarning)]


@dataclass
class Comparison:
    """Everything the report and the outputs need."""

    title: str
    notes: list
    classes: np.ndarray
    counts: np.ndarray  # rows per class, over the whole data set
    n_columns: int  # feature columns, before preprocessing
    n_features: int  # after it
    n_train: int
    n_test: int
    threads: int
    repeat: int
    preprocessor: object  # fitted on the training rows
    runs: list
    y_test: np.ndarray
    C: float
    training: tuple  # the preprocessed training rows and their labels (--summary)
    X_test: object  # the test rows as read, before preprocessing (--export-onnx)


def estimators(args, n_classes):
    """``[(name, unfitted estimator, its C)]``: both estimators, from the flags."""
    from sklearn.linear_model import LogisticRegression

    from .. import SoftmaxClassifier

    given = {"max_iter": args.max_iter, "tol": args.tol}
    common = {key: value for key, value in given.items() if value is not None}
    r = args.l1_ratio
    ours = SoftmaxClassifier(
        C=args.C, l1_ratio=r, solver=args.solver, random_state=args.random_state, **common
    )
    # The same objective: for two classes LogisticRegression's one row of
    # coefficients carries the penalty of our two rows, the ridge twice and the
    # L1 part once (sk_softmax.objective), so C' = 2C / (1 + r), r' = 2r / (1 + r).
    lr_C, lr_r = (2 * args.C / (1 + r), 2 * r / (1 + r)) if n_classes == 2 else (args.C, r)
    theirs = {"C": lr_C}
    if r > 0:  # saga is LogisticRegression's one solver with an L1 part for every case
        theirs.update(l1_ratio=lr_r, solver="saga")
    return [
        ("SoftmaxClassifier", ours, args.C),
        ("LogisticRegression", LogisticRegression(**theirs, **common), lr_C),
    ]


def compare(dataset, args, progress):
    """Split, preprocess, fit both estimators ``args.repeat`` times; a ``Comparison``."""
    y, keep, notes = labels(dataset.y, str(dataset.y.name))
    transformer, X, more = preprocessing(dataset.X[keep], encode=args.encode, scale=args.scale)
    classes, counts = np.unique(y, return_counts=True)
    X_train, X_test, y_train, y_test = _split(X, y, classes.size, args)
    transformer.fit(X_train)
    Xt_train, Xt_test = transformer.transform(X_train), transformer.transform(X_test)
    runs = [Run(name, est, C) for name, est, C in estimators(args, classes.size)]
    callbacks = progress.fit_callbacks(Xt_train.shape[0], Xt_train.shape[1], classes.size)
    _timed_fits(runs, (Xt_train, y_train, Xt_test), args, callbacks)
    for run in runs:
        _score(run, Xt_train, y_train, Xt_test, y_test, args)
    return Comparison(
        title=dataset.title,
        notes=dataset.notes + notes + more,
        classes=classes,
        counts=counts,
        n_columns=X.shape[1],
        n_features=Xt_train.shape[1],
        n_train=len(y_train),
        n_test=len(y_test),
        threads=args.threads,
        repeat=args.repeat,
        preprocessor=transformer,
        runs=runs,
        y_test=y_test,
        C=args.C,
        training=(Xt_train, y_train),
        X_test=X_test,
    )


def _split(X, y, n_classes, args):
    from sklearn.model_selection import train_test_split

    n_test = math.ceil(args.test_size * len(y))
    for part, n in (("test", n_test), ("training", len(y) - n_test)):
        if n < n_classes:
            fix = "raise" if part == "test" else "lower"
            raise UsageError(
                f"--test-size {args.test_size} leaves {n} {part} rows for {n_classes} classes: "
                f"a stratified split needs one of each; {fix} --test-size"
            )
    parts = train_test_split(
        X, y, test_size=args.test_size, stratify=y, random_state=args.random_state
    )
    classes, counts = np.unique(y, return_counts=True)
    unseen = ~np.isin(classes, parts[2])
    if unseen.any():  # a small class can land whole in the test rows
        shown = ", ".join(
            f"{_plain(c)!r} ({n} rows)"
            for c, n in zip(classes[unseen][:3], counts[unseen], strict=False)
        )
        more = f" and {np.count_nonzero(unseen) - 3} more" if np.count_nonzero(unseen) > 3 else ""
        raise UsageError(
            f"no training row for class(es) {shown}{more}: --test-size {args.test_size} puts "
            "all their rows in the test rows, and the estimators cannot learn a class they "
            "never see; lower --test-size, or remove those rows"
        )
    return parts


def _timed_fits(runs, data, args, callbacks):
    """Fit and predict with each estimator in turn, ``args.repeat`` times, timed."""
    from sklearn.base import clone
    from threadpoolctl import threadpool_limits

    X_train, y_train, X_test = data
    with threadpool_limits(limits=args.threads):
        for repeat in range(args.repeat):
            for run in runs:
                model = clone(run.template)
                if repeat == 0 and callbacks is not None:
                    model.set_callbacks(*callbacks())
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    start = time.perf_counter()
                    model.fit(X_train, y_train)
                    run.fit_seconds.append(time.perf_counter() - start)
                start = time.perf_counter()
                model.predict(X_test)
                run.predict_seconds.append(time.perf_counter() - start)
                if repeat == 0:
                    run.caught = caught
                run.model = model


def _score(run, X_train, y_train, X_test, y_test, args):
    from sklearn.metrics import log_loss

    from .._objective import objective

    model = run.model
    y_pred = model.predict(X_test)
    run.scores = {
        "nonzero_features": int(np.count_nonzero(np.any(model.coef_ != 0, axis=0))),
        "train_acc": float(np.mean(model.predict(X_train) == y_train)),
        "test_acc": float(np.mean(y_pred == y_test)),
        "test_log_loss": float(
            log_loss(y_test, model.predict_proba(X_test), labels=model.classes_)
        ),
        "objective": float(
            objective(model, X_train, y_train, C=args.C, l1_ratio=args.l1_ratio, l1_groups=None)
        ),
        "y_pred": y_pred,
    }
