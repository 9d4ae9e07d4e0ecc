"""The driver: plan a sweep, hand chunks of runs to any executor, keep the run index.

The core speaks only ``concurrent.futures``: ``executor.submit(fn, task)`` and the futures
it returns. Dask's ``Client.get_executor()`` (what ``multipolar sweep`` uses), a
``ProcessPoolExecutor`` or ``mpi4py.futures.MPIPoolExecutor`` all fit. Results go from the
workers straight to the output folder; the driver receives only each task's small run
records, and keeps a bounded number of tasks in flight, so its memory does not grow with
the results.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import hashlib
import json
import math
import os
import pickle
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from tqdm import tqdm

from multipolar.sweep.index import scan, write_index
from multipolar.sweep.layout import (
    ATTEMPT,
    BASE,
    MANIFEST,
    PLAN,
    atomic_write,
    remove_temporaries,
)
from multipolar.sweep.plan import Plan, PlannedRun, build_plan, parameter_dtypes
from multipolar.sweep.spec import Sweep, SweepInputError
from multipolar.sweep.tasks import RunContext, TaskSpec, run_task

__all__ = ["SweepSummary", "chunk_size", "execute_sweep"]

INDEX_EVERY_S = 2.0
MAX_RUNS_PER_TASK = 100
TARGET_TASK_S = 4.0
TASKS_PER_WORKER = 4


@dataclass(frozen=True)
class SweepSummary:
    """How a sweep went: where, how many runs in all, done before, run now, failed."""

    out: Path
    total: int
    already_done: int
    ran: int
    failed: int
    seconds: float

    def line(self) -> str:
        """A one-line summary for the terminal."""
        text = (
            f"sweep: {self.ran} runs in {self.seconds:.1f} s"
            f" ({self.already_done} of {self.total} already complete)"
        )
        if self.failed:
            text += f"; {self.failed} failed (see {self.out / 'runs.parquet'})"
        return text


def chunk_size(pending: int, workers: int, mean_run_s: float | None = None) -> int:
    """Runs in the next task: long enough to make Dask's cost negligible, short enough to share.

    A task should last about ``TARGET_TASK_S`` seconds (Dask's few milliseconds per task are
    then well under 1 %, and its files are not tiny), but the remaining runs should still
    make about ``TASKS_PER_WORKER`` tasks per worker, so that the last tasks spread over the
    workers and a lost worker's task is cheap to redo. Before any run has finished
    (``mean_run_s`` None) a task holds one run, to measure.
    """
    if mean_run_s is None:
        return 1
    by_time = math.ceil(TARGET_TASK_S / max(mean_run_s, 1e-3))
    by_share = math.ceil(pending / max(1, workers * TASKS_PER_WORKER))
    return max(1, min(MAX_RUNS_PER_TASK, by_time, by_share))


class _Chunker:
    """Cuts the pending runs into tasks, sizing each from the run times seen so far."""

    def __init__(self, runs: Sequence[PlannedRun], workers: int, fixed: int | None) -> None:
        self.runs = runs
        self.next_run = 0
        self.workers = workers
        self.fixed = fixed
        self.seconds = 0.0
        self.timed = 0

    def observe(self, records: Sequence[dict[str, Any]]) -> None:
        """Learn run times from a finished task's records."""
        for record in records:
            if record.get("seconds") is not None:
                self.seconds += record["seconds"]
                self.timed += 1

    def take(self) -> tuple[PlannedRun, ...]:
        """The runs of the next task (empty when none are left)."""
        remaining = len(self.runs) - self.next_run
        mean = self.seconds / self.timed if self.timed else None
        size = self.fixed or chunk_size(remaining, self.workers, mean)
        chunk = tuple(self.runs[self.next_run : self.next_run + size])
        self.next_run += len(chunk)
        return chunk


