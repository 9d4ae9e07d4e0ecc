"""The notebook API: run a sweep, load its results."""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from multipolar.sweep.execute import SweepSummary, execute_sweep
from multipolar.sweep.spec import OPTIONAL_TABLES, Sweep, load_sweep

__all__ = ["TABLES", "default_out_dir", "load", "run_sweep", "sweep_summary"]

TABLES = ("model", *OPTIONAL_TABLES)


def default_out_dir(sweep: Sweep) -> Path:
    """``sweeps/<name>`` under the current directory."""
    return Path("sweeps") / sweep.settings.name


def sweep_summary(
    sweep: Sweep | str | Path,
    executor: cf.Executor | None = None,
    *,
    out: str | Path | None = None,
    resume: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    overrides: Sequence[str] = (),
    progress: bool | None = None,
) -> SweepSummary:
    """Like :func:`run_sweep`, returning the :class:`SweepSummary` (runs done, failed)."""
    if not isinstance(sweep, Sweep):
        sweep = load_sweep(sweep, tuple(overrides))
    target = Path(out) if out is not None else default_out_dir(sweep)
    if executor is not None:
        return execute_sweep(
            sweep, executor, target, resume=resume, workers=workers, progress=progress
        )
    from multipolar.sweep.cluster import dask_executor

    with dask_executor(workers, scheduler, sweep.settings.backend) as (dask, connected):
        # workers still starting (SLURM jobs in the queue) count when the caller expects them
        n_workers = max(connected, workers or 0)
        return execute_sweep(
            sweep, dask, target, resume=resume, workers=n_workers, progress=progress
        )


def run_sweep(
    sweep: Sweep | str | Path,
    executor: cf.Executor | None = None,
    *,
    out: str | Path | None = None,
    resume: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    overrides: Sequence[str] = (),
    progress: bool | None = None,
) -> Path:
    """Run a sweep and return its output folder.

    Args:
        sweep: a sweep file (or bundled sweep name) or a loaded :class:`Sweep`.
        executor: any ``concurrent.futures``-style executor; None runs on Dask: an embedded
            ``LocalCluster`` with ``workers`` processes, or the cluster at ``scheduler``. A
            ``ProcessPoolExecutor`` needs the ``spawn`` (or ``forkserver``) context: forking
            a process that runs Polars' or Numba's threads can hang.
        out: the output folder (default ``sweeps/<name>``).
        resume: complete the sweep already in ``out``.
        workers: worker processes of the embedded cluster (default: one per core); with
            ``scheduler``, the workers to size tasks for (default: those connected at start).
        scheduler: address of an existing Dask scheduler, e.g. ``tcp://host:8786``.
        overrides: extra ``dotted.key=value`` scenario overrides for every run.
        progress: show a progress bar (default: when stderr is a terminal).

    Failed runs do not raise: they are listed in ``runs.parquet`` with their errors.
    """
    return sweep_summary(
        sweep,
        executor,
        out=out,
        resume=resume,
        workers=workers,
        scheduler=scheduler,
        overrides=overrides,
        progress=progress,
    ).out


def load(out_dir: str | Path, table: str = "model") -> pl.LazyFrame:
    """A LazyFrame over one table of every completed run of a sweep.

    Args:
        out_dir: the sweep's output folder.
        table: ``model`` (default), or ``states``, ``basins``, ``events`` when kept.

    Raises:
        ValueError: ``table`` is not one of the sweep tables.
        FileNotFoundError: the sweep kept no such table, or no run has completed yet.
    """
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; choose from {', '.join(TABLES)}")
    folder = Path(out_dir) / table
    if not any(folder.glob("part-*.parquet")):
        raise FileNotFoundError(f"{folder}: no results (table not kept, or no run completed)")
    return pl.scan_parquet(folder / "part-*.parquet")
