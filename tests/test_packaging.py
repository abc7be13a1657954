"""What the package declares is what CI tests."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pins():
    lines = (ROOT / ".ci" / "minimum-versions.txt").read_text().splitlines()
    pins = dict(line.split("==") for line in lines if line.strip() and not line.startswith("#"))
    return {name.strip().lower(): version.strip() for name, version in pins.items()}


def test_declared_minimums_are_the_versions_ci_installs():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = _pins()
    for requirement in project["dependencies"]:
        name, version = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", requirement).groups()
        assert pins.get(name.lower()) == version, requirement
    assert (ROOT / ".ci" / "minimum-versions.txt").name in (ROOT / ".ci" / "run").read_text()


def test_the_command_lines_extra_is_tested_at_its_minimums():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = _pins()
    for requirement in project["optional-dependencies"]["cli"]:
        name, version = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", requirement).groups()
        assert pins.get(name.lower()) == version, requirement
    assert "tests/test_cli.py" in (ROOT / ".ci" / "run").read_text()


def test_license_file_matches_the_declared_license():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "BSD-3-Clause" and project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("BSD 3-Clause License") and "Neither the name of" in text