def _fingerprint(sweep: Sweep) -> str:
    resolved = sweep.resolved()
    resolved.pop("runs_per_task", None)
    text = json.dumps(
        {"sweep": resolved, "base": sweep.base.model_dump(mode="json")}, sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _versions() -> dict[str, str]:
    from multipolar.io import package_versions

    versions = package_versions()
    for name in ("dask", "distributed", "SALib"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _manifest(sweep: Sweep, plan: Plan) -> dict[str, Any]:
    from multipolar.io import _git_revision  # one git lookup for run and sweep manifests

    return {
        "fingerprint": _fingerprint(sweep),
        "source": sweep.source,
        "sweep": sweep.resolved(),
        "base_scenario": sweep.base.model_dump(mode="json"),
        "runs": len(plan.runs),
        "points": int(plan.points["point"].max() + 1) if plan.points.height else 0,
        "parameter_dtypes": parameter_dtypes(sweep),
        "versions": _versions(),
        "git_revision": _git_revision(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _prepare(out: Path, sweep: Sweep, plan: Plan, resume: bool) -> None:
    """Check ``out`` against the sweep, then write the manifest and the plan when new."""
    manifest_path = out / MANIFEST
    if manifest_path.exists():
        if not resume:
            raise SweepInputError(
                out, "already holds a sweep; pass --resume to complete it or choose another --out"
            )
        try:
            old = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise SweepInputError(manifest_path, f"unreadable: {error}") from None
        if old.get("fingerprint") != _fingerprint(sweep):
            raise SweepInputError(
                out,
                "holds a different sweep (the sweep file, its scenario or --steps/--set "
                "changed); choose another --out",
            )
        return
    if out.exists() and not out.is_dir():
        raise SweepInputError(out, "exists and is not a folder")
    if out.exists() and any(out.iterdir()):
        raise SweepInputError(out, "exists and is not a sweep folder")
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / PLAN, plan.points.write_parquet)
    text = json.dumps(_manifest(sweep, plan), indent=2) + "\n"
    atomic_write(manifest_path, lambda p: p.write_text(text, encoding="utf-8"))


def _task_id(runs: Sequence[PlannedRun], attempt: str) -> str:
    """A digest of the task's runs and of the driver's token.

    Dask's retry of a task (a lost worker) writes under the same name and replaces its
    files; a task of another driver never shares a name, so it can never replace or remove
    this driver's files.
    """
    text = attempt + ":" + ",".join(sorted(r.run_id for r in runs))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _context(sweep: Sweep, out: Path) -> RunContext:
    """What the runs share; the base scenario also pickled once in ``out``, for the workers."""
    data = pickle.dumps(sweep.base, protocol=pickle.HIGHEST_PROTOCOL)
    base_file = atomic_write(out / BASE, lambda path: path.write_bytes(data))
    outputs = sweep.settings.outputs
    return RunContext(
        base=sweep.base,
        months=sweep.settings.months,
        backend=sweep.settings.backend,
        tables=sweep.tables,
        metrics=outputs.metrics,
        fields=outputs.fields,
        param_dtypes=tuple(parameter_dtypes(sweep).items()),
        base_file=str(base_file),
        base_digest=hashlib.sha256(data).hexdigest(),
    )


def _lost(task: TaskSpec, error: BaseException) -> list[dict[str, Any]]:
    """Records for the runs of a task that did not come back at all."""
    message = f"task lost: {type(error).__name__}: {' '.join(str(error).split())}"[:2000]
    now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    return [
        {
            "run_id": r.run_id,
            "status": "failed",
            "error": message,
            "seconds": None,
            "steps_s": None,
            "worker": None,
            "backend": task.context.backend,
            "task": task.task_id,
            "finished": now,
        }
        for r in task.runs
    ]


def execute_sweep(
    sweep: Sweep,
    executor: cf.Executor,
    out: Path,
    *,
    resume: bool = False,
    workers: int | None = None,
    progress: bool | None = None,
) -> SweepSummary:
    """Run every run of ``sweep`` that ``out`` does not already hold, on ``executor``.

    Args:
        sweep: the validated sweep.
        executor: any ``concurrent.futures``-style executor whose workers can import
            multipolar and write to ``out``.
        out: the sweep folder (created; must be new unless ``resume``).
        resume: complete the sweep already in ``out`` (it must be the same sweep).
        workers: how many workers the executor has, to size the tasks; default: the
            executor's ``_max_workers`` or the number of CPUs.
        progress: show a progress bar; default: when stderr is a terminal.

    Raises:
        SweepInputError: ``out`` holds something else, or another sweep.
    """
    start = time.perf_counter()
    out = Path(out)
    plan = build_plan(sweep)
    _prepare(out, sweep, plan, resume)
    dtypes = parameter_dtypes(sweep)
    attempt = uuid.uuid4().hex
    atomic_write(out / ATTEMPT, lambda p: p.write_text(attempt, encoding="utf-8"))
    remove_temporaries(out)
    records = scan(out, sweep.tables, sweep.settings.outputs.fields)
    done = {rid for rid, rec in records.items() if rec["status"] == "ok"}
    pending = [r for r in plan.runs if r.run_id not in done]
    n_workers = workers or getattr(executor, "_max_workers", None) or os.cpu_count() or 1
    chunker = _Chunker(pending, n_workers, sweep.settings.runs_per_task)
    context = _context(sweep, out)
    write_index(out, plan, records, dtypes)
    show = sys.stderr.isatty() if progress is None else progress
    failed = 0
    window = max(2, 2 * n_workers)
    in_flight: dict[cf.Future[list[dict[str, Any]]], TaskSpec] = {}
    last_index = time.monotonic()
    with tqdm(
        total=len(pending), disable=not show, unit="run", desc=sweep.settings.name, file=sys.stderr
    ) as bar:
        bar.set_postfix_str("failed 0", refresh=False)
        try:
            _fill(executor, chunker, in_flight, window, (str(out), context, attempt))
            while in_flight:
                finished, _ = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
                for future in finished:
                    task = in_flight.pop(future)
                    try:
                        results = future.result()
                    except Exception as error:  # noqa: BLE001 - a lost task fails its runs only
                        results = _lost(task, error)
                    chunker.observe(results)
                    for record in results:
                        records[record["run_id"]] = record
                    failed += sum(r["status"] != "ok" for r in results)
                    bar.set_postfix_str(f"failed {failed}", refresh=False)
                    bar.update(len(results))
                _fill(executor, chunker, in_flight, window, (str(out), context, attempt))
                if time.monotonic() - last_index >= INDEX_EVERY_S:
                    write_index(out, plan, records, dtypes)
                    last_index = time.monotonic()
        finally:
            for future in in_flight:
                future.cancel()
            write_index(out, plan, records, dtypes)
    return SweepSummary(
        out=out,
        total=len(plan.runs),
        already_done=len(plan.runs) - len(pending),
        ran=len(pending),
        failed=failed,
        seconds=time.perf_counter() - start,
    )


def _fill(
    executor: cf.Executor,
    chunker: _Chunker,
    in_flight: dict[cf.Future[list[dict[str, Any]]], TaskSpec],
    window: int,
    where: tuple[str, RunContext, str],
) -> None:
    out, context, attempt = where
    while len(in_flight) < window:
        chunk = chunker.take()
        if not chunk:
            return
        task = TaskSpec(out, _task_id(chunk, attempt), context, chunk, attempt)
        in_flight[executor.submit(run_task, task)] = task
