"""Where a sweep's files live, and how each is written so that readers never see half a file.

::

    OUT/sweep.json              the resolved sweep, base scenario, versions, git revision
    OUT/plan.parquet            point, replicate -> run_id (the sampler's order)
    OUT/runs.parquet            the run index: one row per run, refreshed as tasks finish
    OUT/model/part-<task>.parquet   one file per task: every run's monthly model table
    OUT/states|basins|events/part-<task>.parquet   on request
    OUT/fields/part-<task>.npz  the final fields on request, one array per run id
    OUT/records/part-<task>.parquet  the task's run records, written last
    OUT/.attempt                the token of the driver now in charge
    OUT/.base.pkl               the base scenario, pickled once: tasks name it, not carry it

A task's files are written under hidden temporary names and renamed into place; its record
file is renamed last, so a task is complete exactly when its record file exists and every
data file it names does. Readers globbing ``*.parquet`` never see a temporary file.

Each driver writes a fresh token to ``.attempt``; a task checks it before writing and again
just before renaming its record file, and discards its files when a newer driver has taken
over. So tasks left running on a cluster by an interrupted driver do not write runs that a
resumed sweep runs again.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "ATTEMPT",
    "BASE",
    "FIELDS",
    "INDEX",
    "MANIFEST",
    "PLAN",
    "RECORDS",
    "atomic_write",
    "current_attempt",
    "part_name",
    "part_path",
    "remove_temporaries",
]

ATTEMPT = ".attempt"
BASE = ".base.pkl"
MANIFEST = "sweep.json"
PLAN = "plan.parquet"
INDEX = "runs.parquet"
RECORDS = "records"
FIELDS = "fields"
_TMP_SUFFIX = ".tmp"


def part_name(task_id: str) -> str:
    """The file stem shared by a task's files."""
    return f"part-{task_id}"


def part_path(out: Path, folder: str, task_id: str) -> Path:
    """Path of a task's file in ``folder`` (a table name, ``records`` or ``fields``)."""
    suffix = ".npz" if folder == FIELDS else ".parquet"
    return out / folder / f"{part_name(task_id)}{suffix}"


def atomic_write(target: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write`` on a hidden temporary sibling of ``target``, then rename it into place.

    A rerun of the same task (a worker lost after writing) replaces the file whole.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".{target.name}.{uuid.uuid4().hex}{_TMP_SUFFIX}"
    try:
        write(temporary)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def remove_temporaries(out: Path) -> int:
    """Delete temporary files left by interrupted writes; return how many."""
    removed = 0
    for path in out.glob(f"**/.*{_TMP_SUFFIX}"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def current_attempt(out: Path) -> str | None:
    """The token of the driver in charge of ``out`` (None if unreadable)."""
    try:
        return (out / ATTEMPT).read_text(encoding="utf-8").strip()
    except OSError:
        return None
