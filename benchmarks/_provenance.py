"""Where a benchmark's figures come from: the commit of the code they timed."""

import subprocess
from pathlib import Path


def git_state(root=None):
    """The short commit of ``root`` (this checkout by default), and whether ``sk_softmax/``
    has uncommitted changes there; "unknown" outside a git tree."""
    root = Path(__file__).resolve().parents[1] if root is None else Path(root)
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "sk_softmax"],
            cwd=root, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
    except OSError:
        return "unknown"
    return (commit or "unknown") + (" (sk_softmax/ has uncommitted changes)" if dirty else "")
