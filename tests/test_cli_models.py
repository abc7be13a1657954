"""The command line's model flags: --l1-ratio, --summary and --export-onnx."""

import re

import numpy as np
import pytest
from cli_helpers import fails, iris_frame, row, run


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
