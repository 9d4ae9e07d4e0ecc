"""The ``viz`` and ``report`` subcommands and ``run --report``, registered by the main CLI.

Everything heavy (Solara, matplotlib, the model) is imported when a command runs, so the
core CLI starts without the extras; a missing extra is reported with the ``pip install``
that brings it (exit 2).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["add_parsers", "cmd_report", "cmd_viz", "check_report_extra", "report_after_run"]

BAD_INPUT = 2


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register ``viz`` and ``report`` on the main parser's subcommands."""
    viz = sub.add_parser("viz", help="explore a scenario in the browser (Mesa SolaraViz)")
    viz.add_argument(
        "scenario",
        nargs="?",
        default=None,
        help="scenario file or bundled name (default: bundled Central Asia 2023)",
    )
    viz.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    viz.add_argument("--port", type=int, default=8765, help="port to listen on (default: 8765)")
    viz.add_argument(
        "--backend", default="auto", help="auto | numpy | numba | cupy (default: auto)"
    )
    viz.set_defaults(handler=cmd_viz)

    report = sub.add_parser("report", help="PNG figures and report.md from a run directory")
    report.add_argument("run_dir", type=Path, help="run directory written by multipolar run")
    report.add_argument(
        "--out", type=Path, default=None, help="folder for the report (default: RUN_DIR/report)"
    )
    report.set_defaults(handler=cmd_report)  # fmt: skip


def _missing(extra: str, command: str) -> str | None:
    from multipolar.viz.extras import MissingExtraError, require

    try:
        require(extra, command)
    except MissingExtraError as error:
        return str(error)
    return None


def cmd_viz(args: argparse.Namespace) -> int:
    """Check the scenario, backend and port, print the URL, then become the Solara server."""
    problem = _missing("viz", "multipolar viz")
    if problem:
        print(problem, file=sys.stderr)
        return BAD_INPUT
    from multipolar.config import bundled_scenarios, load_scenario
    from multipolar.kernels import get_backend
    from multipolar.viz.server import (
        PortInUseError,
        check_port,
        serve_command,
        serve_environment,
    )

    scenario = None
    if args.scenario is not None:
        bundled = {p.stem: p for p in bundled_scenarios()}
        given = Path(args.scenario)
        path = bundled.get(args.scenario, given)
        load_scenario(path)
        scenario = str(Path(path).resolve())
    get_backend(args.backend)
    if not 0 < args.port < 65536:
        print(f"--port: must lie in 1..65535, not {args.port}", file=sys.stderr)
        return BAD_INPUT
    try:
        check_port(args.host, args.port)
    except PortInUseError as error:
        print(error, file=sys.stderr)
        return BAD_INPUT
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"multipolar viz: serving at http://{host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    command = serve_command(args.host, args.port)
    os.execve(command[0], command, serve_environment(scenario, args.backend))
    return 0  # pragma: no cover - execve does not return


def cmd_report(args: argparse.Namespace) -> int:
    """Write the report of a run directory and print where it went."""
    problem = _missing("report", "multipolar report")
    if problem:
        print(problem, file=sys.stderr)
        return BAD_INPUT
    from multipolar.report import write_report
    from multipolar.report.rundir import RunDirError

    try:
        path = write_report(args.run_dir, args.out)
    except RunDirError as error:
        print(error, file=sys.stderr)
        return BAD_INPUT
    print(f"report: {path}")
    return 0


def check_report_extra() -> int:
    """0 if ``run --report`` can draw, else print the install hint and return 2 (before running)."""
    problem = _missing("report", "multipolar run --report")
    if problem:
        print(problem, file=sys.stderr)
        return BAD_INPUT
    return 0


def report_after_run(out_dir: Path) -> int:
    """Write the report of a run that just finished into ``<out_dir>/report``."""
    from multipolar.report import write_report

    print(f"report: {write_report(out_dir)}")
    return 0
