"""The main job, `python -m sk_softmax`."""

import subprocess
import sys

import pytest

from sk_softmax.__main__ import main


def test_default_run_prints_the_comparison(capsys):
    assert main(["--dataset", "iris"]) == 0
    out = capsys.readouterr().out
    assert "SoftmaxClassifier" in out and "LogisticRegression" in out
    header = next(l for l in out.splitlines() if l.startswith("estimator"))
    for column in (
        "fit (s)",
        "iters",
        "converged",
        "train acc",
        "test acc",
        "test log-loss",
        "objective",
    ):
        assert column in header


def test_csv_input(tmp_path, capsys):
    path = tmp_path / "data.csv"
    rows = ["a,b,label"] + [f"{i % 7},{(i * 3) % 5},{'xy'[i % 2]}" for i in range(40)]
    path.write_text("\n".join(rows) + "\n")
    assert main(["--dataset", str(path), "--target", "label"]) == 0
    assert "n_samples=40, n_features=2, n_classes=2" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--dataset", "nope"], "is not one of"),
        (["--dataset", "/no/such/file.csv", "--target", "y"], "cannot read"),
        (["--C", "-1"], "--C must be positive"),
        (["--test-size", "2"], "--test-size must be in (0, 1)"),
        (["--solver", "magic"], "solver"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_plot(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "cmp.png"
    assert main(["--dataset", "wine", "--plot", str(out)]) == 0
    assert out.stat().st_size > 1000


def test_module_entry_point_help():
    done = subprocess.run(
        [sys.executable, "-m", "sk_softmax", "--help"], capture_output=True, text=True, check=True
    )
    assert "--dataset" in done.stdout
