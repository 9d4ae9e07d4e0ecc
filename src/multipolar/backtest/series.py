"""Capacities that follow the yearly record instead of a constant growth rate.

GDP follows ``gdp_wdi.csv`` (interpolated linearly between mid-years, held before the first
and after the last year of each state). Military expenditure is GDP times the military
burden: the burden of the sourced SIPRI years (``milex_sipri.csv``, milex / GDP of the same
year) interpolated between them and held outside; a state without any SIPRI figure takes
the median burden of the states that have one. These fallbacks are listed by
:meth:`SeriesCapabilities.fallbacks` and recorded in each run's manifest.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np

from multipolar.backtest.data import history_dir, read_series
from multipolar.capabilities import Capabilities
from multipolar.config import Scenario
from multipolar.timeline import decimal_year

__all__ = ["SeriesCapabilities", "interpolate"]


def interpolate(points: dict[int, float], year: float) -> float:
    """Value at a decimal year from yearly points (at mid-year), held beyond the ends."""
    years = sorted(points)
    return float(np.interp(year, [y + 0.5 for y in years], [points[y] for y in years]))


class SeriesCapabilities(Capabilities):
    """:class:`~multipolar.capabilities.Capabilities` driven by the yearly series.

    Args:
        scenario: the scenario (its states and their static figures).
        folder: where ``gdp_wdi.csv`` and ``milex_sipri.csv`` are (default: bundled).
    """

    def __init__(self, scenario: Scenario, folder: Path | None = None) -> None:
        super().__init__(scenario)
        folder = folder or history_dir()
        gdp = read_series(folder / "gdp_wdi.csv", "gdp_usd_bn")
        milex = read_series(folder / "milex_sipri.csv", "milex_usd_bn")
        self._gdp_series = {c: gdp[c] for c in self.codes if c in gdp}
        self._burden = {
            c: {y: v / interpolate(gdp[c], y + 0.5) for y, v in milex[c].items()}
            for c in self.codes
            if c in milex and c in gdp
        }
        self._missing_gdp = [c for c in self.codes if c not in gdp]
        self._imputed = [c for c in self.codes if c not in self._burden]

    def fallbacks(self) -> dict[str, list[str]]:
        """States whose GDP stays at the static figure, and those with an imputed burden."""
        return {"gdp_static": self._missing_gdp, "military_burden_imputed": self._imputed}

    def update(self, date: dt.date, *args: Any, **kwargs: Any) -> None:
        """Set GDP and military expenditure for ``date`` from the series."""
        super().update(date, *args, **kwargs)
        year = decimal_year(date)
        burdens = {c: interpolate(points, year) for c, points in self._burden.items()}
        typical = median(burdens.values()) if burdens else 0.0
        gdp = np.array(self.gdp, dtype=float)
        military = np.array(self.military, dtype=float)
        for i, code in enumerate(self.codes):
            if code in self._gdp_series:
                gdp[i] = interpolate(self._gdp_series[code], year)
            military[i] = gdp[i] * burdens.get(code, typical)
        self.gdp = gdp
        self.military = military
