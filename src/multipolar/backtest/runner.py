"""Run the history over several seeds, keep every run directory, and score them.

Each seed is an ordinary run (``<out>/seed-<n>/``, the usual layout) of the resolved
scenario with capacities following the yearly record. Seeds run in a process pool.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import polars as pl

from multipolar.backtest.changes import read_changes, scheduled_record
from multipolar.backtest.data import HistoryData
from multipolar.backtest.scorer import Scorecard, score
from multipolar.backtest.series import SeriesCapabilities
from multipolar.backtest.shifts import ShiftResult, score_shifts
from multipolar.config import Scenario, override

__all__ = ["BacktestResult", "run_backtest", "run_one", "scorecard_dict", "write_scorecard"]


@dataclass(frozen=True)
class BacktestResult:
    """A scored set of runs."""

    scenario: str
    mode: str
    seeds: list[int]
    run_dirs: list[Path]
    scorecard: Scorecard
    shifts: list[ShiftResult]


def run_one(job: tuple[Scenario, int, str, Path, dict[str, Any]]) -> Path:
    """Run one seed of a scenario to its run directory (a process-pool task)."""
    from multipolar.io import write_run
    from multipolar.model import MultipolarModel

    scenario, seed, backend, out, extra = job
    scenario = override(scenario, {"run.seed": seed})
    model = MultipolarModel(scenario=scenario, backend=backend)
    capabilities = SeriesCapabilities(scenario)
    capabilities.update(model.date)
    model.world.capabilities = capabilities
    for _ in range(model.n_steps):
        model.step()
    extra = {**extra, "capacity_series_fallbacks": capabilities.fallbacks()}
    return write_run(model, out, extra={"backtest": extra})


def _run_all(
    jobs: list[tuple[Scenario, int, str, Path, dict[str, Any]]], workers: int
) -> list[Path]:
    if workers <= 1 or len(jobs) <= 1:
        return [run_one(job) for job in jobs]
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        return list(pool.map(run_one, jobs))


def run_backtest(
    scenario: Scenario,
    history: HistoryData,
    mode: str,
    seeds: Sequence[int],
    out: Path,
    backend: str = "numba",
    workers: int = 1,
    tolerance_months: float = 24.0,
) -> BacktestResult:
    """Run ``scenario`` (already transformed for ``mode``) once per seed and score the runs."""
    extra = {"mode": mode, "scenario": scenario.name}
    jobs = [(scenario, seed, backend, out / f"seed-{seed}", extra) for seed in seeds]
    run_dirs = _run_all(jobs, workers)
    changes = [read_changes(d) for d in run_dirs]
    states = [pl.read_parquet(d / "states.parquet") for d in run_dirs]
    return BacktestResult(
        scenario=scenario.name,
        mode=mode,
        seeds=list(seeds),
        run_dirs=run_dirs,
        scorecard=score(history.targets, changes, tolerance_months, scheduled_record(scenario)),
        shifts=score_shifts(history.shifts, states),
    )


def scorecard_dict(result: BacktestResult, history: HistoryData) -> dict[str, Any]:
    """The scorecard as plain data (for ``--json`` and ``scorecard.json``)."""
    card = result.scorecard
    return {
        "scenario": result.scenario,
        "mode": result.mode,
        "seeds": result.seeds,
        "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "periods": {name: asdict(p) for name, p in card.periods.items()},
        "targets": [
            {
                "id": t.id,
                "date": t.date.isoformat(),
                "occurred": t.occurred,
                "probability": card.probabilities[t.id],
            }
            for t in history.targets
        ],
        "false_changes": card.false_changes,
        "shifts": [{**asdict(s), "right": s.right} for s in result.shifts],
        "shifts_right": sum(s.right for s in result.shifts),
        "shifts_total": len(result.shifts),
        "run_dirs": [str(d) for d in result.run_dirs],
    }


def write_scorecard(data: dict[str, Any], path: Path) -> None:
    """Write the scorecard as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
