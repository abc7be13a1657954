"""Files the run writes after the report: each output is one class here.

An output declares its flags (``add_arguments``), checks them before any data
are read (``check``: a missing folder, a file type nobody can write, a missing
library), and writes its file after the report (``write``, which returns the
line to print). ``OUTPUTS`` lists them; a new one (an ONNX export, say) is one
more class and one more entry.
"""

import os

from ._errors import UsageError


def _check_folder(flag, path):
    """The folder of ``path`` exists and is writable, and ``path`` is no folder."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UsageError(f"{flag} {path!r} is a folder: give a file name")
    if not os.path.isdir(folder):
        raise UsageError(f"{flag} {path!r}: no folder {folder!r}")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"{flag} {path!r}: cannot write in {folder!r}")


class SaveModel:
    """``--save FILE``: the fitted pipeline (preprocessing and SoftmaxClassifier), joblib."""

    def add_arguments(self, group):
        group.add_argument(
            "--save",
            metavar="FILE",
            help="save SoftmaxClassifier, with the preprocessing before it, as one "
            "scikit-learn Pipeline (joblib.dump; load it with joblib.load and predict on "
            "rows with the CSV's feature columns)",
        )

    def check(self, args):
        if args.save:
            _check_folder("--save", args.save)

    def write(self, comparison, args):
        if not args.save:
            return None
        import joblib
        from sklearn.pipeline import Pipeline

        ours = comparison.runs[0].model
        pipeline = Pipeline([("preprocessing", comparison.preprocessor), ("classifier", ours)])
        try:
            joblib.dump(pipeline, args.save)
        except OSError as exc:
            raise UsageError(f"cannot save to {args.save!r}: {exc.strerror}") from None
        return f"model saved to {args.save} (a Pipeline: preprocessing, SoftmaxClassifier)"


class Plot:
    """``--plot FILE``: a bar chart of times, accuracy and log-loss; the suffix is the type."""

    def add_arguments(self, group):
        group.add_argument(
            "--plot",
            metavar="FILE",
            help="save a bar chart of the comparison to FILE, exactly: its suffix (.png, "
            ".pdf, .svg, ...) is the file type (needs matplotlib)",
        )

    def check(self, args):
        if not args.plot:
            return
        _check_folder("--plot", args.plot)
        suffix = os.path.splitext(args.plot)[1].lower().lstrip(".")
        types = self._file_types()
        if suffix not in types:
            given = f"suffix {'.' + suffix!r}" if suffix else "no suffix"
            raise UsageError(
                f"--plot {args.plot!r} has {given}: end the name with the file type, one of "
                f"{', '.join('.' + t for t in sorted(types))}"
            )

    @staticmethod
    def _file_types():
        try:
            from matplotlib.figure import Figure
        except ImportError:
            raise UsageError(
                "--plot needs matplotlib: pip install matplotlib (or 'sk-softmax[plot]')"
            ) from None
        return set(Figure().canvas.get_supported_filetypes())

    def write(self, comparison, args):
        if not args.plot:
            return None
        from matplotlib.figure import Figure

        runs = comparison.runs
        names = [run.name for run in runs]
        fig = Figure(figsize=(11, 3.2), layout="tight")
        axes = fig.subplots(1, 3)
        values = (
            ([run.fit_time for run in runs], f"fit time (s), median of {comparison.repeat}"),
            ([run.scores["test_acc"] for run in runs], "test accuracy"),
            ([run.scores["test_log_loss"] for run in runs], "test log-loss"),
        )
        for ax, (heights, label) in zip(axes, values, strict=True):
            ax.bar(names, heights, color=["C0", "C1"])
            ax.set_title(label)
            ax.tick_params(axis="x", labelsize=8)
        fig.suptitle(f"{comparison.title}: SoftmaxClassifier vs LogisticRegression")
        try:
            fig.savefig(args.plot)
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot save the plot to {args.plot!r}: {exc}") from None
        return f"plot saved to {args.plot}"


class ExportONNX:
    """``--export-onnx FILE``: the pipeline as an ONNX graph, checked with onnxruntime."""

    def add_arguments(self, group):
        group.add_argument(
            "--export-onnx",
            metavar="FILE",
            help="write the preprocessing and SoftmaxClassifier as one ONNX graph (float32) "
            "to FILE, then run it with onnxruntime on the test rows and report how far its "
            "probabilities and labels are from predict_proba's and predict's (needs "
            "'sk-softmax[onnx]': skl2onnx and onnxruntime)",
        )

    def check(self, args):
        if not args.export_onnx:
            return
        _check_folder("--export-onnx", args.export_onnx)
        try:
            import sk_softmax.onnx  # noqa: F401 (registers the converter)
        except ImportError:
            raise UsageError(
                "--export-onnx needs skl2onnx and onnxruntime: pip install 'sk-softmax[onnx]'"
            ) from None

    def write(self, comparison, args):
        if not args.export_onnx:
            return None
        from sklearn.pipeline import Pipeline

        from ..onnx import export_and_check

        ours = comparison.runs[0].model
        pipeline = Pipeline([("preprocessing", comparison.preprocessor), ("classifier", ours)])
        try:
            check = export_and_check(pipeline, args.export_onnx, comparison.X_test)
        except OSError as exc:
            raise UsageError(f"cannot write {args.export_onnx!r}: {exc.strerror}") from None
        except (RuntimeError, TypeError, ValueError, NotImplementedError) as exc:
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else repr(exc)
            raise UsageError(
                f"the ONNX export failed: {first} (skl2onnx converts numeric columns, and text "
                "columns without missing values: --drop the others, or impute them in the CSV)"
            ) from None
        return (
            f"ONNX graph saved to {args.export_onnx} (preprocessing and SoftmaxClassifier, "
            f"float32): on the {check.n_rows} test rows onnxruntime's probabilities are within "
            f"{check.max_proba_diff:.1e} of predict_proba's, and {check.label_mismatches} "
            "label(s) differ from predict's"
        )


OUTPUTS = (SaveModel(), Plot(), ExportONNX())
