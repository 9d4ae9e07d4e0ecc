"""The ``multipolar`` command line: run, validate, scenarios, bench, ...

Exit codes: 0 success, 2 bad input (scenario, arguments, output location), 1 internal error
or a run that produced a non-finite value, 130/143 on SIGINT/SIGTERM. Bad input is reported
as plain lines, never as a traceback. Subcommands import what they need lazily,
so ``multipolar bench`` works without Mesa or Polars.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

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
    from multipolar.runner import resume_run, run_scenario
    from multipolar.timeline import step_of

    if args.resume is not None:
        given = [n for n, key in _RUN_ONLY.items() if getattr(args, key) not in (None, [], False)]
        if given:
            drop = ", ".join(given)
            print(f"--resume: continues the run as it was started; drop {drop}", file=sys.stderr)
            return BAD_INPUT
        result = resume_run(args.resume)
        return _report_run(result, args)
    overrides = list(args.overrides)
    if args.seed is not None:
        if not 0 <= args.seed < 2**63:
            print(f"--seed: must lie in 0..{2**63 - 1}", file=sys.stderr)
            return BAD_INPUT
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
    if args.checkpoint_every is not None and args.checkpoint_every < 0:
        print("--checkpoint-every: must be 0 (never) or a number of months", file=sys.stderr)
        return BAD_INPUT
    result = run_scenario(
        scenario,
        backend=args.backend,
        steps=args.steps,
        out=args.out,
        force=args.force,
        checkpoint_every=args.checkpoint_every,
    )
    return _report_run(result, args)


_RUN_ONLY = {
    "a scenario": "scenario",
    "--set": "overrides",
    "--seed": "seed",
    "--steps": "steps",
    "--out": "out",
    "--force": "force",
    "--checkpoint-every": "checkpoint_every",
}


def _report_run(result: Any, args: argparse.Namespace) -> int:
    for note in result.notes:
        print(note, file=sys.stderr)
    model = result.model
    resumed = "" if result.resumed_from is None else f" (resumed at month {result.resumed_from})"
    print(
        f"ran {model.spec.name}: {model.steps} months to {model.date} on {model.backend.name} "
        f"in {result.steps_s:.2f} s (+{result.setup_s:.2f} s setup){resumed}"
    )
    shares = model.times.shares()
    if shares:
        print("time per phase: " + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()))
    print(f"outputs: {result.out_dir}")
    if args.report:
        from multipolar.viz.commands import report_after_run

        return report_after_run(result.out_dir)
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from multipolar.config import load_scenario, validate_fragment
    from multipolar.sweep.spec import is_sweep_file, load_sweep

    try:
        sweep = is_sweep_file(args.scenario)
    except (RecursionError, ValueError):  # not a sweep; the scenario loader says what is wrong
        sweep = False
    if sweep:
        load_sweep(args.scenario, args.overrides)
        print("ok")
        return 0
    if not args.overrides and validate_fragment(args.scenario):
        print(
            "ok (a fragment: its keys and values are checked; cross-references are checked "
            "in the scenarios that extend it)"
        )
        return 0
    scenario = load_scenario(args.scenario, args.overrides)
    from multipolar.config.checks import scheme_warnings

    for key, message in scheme_warnings(scenario):
        print(f"{args.scenario}: {'.'.join(map(str, key))}: warning: {message}", file=sys.stderr)
    if args.print:
        print(json.dumps(scenario.model_dump(mode="json", exclude_none=True), indent=2))
    else:
        print("ok")
    return 0


def _cmd_scenarios(args: argparse.Namespace) -> int:
    from multipolar.config import describe_bundled

    del args
    found = describe_bundled()
    width = max((len(s.name) for s in found), default=0)
    for scenario in found:
        print(f"{scenario.name:<{width}}  {scenario.description}")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from multipolar import bench

    return bench.run(args)


def _cmd_backtest(args: argparse.Namespace) -> int:
    from multipolar.backtest import command

    return command.run(args)


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
        help="scenario file, or a bundled scenario's name (see `multipolar scenarios`; "
        "default: central_asia_2023)",
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
        help="run directory to create (default: runs/<name>-<time>-<random>)",
    )
    run.add_argument("--force", action="store_true", help="replace an existing --out folder")
    run.add_argument(
        "--checkpoint-every",
        type=int,
        default=None,
        metavar="N",
        help="write a checkpoint every N months (0: never; default: every few minutes)",
    )
    run.add_argument(
        "--resume",
        type=Path,
        default=None,
        metavar="RUN_DIR",
        help="continue an interrupted run (RUN_DIR: its --out) from its last checkpoint",
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
    validate.add_argument("scenario", help="scenario or sweep file, or a bundled scenario's name")
    validate.add_argument(
        "--print", action="store_true", help="print the resolved scenario (JSON) instead of ok"
    )
    _add_scenario_options(validate)
    validate.set_defaults(handler=_cmd_validate)

    scenarios = sub.add_parser("scenarios", help="list the bundled scenarios")
    scenarios.set_defaults(handler=_cmd_scenarios)

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

    from multipolar.backtest import arguments as backtest_arguments

    backtest = sub.add_parser(
        "backtest", help="run the 1992-2024 history over seeds and score it against the record"
    )
    backtest_arguments.add_arguments(backtest)
    backtest.set_defaults(handler=_cmd_backtest)

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

    bad: tuple[type[BaseException], ...] = (ScenarioError, BackendUnavailableError, FileExistsError)
    if "multipolar.io" in sys.modules:
        bad = (*bad, sys.modules["multipolar.io"].OutputError)
    if "multipolar.checkpoint" in sys.modules:
        bad = (*bad, sys.modules["multipolar.checkpoint"].CheckpointError)
    return bad


# commands whose SIGINT/SIGTERM end in a one-line message and exit 130/143
_GUARDED = ("run", "validate", "scenarios")


def _interrupt_code(error: BaseException) -> int | None:
    """Exit code for an interrupt, also when it surfaced wrapped in a SystemError."""
    from multipolar.interrupts import Interrupted

    seen = error
    for _ in range(5):
        if isinstance(seen, Interrupted):
            return seen.exit_code
        if isinstance(seen, KeyboardInterrupt):
            return 130
        if seen.__cause__ is None and seen.__context__ is None:
            return None
        seen = seen.__cause__ or seen.__context__  # type: ignore[assignment]
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``multipolar`` console script."""
    from multipolar.interrupts import SignalGuard

    # installed first, so a signal while the heavy modules load is a clean exit too
    guard = SignalGuard().__enter__()
    command = "?"
    try:
        args = _parser().parse_args(argv)
        command = args.command
        if command not in _GUARDED:
            guard.__exit__()  # other commands keep Python's own signal handling
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except BaseException as error:  # noqa: BLE001 - sorted in _failed
        return _failed(error, command)
    finally:
        guard.__exit__()


def _failed(error: BaseException, command: str) -> int:
    """Report a command's failure in plain lines and return its exit code."""
    code = _interrupt_code(error)
    if code is not None:
        reason = "SIGTERM" if code == 143 else "SIGINT" if code == 130 else f"signal {code - 128}"
        hint = getattr(error, "resume_hint", None) or "no complete-looking output was left"
        print(f"interrupted by {reason}; {hint}", file=sys.stderr)
        return code
    if not isinstance(error, Exception):
        raise error  # SystemExit and the like
    guards = sys.modules.get("multipolar.guards")
    if guards is not None and isinstance(error, guards.NonFiniteError):
        print(str(error), file=sys.stderr)
        return INTERNAL
    if isinstance(error, _bad_input_types()):
        for line in str(error).splitlines():
            print(line, file=sys.stderr)
        return BAD_INPUT
    if command == "validate":
        print(f"internal error while validating: {type(error).__name__}: {error}", file=sys.stderr)
        return INTERNAL
    traceback.print_exception(error)
    print("internal error (please report it with the lines above)", file=sys.stderr)
    return INTERNAL


if __name__ == "__main__":
    sys.exit(main())
