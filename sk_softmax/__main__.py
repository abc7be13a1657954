"""``python -m sk_softmax``: the command line (its code is in ``sk_softmax._cli``)."""

import sys

from ._cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
