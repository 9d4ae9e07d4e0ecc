"""The run directory (DESIGN §6): Parquet tables, the final fields and a manifest.

Everything is written into a hidden temporary directory next to the target and renamed
into place at the end, so an interrupted run never leaves a directory that looks complete:
a run directory either has all its files, ending with ``manifest.json``, or does not exist.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from multipolar.model import MultipolarModel

__all__ = ["RUN_FILES", "model_tables", "package_versions", "write_atomically", "write_run"]

RUN_FILES = (
    "model.parquet",
    "states.parquet",
    "basins.parquet",
    "events.parquet",
    "fields_final.npz",
    "manifest.json",
)


def _with_dates(frame: pl.DataFrame) -> pl.DataFrame:
    if "date" in frame.columns:
        frame = frame.with_columns(pl.col("date").str.to_date())
    return frame


def model_tables(model: MultipolarModel) -> dict[str, pl.DataFrame]:
    """The model's collected data as Polars tables: model, states, basins and events."""
    collector = model.datacollector
    steps = list(range(len(next(iter(collector.model_vars.values())))))
    tables = {
        "model": _with_dates(pl.DataFrame({"step": steps, **collector.model_vars})),
        "states": _with_dates(pl.DataFrame(collector.tables["states"])),
        "basins": _with_dates(pl.DataFrame(collector.tables["basins"])),
    }
    events = pl.DataFrame(
        [
            {
                "step": a.step,
                "date": a.date,
                "kind": a.kind,
                "subject": a.subject,
                "detail": a.detail,
                "cause": a.cause,
            }
            for a in model.applied
        ],
        schema={
            "step": pl.Int64,
            "date": pl.Date,
            "kind": pl.String,
            "subject": pl.String,
            "detail": pl.String,
            "cause": pl.String,
        },
        orient="row",
    )
    tables["events"] = events
    return tables


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages a run depends on."""
    versions = {"python": platform.python_version()}
    for name in ("multipolar", "mesa", "numpy", "numba", "polars", "pydantic", "shapely", "cupy"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _git_revision() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def write_atomically(target: Path, fill: Callable[[Path], None]) -> Path:
    """Create directory ``target`` by filling a temporary sibling and renaming it into place.

    Raises:
        FileExistsError: ``target`` already exists (nothing is overwritten).
    """
    target = Path(target)
    if target.exists():
        raise FileExistsError(f"{target} already exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        fill(partial)
        os.replace(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return target


def write_run(model: MultipolarModel, out: Path, extra: dict[str, Any] | None = None) -> Path:
    """Write a finished model's run directory to ``out`` (atomically)."""

    def fill(folder: Path) -> None:
        tables = model_tables(model)
        for name, frame in tables.items():
            frame.write_parquet(folder / f"{name}.parquet")
        grid = model.geography.grid
        np.savez_compressed(
            folder / "fields_final.npz",
            fields=model.field.to_host(),
            channels=np.array(model.channels),
            bounds=np.array([grid.lon_min, grid.lon_max, grid.lat_min, grid.lat_max]),
            resolution=np.array(grid.resolution),
        )
        manifest = {
            "scenario": model.spec.model_dump(mode="json"),
            "seed": model.spec.run.seed,
            "backend": model.backend.name,
            "steps": model.steps,
            "substeps": model.substeps,
            "grid_shape": list(model.geography.country.shape),
            "channels": model.channels,
            "imputed_military_share_of_gdp": model.capabilities.imputed_military_share,
            "versions": package_versions(),
            "git_revision": _git_revision(),
            "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "timings_s": {name: round(s, 4) for name, s in model.times.seconds.items()},
            "rows": {name: frame.height for name, frame in tables.items()},
            **(extra or {}),
        }
        (folder / "manifest.json").write_text(
            json.dumps(manifest, indent=2) + "\n", encoding="utf-8"
        )

    return write_atomically(out, fill)
