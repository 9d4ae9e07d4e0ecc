"""The run index: which runs are complete, and ``runs.parquet`` listing every run's state.

The truth is on disk: a task is complete when its record file exists and every data file it
needs does (see :mod:`multipolar.sweep.layout`). :func:`scan` reads the record files, deletes
what incomplete or orphaned tasks left behind (so a rerun never duplicates a run in the
dataset), and returns the latest record of each run. The driver keeps these small records in
memory and rewrites ``runs.parquet`` from them as tasks finish.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from multipolar.sweep.layout import FIELDS, INDEX, RECORDS, atomic_write, part_path
from multipolar.sweep.plan import Plan, column_value
from multipolar.sweep.tasks import RECORD_SCHEMA

__all__ = ["scan", "write_index"]


def _data_folders(tables: Iterable[str], fields: bool) -> list[str]:
    return [*tables, *([FIELDS] if fields else [])]


def scan(out: Path, tables: Iterable[str], fields: bool) -> dict[str, dict[str, Any]]:
    """Latest record per run id from the complete tasks in ``out``; clean up the rest.

    A task whose record file exists but one of whose data files is missing (deleted by
    hand, say) is removed whole, so its runs count as not done and rerun into a new task.
    Data files of tasks without a record file (a worker or the driver died mid-task) are
    removed too.
    """
    folders = _data_folders(tables, fields)
    records: dict[str, dict[str, Any]] = {}
    complete: set[str] = set()
    for path in sorted((out / RECORDS).glob("part-*.parquet")):
        task_id = path.stem.removeprefix("part-")
        try:
            frame = pl.read_parquet(path)
        except (OSError, pl.exceptions.PolarsError):
            frame = None
        ok = frame is not None and (frame["status"] == "ok").any()
        needed = [part_path(out, f, task_id) for f in folders] if ok else []
        if frame is None or not all(p.exists() for p in needed):
            _remove_task(out, task_id, folders)
            continue
        complete.add(task_id)
        for record in frame.iter_rows(named=True):
            _keep_latest(records, record)
    for folder in folders:
        for path in (out / folder).glob("part-*"):
            if path.stem.removeprefix("part-") not in complete:
                path.unlink(missing_ok=True)
    return records


def _keep_latest(records: dict[str, dict[str, Any]], record: dict[str, Any]) -> None:
    """An ok record wins over a failed one; among equals, the later one."""
    old = records.get(record["run_id"])
    if old is None or (record["status"] == "ok", record["finished"]) >= (
        old["status"] == "ok",
        old["finished"],
    ):
        records[record["run_id"]] = record


def _remove_task(out: Path, task_id: str, folders: Iterable[str]) -> None:
    for folder in folders:
        part_path(out, folder, task_id).unlink(missing_ok=True)
    part_path(out, RECORDS, task_id).unlink(missing_ok=True)


def write_index(
    out: Path, plan: Plan, records: Mapping[str, Mapping[str, Any]], dtypes: Mapping[str, str]
) -> Path:
    """Rewrite ``runs.parquet``: every planned run, its parameters and its latest record."""
    names = list(dtypes)
    point = dict(plan.points.group_by("run_id").agg(pl.col("point").min()).iter_rows())
    rows = []
    for run in plan.runs:
        record = records.get(run.run_id, {})
        values = run.values()
        rows.append(
            {
                "run_id": run.run_id,
                "point": point[run.run_id],
                "replicate": run.replicate,
                "seed": run.seed,
                **{name: column_value(values[name], dtypes[name]) for name in names},
                **{k: record.get(k) for k in RECORD_SCHEMA if k != "run_id"},
            }
        )
    schema: dict[str, Any] = {
        "run_id": pl.String,
        "point": pl.Int64,
        "replicate": pl.Int64,
        "seed": pl.Int64,
        **{name: getattr(pl, dtypes[name]) for name in names},
        **{k: t for k, t in RECORD_SCHEMA.items() if k != "run_id"},
    }
    frame = pl.DataFrame(rows, schema=schema)
    frame = frame.with_columns(pl.col("status").fill_null("pending"))
    return atomic_write(out / INDEX, frame.write_parquet)
