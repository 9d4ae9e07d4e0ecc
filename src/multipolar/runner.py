"""Run one scenario to a run directory: checked output, signals, finite checks, checkpoints.

The output location is claimed before the model is built (a bad ``--out`` costs nothing),
every step's recorded values are checked for NaN and infinity, SIGINT and SIGTERM stop the
run at a step boundary, and long runs write checkpoints from which ``--resume`` continues
with outputs bitwise identical to an uninterrupted run's.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from multipolar.checkpoint import load_checkpoint, save_checkpoint
from multipolar.config import Scenario
from multipolar.guards import FiniteGuard
from multipolar.interrupts import Interrupted, SignalGuard
from multipolar.io import RunFolder, default_out_dir, fill_run
from multipolar.model import MultipolarModel

__all__ = [
    "AUTO_CHECKPOINT_S",
    "RunResult",
    "RunSettings",
    "default_out_dir",
    "resume_run",
    "run_scenario",
]

# With no --checkpoint-every, a checkpoint is written whenever this many seconds have passed
# since the last one, so only runs longer than a few minutes pay for checkpoints.
AUTO_CHECKPOINT_S = 120.0
SPINUP_MONTHS = 24


@dataclass(frozen=True)
class RunResult:
    """Where a run's outputs are, and how long its parts took."""

    out_dir: Path
    model: MultipolarModel
    setup_s: float
    steps_s: float
    notes: tuple[str, ...] = ()
    resumed_from: int | None = None


@dataclass
class RunSettings:
    """What a run needs to continue after a resume (saved with each checkpoint)."""

    total: int
    seed: int
    force: bool = False
    checkpoint_every: int | None = None
    setup_s: float = 0.0
    steps_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def run_scenario(
    scenario: Scenario,
    backend: str = "auto",
    steps: int | None = None,
    out: Path | None = None,
    progress: bool | None = None,
    *,
    seed: int | None = None,
    force: bool = False,
    checkpoint_every: int | None = None,
    spinup_months: int = SPINUP_MONTHS,
) -> RunResult:
    """Build the model, run ``steps`` months (default: the whole scenario) and write the outputs.

    Args:
        scenario: the validated scenario.
        backend: diffusion backend name.
        steps: months to run; at most the scenario's length.
        out: run directory to create; default :func:`~multipolar.io.default_out_dir`.
        progress: show a progress bar; default: when stderr is a terminal.
        seed: the random seed; default the scenario's ``run.seed``.
        force: replace an existing ``out``.
        checkpoint_every: write a checkpoint every this many months (0: never); default:
            every :data:`AUTO_CHECKPOINT_S` seconds of running.
        spinup_months: months of diffusion before step 0 (recorded in the manifest).

    Raises:
        OutputError: the output location cannot be used (before any work is done).
        NonFiniteError: a quantity became NaN or infinite (nothing is written).
        Interrupted: SIGINT or SIGTERM (a checkpoint, if any, is kept for ``--resume``).
    """
    folder, notes = RunFolder.claim(out or default_out_dir(scenario.name), force=force)
    used_seed = scenario.run.seed if seed is None else seed
    with SignalGuard() as signals:
        try:
            start = time.perf_counter()
            with signals.held():
                model = MultipolarModel(
                    scenario=scenario, backend=backend, rng=used_seed, spinup_months=spinup_months
                )
            total = model.n_steps if steps is None else steps
            if not 0 <= total <= model.n_steps:
                raise ValueError(f"--steps must lie in 0..{model.n_steps} for this scenario")
            settings = RunSettings(
                total=total,
                seed=used_seed,
                force=force,
                checkpoint_every=checkpoint_every,
                setup_s=time.perf_counter() - start,
                extra={"spinup_months": spinup_months},
            )
            return _continue(model, folder, settings, signals, progress, tuple(notes), None)
        except BaseException as error:
            _leave(folder, error)
            raise


def resume_run(run_dir: Path, progress: bool | None = None) -> RunResult:
    """Continue an interrupted run from its last checkpoint, to the same outputs.

    Raises:
        OutputError: ``run_dir`` names no interrupted run with a checkpoint.
    """
    folder = RunFolder.reopen(run_dir)
    with SignalGuard() as signals:
        try:
            with signals.held():
                model, settings = load_checkpoint(folder.partial)
            return _continue(model, folder, settings, signals, progress, (), model.steps)
        except BaseException as error:
            _leave(folder, error)
            raise


def _leave(folder: RunFolder, error: BaseException) -> None:
    """Clean up after a run that did not finish: keep a checkpoint only for an interrupt."""
    if isinstance(error, Interrupted | KeyboardInterrupt) and folder.has_checkpoint():
        folder.release()
        error.resume_hint = (  # type: ignore[union-attr]
            f"the last checkpoint is kept: continue with `multipolar run --resume {folder.target}`"
        )
    else:
        folder.discard()


def _continue(
    model: MultipolarModel,
    folder: RunFolder,
    settings: RunSettings,
    signals: SignalGuard,
    progress: bool | None,
    notes: tuple[str, ...],
    resumed_from: int | None,
) -> RunResult:
    guard = FiniteGuard()
    guard.check(model)
    show = sys.stderr.isatty() if progress is None else progress
    start = last_checkpoint = time.perf_counter()
    done = model.steps
    with tqdm(
        total=settings.total,
        initial=done,
        disable=not show,
        unit="month",
        desc=model.spec.name,
        file=sys.stderr,
    ) as bar:
        while model.steps < settings.total:
            with signals.held():
                model.step()
            guard.check(model)
            bar.set_postfix_str(model.date.isoformat(), refresh=False)
            bar.update()
            now = time.perf_counter()
            if model.steps < settings.total and _checkpoint_due(
                settings, model.steps, now - last_checkpoint
            ):
                settings.steps_s += now - start
                start = now
                with signals.held():
                    save_checkpoint(folder.partial, model, settings)
                last_checkpoint = time.perf_counter()
    settings.steps_s += time.perf_counter() - start
    guard.check_fields(model)
    extra = {
        **settings.extra,
        "seed": settings.seed,
        "setup_s": round(settings.setup_s, 3),
        "steps_s": round(settings.steps_s, 3),
    }
    if resumed_from is not None:
        extra["resumed_from_step"] = resumed_from
    # the files are written un-held (a signal aborts the write: no complete-looking folder),
    # the final renames shielded (a signal then finds the run finished and its folder whole)
    out = folder.finish(
        lambda path: fill_run(model, path, extra), force=settings.force, critical=signals.shielded
    )
    if signals.pending is not None:
        notes = (
            *notes,
            "note: a signal arrived as the outputs were put in place; they are complete",
        )
    return RunResult(out, model, settings.setup_s, settings.steps_s, notes, resumed_from)


def _checkpoint_due(settings: RunSettings, step: int, since_s: float) -> bool:
    every = settings.checkpoint_every
    if every is None:
        return since_s >= AUTO_CHECKPOINT_S
    return every > 0 and step % every == 0
