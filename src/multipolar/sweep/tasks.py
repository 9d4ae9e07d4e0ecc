"""What a worker does: run a chunk of model runs and write their results as one task.

This module is imported on the workers. It keeps, per worker process, what does not change
between runs (the backend object with its compiled kernels; the geography rasters, memoised
by the model; the models as built, per scenario, in :mod:`multipolar.sweep.reuse`), so a
short run costs little more than its own steps.
A run that raises is recorded as failed with its message and the task goes on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import functools
import hashlib
import os
import pickle
import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from multipolar.sweep.layout import FIELDS, RECORDS, atomic_write, current_attempt, part_path
from multipolar.sweep.plan import PlannedRun, column_value

__all__ = [
    "RECORD_SCHEMA",
    "SupersededError",
    "RunContext",
    "RunOutput",
    "TaskSpec",
    "run_one",
    "run_task",
    "shared_base",
]

RECORD_SCHEMA = {
    "run_id": pl.String,
    "status": pl.String,
    "error": pl.String,
    "seconds": pl.Float64,
    "steps_s": pl.Float64,
    "worker": pl.String,
    "backend": pl.String,
    "task": pl.String,
    "finished": pl.String,
}
_MAX_ERROR = 2000


class SupersededError(RuntimeError):
    """A newer driver took over the sweep folder; this task's results were discarded."""


@dataclass(frozen=True)
class RunContext:
    """What every run of a sweep shares: the base scenario, length, backend and outputs.

    With ``base_file`` (the base scenario pickled in the sweep folder, and the SHA-256 of
    that file as ``base_digest``) a pickled context names the file instead of carrying the
    scenario: a task sent to a worker is then a few kB rather than 65, and a worker reads
    the file once per sweep (:func:`shared_base`). Unpickled, the context holds the scenario
    again.
    """

    base: Any  # multipolar.config.Scenario; typed loosely so this module imports cheaply
    months: int
    backend: str
    tables: tuple[str, ...]
    metrics: tuple[str, ...]
    fields: bool
    param_dtypes: tuple[tuple[str, str], ...]
    base_file: str | None = None
    base_digest: str | None = None

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        state = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if self.base_file is not None:
            state["base"] = None
        return (_rebuild_context, (state,))


def _rebuild_context(state: dict[str, Any]) -> RunContext:
    if state["base"] is None and state["base_file"] is not None:
        state = {**state, "base": shared_base(state["base_file"], state["base_digest"])}
    return RunContext(**state)


_bases: dict[str, Any] = {}
_bases_lock = threading.Lock()


def shared_base(path: str, digest: str) -> Any:
    """The scenario pickled at ``path``, read once per process and kept by its digest.

    Raises:
        OSError: the file cannot be read.
        ValueError: the file is not the one the driver wrote (its digest differs).
    """
    with _bases_lock:
        known = _bases.get(digest)
    if known is not None:
        return known
    data = Path(path).read_bytes()
    if hashlib.sha256(data).hexdigest() != digest:
        raise ValueError(f"{path}: not the base scenario of this sweep (its digest differs)")
    base = pickle.loads(data)
    with _bases_lock:
        if len(_bases) >= 8:
            _bases.clear()
        return _bases.setdefault(digest, base)


@dataclass(frozen=True)
class TaskSpec:
    """A chunk of runs and where to write them."""

    out: str
    task_id: str
    context: RunContext
    runs: tuple[PlannedRun, ...]
    attempt: str


@functools.cache
def _backend(name: str) -> Any:
    from multipolar.kernels import get_backend

    return get_backend(name)


def _worker_name() -> str:
    if "distributed" in sys.modules:
        try:
            from distributed import get_worker

            return str(get_worker().address)
        except ValueError:
            pass
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class RunOutput:
    """One finished run: its tables, final fields (if kept), backend and stepping time."""

    tables: dict[str, pl.DataFrame]
    fields: np.ndarray | None
    backend: str
    steps_s: float


