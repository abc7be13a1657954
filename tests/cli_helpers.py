"""Helpers of the command line's tests (tests/test_cli*.py)."""

import numpy as np
import pytest
from sklearn.datasets import load_iris

from sk_softmax.__main__ import main


def iris_frame(seed=0):
    """iris with its class names, and a text column 'region' (noise)."""
    bunch = load_iris(as_frame=True)
    frame = bunch.data.copy()
    frame.columns = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    frame.insert(2, "region", np.random.default_rng(seed).choice(["east", "west", "north"], 150))
    frame["species"] = np.asarray(bunch.target_names)[bunch.target]
    return frame


def run(argv, capsys):
    """The report, with its wrapped notes joined: one space between words."""
    assert main([*argv, "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    table = [
        line for line in out.splitlines() if line.startswith(("estimator ", "Softmax", "Logis"))
    ]
    return " ".join(out.split()) + "\n" + "\n".join(table)


def fails(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


def row(out, name):
    """The table's row of an estimator, as a dict of its columns."""
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("estimator "))
    columns = [c for c in lines[head].split("  ") if c.strip()]
    row = next(line for line in lines[head:] if line.startswith(name))
    return dict(zip([c.strip() for c in columns], row.split(), strict=True))
