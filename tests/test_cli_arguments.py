"""The command line's flags: each checked before any data are read, one line when wrong."""

import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest
from cli_helpers import fails, run

from sk_softmax import __version__
from sk_softmax.__main__ import main
from sk_softmax._cli import _read

NEEDS_MATPLOTLIB = pytest.mark.skipif(find_spec("matplotlib") is None, reason="no matplotlib")


@pytest.fixture
def no_reading(monkeypatch):
    """Reading a CSV fails the test: the arguments must be checked first."""

    def fail(*args, **kwargs):
        raise AssertionError("the data were read before the arguments were checked")

    monkeypatch.setattr(_read, "read_csv", fail)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--solver", "magic"], "invalid choice: 'magic'"),
        (["--C", "-1"], "--C must be positive"),
        (["--C", "nan"], "--C must be positive"),
        (["--test-size", "2"], "--test-size must be in (0, 1)"),
        (["--random-state", "-1"], "--random-state must be in [0, 2**32 - 1]"),
        (["--random-state", "99999999999"], "--random-state must be in [0, 2**32 - 1]"),
        (["--repeat", "0"], "--repeat must be at least 1"),
        (["--threads", "0"], "--threads must be at least 1"),
        (["--max-iter", "0"], "--max-iter must be at least 1"),
        (["--tol", "-1"], "--tol must be a positive number"),
        (["--sep", "ab"], "--sep must be one character"),
        (["--encoding", "utf-9"], "unknown --encoding"),
        (["--target", " "], "--target is empty"),
        pytest.param(["--plot", "noext"], "has no suffix", marks=NEEDS_MATPLOTLIB),
        pytest.param(["--plot", "cmp.xyz"], "has suffix '.xyz'", marks=NEEDS_MATPLOTLIB),
        (["--plot", "/no/such/folder/cmp.png"], "no folder"),
        (["--save", "/no/such/folder/model.joblib"], "no folder"),
    ],
)
def test_bad_arguments_stop_before_reading(argv, message, tmp_path, capsys, no_reading):
    path = tmp_path / "data.csv"
    path.write_text("a,b\n1,x\n")
    err = fails(["--dataset", str(path), "--target", "b", *argv], capsys)
    assert message in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--dataset", "nope"], "neither a bundled data set"),
        (["--dataset", "/no/such/file.csv", "--target", "y"], "neither a bundled data set"),
        (["--dataset", "iris", "--target", "y"], "--target only applies to a CSV file"),
    ],
)
def test_bad_dataset_arguments(argv, message, capsys, no_reading):
    assert message in fails(argv, capsys)


def test_csv_needs_a_target(tmp_path, capsys, no_reading):
    path = tmp_path / "data.csv"
    path.write_text("a,b\n1,x\n")
    assert "--target COLUMN" in fails(["--dataset", str(path)], capsys)


def test_plot_without_matplotlib_stops_before_reading(tmp_path, capsys, no_reading, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    path = tmp_path / "data.csv"
    path.write_text("a,b\n1,x\n")
    err = fails(["--dataset", str(path), "--target", "b", "--plot", "x.png"], capsys)
    assert "--plot needs matplotlib" in err


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"sk-softmax {__version__} (scikit-learn ")


def test_module_entry_point_help_lists_the_solvers():
    done = subprocess.run(
        [sys.executable, "-m", "sk_softmax", "--help"], capture_output=True, text=True, check=True
    )
    assert "--dataset" in done.stdout
    assert "{auto,lbfgs,newton-cg,newton-cholesky,prox-newton,sgd}" in done.stdout


def test_every_flag_is_documented():

    from sk_softmax._cli._options import build_parser
    from sk_softmax._cli._outputs import OUTPUTS

    page = (Path(__file__).resolve().parents[1] / "docs" / "cli.rst").read_text()
    flags = [f for action in build_parser(OUTPUTS)._actions for f in action.option_strings]
    missing = [f for f in flags if f.startswith("--") and f"``{f}" not in page]
    assert missing == []


def test_decimal_help_says_what_is_detected(tmp_path, capsys):
    # the help said "semicolon-separated"; a decimal comma is detected with any separator
    # but the comma (docs/cli.rst), a tab for one
    from sk_softmax._cli._options import build_parser

    (action,) = [a for a in build_parser()._actions if "--decimal" in a.option_strings]
    assert "not separated by commas" in action.help and "semicolon" not in action.help
    path = tmp_path / "tabs.tsv"
    path.write_text("a\tb\ty\n" + "".join(f"{i},5\t{i % 3},25\t{'xy'[i % 2]}\n" for i in range(20)))
    out = run(["--dataset", str(path), "--target", "y"], capsys)
    assert "numbers with a decimal comma" in out and "n_features=2," in out
