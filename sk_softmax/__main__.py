"""The main job: fit SoftmaxClassifier and LogisticRegression side by side.

    python -m sk_softmax [--dataset digits] [--C 1.0] [--plot FILE]

Prints one row per estimator: solver, fit time, iterations, convergence,
train and test accuracy, test log-loss and the value of the shared objective
``F = C * sum_i CE_i + 1/2 ||W||^2`` at the fitted coefficients.
"""

import argparse
import sys
import time
import warnings

import numpy as np

DATASETS = ("digits", "iris", "wine", "breast_cancer")


def _parser():
    parser = argparse.ArgumentParser(
        prog="sk-softmax",
        description=(
            "Fit SoftmaxClassifier and scikit-learn's LogisticRegression on the same "
            "stratified train/test split and compare them."
        ),
    )
    parser.add_argument(
        "--dataset",
        default="digits",
        help=f"one of {', '.join(DATASETS)} (bundled with scikit-learn), or a CSV file path "
        "(default: digits)",
    )
    parser.add_argument("--target", help="name of the label column, required for a CSV file")
    parser.add_argument("--C", type=float, default=1.0, help="inverse regularisation (default 1)")
    parser.add_argument(
        "--test-size", type=float, default=0.25, help="held-out fraction, in (0, 1) (default 0.25)"
    )
    parser.add_argument(
        "--scale", action="store_true", help="standardise the features first (both estimators)"
    )
    parser.add_argument("--solver", default="auto", help="SoftmaxClassifier solver (default auto)")
    parser.add_argument("--random-state", type=int, default=0, help="seed of the split")
    parser.add_argument(
        "--plot", metavar="FILE", help="save a bar chart of the comparison (needs matplotlib)"
    )
    return parser


class UsageError(Exception):
    """A problem with the arguments or the data: one line, no traceback."""


def load_dataset(name, target=None):
    """``(X, y, title)`` for a bundled data set name or a CSV path."""
    from sklearn import datasets

    if name in DATASETS:
        if target is not None:
            raise UsageError("--target only applies to a CSV file")
        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        return X, y, name
    if target is None:
        raise UsageError(
            f"{name!r} is not one of {', '.join(DATASETS)}; for a CSV file, also give --target"
        )
    import csv

    try:
        with open(name, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {name!r}: {exc}") from None
    if not rows or not rows[0]:
        raise UsageError(f"{name!r} is empty")
    header, body = rows[0], [r for r in rows[1:] if r]
    if target not in header:
        raise UsageError(f"no column {target!r} in {name!r}; columns are {header}")
    t = header.index(target)
    if any(len(r) != len(header) for r in body):
        raise UsageError(f"{name!r}: every row must have {len(header)} fields")
    try:
        X = np.array([[float(v) for j, v in enumerate(r) if j != t] for r in body])
    except ValueError as exc:
        raise UsageError(f"{name!r}: the feature columns must be numeric ({exc})") from None
    y = np.array([r[t] for r in body])
    return X.reshape(len(body), len(header) - 1), y, name


def compare(X, y, *, C=1.0, test_size=0.25, scale=False, solver="auto", random_state=0):
    """Fit both estimators; return a list of result dicts, one per estimator."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from . import SoftmaxClassifier
    from ._objective import objective

    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=random_state
    )
    if scale:
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    n_classes = np.unique(y_train).size
    # Same objective: for two classes LogisticRegression's C is twice ours.
    lr_C = 2 * C if n_classes == 2 else C
    candidates = [
        ("SoftmaxClassifier", SoftmaxClassifier(C=C, solver=solver)),
        ("LogisticRegression", LogisticRegression(C=lr_C)),
    ]
    results = []
    for name, est in candidates:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            est.fit(X_train, y_train)
            seconds = time.perf_counter() - start
        converged = not any("converge" in str(w.message).lower() for w in caught)
        n_iter = int(np.max(est.n_iter_))
        results.append(
            {
                "estimator": name,
                "solver": getattr(est, "solver_", est.solver),
                "fit_s": seconds,
                "n_iter": n_iter,
                "converged": converged,
                "train_acc": est.score(X_train, y_train),
                "test_acc": est.score(X_test, y_test),
                "test_log_loss": log_loss(y_test, est.predict_proba(X_test), labels=est.classes_),
                "objective": objective(est, X_train, y_train, C=C),
            }
        )
    return results


def format_table(results):
    header = (
        "estimator",
        "solver",
        "fit (s)",
        "iters",
        "converged",
        "train acc",
        "test acc",
        "test log-loss",
        "objective",
    )
    rows = [
        (
            r["estimator"],
            r["solver"],
            f"{r['fit_s']:.3f}",
            str(r["n_iter"]),
            "yes" if r["converged"] else "NO",
            f"{r['train_acc']:.4f}",
            f"{r['test_acc']:.4f}",
            f"{r['test_log_loss']:.5f}",
            f"{r['objective']:.8g}",
        )
        for r in results
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def save_plot(results, path, title):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install matplotlib") from None
    names = [r["estimator"] for r in results]
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    for ax, key, label in zip(
        axes,
        ("fit_s", "test_acc", "test_log_loss"),
        ("fit time (s)", "test accuracy", "test log-loss"),
        strict=True,
    ):
        ax.bar(names, [r[key] for r in results], color=["C0", "C1"])
        ax.set_title(label)
        ax.tick_params(axis="x", labelsize=8)
    fig.suptitle(f"{title}: SoftmaxClassifier vs LogisticRegression")
    fig.tight_layout()
    try:
        fig.savefig(path)
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot save the plot to {path!r}: {exc}") from None
    finally:
        plt.close(fig)


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if not 0 < args.test_size < 1:
            raise UsageError("--test-size must be in (0, 1)")
        if not args.C > 0:
            raise UsageError("--C must be positive")
        X, y, title = load_dataset(args.dataset, args.target)
        results = compare(
            X,
            y,
            C=args.C,
            test_size=args.test_size,
            scale=args.scale,
            solver=args.solver,
            random_state=args.random_state,
        )
    except UsageError as exc:
        parser.exit(2, f"sk-softmax: error: {exc}\n")
    except ValueError as exc:  # invalid data or parameters, from scikit-learn
        parser.exit(2, f"sk-softmax: error: {str(exc).splitlines()[0]}\n")
    print(
        f"data set: {title}  (n_samples={X.shape[0]}, n_features={X.shape[1]}, "
        f"n_classes={np.unique(y).size}, C={args.C}, scaled={args.scale})"
    )
    print(format_table(results))
    if args.plot:
        try:
            save_plot(results, args.plot, title)
        except UsageError as exc:
            parser.exit(2, f"sk-softmax: error: {exc}\n")
        print(f"plot saved to {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
