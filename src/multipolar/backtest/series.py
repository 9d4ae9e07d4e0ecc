"""Capacities that follow the yearly record, in constant 2015 US$, instead of a growth rate.

GDP is World Bank WDI's constant 2015 US$ series, rebuilt from two WDI indicators: the GDP
of 2015 in current US$ (``gdp_wdi.csv``, NY.GDP.MKTP.CD) carried backward and forward by the
real growth rate (``gdp_growth_wdi.csv``, NY.GDP.MKTP.KD.ZG, which WDI computes on its
constant 2015 US$ series). That is WDI's NY.GDP.MKTP.KD, each state deflated by its own
prices, wherever WDI's constant series equals the current one in its base year.

Military expenditure is SIPRI's series in constant 2022 US$ (``milex_sipri_constant.csv``),
brought to 2015 prices by the US GDP deflator implied by the two GDP series (current /
constant, United States). One factor for every state, so shares among states and each
state's change over time are SIPRI's own; only the level of the military burden (milex /
GDP) depends on it. Between mid-years values are interpolated linearly. A state's burden
(milex / GDP of the same year) is held before its first and after its last SIPRI year; a
state without any SIPRI figure takes the median burden of the states that have one. These
fallbacks are listed by :meth:`SeriesCapabilities.fallbacks` and recorded in each run's
manifest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np

from multipolar.backtest.data import history_dir, read_series
from multipolar.capabilities import Capabilities
from multipolar.config import Problem, Scenario, ScenarioError
from multipolar.timeline import decimal_year

__all__ = [
    "BASE_YEAR",
    "SIPRI_PRICE_YEAR",
    "ConstantSeries",
    "SeriesCapabilities",
    "constant_gdp",
    "interpolate",
    "load_constant_series",
]

BASE_YEAR = 2015
"""Price and exchange-rate year of WDI's constant-dollar GDP (and of the model's capacities)."""

SIPRI_PRICE_YEAR = 2022
"""Price year of SIPRI's constant-dollar military expenditure (release of April 2024)."""

Series = dict[str, dict[int, float]]


def interpolate(points: dict[int, float], year: float) -> float:
    """Value at a decimal year from yearly points (at mid-year), held beyond the ends."""
    years = sorted(points)
    return float(np.interp(year, [y + 0.5 for y in years], [points[y] for y in years]))


def constant_gdp(current: Series, growth: Series, base_year: int = BASE_YEAR) -> Series:
    """GDP in constant ``base_year`` US$: the base year's current value carried by real growth.

    ``growth[c][y]`` is the percentage change from ``y - 1`` to ``y``. The chain runs from
    the base year as far as the growth rates continue without a gap, and no further back
    than the first year with a current-dollar figure. A state without a current figure for
    the base year is left out.
    """
    result: Series = {}
    for code, levels in current.items():
        if base_year not in levels:
            continue
        rates = growth.get(code, {})
        chain = {base_year: levels[base_year]}
        year = base_year
        while year + 1 in rates:
            chain[year + 1] = chain[year] * (1.0 + rates[year + 1] / 100.0)
            year += 1
        year = base_year
        while year in rates and year - 1 >= min(levels):
            chain[year - 1] = chain[year] / (1.0 + rates[year] / 100.0)
            year -= 1
        result[code] = dict(sorted(chain.items()))
    return result


@dataclass(frozen=True)
class ConstantSeries:
    """The yearly capacities in constant 2015 US$ bn, and the factor that rebased SIPRI's.

    Attributes:
        gdp: ``{iso3: {year: GDP}}``, constant 2015 US$ bn.
        military: ``{iso3: {year: military expenditure}}``, constant 2015 US$ bn.
        us_price_ratio: US GDP deflator of :data:`SIPRI_PRICE_YEAR` over that of
            :data:`BASE_YEAR`; SIPRI's constant 2022 US$ are divided by it.
    """

    gdp: Series
    military: Series
    us_price_ratio: float


def load_constant_series(folder: Path | None = None) -> ConstantSeries:
    """Read the WDI and SIPRI files of ``folder`` (default: bundled) and convert them."""
    folder = folder or history_dir()
    current = read_series(folder / "gdp_wdi.csv", "gdp_usd_bn")
    growth = read_series(folder / "gdp_growth_wdi.csv", "growth_pct", signed=True)
    sipri = read_series(folder / "milex_sipri_constant.csv", "milex_usd2022_bn")
    gdp = constant_gdp(current, growth)
    try:
        ratio = current["USA"][SIPRI_PRICE_YEAR] / gdp["USA"][SIPRI_PRICE_YEAR]
    except KeyError:
        raise ScenarioError(
            [
                Problem(
                    str(folder / "gdp_growth_wdi.csv"),
                    "USA",
                    f"the US GDP of {BASE_YEAR}-{SIPRI_PRICE_YEAR} is needed to rebase "
                    f"SIPRI's constant {SIPRI_PRICE_YEAR} US$",
                )
            ]
        ) from None
    military = {
        code: {year: value / ratio for year, value in points.items()}
        for code, points in sipri.items()
    }
    return ConstantSeries(gdp, military, ratio)


class SeriesCapabilities(Capabilities):
    """:class:`~multipolar.capabilities.Capabilities` driven by the yearly series.

    Args:
        scenario: the scenario (its states and their static figures, which should be in
            the same constant 2015 US$ as the series: they are the reference capacities).
        folder: where the series files are (default: bundled).
    """

    def __init__(self, scenario: Scenario, folder: Path | None = None) -> None:
        super().__init__(scenario)
        series = load_constant_series(folder)
        self.us_price_ratio = series.us_price_ratio
        self._gdp_series = {c: series.gdp[c] for c in self.codes if c in series.gdp}
        self._burden: dict[str, dict[int, float]] = {}
        for code, gdp in self._gdp_series.items():
            points = {y: v / gdp[y] for y, v in series.military.get(code, {}).items() if y in gdp}
            if points:
                self._burden[code] = points
        self._missing_gdp = [c for c in self.codes if c not in self._gdp_series]
        self._imputed = [c for c in self.codes if c not in self._burden]

    def fallbacks(self) -> dict[str, list[str]]:
        """States on a fallback: static GDP, imputed burden, burden held beyond its years."""
        first, last = self._span()
        return {
            "gdp_static": self._missing_gdp,
            "gdp_held_before": [
                f"{c} {min(p)}" for c, p in self._gdp_series.items() if min(p) > first
            ],
            "military_burden_imputed": self._imputed,
            "military_burden_held_before": [
                f"{c} {min(p)}" for c, p in self._burden.items() if min(p) > first
            ],
            "military_burden_held_after": [
                f"{c} {max(p)}" for c, p in self._burden.items() if max(p) < last
            ],
        }

    def _span(self) -> tuple[int, int]:
        years = [y for points in self._burden.values() for y in points]
        first = min((min(p) for p in self._gdp_series.values()), default=0)
        return first, max(years, default=0)

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
