"""Read a run directory (``multipolar run``'s outputs) for the report.

Only the files and the manifest keys the report draws are read, and every table column is
looked up by name, so a run written by an older or newer model still reports what it has.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from multipolar.viz import outlines
from multipolar.viz.maps import MapData, StateMarker

__all__ = ["RunData", "RunDirError", "load_run"]


class RunDirError(ValueError):
    """The folder is not a complete run directory."""


@dataclass(frozen=True)
class RunData:
    """A run directory's tables, manifest and final fields."""

    path: Path
    manifest: dict[str, Any]
    model: pl.DataFrame
    states: pl.DataFrame
    events: pl.DataFrame
    fields: MapData | None

    @property
    def scenario(self) -> dict[str, Any]:
        """The resolved scenario as recorded in the manifest (empty if absent)."""
        return self.manifest.get("scenario") or {}

    @property
    def powers(self) -> list[str]:
        """The great powers, from the fields' channels, else the scenario, else the columns."""
        if self.fields is not None:
            return self.fields.powers
        if self.scenario.get("powers"):
            return list(self.scenario["powers"])
        return [
            c.removeprefix("ca_share_")
            for c in self.model.columns
            if c.count("_") == 2 and c.startswith("ca_share_")
        ]

    def final_markers(self) -> list[StateMarker]:
        """Each state at its capital with its last recorded alignment and memberships."""
        if self.states.height == 0 or "iso3" not in self.states.columns:
            return []
        last = self.states.filter(pl.col("step") == self.states["step"].max())
        specs = self.scenario.get("states", {})
        bundled = outlines.capitals()
        markers = []
        for row in last.iter_rows(named=True):
            iso3 = row["iso3"]
            capital = (specs.get(iso3) or {}).get("capital") or {}
            lon, lat = capital.get("lon"), capital.get("lat")
            if lon is None or lat is None:
                if iso3 not in bundled:
                    continue
                lon, lat = bundled[iso3]
            alignment = {p: float(row.get(f"align_{p}") or 0.0) for p in self.powers}
            members = tuple(m for m in str(row.get("memberships") or "").split(",") if m)
            name = (specs.get(iso3) or {}).get("name", iso3)
            markers.append(StateMarker(iso3, float(lon), float(lat), alignment, members, name))
        return markers


def _table(path: Path) -> pl.DataFrame:
    if not path.is_file():
        return pl.DataFrame()
    frame = pl.read_parquet(path)
    if "date" in frame.columns and frame["date"].dtype == pl.String:
        frame = frame.with_columns(pl.col("date").str.to_date())
    return frame


def _fields(path: Path) -> MapData | None:
    if not path.is_file():
        return None
    with np.load(path) as archive:
        fields = np.asarray(archive["fields"], dtype=np.float64)
        channels = tuple(str(c) for c in archive["channels"])
        bounds = tuple(float(b) for b in archive["bounds"])
    return MapData(fields, channels, bounds)  # type: ignore[arg-type]


def load_run(path: Path) -> RunData:
    """Load a run directory.

    Raises:
        RunDirError: ``path`` is not a folder, or has no ``manifest.json`` or ``model.parquet``.
    """
    path = Path(path)
    if not path.is_dir():
        raise RunDirError(f"{path}: not a run directory (no such folder)")
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file() or not (path / "model.parquet").is_file():
        raise RunDirError(
            f"{path}: not a complete run directory (needs manifest.json and model.parquet)"
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise RunDirError(
            f"{manifest_path}: not valid JSON ({error.msg}, line {error.lineno})"
        ) from None
    return RunData(
        path=path,
        manifest=manifest,
        model=_table(path / "model.parquet"),
        states=_table(path / "states.parquet"),
        events=_table(path / "events.parquet"),
        fields=_fields(path / "fields_final.npz"),
    )
