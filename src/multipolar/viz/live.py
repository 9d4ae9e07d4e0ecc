"""What the browser view draws, read from a live model through its public attributes.

Only ``model.powers``, ``model.channels``, ``model.influence(channel)``, ``model.geography``,
``model.states``, ``model.datacollector``, ``model.steps`` and ``model.date`` are used, and the
recorded columns are found by name, so the view follows the model as its metrics change.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from multipolar.viz import outlines
from multipolar.viz.maps import MapData, StateMarker

__all__ = ["map_data", "markers", "model_frame", "states_frame"]


def map_data(model: Any) -> MapData:
    """The model's current fields with the grid's bounds."""
    grid = model.geography.grid
    fields = np.stack([np.asarray(model.influence(c)) for c in model.channels])
    return MapData(
        fields, tuple(model.channels), (grid.lon_min, grid.lon_max, grid.lat_min, grid.lat_max)
    )


def _memberships(model: Any, iso3: str, agent: Any) -> tuple[str, ...]:
    table = getattr(model, "memberships", None)
    if table is not None and hasattr(table, "organizations_of"):
        return tuple(sorted(table.organizations_of(iso3)))
    return tuple(sorted(getattr(agent, "memberships", ()) or ()))


def markers(model: Any) -> list[StateMarker]:
    """Each state agent at its capital with its current alignment and memberships."""
    bundled = outlines.capitals()
    found = []
    for iso3, agent in model.states.items():
        capital = getattr(agent, "capital", None) or bundled.get(iso3)
        alignment = np.asarray(getattr(agent, "alignment", ()), dtype=float)
        if capital is None or alignment.size != len(model.powers):
            continue
        found.append(
            StateMarker(
                iso3,
                float(capital[0]),
                float(capital[1]),
                {p: float(a) for p, a in zip(model.powers, alignment, strict=True)},
                _memberships(model, iso3, agent),
                str(getattr(agent, "name", iso3)),
            )
        )
    return found


def _frame(columns: dict[str, list[Any]]) -> pl.DataFrame:
    frame = pl.DataFrame({k: v for k, v in columns.items() if len(v)}, strict=False)
    if "date" in frame.columns and frame["date"].dtype == pl.String:
        frame = frame.with_columns(pl.col("date").str.to_date())
    return frame


def model_frame(model: Any) -> pl.DataFrame:
    """The model reporters recorded so far, one row per step."""
    variables = dict(model.datacollector.model_vars)
    rows = len(next(iter(variables.values()), []))
    return _frame({"step": list(range(rows)), **variables})


def states_frame(model: Any) -> pl.DataFrame:
    """The states table recorded so far (month by state)."""
    table = model.datacollector.tables.get("states")
    return _frame(dict(table)) if table else pl.DataFrame()
