"""Run one scenario to a run directory, with a progress bar and timings."""

from __future__ import annotations

import datetime as dt
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from multipolar.config import Scenario
from multipolar.io import write_run
from multipolar.model import MultipolarModel

__all__ = ["RunResult", "default_out_dir", "run_scenario"]


@dataclass(frozen=True)
class RunResult:
    """Where a run's outputs are, and how long its parts took."""

    out_dir: Path
    model: MultipolarModel
    setup_s: float
    steps_s: float


def default_out_dir(scenario: Scenario) -> Path:
    """``runs/<scenario>-<UTC timestamp>`` under the current directory."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{scenario.name}-{stamp}"


def run_scenario(
    scenario: Scenario,
    backend: str = "auto",
    steps: int | None = None,
    out: Path | None = None,
    progress: bool | None = None,
) -> RunResult:
    """Build the model, run ``steps`` months (default: the whole scenario) and write the outputs.

    Args:
        scenario: the validated scenario.
        backend: diffusion backend name.
        steps: months to run; at most the scenario's length.
        out: run directory to create (must not exist); default :func:`default_out_dir`.
        progress: show a progress bar; default: when stderr is a terminal.
    """
    out = out or default_out_dir(scenario)
    if out.exists():
        raise FileExistsError(f"{out} already exists; choose another --out")
    start = time.perf_counter()
    model = MultipolarModel(scenario=scenario, backend=backend)
    setup = time.perf_counter() - start
    total = model.n_steps if steps is None else steps
    if not 0 <= total <= model.n_steps:
        raise ValueError(f"--steps must lie in 0..{model.n_steps} for this scenario")
    show = sys.stderr.isatty() if progress is None else progress
    start = time.perf_counter()
    with tqdm(
        total=total, disable=not show, unit="month", desc=scenario.name, file=sys.stderr
    ) as bar:
        for _ in range(total):
            model.step()
            bar.set_postfix_str(model.date.isoformat(), refresh=False)
            bar.update()
    elapsed = time.perf_counter() - start
    write_run(model, out, extra={"setup_s": round(setup, 3), "steps_s": round(elapsed, 3)})
    return RunResult(out, model, setup, elapsed)
