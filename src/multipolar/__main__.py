"""``python -m multipolar``: the same as the ``multipolar`` command."""

from __future__ import annotations

import sys

from multipolar.cli import main

if __name__ == "__main__":
    sys.exit(main())
