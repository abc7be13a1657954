"""The README's code runs as pasted."""

import os
import re
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _python_block_after(heading):
    section = README[README.index(heading) :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.skipif(find_spec("torch") is None, reason="the snippet uses PyTorch")
def test_array_api_snippet_runs_as_pasted(tmp_path):
    code = _python_block_after("## Array API input")
    code += "\nprint(type(proba).__module__, tuple(proba.shape), clf.coef_.device)\n"
    # a fresh interpreter without the variable the test suite sets: the snippet sets it
    env = {k: v for k, v in os.environ.items() if k != "SCIPY_ARRAY_API"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["torch", "(200,", "3)", "cpu"]