def run_one(context: RunContext, run: PlannedRun) -> RunOutput:
    """Run one model and return what the sweep keeps of it.

    Raises:
        NonFiniteError: a quantity became NaN or infinite (checked every month, so a
            run that blows up stops there).
        ValueError: a metric pattern matches no column of the model table.
    """
    from multipolar.guards import FiniteGuard
    from multipolar.io import model_tables
    from multipolar.sweep.reuse import new_model

    model = new_model(context.base, run.params, run.seed, _backend(context.backend))
    guard = FiniteGuard()
    guard.check(model)
    start = time.perf_counter()
    for _ in range(context.months):
        model.step()
        guard.check(model)
    steps_s = time.perf_counter() - start
    kept = model_tables(model, context.tables)
    if "model" in kept:
        kept["model"] = _keep_metrics(kept["model"], context.metrics)
    fields = np.array(model.field.to_host()) if context.fields else None
    return RunOutput(kept, fields, model.backend.name, steps_s)


def _keep_metrics(frame: pl.DataFrame, patterns: tuple[str, ...]) -> pl.DataFrame:
    if not patterns:
        return frame
    index = [c for c in ("step", "date") if c in frame.columns]
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(c, pattern) for c in frame.columns):
            raise ValueError(f"metric pattern {pattern!r} matches no model column")
    kept = [
        c
        for c in frame.columns
        if c not in index and any(fnmatch.fnmatchcase(c, p) for p in patterns)
    ]
    return frame.select(*index, *kept)


def _with_run_columns(
    frame: pl.DataFrame, run: PlannedRun, dtypes: tuple[tuple[str, str], ...]
) -> pl.DataFrame:
    values = run.values()
    columns = [
        pl.lit(run.run_id, pl.String).alias("run_id"),
        pl.lit(run.replicate, pl.Int64).alias("replicate"),
        pl.lit(run.seed, pl.Int64).alias("seed"),
        *(
            pl.lit(column_value(values[key], dtype), getattr(pl, dtype)).alias(key)
            for key, dtype in dtypes
        ),
    ]
    return frame.select(*columns, pl.all())


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or "(no message)"
    return f"{type(error).__name__}: {text}"[:_MAX_ERROR]


def run_task(task: TaskSpec) -> list[dict[str, Any]]:
    """Run a task's runs, write its files (records last) and return its run records."""
    context = task.context
    out = Path(task.out)
    worker = _worker_name()
    collected: dict[str, list[pl.DataFrame]] = {name: [] for name in context.tables}
    fields: dict[str, np.ndarray] = {}
    records: list[dict[str, Any]] = []
    for run in task.runs:
        start = time.perf_counter()
        record: dict[str, Any] = {"run_id": run.run_id, "worker": worker, "task": task.task_id}
        try:
            output = run_one(context, run)
        except Exception as error:  # noqa: BLE001 - a failed run is recorded, the task goes on
            record.update(
                status="failed", error=_one_line(error), backend=context.backend, steps_s=None
            )
        else:
            for name, frame in output.tables.items():
                collected[name].append(_with_run_columns(frame, run, context.param_dtypes))
            if output.fields is not None:
                fields[run.run_id] = output.fields
            record.update(status="ok", error=None, backend=output.backend, steps_s=output.steps_s)
        record["seconds"] = time.perf_counter() - start
        record["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        records.append(record)
    _check_attempt(out, task)
    written = _write(out, task.task_id, collected, fields)
    frame = pl.DataFrame(records, schema=RECORD_SCHEMA)
    try:
        _check_attempt(out, task)
    except SupersededError:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    atomic_write(part_path(out, RECORDS, task.task_id), frame.write_parquet)
    return records


def _check_attempt(out: Path, task: TaskSpec) -> None:
    if current_attempt(out) != task.attempt:
        raise SupersededError(f"{out}: a newer driver took over; task {task.task_id} discarded")


def _write(
    out: Path, task_id: str, collected: dict[str, list[pl.DataFrame]], fields: dict[str, Any]
) -> list[Path]:
    written = []
    for name, frames in collected.items():
        if frames:
            table = pl.concat(frames, how="diagonal_relaxed")
            written.append(atomic_write(part_path(out, name, task_id), table.write_parquet))
    if fields:
        written.append(
            atomic_write(part_path(out, FIELDS, task_id), lambda path: _save_npz(path, fields))
        )
    return written


def _save_npz(path: Path, arrays: dict[str, Any]) -> None:
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **arrays)
