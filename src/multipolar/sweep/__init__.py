"""Sweeps: many runs of a scenario over parameters and seeds, on any executor or on Dask.

``run_sweep`` runs a sweep file and returns its output folder; ``load`` reads the results
of every run as one Polars LazyFrame. Everything is imported on first use, so registering
the command-line parsers costs nothing; Dask and SALib are imported only when used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY = {
    "Sweep": "multipolar.sweep.spec",
    "SweepSummary": "multipolar.sweep.execute",
    "is_sweep_file": "multipolar.sweep.spec",
    "load": "multipolar.sweep.api",
    "load_sweep": "multipolar.sweep.spec",
    "run_sweep": "multipolar.sweep.api",
    "sweep_summary": "multipolar.sweep.api",
}

__all__ = [
    "Sweep",
    "SweepSummary",
    "is_sweep_file",
    "load",
    "load_sweep",
    "run_sweep",
    "sweep_summary",
]

if TYPE_CHECKING:
    from multipolar.sweep.api import load, run_sweep, sweep_summary
    from multipolar.sweep.execute import SweepSummary
    from multipolar.sweep.spec import Sweep, is_sweep_file, load_sweep


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'multipolar.sweep' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
