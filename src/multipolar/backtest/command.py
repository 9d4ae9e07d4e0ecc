"""``multipolar backtest``: what the command does with its arguments."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import polars as pl

from multipolar.backtest.data import load_history
from multipolar.backtest.figure import alignment_figure
from multipolar.backtest.modes import resolve_scenario
from multipolar.backtest.runner import BacktestResult, run_backtest, scorecard_dict, write_scorecard

__all__ = ["render", "run"]


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def render(data: dict) -> str:
    """The scorecard as Markdown (what the command prints and writes)."""
    lines = [
        f"# Backtest scorecard: {data['scenario']}, {data['mode']} mode, "
        f"{len(data['seeds'])} seeds",
        "",
        "| period | Brier | Brier (persistence) | skill | items | real changes | "
        "false changes / seed |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, p in data["periods"].items():
        lines.append(
            f"| {name} | {_fmt(p['brier'])} | {_fmt(p['brier_reference'])} | "
            f"{_fmt(p['brier_skill'])} | {p['n_items']} | {p['n_changes']} | "
            f"{p['false_changes_per_seed']:g} |"
        )
    lines += ["", "| target | date | happened | P(model, ±24 months) |", "|---|---|---|---|"]
    for t in data["targets"]:
        lines.append(
            f"| {t['id']} | {t['date']} | {'yes' if t['occurred'] else 'no'} | "
            f"{t['probability']:.2f} |"
        )
    lines += [
        "",
        f"Alignment shifts in the documented direction: {data['shifts_right']} of "
        f"{data['shifts_total']}",
        "",
        "| shift | direction | mean change | right | share of seeds right |",
        "|---|---|---|---|---|",
    ]
    for s in data["shifts"]:
        lines.append(
            f"| {s['id']} | {s['direction']:+d} | {s['mean_delta']:+.3f} | "
            f"{'yes' if s['right'] else 'no'} | {s['share_of_seeds_right']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def _extends_path(scenario: str) -> str:
    """How the fitted file names its parent: a bundled scenario by name, others absolutely."""
    from multipolar._resources import configs_dir

    source = Path(scenario)
    if not source.exists():
        return scenario
    resolved = source.resolve()
    bundled = configs_dir().resolve()
    return resolved.name if resolved.parent == bundled else str(resolved)


def _calibrated_scenario(args: argparse.Namespace, out: Path, history) -> Path:
    from multipolar.backtest.calibrate import calibrate, write_fit

    scenario = resolve_scenario(args.scenario, "endogenous", history.targets, args.overrides)
    seeds = list(range(1, min(args.seeds, args.search_seeds) + 1))
    fits = calibrate(
        scenario,
        history.targets,
        samples=args.samples,
        seeds=seeds,
        backend=args.backend,
        workers=args.workers,
    )
    best = fits[0]
    (out / "calibration.json").write_text(
        json.dumps([f.__dict__ for f in fits], indent=2) + "\n", encoding="utf-8"
    )
    extends = _extends_path(args.scenario)
    about = {
        "samples": args.samples,
        "seeds per sample": len(seeds),
        "method": "scipy.stats.qmc.LatinHypercube(seed=2005), endogenous mode, 1992-01..2008-01",
    }
    path, fragment = write_fit(best, extends, out, about)
    print(
        f"calibrated on 1992-2007: skill {best.brier_skill}, Brier {best.brier:.4f} "
        f"with {best.values}; wrote {path} and {fragment} (copy it to configs/ to adopt it)"
    )
    return path


def run(args: argparse.Namespace) -> int:
    """Run the backtest; 0 when it ran (whatever the score), 2 on bad arguments."""
    if min(args.seeds, args.samples, args.workers, args.search_seeds) < 1:
        print(
            "--seeds, --samples, --search-seeds and --workers must be at least 1", file=sys.stderr
        )
        return 2
    history = load_history()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    out = args.out or Path("runs") / f"backtest-{stamp}"
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} already exists and is not empty; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    scenario_path = _calibrated_scenario(args, out, history) if args.calibrate else args.scenario
    scenario = resolve_scenario(scenario_path, args.mode, history.targets, args.overrides)
    result: BacktestResult = run_backtest(
        scenario,
        history,
        args.mode,
        list(range(1, args.seeds + 1)),
        out,
        backend=args.backend,
        workers=args.workers,
    )
    data = scorecard_dict(result, history)
    figure = alignment_figure(
        [pl.read_parquet(d / "states.parquet") for d in result.run_dirs],
        history,
        out / "alignment.png",
    )
    data["figure"] = None if figure is None else str(figure)
    write_scorecard(data, out / "scorecard.json")
    if args.json is not None:
        write_scorecard(data, args.json)
    text = render(data)
    (out / "scorecard.md").write_text(text, encoding="utf-8")
    print(text)
    print(f"outputs: {out}" + ("" if figure else " (no figure: matplotlib is not installed)"))
    return 0
