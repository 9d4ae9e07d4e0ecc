"""The ``backtest`` subcommand's arguments (kept free of heavy imports)."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["DEFAULT_SCENARIO", "MODES", "add_arguments"]

DEFAULT_SCENARIO = "history_1992_2024.toml"
MODES = ("scheduled", "endogenous")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``backtest`` subcommand's arguments."""
    parser.add_argument(
        "scenario",
        nargs="?",
        default=DEFAULT_SCENARIO,
        help=f"history scenario (default: bundled {DEFAULT_SCENARIO})",
    )
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="endogenous",
        help="scheduled: a replay; endogenous: targets left to the rules (default)",
    )
    parser.add_argument("--seeds", type=int, default=4, help="number of seeds (default 4)")
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="fit free parameters on 1992-2007 first, then judge the fit",
    )
    parser.add_argument(
        "--samples",
        type=int,
        default=16,
        help="Latin hypercube points for --calibrate (default 16)",
    )
    parser.add_argument(
        "--search-seeds",
        type=int,
        default=2,
        help="seeds per point of the --calibrate search (default 2; at most --seeds)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the seeds' run directories and the scorecard "
        "(default: runs/backtest-<time>)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the scorecard here")
    parser.add_argument("--backend", default="numba", help="diffusion backend (default numba)")
    parser.add_argument(
        "--workers", type=int, default=1, help="processes running seeds in parallel (default 1)"
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario value (repeatable)",
    )
