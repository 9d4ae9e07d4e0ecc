"""Did the modelled alignment move the documented way? Scored from the runs' state tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from multipolar.backtest.data import Shift

__all__ = ["ShiftResult", "measure", "score_shifts"]


@dataclass(frozen=True)
class ShiftResult:
    """One documented shift: the mean modelled change over its window and its direction."""

    id: str
    direction: int
    mean_delta: float
    share_of_seeds_right: float

    @property
    def right(self) -> bool:
        """The seeds' mean change has the documented sign."""
        return self.mean_delta * self.direction > 0


def measure(states: pl.DataFrame, shift: Shift) -> pl.DataFrame:
    """Monthly value of a shift's measure, averaged over its states: columns date, value.

    ``align``: the states' alignment with the power. ``economy_share``: the power's share of
    the economic influence the states read.
    """
    frame = states.filter(pl.col("iso3").is_in(list(shift.states)))
    if shift.measure == "align":
        value = pl.col(f"align_{shift.power}")
    else:
        economy = [c for c in frame.columns if c.startswith("economy_")]
        total = pl.sum_horizontal([pl.col(c) for c in economy])
        value = pl.when(total > 0).then(pl.col(f"economy_{shift.power}") / total).otherwise(0.0)
    return frame.group_by("date").agg(value.mean().alias("value")).sort("date")


def _delta(series: pl.DataFrame, shift: Shift) -> float:
    window = series.filter((pl.col("date") >= shift.start) & (pl.col("date") <= shift.end))
    if window.height < 2:
        return 0.0
    return float(window["value"][-1] - window["value"][0])


def score_shifts(shifts: Sequence[Shift], runs: Sequence[pl.DataFrame]) -> list[ShiftResult]:
    """Score each shift over the runs' state tables (one per seed)."""
    results = []
    for shift in shifts:
        deltas = [_delta(measure(states, shift), shift) for states in runs]
        n = max(len(deltas), 1)
        results.append(
            ShiftResult(
                id=shift.id,
                direction=shift.direction,
                mean_delta=sum(deltas) / n,
                share_of_seeds_right=sum(d * shift.direction > 0 for d in deltas) / n,
            )
        )
    return results
