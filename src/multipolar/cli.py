"""The ``multipolar`` command line: run, validate, bench.

Exit codes: 0 success, 2 bad input (scenario, arguments), 1 internal error. Bad input is
reported as plain lines, never as a traceback. Subcommands import what they need lazily,
so ``multipolar bench`` works without Mesa or Polars.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["main"]

BAD_INPUT = 2
INTERNAL = 1


def _add_scenario_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario value, e.g. --set alignment.rate=0.2 (repeatable)",
    )


def _cmd_run(args: argparse.Namespace) -> int:
    from multipolar.config import load_scenario
    from multipolar.runner import run_scenario
    from multipolar.timeline import step_of

    overrides = list(args.overrides)
    if args.seed is not None:
        overrides.append(f"run.seed={args.seed}")
    scenario = load_scenario(args.scenario, overrides)
    if args.report:
        from multipolar.viz.commands import check_report_extra

        if check_report_extra():
            return BAD_INPUT
    months = step_of(scenario.run.start, scenario.run.end)
    if args.steps is not None and not 0 <= args.steps <= months:
        print(
            f"--steps: must lie in 0..{months} for {scenario.name} "
            "(extend it with --set run.end=...)",
            file=sys.stderr,
        )
        return BAD_INPUT
    result = run_scenario(scenario, backend=args.backend, steps=args.steps, out=args.out)
    model = result.model
    print(
        f"ran {scenario.name}: {model.steps} months to {model.date} on {model.backend.name} "
        f"in {result.steps_s:.2f} s (+{result.setup_s:.2f} s setup)"
    )
    shares = model.times.shares()
    print("time per phase: " + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()))
    print(f"outputs: {result.out_dir}")
    if args.report:
        from multipolar.viz.commands import report_after_run

        return report_after_run(result.out_dir)
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from multipolar.config import load_scenario
    from multipolar.sweep.spec import is_sweep_file, load_sweep

    if is_sweep_file(args.scenario):
        load_sweep(args.scenario, args.overrides)
        print("ok")
        return 0
    load_scenario(args.scenario, args.overrides)
    print("ok")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from multipolar import bench

    return bench.run(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="multipolar",
        description="Agent-based simulation of great-power competition in Central Asia.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a scenario and write its outputs")
    run.add_argument(
        "scenario",
        nargs="?",
        default=None,
        help="scenario file (default: bundled Central Asia 2023)",
    )
    run.add_argument(
        "--backend", default="auto", help="auto | numpy | numba | cupy (default: auto)"
    )
    run.add_argument(
        "--steps", type=int, default=None, help="months to run (default: the whole scenario)"
    )
    run.add_argument(
        "--seed", type=int, default=None, help="random seed (default: the scenario's run.seed)"
    )
    run.add_argument(
        "--out",
        type=Path,
        default=None,
        help="run directory to create (default: runs/<name>-<time>)",
    )
    run.add_argument(
        "--report",
        action="store_true",
        help="also write figures and report.md into RUN_DIR/report (needs the report extra)",
    )
    _add_scenario_options(run)
    run.set_defaults(handler=_cmd_run)

    validate = sub.add_parser(
        "validate", help="check a scenario or sweep file; print ok or its problems"
    )
    validate.add_argument("scenario", help="scenario or sweep file")
    _add_scenario_options(validate)
    validate.set_defaults(handler=_cmd_validate)

    bench = sub.add_parser(
        "bench", help="benchmark the diffusion backends against the memory-copy bandwidth"
    )
    _add_bench_arguments(bench)
    bench.set_defaults(handler=_cmd_bench)

    from multipolar.sweep import cli as sweep_cli

    sweep = sub.add_parser("sweep", help="run a sweep file (parameters x seeds) on Dask")
    sweep_cli.add_sweep_arguments(sweep)
    sweep.set_defaults(handler=sweep_cli.cmd_sweep)
    sensitivity = sub.add_parser(
        "sensitivity", help="Sobol' or Morris sensitivity indices of a finished sweep"
    )
    sweep_cli.add_sensitivity_arguments(sensitivity)
    sensitivity.set_defaults(handler=sweep_cli.cmd_sensitivity)

    from multipolar.viz import commands as viz_commands

    viz_commands.add_parsers(sub)
    return parser


def _add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    from multipolar import bench

    bench.add_arguments(parser)


def _version() -> str:
    from multipolar import __version__

    return f"multipolar {__version__}"


def _bad_input_types() -> tuple[type[BaseException], ...]:
    from multipolar.config import ScenarioError
    from multipolar.kernels import BackendUnavailableError

    return ScenarioError, BackendUnavailableError, FileExistsError


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``multipolar`` console script."""
    args = _parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("interrupted; no partial outputs were left behind", file=sys.stderr)
        return 130
    except _bad_input_types() as error:
        for line in str(error).splitlines():
            print(line, file=sys.stderr)
        return BAD_INPUT
    except Exception:  # noqa: BLE001 - the last resort: report, with the traceback, as internal
        traceback.print_exc()
        print("internal error (please report it with the lines above)", file=sys.stderr)
        return INTERNAL


if __name__ == "__main__":
    sys.exit(main())
