"""The ``multipolar sweep`` and ``multipolar sensitivity`` subcommands (registered by cli.py).

Exit codes: 0 all runs ok, 3 some runs failed (listed in ``runs.parquet``), 2 bad input,
130/143 when interrupted (the run index is written first; ``--resume`` continues).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

__all__ = [
    "FAILED_RUNS",
    "add_sensitivity_arguments",
    "add_sweep_arguments",
    "cmd_sensitivity",
    "cmd_sweep",
    "validate_sweep",
]

FAILED_RUNS = 3
INTERRUPTED = 130
TERMINATED = 143


def add_sweep_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``multipolar sweep``."""
    parser.add_argument("sweep", help="sweep file (TOML with a [sweep] table) or bundled name")
    parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default: sweeps/<name>)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="local worker processes (default: one per core); with --scheduler, the workers "
        "to size tasks for (default: those connected at the start)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="use the Dask cluster at ADDRESS (tcp://host:8786) instead of a local one",
    )
    parser.add_argument("--resume", action="store_true", help="run only what --out lacks")
    parser.add_argument(
        "--steps", type=int, default=None, help="months per run (default: the sweep's)"
    )
    parser.add_argument(
        "--backend", default=None, help="auto | numpy | numba | cupy (default: the sweep's)"
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a base scenario value for every run (repeatable)",
    )


def add_sensitivity_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``multipolar sensitivity``."""
    parser.add_argument("sweep_out", type=Path, help="output folder of a sobol or morris sweep")
    parser.add_argument(
        "--metric",
        dest="metrics",
        action="append",
        default=[],
        metavar="NAME",
        help="model metric to analyse (repeatable; default: every numeric metric)",
    )
    parser.add_argument(
        "--window",
        type=int,
        default=1,
        help="average each metric over the last N months (default 1: the final month)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the table and chart (default: SWEEP_OUT/sensitivity)",
    )


def validate_sweep(path: str, overrides: list[str]) -> None:
    """Load a sweep file and check it against its base scenario (raises ScenarioError)."""
    from multipolar.sweep.spec import load_sweep

    load_sweep(path, overrides)


class _Terminated(BaseException):
    """SIGTERM, raised in the driver so that the run index is written before exiting."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    # the client's connections close mid-message while the driver unwinds: Dask and tornado
    # would log that as errors with tracebacks, which say nothing to a user who stopped it.
    # Every logger of theirs is silenced, not only the two roots: Dask's logging config
    # gives some children their own level ("tornado.application": ERROR).
    names = ["distributed", "tornado", *logging.root.manager.loggerDict]
    for name in names:
        if name.split(".")[0] in ("distributed", "tornado"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    raise _Terminated


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run a sweep on Dask; print a one-line summary; 3 when some runs failed."""
    from multipolar.sweep.api import sweep_summary
    from multipolar.sweep.spec import SweepInputError, load_sweep

    if args.workers is not None and args.workers < 1:
        raise SweepInputError("--workers", "must be at least 1")
    changes: dict[str, Any] = {}
    if args.steps is not None:
        changes["months"] = args.steps
    if args.backend is not None:
        changes["backend"] = args.backend
    sweep = load_sweep(args.sweep, args.overrides, changes)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        summary = sweep_summary(
            sweep,
            out=args.out,
            resume=args.resume,
            workers=args.workers,
            scheduler=args.scheduler,
        )
    except (KeyboardInterrupt, _Terminated) as stop:
        reason = "SIGINT" if isinstance(stop, KeyboardInterrupt) else "SIGTERM"
        print(
            f"interrupted by {reason}; completed runs are kept and listed in runs.parquet, "
            "rerun with --resume to complete the sweep",
            file=sys.stderr,
        )
        return INTERRUPTED if reason == "SIGINT" else TERMINATED
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(summary.line())
    print(f"outputs: {summary.out}")
    return FAILED_RUNS if summary.failed else 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Print and write the sensitivity table and bar chart of a finished sweep."""
    from multipolar._table import format_table
    from multipolar.sweep.sensitivity import analyze, bar_chart

    table = analyze(args.sweep_out, args.metrics, window=args.window)
    folder = args.out or args.sweep_out / "sensitivity"
    folder.mkdir(parents=True, exist_ok=True)
    table.write_csv(folder / "sensitivity.csv")
    chart = bar_chart(table, folder / "sensitivity.png")
    rows = [[v if isinstance(v, str) else f"{v:.3g}" for v in row] for row in table.iter_rows()]
    print(format_table(table.columns, rows))
    print(f"outputs: {folder / 'sensitivity.csv'}, {chart}")
    return 0
