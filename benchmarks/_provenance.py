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


def cpu():
    """The processor the figures were timed on: model, AVX-512 or not, per-core L2, L3.

    Ratios against bare products move with it: the same code took 4.5 float64 pairs on
    one machine of this workplace and 7.2 on another (an AVX-512 Xeon with a 2 MiB L2),
    whose products are relatively faster. "unknown" where Linux's files are not there.
    """
    try:
        info = Path("/proc/cpuinfo").read_text()
        model = next(line.split(":", 1)[1].strip() for line in info.splitlines()
                     if line.startswith("model name"))  # fmt: skip
        number = next(line.split(":", 1)[1].strip() for line in info.splitlines()
                      if line.startswith("model\t"))  # fmt: skip
        avx512 = " avx512f" in info
        caches = Path("/sys/devices/system/cpu/cpu0/cache")
        sizes = {
            (caches / f"index{i}" / "level").read_text().strip(): (caches / f"index{i}" / "size")
            .read_text()
            .strip()
            for i in range(4)
            if (caches / f"index{i}" / "size").exists()
        }
    except (OSError, StopIteration):
        return "unknown"
    return (
        f"{model} (model {number}){', AVX-512' if avx512 else ''}; "
        f"L2 {sizes.get('2', '?')} a core, L3 {sizes.get('3', '?')}"
    )
