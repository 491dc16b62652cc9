"""``python -m scoring score|explain``: see :mod:`scoring.cli`."""

from __future__ import annotations

import sys

from scoring.cli import main

if __name__ == "__main__":
    sys.exit(main())
