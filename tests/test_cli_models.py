"""The command line's model flags (--l1-ratio, --summary, --export-onnx), the hints on
the fits, the split, and the output files."""

import re
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import fails, iris_frame, row, run

NEEDS_MATPLOTLIB = pytest.mark.skipif(find_spec("matplotlib") is None, reason="no matplotlib")


def _objectives(out):
    return [float(row(out, name)["objective"]) for name in ("SoftmaxClassifier", "Logistic")]


@pytest.mark.parametrize("dataset", ["wine", "breast_cancer"])
def test_l1_ratio_fits_the_same_sparse_objective_on_both(dataset, capsys):
    """Both estimators minimise one objective; ours reaches its optimum.

    saga, run long here (--tol 1e-6, --max-iter 3000), lands within about its
    tol of the optimum: relative 1e-4 is far looser than that and far
    tighter than the gap a wrong mapping of C or l1_ratio for two classes
    would make (the penalty is a tenth or more of these objectives).
    """
    argv = ["--dataset", dataset, "--scale", "--C", "0.1", "--l1-ratio", "0.5", "--tol", "1e-6",
            "--max-iter", "3000"]  # fmt: skip
    out = run(argv, capsys)
    ours, theirs = row(out, "SoftmaxClassifier"), row(out, "LogisticRegression")
    assert ours["solver"] == "prox-newton" and theirs["solver"] == "saga"
    used, total = map(int, ours["features"].split("/"))
    assert 0 < used < total  # sparse
    F_ours, F_theirs = _objectives(out)
    assert F_ours <= F_theirs * (1 + 1e-9)
    assert F_theirs - F_ours <= 1e-4 * F_ours
    assert "features: those with a non-zero coefficient" in out
    if dataset == "breast_cancer":  # two classes: C' = 2C/(1+r), l1_ratio' = 2r/(1+r)
        assert theirs["C"] == f"{2 * 0.1 / 1.5:g}"
        assert "l1_ratio=0.666667 = 2r/(1+r)" in out


def test_l1_ratio_errors_name_the_fix(capsys):
    assert "--l1-ratio must be in [0, 1], not 1.5" in fails(["--l1-ratio", "1.5"], capsys)
    err = fails(["--l1-ratio", "0.5", "--solver", "lbfgs"], capsys)
    assert "--solver lbfgs handles the ridge only" in err and "--solver auto" in err


def test_summary_prints_the_coefficient_table_with_the_columns_names(capsys):
    out = run(["--dataset", "wine", "--scale", "--summary"], capsys)
    assert "SoftmaxClassifier on the 133 training rows (--summary):" in out
    assert "std err" in out and "P>|z|" in out
    assert "numeric__alcohol" in out  # the preprocessed columns' names, not x0, x1, ...
    sparse = run(["--dataset", "wine", "--scale", "--summary", "--l1-ratio", "0.5"], capsys)
    assert "summary: no coefficient table: inference() supports the L2 model" in sparse


def test_export_onnx_writes_a_graph_that_predicts_as_the_model(tmp_path, capsys):
    pytest.importorskip("skl2onnx")
    pytest.importorskip("onnxruntime")
    path = tmp_path / "iris.csv"
    iris_frame().to_csv(path, index=False)  # a text column: one-hot encoded in the graph
    graph = tmp_path / "model.onnx"
    out = run(["--dataset", str(path), "--target", "species", "--export-onnx", str(graph)], capsys)
    assert graph.stat().st_size > 0
    line = re.search(r"probabilities are within (\S+) of predict_proba's, and (\d+) label", out)
    # float32 inputs and outputs: about 1e-7 relative on outputs of size 10
    assert float(line.group(1)) < 1e-5 and line.group(2) == "0"


def test_export_onnx_of_text_with_missing_values_is_a_clear_error(tmp_path, capsys):
    pytest.importorskip("skl2onnx")
    frame = iris_frame()
    frame.loc[::7, "region"] = np.nan
    path = tmp_path / "iris.csv"
    frame.to_csv(path, index=False)
    argv = ["--dataset", str(path), "--target", "species", "--repeat", "1",
            "--export-onnx", str(tmp_path / "m.onnx")]  # fmt: skip
    err = fails(argv, capsys)
    assert "the ONNX export failed" in err and "--drop" in err


def test_separable_data_get_the_hint_of_their_cause(capsys):
    # iris: setosa is separable. At C=inf the Newton fit stopped after 15 steps with the
    # separable warning, and the hint was the sgd one ("stopped improving after 15 epochs
    # ... loosen --tol or use --solver auto"), the separable hint swallowed
    out = run(["--dataset", "iris", "--C", "inf"], capsys)
    assert "hint: SoftmaxClassifier: the training data are linearly separable" in out
    assert "give a finite --C (e.g. 1)" in out
    assert "epochs" not in out and "e.g. inf" not in out and "--solver auto" not in out
    out = run(["--dataset", "iris", "--C", "1e12"], capsys)
    assert "the penalty at C=1e+12 is too weak" in out and "lower --C (e.g. 1e+11)" in out


def test_a_class_without_training_rows_is_one_line(tmp_path, capsys):
    # a class of 2 rows, both in the test rows at --test-size 0.9: a traceback from log_loss
    rng = np.random.default_rng(8)
    x = rng.normal(size=(100, 2)).round(3)
    label = np.where(x[:, 0] > 0, "a", "b").astype(object)
    label[:2] = "rare"
    path = tmp_path / "rare.csv"
    pd = pytest.importorskip("pandas")
    pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "label": label}).to_csv(path, index=False)
    argv = ["--dataset", str(path), "--target", "label", "--test-size", "0.9", "--repeat", "1"]
    err = fails(argv, capsys)
    assert "no training row for class(es) 'rare' (2 rows)" in err and "lower --test-size" in err


@NEEDS_MATPLOTLIB
def test_output_files_are_written_when_stdout_is_closed(tmp_path):
    # `sk-softmax --save M --plot P | head -1`: the first print to the closed pipe ended
    # the run, and the files after it were not written
    root = Path(__file__).resolve().parents[1]  # the checkout's package, not an installed one
    model, plot = tmp_path / "m.joblib", tmp_path / "p.png"
    argv = ["--dataset", "iris", "--repeat", "1", "--threads", "1", "--save", str(model),
            "--plot", str(plot)]  # fmt: skip
    with subprocess.Popen(
        [sys.executable, "-m", "sk_softmax", *argv], cwd=root, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:  # fmt: skip
        process.stdout.close()  # the reader has gone before the first line
        err = process.stderr.read().decode()
    assert process.returncode == 0, err
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert model.stat().st_size > 0 and plot.read_bytes().startswith(b"\x89PNG")
