"""The run plan: every (point, replicate) of a sweep, its seed and its run id.

Seeds derive from the sweep seed and the replicate number only, so every point sees the same
random streams (common random numbers: differences between points are then the parameters'
doing, not the dice's). A run id is a digest of a run's parameters and seed; two points that
coincide (a Morris trajectory may revisit one) share a run, which runs once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from multipolar.sweep.samplers import sample_points
from multipolar.sweep.spec import Range, Sweep

__all__ = [
    "Plan",
    "PlannedRun",
    "build_plan",
    "column_value",
    "parameter_dtypes",
    "replicate_seed",
    "run_id",
]


@dataclass(frozen=True)
class PlannedRun:
    """One model run: its id, seed, replicate and parameter values."""

    run_id: str
    seed: int
    replicate: int
    params: tuple[tuple[str, Any], ...]

    def values(self) -> dict[str, Any]:
        """The parameter values as a dict."""
        return dict(self.params)


@dataclass(frozen=True)
class Plan:
    """The runs of a sweep (unique, in plan order) and the point each (point, replicate) uses."""

    runs: tuple[PlannedRun, ...]
    points: pl.DataFrame  # point, replicate, run_id

    @property
    def run_ids(self) -> list[str]:
        """Every run id, in plan order."""
        return [r.run_id for r in self.runs]


def replicate_seed(sweep_seed: int, replicate: int) -> int:
    """The model seed of replicate ``replicate``: a non-negative 63-bit integer."""
    state = np.random.SeedSequence([sweep_seed, replicate]).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def run_id(params: dict[str, Any], seed: int) -> str:
    """A 16-hex-digit digest of a run's parameter values and seed."""
    text = json.dumps({"params": params, "seed": seed}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def build_plan(sweep: Sweep) -> Plan:
    """Expand a sweep into its runs: every point times every replicate."""
    seeds = [replicate_seed(sweep.settings.seed, r) for r in range(sweep.settings.replicates)]
    runs: dict[str, PlannedRun] = {}
    rows: list[tuple[int, int, str]] = []
    for point, values in enumerate(sample_points(sweep)):
        for replicate, seed in enumerate(seeds):
            rid = run_id(values, seed)
            runs.setdefault(rid, PlannedRun(rid, seed, replicate, tuple(values.items())))
            rows.append((point, replicate, rid))
    points = pl.DataFrame(
        rows, schema={"point": pl.Int64, "replicate": pl.Int64, "run_id": pl.String}, orient="row"
    )
    return Plan(tuple(runs.values()), points)


def parameter_dtypes(sweep: Sweep) -> dict[str, str]:
    """The Polars dtype name of each parameter column, the same in every task's file."""
    return {key: _dtype(value) for key, value in sweep.parameters.items()}


def _dtype(values: tuple[Any, ...] | Range) -> str:
    if isinstance(values, Range):
        return "Float64"
    if all(isinstance(v, bool) for v in values):
        return "Boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "Int64"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "Float64"
    return "String"


def column_value(value: Any, dtype: str) -> Any:
    """A parameter value as stored in a column of ``dtype`` (non-strings as JSON text)."""
    if dtype == "Float64":
        return float(value)
    if dtype == "String" and not isinstance(value, str):
        return json.dumps(value, default=str)
    return value
